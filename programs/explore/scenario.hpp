// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// An exploration scenario, as data (experiments/scenarios/*.toml): the
// machine size, the kioctx design, the requests submitted before exploration
// (set-up, run sequentially), and the contexts whose steps are interleaved.
//
//   description = "..."
//   [machine]    cpus = 3
//   [kioctx]     design = "lazy-cancel"   nr_events = 16   (lazy_list = true ... overrides)
//   [costs]      synchronize_rcu = "20us" ...
//   [invariants] kernel_races = "stop" | "count"
//   [explore]    max_preemptions = -1     max_schedules = 0   max_steps = 20000
//   [[setup]]    action = "io_submit"  iocbs = ["usb"]          # on CPU 0's task
//   [[setup]]    action = "complete"   device = "usb"           # hardware + its IRQ, handled at once
//   [context.canceller]  cpu = 0  kind = "task"  action = "io_cancel"  request = 0
//   [context.udc]        cpu = 1  kind = "irq"   action = "complete"   device = "usb"
//
// Requests are numbered in submission order: the set-up's io_submit iocbs
// first, then each io_submit context's, in file order. Task actions:
// io_submit (iocbs = list of "usb" | "block" | "async" | "buffered": the
// block device opened without O_DIRECT), io_cancel (request), io_destroy,
// io_getevents (min_nr, nr), io_wq_worker (an io-wq worker runs what is
// queued; io_uring only, nothing under fs/aio.c). IRQ action: complete -- the
// hardware finishes the USB endpoint's head transfer (device = "usb") or
// request `request` of the block or async-cancel device, and raises the
// device's interrupt on the context's CPU.
//
// [kioctx] and [costs] are the keys `aiosim run` reads through make_design()
// (models/designs/make_design.hpp), with the same ranges and choices; only
// some defaults differ, all set in DesignKeyDefaults::explorer(): a ring of
// nr_events = 16, lock = "qspinlock", costs.synchronize_rcu = "20us".
//
// Contexts run in file order, then those --set adds. Any bad input is one
// sim::config::ConfigError, "file:line: key: message".
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace models {
class AioDesign;
}
namespace sim::config {
class Config;
class Schema;
}

namespace programs::explore {

enum class Device { Usb, Block, Async, Buffered };
const char* to_string(Device d);

enum class ActionKind { Submit, Cancel, Destroy, GetEvents, Complete, IoWqWorker };
const char* to_string(ActionKind a);

struct Action {
  ActionKind kind = ActionKind::Submit;
  std::vector<Device> iocbs;     // Submit
  std::vector<int> requests;     // Submit: the request numbers of its iocbs
  int request = -1;              // Cancel; Complete of block/async
  Device device = Device::Usb;   // Complete
  long min_nr = 0, nr = 8;       // GetEvents
  int cpu = 0;                   // where it runs (task), or the IRQ's CPU (complete)
  std::string describe() const;  // "io_cancel(req0)", "complete usb head"...
};

struct ContextSpec {
  std::string name;
  int cpu = 0;
  bool irq = false;
  Action action;
};

struct Scenario {
  std::string file;         // where it was read from
  std::string name;         // file stem
  std::string description;
  int cpus = 2;
  // [kioctx] and [costs], checked against scenario_schema(): what
  // make_design() builds the World's design, kioctx and costs from.
  std::shared_ptr<const sim::config::Config> design_config;
  bool count_kernel_races = false;
  int max_preemptions = -1;
  std::uint64_t max_schedules = 0;
  std::size_t max_steps = 20000;
  std::vector<Action> setup;
  std::vector<ContextSpec> contexts;
  std::vector<Device> requests;  // device of each request number
  int usb_irq_cpu = 0;           // the UDC's interrupt CPU (all USB completions agree)
  // Not from a file: a design outside the registry (tests), used instead of
  // `design` (switch overrides still apply).
  std::function<std::unique_ptr<models::AioDesign>()> custom_design;
};

// The keys of a scenario file, read by the shared config reader
// (sim/config); [kioctx] and [costs] are make_design()'s declarations with
// the explorer's defaults. `aiosim keys explore` prints them.
const sim::config::Schema& scenario_schema();

// Reads and checks a scenario; `sets` are "dotted.key=value" overrides
// (the value a TOML value, or a bare string), e.g. "context.udc.cpu=0".
Scenario load_scenario(const std::filesystem::path& file, const std::vector<std::string>& sets = {});
Scenario parse_scenario(const std::string& text, const std::string& source_name,
                        const std::vector<std::string>& sets = {});

}  // namespace programs::explore
