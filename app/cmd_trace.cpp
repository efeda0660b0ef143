// SPDX-License-Identifier: GPL-2.0-only
// `aiosim trace CONFIG`: a narrated event log of a window of one run.
//
// The run is the same as `aiosim run CONFIG` (same config, same seed, same
// events) but stops at the window's end; a sim::trace::Recorder follows it
// from the start and keeps what overlaps the window: DIR/trace.txt (text),
// DIR/trace.json (Chrome Trace Event format, for Perfetto), and with --paje a
// Paje file written by SimGrid's tracing (for ViTE).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/errors.hpp"
#include "programs/aio/schema.hpp"
#include "programs/aio/simulation.hpp"
#include "app/scenario.hpp"
#include "sim/atomic_file.hpp"
#include "sim/distribution.hpp"
#include "sim/trace/paje.hpp"
#include "sim/trace/recorder.hpp"
#include "sim/trace/writers.hpp"
#include "sim/violation.hpp"

namespace fs = std::filesystem;

namespace app {

namespace {

// Longest window accepted: a busy 64-CPU run records about a million events
// per 100 us of simulated time.
constexpr sim::Time kMaxWindow = 10 * sim::kMs;
constexpr sim::Time kDefaultSpan = 20 * sim::kUs;

sim::Time parse_time(const std::string& text, const char* opt) {
  try {
    return sim::checked_duration_ps(sim::parse_duration_ns(text));
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: invalid time: {}", opt, e.what()));
  }
}

std::string us_text(sim::Time t) { return fmt::format("{:.3f} us", sim::to_ns(t) / 1000.0); }

// The window: by default the first 20 us after the warm-up; never empty,
// never longer than kMaxWindow.
sim::trace::Window trace_window(const TraceArgs& a, const sim::config::Config& cfg) {
  sim::trace::Window w;
  w.from = a.from.empty() ? cfg.get_duration_ps("workload.warmup") : parse_time(a.from, "--from");
  w.to = a.to.empty() ? w.from + kDefaultSpan : parse_time(a.to, "--to");
  if (w.to <= w.from)
    throw InputError(fmt::format("trace: the window is empty: --to ({}) must be after --from ({})", us_text(w.to),
                                 us_text(w.from)));
  if (w.to - w.from > kMaxWindow)
    throw InputError(fmt::format("trace: a window of {} is too long (at most {}): a trace keeps every event of the window; "
                                 "narrow it with --from/--to",
                                 us_text(w.to - w.from), us_text(kMaxWindow)));
  if (!a.paje.empty() && cfg.get_string("engine.clock") != "simgrid")
    throw InputError("trace: --paje needs SimGrid's clock (engine.clock = \"simgrid\")");
  return w;
}

// The run's hooks: the recorder observes it from the start and it stops at
// the window's end; with --paje, SimGrid's tracing writes the Paje file.
programs::aio::RunHooks trace_hooks(const TraceArgs& a, const sim::trace::Window& w, sim::trace::Recorder& rec,
                             sim::trace::PajeSink& paje) {
  programs::aio::RunHooks hooks;
  hooks.observer = &rec;
  hooks.stop_at = w.to;
  if (a.paje.empty()) return hooks;
  rec.set_sink(&paje);
  hooks.simgrid_cpu_hosts = true;
  try {
    // One comment line (SimGrid takes no spaces or commas in it).
    hooks.simgrid_args = sim::trace::paje_simgrid_args(
        fs::absolute(a.paje).string(),
        fmt::format("aiosim-trace:window={:.3f}us..{:.3f}us;host-variables=task/spin/irq/idle(0-1)+holds_<lock>",
                    sim::to_ns(w.from) / 1000.0, sim::to_ns(w.to) / 1000.0));
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("trace: --paje: {}", e.what()));
  }
  return hooks;
}

// What ran, for both files: the title and the metadata of trace.json.
sim::trace::TraceInfo trace_info(const TraceArgs& a, const sim::config::Config& cfg, int cpus,
                                 const sim::trace::Window& w, const sim::trace::Recorder& rec, bool violated) {
  const std::string design = cfg.get_string("kioctx.design");
  sim::trace::TraceInfo info;
  info.cpus = cpus;
  info.title = fmt::format("aiosim trace of {} (design {}, {} kioctx layout, {} CPUs, seed {}){}", a.config, design,
                           programs::aio::layout_preset_of(cfg), cpus,
                           cfg.get_int("seed"), violated ? " -- stopped by a violation" : "");
  info.json_loads = a.json_loads;
  info.meta["title"] = info.title;
  info.meta["aiosim_version"] = version_string();
  info.meta["config_file"] = a.config;
  info.meta["design"] = design;
  info.meta["layout"] = programs::aio::layout_preset_of(cfg);
  info.meta["cpus"] = cpus;
  info.meta["window_ns"] = {sim::to_ns(w.from), sim::to_ns(w.to)};
  info.meta["records"] = rec.records().size();
  info.meta["truncated"] = rec.truncated();
  info.meta["violation"] = violated;
  info.meta["config"] = cfg.to_json();
  return info;
}

// The console lines: what the files hold, by kind of record.
void print_summary(const TraceArgs& a, const std::string& design, int cpus, const sim::trace::Window& w,
                   const sim::trace::Recorder& rec, const fs::path& out) {
  using K = sim::trace::RecordKind;
  std::size_t counts[sim::trace::kRecordKinds] = {};
  for (const auto& r : rec.records()) ++counts[static_cast<std::size_t>(r.kind)];
  auto n = [&](K k) { return counts[static_cast<int>(k)]; };
  fmt::print("trace of {} (design {}, {} CPUs), window {} - {}\n", a.config, design, cpus, us_text(w.from),
             us_text(w.to));
  fmt::print("  {} records: {} function calls, {} lock holds, {} spins, {} IRQ handlers, {} accesses, {} line transfers\n",
             rec.records().size(), n(K::Function), n(K::Held), n(K::Spin), n(K::Handler), n(K::Step), n(K::Transfer));
  fmt::print("  {}  narrated log\n", (out / "trace.txt").string());
  fmt::print("  {}  Chrome trace events: open in https://ui.perfetto.dev or chrome://tracing\n",
             (out / "trace.json").string());
  if (!a.paje.empty()) fmt::print("  {}  Paje trace (SimGrid), e.g. for ViTE\n", a.paje);
}

}  // namespace

int cmd_trace(const TraceArgs& a) {
  std::vector<std::string> sets = a.sets;
  if (a.seed >= 0) sets.push_back(fmt::format("seed={}", a.seed));
  require_kind(a.config, FileKind::Config);
  const programs::Program& program = program_of(a.config, sets);
  if (!program.traceable) throw InputError("trace: scenario \"" + program.name + "\" is not traceable; trace runs the aio scenario");
  const sim::config::Config cfg = sim::config::Config::load(program.schema(), a.config, sets);
  const sim::trace::Window w = trace_window(a, cfg);

  // --out is created only once the run has passed its checks (nothing is
  // left behind by bad input); SimGrid writes the Paje file during the run.
  const fs::path out = a.out;
  if (out.empty()) throw InputError("trace: --out must not be empty");
  if (!a.paje.empty() && fs::path(a.paje).has_parent_path()) fs::create_directories(fs::path(a.paje).parent_path());

  sim::trace::Recorder::Options opt;
  opt.window = w;
  opt.max_records = static_cast<std::size_t>(a.max_records);
  opt.loads = !a.no_loads;
  sim::trace::Recorder rec(opt);
  sim::trace::PajeSink paje;
  const programs::aio::RunHooks hooks = trace_hooks(a, w, rec, paje);

  programs::aio::RunReport rep;
  int status = kExitOk;
  std::string violation;
  try {
    rep = programs::aio::run_simulation(cfg, version_string(), hooks);
  } catch (const sim::Violation& v) {
    violation = fmt::format("aiosim: VIOLATION: {}\n{}", v.what(), v.details());
    status = kExitViolation;
  }
  rec.finish(w.to);

  const int cpus = rep.result.contains("machine") ? rep.result["machine"]["cpus"].get<int>() : rec.cpus_seen();
  const sim::trace::TraceInfo info = trace_info(a, cfg, cpus, w, rec, status == kExitViolation);
  {
    std::ostringstream text, json;
    sim::trace::write_text(text, rec, info);
    sim::trace::write_chrome_json(json, rec, info);
    sim::OutputDir::ensure(out);
    sim::write_file_atomically(out / "trace.txt", text.str());
    sim::write_file_atomically(out / "trace.json", json.str());
  }
  if (!a.quiet) print_summary(a, cfg.get_string("kioctx.design"), cpus, w, rec, out);
  if (rec.truncated())
    fmt::print(stderr,
               "aiosim: trace: the record cap ({}) was reached at {}: the trace stops there; narrow the window or "
               "raise --max-records\n",
               rec.max_records(), us_text(rec.truncated_at()));
  if (!a.paje.empty() && !fs::exists(a.paje)) {
    fmt::print(stderr, "aiosim: trace: SimGrid did not write {}\n", a.paje);
    if (status == kExitOk) status = kExitIo;
  }
  if (status == kExitViolation)
    fmt::print(stderr, "{}aiosim: the trace up to the violation is in {}{}\n", violation, out.string(),
               a.paje.empty() ? "" : " (SimGrid writes no Paje events when a run is stopped by a violation)");
  return status;
}

}  // namespace app
