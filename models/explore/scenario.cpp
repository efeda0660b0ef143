// SPDX-License-Identifier: GPL-2.0-only
#include "models/explore/scenario.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "models/designs/make_design.hpp"
#include "sim/config.hpp"

namespace models::explore {

using sim::config::ConfigError;

const char* to_string(Device d) {
  switch (d) {
    case Device::Usb: return "usb";
    case Device::Block: return "block";
    case Device::Async: return "async";
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
  }
  return "?";
}

namespace {

constexpr std::string_view kSet = "--set";

std::string describe_node(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return fmt::format("string \"{}\"", n.as_string()->get());
    case toml::node_type::integer: return fmt::format("integer {}", n.as_integer()->get());
    case toml::node_type::floating_point: return fmt::format("float {}", n.as_floating_point()->get());
    case toml::node_type::boolean: return n.as_boolean()->get() ? "boolean true" : "boolean false";
    case toml::node_type::array: return "array";
    case toml::node_type::table: return "table";
    default: return "a date or time";
  }
}

class Checker {
 public:
  Checker(std::string file, std::set<std::string> set_paths) : file_(std::move(file)), set_(std::move(set_paths)) {}

  // Was `key` (or the table holding it) given by --set?
  bool from_set(const std::string& key) const {
    for (std::string k = key;;) {
      if (set_.count(k)) return true;
      const std::size_t dot = k.rfind('.');
      if (dot == std::string::npos) return false;
      k.resize(dot);
    }
  }

  [[noreturn]] void fail(const toml::node* n, const std::string& key, const std::string& msg) const {
    if (from_set(key)) throw ConfigError(std::string(kSet), 0, key, msg);
    const int line = n ? static_cast<int>(n->source().begin.line) : 0;
    throw ConfigError(file_, line, key, msg);
  }

  // Unknown keys of `t` (at `prefix`), with a suggestion.
  void only(const toml::table& t, const std::string& prefix, std::initializer_list<const char*> allowed) const {
    for (auto&& [k, node] : t) {
      const std::string key(k.str());
      if (std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) continue;
      std::string msg = "unknown key";
      std::size_t best = 3;
      std::string sugg;
      for (const char* a : allowed) {
        const std::size_t d = sim::config::edit_distance(key, a);
        if (d < best) {
          best = d;
          sugg = a;
        }
      }
      if (!sugg.empty()) msg += fmt::format("; did you mean \"{}\"?", join(prefix, sugg));
      if (!from_set(join(prefix, key)) && k.source().begin.line)
        throw ConfigError(file_, static_cast<int>(k.source().begin.line), join(prefix, key), msg);
      fail(&node, join(prefix, key), msg);
    }
  }

  static std::string join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

  const toml::table* table(const toml::table& parent, const std::string& prefix, const char* key) const {
    const toml::node* n = parent.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(n, join(prefix, key), "expected a table, got " + describe_node(*n));
    return n->as_table();
  }

  std::optional<std::int64_t> int_of(const toml::table& t, const std::string& prefix, const char* key,
                                     std::int64_t lo, std::int64_t hi) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(n, join(prefix, key), "expected an integer, got " + describe_node(*n));
    const std::int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) fail(n, join(prefix, key), fmt::format("must be between {} and {}, got {}", lo, hi, v));
    return v;
  }

  std::optional<bool> bool_of(const toml::table& t, const std::string& prefix, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(n, join(prefix, key), "expected a boolean, got " + describe_node(*n));
    return n->as_boolean()->get();
  }

  std::optional<std::string> string_of(const toml::table& t, const std::string& prefix, const char* key,
                                       const std::vector<std::string>& choices = {}) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(n, join(prefix, key), "expected a string, got " + describe_node(*n));
    std::string v = n->as_string()->get();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end()) {
      std::string list;
      for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
      fail(n, join(prefix, key), fmt::format("expected one of {}, got \"{}\"", list, v));
    }
    return v;
  }

  const toml::node* node(const toml::table& t, const char* key) const { return t.get(key); }

 private:
  std::string file_;
  std::set<std::string> set_;
};

Device device_of(const Checker& ck, const toml::node* n, const std::string& key, const std::string& v) {
  if (v == "usb") return Device::Usb;
  if (v == "block") return Device::Block;
  if (v == "async") return Device::Async;
  ck.fail(n, key, fmt::format("expected one of usb, block, async, got \"{}\"", v));
}

// Merge `src` into `dst` (the --set documents into the file's), noting
// the dotted paths that --set gave.
void merge(toml::table& dst, const toml::table& src, const std::string& prefix, std::set<std::string>& paths) {
  for (auto&& [k, node] : src) {
    const std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* st = node.as_table()) {
      toml::node* d = dst.get(k.str());
      if (d && d->is_table()) {
        merge(*d->as_table(), *st, path, paths);
        continue;
      }
    }
    dst.insert_or_assign(k, node);
    paths.insert(path);
  }
}

struct RawAction {
  Action action;
  const toml::table* table = nullptr;
  std::string prefix;
};

// The fields of an action table (setup entry or context).
RawAction read_action(const Checker& ck, const toml::table& t, const std::string& prefix, bool is_context) {
  if (is_context)
    ck.only(t, prefix, {"cpu", "kind", "action", "iocbs", "request", "device", "min_nr", "nr"});
  else
    ck.only(t, prefix, {"cpu", "action", "iocbs", "request", "device", "min_nr", "nr"});
  RawAction r;
  r.table = &t;
  r.prefix = prefix;
  Action& a = r.action;
  auto act = ck.string_of(t, prefix, "action", {"io_submit", "io_cancel", "io_destroy", "io_getevents", "complete"});
  if (!act) ck.fail(&t, Checker::join(prefix, "action"), "required key is missing");
  if (*act == "io_submit") a.kind = ActionKind::Submit;
  else if (*act == "io_cancel") a.kind = ActionKind::Cancel;
  else if (*act == "io_destroy") a.kind = ActionKind::Destroy;
  else if (*act == "io_getevents") a.kind = ActionKind::GetEvents;
  else a.kind = ActionKind::Complete;
  a.cpu = static_cast<int>(ck.int_of(t, prefix, "cpu", 0, 63).value_or(0));

  auto forbid = [&](const char* key, const char* why) {
    if (const toml::node* n = t.get(key)) ck.fail(n, Checker::join(prefix, key), why);
  };
  if (a.kind == ActionKind::Submit) {
    const toml::node* n = t.get("iocbs");
    if (!n) ck.fail(&t, Checker::join(prefix, "iocbs"), "required key is missing (io_submit needs iocbs)");
    const toml::array* arr = n->as_array();
    if (!arr) ck.fail(n, Checker::join(prefix, "iocbs"), "expected an array of \"usb\", \"block\" or \"async\", got " + describe_node(*n));
    if (arr->empty() || arr->size() > 8)
      ck.fail(n, Checker::join(prefix, "iocbs"), fmt::format("expected 1 to 8 iocbs, got {}", arr->size()));
    for (const toml::node& e : *arr) {
      if (!e.is_string())
        ck.fail(n, Checker::join(prefix, "iocbs"), "expected \"usb\", \"block\" or \"async\", got " + describe_node(e));
      a.iocbs.push_back(device_of(ck, n, Checker::join(prefix, "iocbs"), e.as_string()->get()));
    }
  } else {
    forbid("iocbs", "only io_submit takes iocbs");
  }
  if (a.kind == ActionKind::Cancel) {
    auto req = ck.int_of(t, prefix, "request", 0, 1000);
    if (!req) ck.fail(&t, Checker::join(prefix, "request"), "required key is missing (io_cancel needs the request number)");
    a.request = static_cast<int>(*req);
  }
  if (a.kind == ActionKind::Complete) {
    auto dev = ck.string_of(t, prefix, "device", {"usb", "block", "async"});
    if (!dev) ck.fail(&t, Checker::join(prefix, "device"), "required key is missing (usb, block or async)");
    a.device = device_of(ck, t.get("device"), Checker::join(prefix, "device"), *dev);
    auto req = ck.int_of(t, prefix, "request", 0, 1000);
    if (a.device == Device::Usb) {
      if (req) ck.fail(t.get("request"), Checker::join(prefix, "request"),
                       "the USB endpoint finishes its head transfer; no request number");
    } else {
      if (!req) ck.fail(&t, Checker::join(prefix, "request"), "required key is missing (which request finishes)");
      a.request = static_cast<int>(*req);
    }
  } else {
    forbid("device", "only complete takes a device");
  }
  if (a.kind != ActionKind::Cancel && a.kind != ActionKind::Complete) forbid("request", "only io_cancel and complete take a request");
  if (a.kind == ActionKind::GetEvents) {
    a.min_nr = ck.int_of(t, prefix, "min_nr", 0, 64).value_or(0);
    a.nr = ck.int_of(t, prefix, "nr", 1, 64).value_or(8);
    if (a.min_nr > a.nr) ck.fail(t.get("min_nr"), Checker::join(prefix, "min_nr"), fmt::format("must not exceed nr ({})", a.nr));
  } else {
    forbid("min_nr", "only io_getevents takes min_nr");
    forbid("nr", "only io_getevents takes nr");
  }
  return r;
}

// The one-table sections: machine, invariants, explore ([kioctx] and [costs]: read_design).
void read_settings(Checker& ck, toml::table& root, Scenario& sc) {
  if (const toml::table* m = ck.table(root, "", "machine")) {
    ck.only(*m, "machine", {"cpus"});
    sc.cpus = static_cast<int>(ck.int_of(*m, "machine", "cpus", 1, 16).value_or(2));
  }
  if (const toml::table* i = ck.table(root, "", "invariants")) {
    ck.only(*i, "invariants", {"kernel_races"});
    sc.count_kernel_races = ck.string_of(*i, "invariants", "kernel_races", {"stop", "count"}).value_or("stop") == "count";
  }
  if (const toml::table* e = ck.table(root, "", "explore")) {
    ck.only(*e, "explore", {"max_preemptions", "max_schedules", "max_steps"});
    sc.max_preemptions = static_cast<int>(ck.int_of(*e, "explore", "max_preemptions", -1, 1000).value_or(-1));
    sc.max_schedules = static_cast<std::uint64_t>(
        ck.int_of(*e, "explore", "max_schedules", 0, std::numeric_limits<std::int64_t>::max()).value_or(0));
    sc.max_steps = static_cast<std::size_t>(ck.int_of(*e, "explore", "max_steps", 10, 10'000'000).value_or(20000));
  }
}

// [kioctx] and [costs], with the declarations `aiosim run` uses. The design
// is built once here so that an unknown name is an input error of the file.
void read_design(const Checker& ck, const toml::table& root, const std::string& file, Scenario& sc) {
  try {
    auto cfg = std::make_shared<const sim::config::Config>(
        sim::config::Config::from_sections(scenario_design_schema(), root, file, {"kioctx", "costs"}));
    make_design(*cfg);
    sc.design_config = std::move(cfg);
  } catch (const ConfigError& e) {
    // A value --set replaced in the file's table keeps the file's location.
    if (ck.from_set(e.key)) throw ConfigError(std::string(kSet), 0, e.key, e.message);
    throw;
  }
}

std::vector<RawAction> read_setup(Checker& ck, toml::table& root) {
  std::vector<RawAction> setup;
  if (const toml::node* s = root.get("setup")) {
    const toml::array* arr = s->as_array();
    if (!arr || !arr->is_array_of_tables())
      ck.fail(s, "setup", "expected an array of tables ([[setup]] entries), got " + describe_node(*s));
    int i = 0;
    for (const toml::node& e : *arr) setup.push_back(read_action(ck, *e.as_table(), fmt::format("setup[{}]", i++), false));
  }
  return setup;
}

// The [context.<name>] tables in file order (--set ones last, by name).
std::vector<std::pair<std::string, const toml::table*>> contexts_in_order(Checker& ck, toml::table& root) {
  std::vector<std::tuple<int, std::string, const toml::table*>> ordered;
  if (const toml::table* c = ck.table(root, "", "context")) {
    for (auto&& [k, node] : *c) {
      const std::string prefix = "context." + std::string(k.str());
      if (!node.is_table()) ck.fail(&node, prefix, "expected a table (a context: cpu, kind, action...), got " + describe_node(node));
      const bool from_set = node.source().path && *node.source().path == kSet;
      const int line = from_set ? std::numeric_limits<int>::max() : static_cast<int>(node.source().begin.line);
      ordered.emplace_back(line, std::string(k.str()), node.as_table());
    }
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b)); });
  if (ordered.empty()) ck.fail(&root, "context", "a scenario needs at least one context ([context.<name>])");
  std::vector<std::pair<std::string, const toml::table*>> out;
  for (auto& [line, name, t] : ordered) out.emplace_back(name, t);
  return out;
}

// One context: its kind, and an action that fits the kind.
RawAction read_context(Checker& ck, const std::string& name, const toml::table& t, ContextSpec& c) {
  const std::string prefix = "context." + name;
  ck.only(t, prefix, {"cpu", "kind", "action", "iocbs", "request", "device", "min_nr", "nr"});
  auto kind = ck.string_of(t, prefix, "kind", {"task", "irq"});
  if (!kind) ck.fail(&t, prefix + ".kind", "required key is missing (task or irq)");
  if (!t.get("cpu")) ck.fail(&t, prefix + ".cpu", "required key is missing");
  c.name = name;
  c.irq = *kind == "irq";
  if (auto act = ck.string_of(t, prefix, "action", {"io_submit", "io_cancel", "io_destroy", "io_getevents", "complete"})) {
    if (c.irq && *act != "complete")
      ck.fail(t.get("action"), prefix + ".action", "an irq context runs a hardware completion (action = \"complete\")");
    if (!c.irq && *act == "complete")
      ck.fail(t.get("action"), prefix + ".action", "a hardware completion runs in an irq context (kind = \"irq\")");
  }
  RawAction r = read_action(ck, t, prefix, true);
  c.cpu = r.action.cpu;
  return r;
}

// What no single key shows: CPUs that exist, requests submitted before they
// are cancelled or completed (once, by their own device), one UDC interrupt
// line, one task per CPU.
void cross_check(Checker& ck, Scenario& sc, const std::vector<RawAction>& setup, const std::vector<RawAction>& craw,
                 int setup_requests) {
  auto check_cpu = [&](const RawAction& r) {
    if (r.action.cpu >= sc.cpus)
      ck.fail(r.table->get("cpu") ? r.table->get("cpu") : r.table, r.prefix + ".cpu",
              fmt::format("CPU {} does not exist (machine.cpus = {})", r.action.cpu, sc.cpus));
  };
  std::optional<int> usb_cpu;
  std::set<int> completed;
  auto check_request = [&](const RawAction& r, int known) {
    const Action& a = r.action;
    if (a.kind != ActionKind::Cancel && !(a.kind == ActionKind::Complete && a.device != Device::Usb)) return;
    if (a.request >= known)
      ck.fail(r.table->get("request"), r.prefix + ".request",
              known == 0 ? std::string("no request is submitted before this point")
                         : fmt::format("request {} does not exist (requests 0-{} are submitted{})", a.request, known - 1,
                                       known == setup_requests && &r >= setup.data() && &r < setup.data() + setup.size()
                                           ? " by then"
                                           : ""));
    if (a.kind == ActionKind::Complete) {
      if (sc.requests[a.request] != a.device)
        ck.fail(r.table->get("request"), r.prefix + ".request",
                fmt::format("request {} goes to the {} device, not {}", a.request, to_string(sc.requests[a.request]),
                            to_string(a.device)));
      if (!completed.insert(a.request).second)
        ck.fail(r.table->get("request"), r.prefix + ".request", fmt::format("request {} is completed twice", a.request));
    }
  };
  auto check_usb = [&](const RawAction& r) {
    if (r.action.kind != ActionKind::Complete || r.action.device != Device::Usb) return;
    if (usb_cpu && *usb_cpu != r.action.cpu)
      ck.fail(r.table->get("cpu") ? r.table->get("cpu") : r.table, r.prefix + ".cpu",
              fmt::format("the UDC has one interrupt line: every USB completion must use CPU {}", *usb_cpu));
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
      ck.fail(r.table->get("cpu"), r.prefix + ".cpu", fmt::format("CPU {} already runs a task context", r.action.cpu));
  }
  sc.usb_irq_cpu = usb_cpu.value_or(0);
}

Scenario check(toml::table& root, const std::string& file, std::set<std::string> set_paths) {
  Checker ck(file, std::move(set_paths));
  Scenario sc;
  sc.file = file;
  sc.name = std::filesystem::path(file).stem().string();
  ck.only(root, "", {"description", "machine", "kioctx", "costs", "invariants", "explore", "setup", "context"});
  sc.description = ck.string_of(root, "", "description").value_or("");
  read_settings(ck, root, sc);
  read_design(ck, root, file, sc);
  std::vector<RawAction> setup = read_setup(ck, root);
  const auto ordered = contexts_in_order(ck, root);

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
  for (const auto& [name, t] : ordered) {
    ContextSpec c;
    RawAction r = read_context(ck, name, *t, c);
    number(r.action);
    c.action = r.action;
    sc.contexts.push_back(c);
    craw.push_back(r);
  }
  cross_check(ck, sc, setup, craw, setup_requests);
  for (const RawAction& r : setup) sc.setup.push_back(r.action);
  return sc;
}

toml::table parse_with_sets(const std::string& text, const std::string& source, const std::vector<std::string>& sets,
                            std::set<std::string>& set_paths) {
  toml::table root = sim::config::parse_toml(text, source);  // size and key-depth limits
  for (const std::string& s : sets) {
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError(std::string(kSet), 0, s, "expected key=value");
    std::string key = s.substr(0, eq), value = s.substr(eq + 1);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    // A bare dotted key only, and a value on one line: nothing else can ride along into the document.
    const bool bare = std::all_of(key.begin(), key.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    });
    if (!bare || key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos ||
        static_cast<std::size_t>(std::count(key.begin(), key.end(), '.')) >= sim::config::kMaxKeyParts)
      throw ConfigError(std::string(kSet), 0, key, "invalid key (dotted names of A-Z a-z 0-9 _ -)");
    std::optional<toml::table> doc;
    if (value.find_first_of("\r\n") == std::string::npos) {
      try {
        doc = toml::parse(key + " = " + value, kSet);
      } catch (const toml::parse_error&) {
        doc.reset();
      }
    }
    if (!doc) {
      try {
        doc = toml::parse(key + " = " + sim::config::toml_quote(value), kSet);
      } catch (const toml::parse_error& e) {
        throw ConfigError(std::string(kSet), 0, key, "invalid key or value: " + std::string(e.description()));
      }
    }
    merge(root, *doc, "", set_paths);
  }
  return root;
}

}  // namespace

const sim::config::Schema& scenario_design_schema() {
  static const sim::config::Schema s = [] {
    sim::config::Schema s;
    add_kioctx_keys(s, DesignKeyDefaults::explorer());
    add_cost_keys(s, DesignKeyDefaults::explorer());
    return s;
  }();
  return s;
}

Scenario parse_scenario(const std::string& text, const std::string& source_name, const std::vector<std::string>& sets) {
  std::set<std::string> set_paths;
  toml::table root = parse_with_sets(text, source_name, sets, set_paths);
  return check(root, source_name, std::move(set_paths));
}

Scenario load_scenario(const std::filesystem::path& file, const std::vector<std::string>& sets) {
  return parse_scenario(sim::config::read_input_file(file), file.string(), sets);
}

}  // namespace models::explore
