// SPDX-License-Identifier: GPL-2.0-only
// The scenario format: the built-in scenarios load, --set overrides any key,
// and every bad input is one "file:line: key: message" error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "programs/explore/scenario.hpp"
#include "sim/config.hpp"
#include "sim/time.hpp"

namespace ex = programs::explore;
using sim::config::ConfigError;

namespace {

const std::string kDir = AIOSIM_SCENARIOS;

const ex::ContextSpec& context(const ex::Scenario& sc, const std::string& name) {
  for (const auto& c : sc.contexts)
    if (c.name == name) return c;
  FAIL("no context " << name);
  throw;
}

// The error a scenario text gives, as printed.
std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    ex::parse_scenario(text, "x.toml", sets);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* const kGood = R"(description = "ok"
[machine]
cpus = 2
[[setup]]
action = "io_submit"
iocbs = ["usb"]
[context.canceller]
cpu = 0
kind = "task"
action = "io_cancel"
request = 0
[context.udc]
cpu = 1
kind = "irq"
action = "complete"
device = "usb"
)";

}  // namespace

TEST_CASE("the built-in scenarios load", "[explore][scenario]") {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(kDir)) {
    if (f.path().extension() != ".toml") continue;
    INFO(f.path());
    ex::Scenario sc = ex::load_scenario(f.path());
    CHECK_FALSE(sc.description.empty());
    CHECK_FALSE(sc.contexts.empty());
    ++n;
  }
  CHECK(n >= 6);

  ex::Scenario s1 = ex::load_scenario(kDir + "/usb-cancel-irq.toml");
  CHECK(s1.cpus == 2);
  CHECK(s1.design_config->get_string("kioctx.design") == "lazy-cancel");
  REQUIRE(s1.requests.size() == 1);
  CHECK(s1.requests[0] == ex::Device::Usb);
  CHECK(s1.usb_irq_cpu == 1);
  CHECK(context(s1, "canceller").action.kind == ex::ActionKind::Cancel);
  CHECK_FALSE(context(s1, "canceller").irq);
  CHECK(context(s1, "udc").irq);

  ex::Scenario s4 = ex::load_scenario(kDir + "/submit-vs-cancel.toml");
  REQUIRE(s4.requests.size() == 2);  // the set-up's, then the submitter's
  CHECK(s4.requests[0] == ex::Device::Async);
  CHECK(s4.requests[1] == ex::Device::Block);
  CHECK(context(s4, "submitter").action.requests == std::vector<int>{1});
}

TEST_CASE("scenario keys, a context's included, can be overridden by --set", "[explore][scenario]") {
  ex::Scenario sc = ex::load_scenario(kDir + "/usb-cancel-irq.toml",
                                      {"kioctx.design=mm-parent", "context.udc.cpu=0", "invariants.kernel_races=count",
                                       "kioctx.zero_alloc=false", "explore.max_preemptions=2"});
  CHECK(sc.design_config->get_string("kioctx.design") == "mm-parent");
  CHECK(context(sc, "udc").cpu == 0);
  CHECK(sc.usb_irq_cpu == 0);
  CHECK(sc.count_kernel_races);
  CHECK(sc.design_config->get_bool("kioctx.zero_alloc") == false);
  CHECK_FALSE(sc.design_config->has("kioctx.lazy_list"));
  CHECK(sc.max_preemptions == 2);
}

TEST_CASE("bad scenarios are one file:line: key: message error", "[explore][scenario]") {
  CHECK(error_of(kGood) == "(no error)");
  auto with = [](const std::string& from, const std::string& to) {
    std::string t = kGood;
    const auto at = t.find(from);
    REQUIRE(at != std::string::npos);
    return t.replace(at, from.size(), to);
  };
  CHECK(error_of(with("cpus = 2", "cpus = \"two\"")) ==
        "x.toml:3: machine.cpus: expected an integer, got string \"two\"");
  CHECK(error_of(with("cpus = 2", "cpus = 99")) == "x.toml:3: machine.cpus: expected a value in [1, 16], got 99");
  CHECK(error_of(with("cpu = 1\n", "cpuu = 1\n")) ==
        "x.toml:13: context.udc.cpuu: unknown key; did you mean \"context.udc.cpu\"?");
  CHECK(error_of(with("cpu = 1\n", "cpu = 5\n")) == "x.toml:13: context.udc.cpu: CPU 5 does not exist (machine.cpus = 2)");
  CHECK(error_of(with("request = 0", "request = 3")) ==
        "x.toml:11: context.canceller.request: request 3 does not exist (requests 0-0 are submitted)");
  CHECK(error_of(with("action = \"complete\"", "action = \"io_cancel\"\nrequest = 0")) ==
        "x.toml:15: context.udc.action: an irq context runs a hardware completion (action = \"complete\")");
  CHECK(error_of(with("device = \"usb\"", "device = \"usb\"\nrequest = 0")) ==
        "x.toml:17: context.udc.request: the USB endpoint finishes its head transfer; no request number");
  CHECK(error_of(with("kind = \"irq\"", "kind = \"task\"\ncpu = 0")).find("x.toml:") == 0);
  // A buffered write is done when io-wq's worker (or io_submit) has copied it: no hardware completes it.
  CHECK(error_of(with("device = \"usb\"", "device = \"buffered\"")) ==
        "x.toml:16: context.udc.device: a buffered write has no hardware completion (it is done when the page cache has it)");
  CHECK(error_of(with("iocbs = [\"usb\"]", "iocbs = [\"usb\", \"floppy\"]")) ==
        "x.toml:6: setup[0].iocbs: element 1: expected one of usb, block, async, buffered, got \"floppy\"");
  CHECK(error_of(with("[machine]", "[kioctx]\ndesign = \"v4.0\"\n[machine]")).rfind(
            "x.toml:3: kioctx.design: unknown design \"v4.0\"; known: v3.9, mm-parent, lazy-cancel, ", 0) == 0);
  CHECK(error_of(with("cpus = 2", "cpus = = 2")).rfind("x.toml:3: Error while parsing", 0) == 0);  // TOML syntax: no key
  // A second task context on CPU 0.
  CHECK(error_of(std::string(kGood) + "[context.other]\ncpu = 0\nkind = \"task\"\naction = \"io_destroy\"\n") ==
        "x.toml:18: context.other.cpu: CPU 0 already runs a task context");
  // Errors in --set values are located at --set.
  CHECK(error_of(kGood, {"context.udc.cpu=7"}) == "--set: context.udc.cpu: CPU 7 does not exist (machine.cpus = 2)");
  CHECK(error_of(kGood, {"kioctx.lazy_list=maybe"}) == "--set: kioctx.lazy_list: expected a boolean, got string \"maybe\"");
  CHECK(error_of(kGood, {"nonsense"}) == "--set: nonsense: expected key=value, got \"nonsense\"");
}

TEST_CASE("contexts run in file order, then those --set adds; a table's missing key points at its header", "[explore][scenario]") {
  // "udc" is declared after "canceller"; --set adds "b", which sorts first by name but comes last.
  const ex::Scenario sc =
      ex::parse_scenario(kGood, "x.toml", {"context.b.cpu=1", "context.b.kind=task", "context.b.action=io_destroy"});
  REQUIRE(sc.contexts.size() == 3);
  CHECK(sc.contexts[0].name == "canceller");
  CHECK(sc.contexts[1].name == "udc");
  CHECK(sc.contexts[2].name == "b");
  CHECK(sc.contexts[2].action.kind == ex::ActionKind::Destroy);
  CHECK(sc.contexts[2].cpu == 1);

  std::string no_action = kGood;
  no_action.erase(no_action.find("action = \"io_cancel\"\n"), std::string("action = \"io_cancel\"\n").size());
  // [context.canceller] is line 7 of kGood.
  CHECK(error_of(no_action) == "x.toml:7: context.canceller.action: required key is missing");
  CHECK(error_of("description = \"x\"\n") == "x.toml: context: a scenario needs at least one context ([context.<name>])");
  // A --set context without its kind: the table came from --set.
  CHECK(error_of(kGood, {"context.c.cpu=1", "context.c.action=io_destroy"}) ==
        "--set: context.c.kind: required key is missing");
}

// [kioctx] and [costs] are checked by the declarations `aiosim run` uses
// (models/designs/make_design.cpp): its ranges and choices, the explorer's
// own defaults.
TEST_CASE("scenario [kioctx] and [costs]: the run's declarations, the explorer's defaults", "[explore][scenario]") {
  const ex::Scenario sc = ex::parse_scenario(kGood, "x.toml");
  CHECK(sc.design_config->get_int("kioctx.nr_events") == 16);
  CHECK(sc.design_config->get_string("kioctx.lock") == "qspinlock");
  CHECK(sc.design_config->get_duration_ps("costs.synchronize_rcu") == 20 * sim::kUs);
  CHECK(sc.design_config->get_duration_ps("costs.submit_io") == 400 * sim::kNs);  // the run's default
  // The run's range (1 to 65536) and choices (era included).
  CHECK(error_of(kGood, {"kioctx.nr_events=65536"}) == "(no error)");
  CHECK(error_of(kGood, {"kioctx.nr_events=0"}).rfind("--set: kioctx.nr_events: expected a value ", 0) == 0);
  CHECK(error_of(kGood, {"kioctx.lock=era"}) == "(no error)");
  CHECK(error_of(kGood, {"kioctx.lock=mcs"}) == "--set: kioctx.lock: expected one of era, ticket, qspinlock, tas, got \"mcs\"");
  CHECK(error_of(kGood, {"costs.syscall=-1ns"}).rfind("--set: costs.syscall: invalid duration: negative", 0) == 0);
  CHECK(error_of(kGood + std::string("[costs]\nsubmit_io = 400\n")).rfind("x.toml:18: costs.submit_io: ", 0) == 0);
  CHECK(error_of(kGood + std::string("[costs]\nsubmit_oi = \"1us\"\n")) ==
        "x.toml:18: costs.submit_oi: unknown key; did you mean \"costs.submit_io\"?");
}
