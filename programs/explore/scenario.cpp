// SPDX-License-Identifier: GPL-2.0-only
#include "programs/explore/scenario.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "models/designs/make_design.hpp"
#include "sim/config.hpp"

namespace programs::explore {

using namespace models;  // the kernel objects this program runs

using sim::config::ConfigError;

const char* to_string(Device d) {
  switch (d) {
    case Device::Usb: return "usb";
    case Device::Block: return "block";
    case Device::Async: return "async";
    case Device::Buffered: return "buffered";
  }
  return "?";
}

const char* to_string(ActionKind a) {
  switch (a) {
    case ActionKind::Submit: return "io_submit";
    case ActionKind::Cancel: return "io_cancel";
    case ActionKind::Destroy: return "io_destroy";
    case ActionKind::GetEvents: return "io_getevents";
    case ActionKind::Complete: return "complete";
    case ActionKind::IoWqWorker: return "io_wq_worker";
  }
  return "?";
}

std::string Action::describe() const {
  switch (kind) {
    case ActionKind::Submit: {
      std::string s = "io_submit(";
      for (std::size_t i = 0; i < iocbs.size(); ++i)
        s += fmt::format("{}req{}:{}", i ? ", " : "", i < requests.size() ? requests[i] : -1, to_string(iocbs[i]));
      return s + ")";
    }
    case ActionKind::Cancel: return fmt::format("io_cancel(req{})", request);
    case ActionKind::Destroy: return "io_destroy()";
    case ActionKind::GetEvents: return fmt::format("io_getevents(min_nr={}, nr={})", min_nr, nr);
    case ActionKind::Complete:
      if (device == Device::Usb) return fmt::format("hardware finishes the USB head transfer, UDC IRQ on cpu{}", cpu);
      return fmt::format("hardware finishes req{} ({}), IRQ on cpu{}", request, to_string(device), cpu);
    case ActionKind::IoWqWorker: return "io-wq worker runs the queued work";
  }
  return "?";
}

namespace {

using sim::config::Config;
using sim::config::Schema;
using sim::config::Type;

const std::vector<std::string> kActions = {"io_submit", "io_cancel", "io_destroy", "io_getevents", "complete", "io_wq_worker"};
const std::vector<std::string> kDevices = {"usb", "block", "async", "buffered"};

// The keys of an action table: a [[setup]] entry, or (with kind, and a
// required cpu) a [context.NAME] table.
Schema action_schema(bool context) {
  Schema s;
  if (context) {
    s.add_required("cpu", Type::Int, "the context's CPU (one task context per CPU)").range(0, 63);
    s.add_required("kind", Type::String, "a task, or a hard-IRQ handler (action = \"complete\")").choices({"task", "irq"});
  } else {
    s.add("cpu", Type::Int, 0, "the CPU of a set-up action").range(0, 63);
  }
  s.add_required("action", Type::String,
                 context ? "what the context does" : "an action run in order before the exploration")
      .choices(kActions);
  s.add_optional("iocbs", Type::StringList, "io_submit: one request per entry (1 to 8)").choices(kDevices);
  s.add_optional("request", Type::Int, "io_cancel, or complete of a block/async request: the request number")
      .range(0, 1000);
  s.add_optional("device", Type::String, "complete: which device finishes").choices(kDevices);
  s.add("min_nr", Type::Int, 0, "io_getevents min_nr").range(0, 64);
  s.add("nr", Type::Int, 8, "io_getevents nr").range(1, 64);
  return s;
}

Device device_of(const std::string& v) {
  if (v == "usb") return Device::Usb;
  if (v == "block") return Device::Block;
  if (v == "buffered") return Device::Buffered;
  return Device::Async;  // the schema admits nothing else
}

ActionKind action_of(const std::string& v) {
  if (v == "io_submit") return ActionKind::Submit;
  if (v == "io_cancel") return ActionKind::Cancel;
  if (v == "io_destroy") return ActionKind::Destroy;
  if (v == "io_getevents") return ActionKind::GetEvents;
  if (v == "io_wq_worker") return ActionKind::IoWqWorker;
  return ActionKind::Complete;
}

// An action with the table it was read from (for errors located there).
struct RawAction {
  Action action;
  const Config* table = nullptr;
};

// The keys an action needs, and those it must not have (the schema checked each key alone).
RawAction read_action(const Config& t) {
  RawAction r;
  r.table = &t;
  Action& a = r.action;
  a.kind = action_of(t.get_string("action"));
  a.cpu = static_cast<int>(t.get_int("cpu"));
  auto forbid = [&](const char* key, const char* why) {
    if (t.is_set_explicitly(key)) throw t.error_at(key, why);
  };
  if (a.kind == ActionKind::Submit) {
    if (!t.has("iocbs")) throw t.error_at("iocbs", "required key is missing (io_submit needs iocbs)");
    const std::vector<std::string> iocbs = t.get_string_list("iocbs");
    if (iocbs.empty() || iocbs.size() > 8) throw t.error_at("iocbs", fmt::format("expected 1 to 8 iocbs, got {}", iocbs.size()));
    for (const std::string& d : iocbs) a.iocbs.push_back(device_of(d));
  } else {
    forbid("iocbs", "only io_submit takes iocbs");
  }
  if (a.kind == ActionKind::Cancel) {
    if (!t.has("request")) throw t.error_at("request", "required key is missing (io_cancel needs the request number)");
    a.request = static_cast<int>(t.get_int("request"));
  }
  if (a.kind == ActionKind::Complete) {
    if (!t.has("device")) throw t.error_at("device", "required key is missing (usb, block or async)");
    a.device = device_of(t.get_string("device"));
    if (a.device == Device::Buffered)
      throw t.error_at("device", "a buffered write has no hardware completion (it is done when the page cache has it)");
    if (a.device == Device::Usb) {
      if (t.has("request")) throw t.error_at("request", "the USB endpoint finishes its head transfer; no request number");
    } else {
      if (!t.has("request")) throw t.error_at("request", "required key is missing (which request finishes)");
      a.request = static_cast<int>(t.get_int("request"));
    }
  } else {
    forbid("device", "only complete takes a device");
  }
  if (a.kind != ActionKind::Cancel && a.kind != ActionKind::Complete) forbid("request", "only io_cancel and complete take a request");
  if (a.kind == ActionKind::GetEvents) {
    a.min_nr = t.get_int("min_nr");
    a.nr = t.get_int("nr");
    if (a.min_nr > a.nr) throw t.error_at("min_nr", fmt::format("must not exceed nr ({})", a.nr));
  } else {
    forbid("min_nr", "only io_getevents takes min_nr");
    forbid("nr", "only io_getevents takes nr");
  }
  return r;
}

// The one-table sections: machine, kioctx and costs (make_design's), invariants, explore.
void read_settings(const Config& cfg, Scenario& sc) {
  sc.description = cfg.get_string("description");
  sc.cpus = static_cast<int>(cfg.get_int("machine.cpus"));
  // Built once here, so that an unknown design is an input error of the file.
  make_design(cfg);
  sc.design_config = std::make_shared<const Config>(cfg);
  sc.count_kernel_races = cfg.get_string("invariants.kernel_races") == "count";
  sc.max_preemptions = static_cast<int>(cfg.get_int("explore.max_preemptions"));
  sc.max_schedules = static_cast<std::uint64_t>(cfg.get_int("explore.max_schedules"));
  sc.max_steps = static_cast<std::size_t>(cfg.get_int("explore.max_steps"));
}

// One context: its kind, and an action that fits the kind.
RawAction read_context(const std::string& name, const Config& t, ContextSpec& c) {
  c.name = name;
  c.irq = t.get_string("kind") == "irq";
  const std::string& act = t.get_string("action");
  if (c.irq && act != "complete")
    throw t.error_at("action", "an irq context runs a hardware completion (action = \"complete\")");
  if (!c.irq && act == "complete") throw t.error_at("action", "a hardware completion runs in an irq context (kind = \"irq\")");
  RawAction r = read_action(t);
  c.cpu = r.action.cpu;
  return r;
}

// What no single key shows: CPUs that exist, requests submitted before they
// are cancelled or completed (once, by their own device), one UDC interrupt
// line, one task per CPU.
void cross_check(Scenario& sc, const std::vector<RawAction>& setup, const std::vector<RawAction>& craw, int setup_requests) {
  auto check_cpu = [&](const RawAction& r) {
    if (r.action.cpu >= sc.cpus)
      throw r.table->error_at("cpu", fmt::format("CPU {} does not exist (machine.cpus = {})", r.action.cpu, sc.cpus));
  };
  std::optional<int> usb_cpu;
  std::set<int> completed;
  auto check_request = [&](const RawAction& r, int known) {
    const Action& a = r.action;
    if (a.kind != ActionKind::Cancel && !(a.kind == ActionKind::Complete && a.device != Device::Usb)) return;
    if (a.request >= known)
      throw r.table->error_at(
          "request", known == 0 ? std::string("no request is submitted before this point")
                                : fmt::format("request {} does not exist (requests 0-{} are submitted{})", a.request, known - 1,
                                              known == setup_requests && &r >= setup.data() && &r < setup.data() + setup.size()
                                                  ? " by then"
                                                  : ""));
    if (a.kind == ActionKind::Complete) {
      if (sc.requests[a.request] != a.device)
        throw r.table->error_at("request", fmt::format("request {} goes to the {} device, not {}", a.request,
                                                       to_string(sc.requests[a.request]), to_string(a.device)));
      if (!completed.insert(a.request).second)
        throw r.table->error_at("request", fmt::format("request {} is completed twice", a.request));
    }
  };
  auto check_usb = [&](const RawAction& r) {
    if (r.action.kind != ActionKind::Complete || r.action.device != Device::Usb) return;
    if (usb_cpu && *usb_cpu != r.action.cpu)
      throw r.table->error_at("cpu", fmt::format("the UDC has one interrupt line: every USB completion must use CPU {}", *usb_cpu));
    usb_cpu = r.action.cpu;
  };
  int known = 0;
  for (const RawAction& r : setup) {
    check_cpu(r);
    check_request(r, known);
    check_usb(r);
    known += static_cast<int>(r.action.iocbs.size());
  }
  std::set<int> task_cpus;
  for (std::size_t i = 0; i < craw.size(); ++i) {
    const RawAction& r = craw[i];
    check_cpu(r);
    check_request(r, static_cast<int>(sc.requests.size()));
    check_usb(r);
    if (!sc.contexts[i].irq && !task_cpus.insert(r.action.cpu).second)
      throw r.table->error_at("cpu", fmt::format("CPU {} already runs a task context", r.action.cpu));
  }
  sc.usb_irq_cpu = usb_cpu.value_or(0);
}

Scenario check(const Config& cfg) {
  Scenario sc;
  sc.file = cfg.source_file();
  sc.name = std::filesystem::path(sc.file).stem().string();
  read_settings(cfg, sc);
  std::vector<RawAction> setup;
  for (const Config& t : cfg.get_table_array("setup")) setup.push_back(read_action(t));
  const auto& contexts = cfg.get_table_set("context");
  if (contexts.empty()) throw cfg.error_at("context", "a scenario needs at least one context ([context.<name>])");

  // Requests: the set-up's first, then the contexts', in order.
  auto number = [&](Action& a) {
    for (Device d : a.iocbs) {
      a.requests.push_back(static_cast<int>(sc.requests.size()));
      sc.requests.push_back(d);
    }
  };
  for (RawAction& r : setup) number(r.action);
  const int setup_requests = static_cast<int>(sc.requests.size());
  std::vector<RawAction> craw;
  for (const auto& [name, t] : contexts) {
    ContextSpec c;
    RawAction r = read_context(name, t, c);
    number(r.action);
    c.action = r.action;
    sc.contexts.push_back(c);
    craw.push_back(r);
  }
  cross_check(sc, setup, craw, setup_requests);
  for (const RawAction& r : setup) sc.setup.push_back(r.action);
  return sc;
}

}  // namespace

const Schema& scenario_schema() {
  static const Schema schema = [] {
    Schema s;
    s.add("description", Type::String, "", "what the scenario shows");
    s.add("machine.cpus", Type::Int, 2, "CPUs of the explored machine").range(1, 16);
    add_kioctx_keys(s, DesignKeyDefaults::explorer());
    add_cost_keys(s, DesignKeyDefaults::explorer());
    s.add("invariants.kernel_races", Type::String, "stop", "gadgetfs' own io_cancel races: a violation, or counted")
        .choices({"stop", "count"});
    s.add("explore.max_preemptions", Type::Int, -1, "preemption bound per schedule (-1: none; --max-preemptions overrides)")
        .range(-1, 1000);
    s.add("explore.max_schedules", Type::Int, 0, "stop after this many schedules (0: no limit)").min(0);
    s.add("explore.max_steps", Type::Int, 20000, "steps of one schedule before it counts as a livelock").range(10, 10'000'000);
    s.add_table_array("setup", action_schema(false), "actions run in order before the exploration, on CPU 0's task");
    s.add_table_set("context", action_schema(true), "the contexts whose steps are interleaved");
    return s;
  }();
  return schema;
}

Scenario parse_scenario(const std::string& text, const std::string& source_name, const std::vector<std::string>& sets) {
  return check(Config::from_string(scenario_schema(), text, source_name, sets));
}

Scenario load_scenario(const std::filesystem::path& file, const std::vector<std::string>& sets) {
  return parse_scenario(sim::config::read_input_file(file), file.string(), sets);
}

}  // namespace programs::explore
