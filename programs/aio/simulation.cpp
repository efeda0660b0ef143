// SPDX-License-Identifier: GPL-2.0-only
#include "programs/aio/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <fmt/format.h>

#include "models/designs/make_design.hpp"
#include "models/devices/buffered_block_file.hpp"
#include "models/devices/value_names.hpp"
#include "programs/aio/profile_result.hpp"
#include "models/workload/roles.hpp"
#include "models/workload/keys.hpp"
#include "models/workload/workload.hpp"
#include "programs/aio/schema.hpp"
#include "sim/alloc_count.hpp"
#include "sim/machine_config.hpp"
#include "sim/presets.hpp"
#include "sim/profile.hpp"
#include "sim/simgrid_clock.hpp"
#include "sim/timed_driver.hpp"
#include "sim/violation.hpp"

namespace programs::aio {

using namespace models;  // the kernel objects this program runs

using nlohmann::ordered_json;
using sim::config::Config;

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}


Layout layout_from(const Config& cfg) {
  Layout layout = layout_preset(layout_preset_of(cfg));
  const auto& fields = kioctx_fields();
  for (const auto& [field, line] : cfg.get_map("kioctx.layout")) {
    if (std::find(fields.begin(), fields.end(), field) == fields.end())
      throw cfg.error_at("kioctx.layout." + field, "not a kioctx field; fields: " + join(fields));
    for (auto& [f, l] : layout)
      if (f == field) l = line;
  }
  return layout;
}

void check_cpus(const Config& cfg, const char* key, const std::vector<int>& cpus, int ncpus) {
  for (int c : cpus)
    if (c >= ncpus) throw cfg.error_at(key, fmt::format("CPU {} does not exist: the machine has CPUs 0-{}", c, ncpus - 1));
}

// Each CPU runs one task: the roles must not share one.
void check_roles(const Config& cfg, const std::vector<std::pair<const char*, std::vector<int>>>& roles) {
  std::map<int, const char*> owner;
  for (const auto& [key, cpus] : roles)
    for (int c : cpus) {
      auto [it, fresh] = owner.emplace(c, key);
      if (!fresh)
        throw cfg.error_at(key, fmt::format("CPU {} already runs a task for {}; each CPU runs one task", c, it->second));
    }
}

ordered_json dist_json(const sim::Histogram& h, bool full) {
  ordered_json j;
  j["mean"] = h.count() ? h.mean() / 1000.0 : 0.0;
  j["p50"] = sim::to_ns(h.percentile(50));
  if (full) j["p90"] = sim::to_ns(h.percentile(90));
  j["p99"] = sim::to_ns(h.percentile(99));
  if (full) j["p99_9"] = sim::to_ns(h.percentile(99.9));
  j["max"] = sim::to_ns(h.max());
  return j;
}

// A histogram of counts (not times).
ordered_json count_json(const sim::Histogram& h) {
  return {{"mean", h.count() ? h.mean() : 0.0}, {"p50", h.percentile(50)}, {"p99", h.percentile(99)}, {"max", h.max()}};
}

ordered_json lock_json(const sim::LockBase& l, double window_ps) {
  const auto& s = l.stats();
  ordered_json j;
  j["kind"] = sim::to_string(l.kind());
  j["acquisitions"] = s.acquisitions;
  j["contended"] = s.contended;
  ordered_json w = dist_json(s.wait, true);
  ordered_json h;
  h["mean"] = s.hold.count() ? s.hold.mean() / 1000.0 : 0.0;
  h["p50"] = sim::to_ns(s.hold.percentile(50));
  h["p99"] = sim::to_ns(s.hold.percentile(99));
  h["max"] = sim::to_ns(s.hold.max());
  j["wait_ns"] = w;
  j["hold_ns"] = h;
  j["utilization"] = window_ps > 0 ? static_cast<double>(s.held_total) / window_ps : 0.0;
  j["max_waiters"] = s.max_waiters;
  j["mean_waiters"] = window_ps > 0 ? static_cast<double>(s.waiter_time / window_ps) : 0.0;
  j["line"] = l.line().name();
  j["line_transfers"] = l.line().transfers();
  return j;
}

// ---- Building the run from the config ----



// CPUs of the roles the workload does not run itself: the devices' interrupts.
struct IrqPlacement {
  std::vector<int> irq_cpus;
  int usb_irq_cpu = 0;
};

// Resolves every role to CPUs (into wc), checks each exists and that no two
// roles share one.
IrqPlacement place_roles(const Config& cfg, int ncpus, WorkloadConfig& wc) {
  const bool cancels = (cfg.get_float("workload.usb_fraction") > 0 &&
                        (cfg.get_float("usb.cancel_fraction") > 0 || cfg.get_float("usb.cancel_rate") > 0)) ||
                       (cfg.get_float("block.cancel_fraction") > 0 && cfg.get_float("workload.usb_fraction") < 1);
  RoleAssignment role = resolve_roles(cfg, ncpus, cancels);
  wc.submitters = std::move(role.submitters);
  wc.reapers = std::move(role.reapers);
  wc.cancellers = std::move(role.cancellers);
  IrqPlacement irq;
  irq.irq_cpus = std::move(role.irq_cpus);
  irq.usb_irq_cpu = static_cast<int>(cfg.get_int("usb.irq_cpu"));
  if (irq.usb_irq_cpu < 0) irq.usb_irq_cpu = irq.irq_cpus.empty() ? ncpus - 1 : irq.irq_cpus.back();
  check_cpus(cfg, "usb.irq_cpu", {irq.usb_irq_cpu}, ncpus);
  if (wc.submitters.empty()) throw cfg.error_at("workload.submitters", "at least one submitter CPU is needed");
  wc.teardown_at = cfg.get_duration_ps("teardown.at");
  wc.teardown_cpu = static_cast<int>(cfg.get_int("teardown.cpu"));
  if (wc.teardown_cpu < 0) wc.teardown_cpu = ncpus - 1;
  check_cpus(cfg, "teardown.cpu", {wc.teardown_cpu}, ncpus);
  std::vector<std::pair<const char*, std::vector<int>>> roles = {
      {"workload.submitters", wc.submitters}, {"workload.reapers", wc.reapers}, {"usb.cancellers", wc.cancellers}};
  if (wc.teardown_at > 0) roles.push_back({"teardown.cpu", {wc.teardown_cpu}});
  check_roles(cfg, roles);
  return irq;
}

// The checks across workload keys: the queue fits the ring, the run has an
// end after its warm-up, cancels have a CPU to run on.
void check_workload(const Config& cfg, const WorkloadConfig& wc, unsigned nr_events, const RingGeometry& ring,
                    sim::Time warmup) {
  if (wc.queue_depth >= static_cast<long>(ring.nr))
    throw cfg.error_at("workload.queue_depth", fmt::format("queue depth {} does not fit the ring: io_setup({}) gives a ring of {} events, at most {} in flight",
                                                           wc.queue_depth, nr_events, ring.nr, ring.nr - 1));
  if (wc.min_nr > wc.nr) throw cfg.error_at("workload.min_nr", "min_nr must not exceed workload.nr");
  if (wc.target_results == 0 && cfg.get_duration_ps("workload.duration") == 0 && wc.teardown_at == 0)
    throw cfg.error_at("workload.kiocbs", "set workload.kiocbs, workload.duration or teardown.at: the run needs an end");
  if (wc.target_results == 0 && cfg.get_duration_ps("workload.duration") > 0 &&
      warmup >= cfg.get_duration_ps("workload.duration"))
    throw cfg.error_at("workload.warmup",
                       fmt::format("the warm-up ({}) is not shorter than workload.duration ({}): nothing would be measured",
                                   sim::config::format_duration(warmup),
                                   sim::config::format_duration(cfg.get_duration_ps("workload.duration"))));
  if (wc.cancel_rate > 0 && wc.cancel_rate < 1e-6)
    throw cfg.error_at("usb.cancel_rate", "a cancel rate must be 0 or at least 1e-6 per second (one call per 10^6 s)");
  if (wc.usb_fraction > 0 && (wc.cancel_fraction > 0 || wc.cancel_rate > 0) && wc.cancellers.empty())
    throw cfg.error_at("usb.cancellers", "USB cancels are configured but no canceller CPU is given");
  if (wc.block_cancel_fraction > 0 && wc.usb_fraction < 1 && wc.cancellers.empty())
    throw cfg.error_at("usb.cancellers", "block cancels are configured but no canceller CPU is given");
}

// A design whose requests are not aio_kiocbs (io_uring) runs block requests
// only: gadgetfs would call kiocb_set_cancel_fn on them (fs/aio.c before
// v6.8), and a per-request eventfd is an AIO notion (io_uring registers one
// per ring).
void check_block_only(const Config& cfg, const WorkloadConfig& wc, const std::string& design) {
  if (wc.usb_fraction > 0)
    throw cfg.error_at("workload.usb_fraction",
                       fmt::format("design {} runs block requests only: gadgetfs' ep_aio calls kiocb_set_cancel_fn, "
                                   "whose container_of(iocb, struct aio_kiocb, rw) does not hold for a kiocb io_uring "
                                   "submitted (Linux 5.6.4 drivers/usb/gadget/legacy/inode.c 532, fs/aio.c 561-574; "
                                   "restricted to libaio in v6.8, CVE-2024-26764): set workload.usb_fraction = 0",
                                   design));
  if (wc.eventfd_fraction > 0)
    throw cfg.error_at("workload.eventfd_fraction",
                       fmt::format("design {} has no per-request eventfd (IOCB_FLAG_RESFD): set workload.eventfd_fraction = 0",
                                   design));
  if (cfg.get_int("kioctx.nr_events") > 32768)
    throw cfg.error_at("kioctx.nr_events",
                       fmt::format("design {}: io_uring_setup takes at most IORING_MAX_ENTRIES = 32768 entries", design));
}

// io_wq.cpu: the io-wq worker kthread's CPU (-1: the first interrupt CPU,
// whose task context no role runs on, else the last CPU).
void place_io_wq_worker(const Config& cfg, int ncpus, const IrqPlacement& irq, WorkloadConfig& wc) {
  int cpu = static_cast<int>(cfg.get_int("io_wq.cpu"));
  if (cpu < 0) cpu = irq.irq_cpus.empty() ? ncpus - 1 : irq.irq_cpus.front();
  check_cpus(cfg, "io_wq.cpu", {cpu}, ncpus);
  std::vector<std::pair<const char*, const std::vector<int>*>> roles = {
      {"workload.submitters", &wc.submitters}, {"workload.reapers", &wc.reapers}, {"usb.cancellers", &wc.cancellers}};
  const std::vector<int> teardown = {wc.teardown_cpu};
  if (wc.teardown_at > 0) roles.push_back({"teardown.cpu", &teardown});
  for (const auto& [key, cpus] : roles)
    if (std::find(cpus->begin(), cpus->end(), cpu) != cpus->end())
      throw cfg.error_at("io_wq.cpu", fmt::format("CPU {} already runs a task for {}; the io-wq worker needs a CPU of its own",
                                                  cpu, key));
  wc.io_wq_cpu = cpu;
}

int word_bits_from(const Config& cfg) {
  const int word_bits = static_cast<int>(cfg.get_int("machine.word_bits"));
  if (word_bits != 32 && word_bits != 64) throw cfg.error_at("machine.word_bits", "must be 32 or 64");
  return word_bits;
}

// ---- Running ----

// Runs the engine (ours or SimGrid's clock) to `until`; a violation gets
// what the current context did last.
void run_engine(const Config& cfg, sim::Machine& m, sim::TimedDriver& driver, sim::Time until, const RunHooks& hooks) {
  try {
    if (cfg.get_string("engine.clock") == "simgrid") {
      sim::SimgridClock clock(m, driver, cfg.get_duration_ps("engine.sync_quantum"), hooks.simgrid_args,
                             hooks.simgrid_cpu_hosts);
      clock.run(until);
    } else {
      driver.run(until);
    }
  } catch (sim::Violation& v) {
    std::string more = "\nlast steps:\n";
    if (sim::current_context) more += fmt::format("  {} (in {}):\n{}", sim::current_context->name(), sim::current_context->call_chain(), sim::current_context->history());
    v.append(more);
    throw;
  }
}

// Everything a run built, for checking how it ended and reporting it.
struct Run {
  const Config& cfg;
  const sim::MachinePreset& preset;
  const sim::Topology& topo;
  sim::Machine& m;
  const sim::TimedDriver& driver;
  const AioDesign& aio;
  const Switches& sw;
  const Layout& layout;
  sim::LockKind lock_kind;
  const RingGeometry& ring;
  int word_bits;
  kioctx& ctx;
  const eventfd_ctx& eventfd;
  const Ledger& ledger;
  const BlockDevice& blk;
  UsbGadget& usb;
  const Workload& w;
  const WorkloadConfig& wc;
  const IrqPlacement& irq;
  std::uint64_t seed;
  sim::Time warmup;
  bool cut;  // stopped by hooks.stop_at (aiosim trace --to), not by its own end
};

// The run must have ended by itself (target reached or duration over) before
// the horizon, and with a measured window; returns its end.
sim::Time check_end(const Run& run, const RunHooks& hooks) {
  const Config& cfg = run.cfg;
  const sim::Time next_event = run.driver.next_event_time();
  if (!run.w.done() && hooks.stop_at > sim::kHorizon &&
      (run.driver.now() >= sim::kHorizon || (next_event != sim::kNever && next_event >= sim::kHorizon)))
    throw cfg.error_at(run.wc.target_results > 0 ? "workload.kiocbs" : "workload.duration",
                       "the run reached the limit of 4000000 s of simulated time before its end (docs/input-limits.md)");
  if (!run.w.done() && run.wc.target_results > 0 && !run.cut) {
    std::string stuck;
    for (int i = 0; i < run.topo.cpus(); ++i) {
      const sim::Context& t = run.m.cpu(i).task();
      if (t.state() == sim::ContextState::Blocked) stuck += fmt::format("  {} blocked in {}\n", t.name(), t.call_chain());
    }
    throw sim::Violation(sim::ViolationKind::Invariant,
                         fmt::format("the run stalled at {:.3f} us with {} requests in flight and nothing left to happen",
                                     sim::to_ns(run.driver.now()) / 1000.0, run.ledger.in_flight()),
                         stuck);
  }
  const sim::Time end = run.w.done() ? run.w.end_time() : run.driver.now();
  // An empty measured window gives rates of 0 that look like results (and
  // that a sweep would average): refuse it. A run cut short by the caller
  // (aiosim trace --to) is exempt.
  if (end <= run.warmup && !run.cut)
    throw cfg.error_at("workload.warmup",
                       fmt::format("the run ended at {}, before the warm-up of {} did: the measured window is empty "
                                   "(shorten workload.warmup or lengthen the run)",
                                   sim::config::format_duration(end), sim::config::format_duration(run.warmup)));
  return end;
}

// ---- Reporting: result.json's sections, summary.csv and the console table ----

ordered_json locks_json(const Run& run, double window_ps) {
  ordered_json locks;
  locks["ctx_lock"] = lock_json(run.ctx.ctx_lock, window_ps);
  if (run.sw.completion_lock) locks["completion_lock"] = lock_json(run.ctx.completion_lock, window_ps);
  locks["ring_lock"] = lock_json(run.ctx.ring_lock, window_ps);
  locks["wait_lock"] = lock_json(run.ctx.wait.lock, window_ps);
  locks["dev_lock"] = lock_json(run.usb.dev_lock(), window_ps);
  locks["udc_lock"] = lock_json(run.usb.udc_lock(), window_ps);
  if (run.wc.eventfd_fraction > 0) locks["eventfd_wqh_lock"] = lock_json(run.eventfd.wqh.lock, window_ps);
  if (run.wc.buffered_fraction > 0)
    for (const auto& [name, lock] : run.aio.own_locks()) locks[name] = lock_json(*lock, window_ps);
  return locks;
}

// Per CPU time by activity and interrupt latency (into r["cpus"]), and the
// machine's shares spinning and busy over the measured window (r["cpu_share"]).
void cpus_json(const Run& run, double window_ps, ordered_json& r) {
  const int ncpus = run.topo.cpus();
  ordered_json cpus = ordered_json::array();
  sim::Time spin_total = 0, busy_total = 0;
  for (int i = 0; i < ncpus; ++i) {
    const sim::Cpu& c = run.m.cpu(i);
    ordered_json cj;
    cj["task_ns"] = sim::to_ns(c.time_in(sim::Activity::Task));
    cj["spin_ns"] = sim::to_ns(c.time_in(sim::Activity::Spin));
    cj["irq_ns"] = sim::to_ns(c.time_in(sim::Activity::Irq));
    cj["idle_ns"] = sim::to_ns(c.time_in(sim::Activity::Idle));
    cj["irq_latency_ns"] = {{"mean", c.irq_latency().count() ? c.irq_latency().mean() / 1000.0 : 0.0},
                            {"p99", sim::to_ns(c.irq_latency().percentile(99))},
                            {"count", c.irq_latency().count()}};
    cj["irqs_latched"] = c.irqs_latched();
    cpus.push_back(std::move(cj));
    spin_total += c.time_in(sim::Activity::Spin);
    busy_total += c.time_in(sim::Activity::Task) + c.time_in(sim::Activity::Spin) + c.time_in(sim::Activity::Irq);
  }
  r["cpus"] = std::move(cpus);
  // Interrupt delivery per device: completions per handler invocation and
  // from the device finishing a request to its aio_complete().
  r["devices"] = {{"block", {{"irq_invocations", run.blk.irq_invocations()},
                             {"completions_per_irq", count_json(run.blk.completions_per_irq())},
                             {"done_to_aio_complete_ns", dist_json(run.blk.done_to_aio_complete(), true)}}}};
  r["cpu_share"] = {{"spinning", window_ps > 0 ? spin_total / (window_ps * ncpus) : 0.0},
                    {"busy", window_ps > 0 ? busy_total / (window_ps * ncpus) : 0.0}};
}

// Transfers per named line (kiocb and ring lines summed by name).
ordered_json cachelines_json(const Run& run) {
  std::map<std::string, std::uint64_t> by_line;
  for (const sim::CacheLine* l : run.ctx.lines()) by_line[l->name()] += l->transfers();
  by_line[run.ctx.ring_header.name()] += run.ctx.ring_header.transfers();
  for (const sim::CacheLine& l : run.ctx.slot_lines) by_line[l.name()] += l.transfers();
  by_line[run.blk.line.name()] += run.blk.line.transfers();
  by_line[run.usb.line.name()] += run.usb.line.transfers();
  ordered_json lines;
  for (const auto& [n, t] : by_line) lines[n] = {{"transfers", t}};
  return lines;
}

ordered_json correctness_json(const Run& run) {
  const auto& counts = run.ledger.counts();
  return {{"submitted", counts.submitted},   {"results", counts.results},
          {"ring_events", counts.ring_events}, {"cancel_results", counts.cancel_results},
          {"reaped", counts.reaped},         {"duplicates", counts.duplicates},
          {"lost", counts.lost},             {"kernel_races", {{"total", run.usb.races()}, {"null_deref", run.usb.null_derefs()}, {"use_after_free", run.usb.use_after_frees()}}},
          {"ring_overflows", counts.ring_overflows}, {"ring_overwritten", counts.ring_overwritten},
          {"teardown_dropped", counts.teardown_dropped}, {"in_flight", run.ledger.in_flight()},
          {"violations", counts.violations}, {"torn_down", run.w.torn_down()}};
}

// Everything of result.json but the profile and the config.
ordered_json result_json(const Run& run, const std::string& version, sim::Time end, double wall_s,
                         std::uint64_t allocations) {
  const Config& cfg = run.cfg;
  const int ncpus = run.topo.cpus();
  const double window_ps = static_cast<double>(end > run.warmup ? end - run.warmup : 0);
  const double window_s = window_ps / 1e12;
  const auto& counts = run.ledger.counts();
  const Workload& w = run.w;
  const WorkloadConfig& wc = run.wc;

  ordered_json r;
  r["aiosim_version"] = version;
  r["seed"] = run.seed;
  r["design"] = {{"name", run.aio.name()},
                 {"lazy_list", run.sw.lazy_list},
                 {"completion_lock", run.sw.completion_lock},
                 {"cancel_xchg", run.sw.cancel_xchg},
                 {"zero_alloc", run.sw.zero_alloc}};
  ordered_json lay;
  for (const auto& [f, l] : run.layout) lay[f] = l;
  r["layout"] = std::move(lay);
  r["machine"] = {{"preset", run.preset.name}, {"sockets", run.topo.sockets}, {"cores_per_socket", run.topo.cores_per_socket},
                  {"threads_per_core", run.topo.threads_per_core}, {"cpus", ncpus}, {"word_bits", run.word_bits}, {"ring_events", run.ring.nr}};
  // Each role's CPUs as resolved (role keys may be counts or shares, models/workload/roles.hpp).
  r["roles"] = {{"submitters", wc.submitters}, {"reapers", wc.reapers}, {"cancellers", wc.cancellers},
                {"irq_cpus", run.irq.irq_cpus}, {"usb_irq_cpu", run.irq.usb_irq_cpu}};
  r["sim"] = {{"kiocbs", counts.results},
              {"simulated_s", sim::to_sec(end)},
              {"measured_s", window_s},
              {"wall_s", wall_s},
              {"events", run.driver.events()},
              {"allocations", allocations},
              {"events_per_kiocb", counts.results ? static_cast<double>(run.driver.events()) / counts.results : 0.0},
              // Completions reaped in the measured window, and whether they are fewer than workload.min_measured.
              {"measured_completions", w.submit_to_event().count()},
              {"too_few_measured", w.submit_to_event().count() < static_cast<std::uint64_t>(cfg.get_int("workload.min_measured"))}};
  // Rates over the measured window (after warm-up).
  r["throughput"] = {{"submitted_per_s", window_s > 0 ? counts.submitted / window_s : 0.0},
                     {"completed_per_s", window_s > 0 ? counts.results / window_s : 0.0},
                     {"cancelled_per_s", window_s > 0 ? counts.cancel_results / window_s : 0.0}};
  r["latency_ns"] = {{"submit_to_event", dist_json(w.submit_to_event(), true)},
                     {"submit_to_reap", dist_json(w.submit_to_reap(), true)}};
  if (cfg.get_bool("output.latency_cdf")) {  // submit->event quantiles at percent 0, 1, ..., 99, 99.5, 99.9, 99.99, 100
    ordered_json ns = ordered_json::array();
    static constexpr double kTail[] = {99.5, 99.9, 99.99, 100};
    for (int i = 0; i < 104; ++i) ns.push_back(sim::to_ns(w.submit_to_event().percentile(i < 100 ? i : kTail[i - 100])));
    r["latency_cdf"] = {{"submit_to_event_ns", ns}};
  }
  r["locks"] = locks_json(run, window_ps);
  const double completions = static_cast<double>(counts.results);
  r["per_completion"] = {
      {"ctx_lock_acquisitions", completions ? run.ctx.ctx_lock.stats().acquisitions / completions : 0.0},
      {"completion_lock_acquisitions", completions && run.sw.completion_lock ? run.ctx.completion_lock.stats().acquisitions / completions : 0.0},
      {"line_transfers", completions ? run.m.coherence().total_transfers() / completions : 0.0}};
  cpus_json(run, window_ps, r);
  r["cachelines"] = cachelines_json(run);
  r["correctness"] = correctness_json(run);
  r["cancels"] = {{"io_cancel_calls", w.cancels().calls}, {"succeeded", w.cancels().succeeded},
                  {"einval", w.cancels().einval}, {"usb_dequeued", run.usb.dequeued()}, {"usb_completed", run.usb.completed()}};
  if (wc.buffered_fraction > 0) {
    const AioDesign::IoWqStats s = run.aio.io_wq_stats();
    r["buffered"] = {{"io_wq_enqueued", s.enqueued},         {"io_wq_run_by_worker", s.run_by_worker},
                     {"io_wq_cancelled_queued", s.cancelled_queued}, {"io_wq_cqes_from_worker", s.cqes_from_worker},
                     {"io_wq_wakeups", s.wakeups},           {"io_wq_sleeps", s.sleeps}};
  }
  return r;
}

// The profile of simulated CPU time: folded stacks by context and by role (into rep), and r["profile"].
void profile_report(const Run& run, const sim::Profile& profile, ordered_json& r, RunReport& rep) {
  const WorkloadConfig& wc = run.wc;
  std::vector<RoleCpus> role_cpus = {{"submitter", wc.submitters}, {"reaper", wc.reapers},
                                     {"canceller", wc.cancellers}, {"irq", run.irq.irq_cpus}, {"irq", {run.irq.usb_irq_cpu}}};
  if (wc.teardown_at > 0) role_cpus.push_back({"teardown", {wc.teardown_cpu}});
  const std::vector<std::string> roles = cpu_roles(run.topo.cpus(), role_cpus);
  const sim::profile::Folded by_context = profile.folded();
  const sim::profile::Folded by_role = profile.folded(&roles);
  r["profile"] = profile_json(by_context, by_role, roles);
  rep.profile_folded = sim::profile::write_folded(by_context);
  rep.profile_roles_folded = sim::profile::write_folded(by_role);
}

// The columns are result.json's dotted names, in its units (docs/results.md).
std::string summary_csv(const Run& run, const ordered_json& r) {
  const auto& cl = run.ctx.ctx_lock.stats();
  return fmt::format(
      "design.name,machine.cpus,locks.ctx_lock.kind,throughput.completed_per_s,per_completion.ctx_lock_acquisitions,"
      "locks.ctx_lock.wait_ns.p99,locks.completion_lock.wait_ns.p99,cpu_share.spinning,latency_ns.submit_to_event.p99,"
      "correctness.lost,correctness.kernel_races.total\n"
      "{},{},{},{:.1f},{:.4f},{:.1f},{},{:.5f},{:.1f},{},{}\n",
      run.aio.name(), run.topo.cpus(), to_string(run.lock_kind), r["throughput"]["completed_per_s"].get<double>(),
      r["per_completion"]["ctx_lock_acquisitions"].get<double>(), sim::to_ns(cl.wait.percentile(99)),
      run.sw.completion_lock ? fmt::format("{:.1f}", sim::to_ns(run.ctx.completion_lock.stats().wait.percentile(99))) : std::string(),
      r["cpu_share"]["spinning"].get<double>(), sim::to_ns(run.w.submit_to_event().percentile(99)), run.ledger.counts().lost,
      run.usb.races());
}

// The console summary of `aiosim run`.
std::string summary_table(const Run& run, const ordered_json& r, sim::Time end, double wall_s) {
  const auto& cl = run.ctx.ctx_lock.stats();
  const auto& counts = run.ledger.counts();
  const Switches& sw = run.sw;
  const UsbGadget& usb = run.usb;
  const double spin_pct = 100.0 * r["cpu_share"]["spinning"].get<double>();
  std::string table = fmt::format(
      "design {} (lazy_list={} completion_lock={} cancel_xchg={} zero_alloc={}), {} CPUs, {} locks, preset {}\n"
      "  results          {:>12}   ({} ring events, {} io_cancel results)\n"
      "  simulated        {:>12.3f} ms  (wall {:.2f} s, {} events)\n"
      "  completions/s    {:>12.0f}\n"
      "  ctx_lock         {:>12} acquisitions ({:.3f} per completion), wait p99 {:.0f} ns, util {:.1f}%\n"
      "  completion_lock  {:>12} acquisitions, wait p99 {:.0f} ns\n"
      "  submit->event    p50 {:.0f} ns, p99 {:.0f} ns\n"
      "  CPU spinning     {:>11.2f}%\n"
      "  correctness      duplicates {}, lost {}, kernel races {} (oops {}, use-after-free {}), ring overflows {}, in flight at end {}\n",
      run.aio.name(), sw.lazy_list, sw.completion_lock, sw.cancel_xchg, sw.zero_alloc, run.topo.cpus(), to_string(run.lock_kind),
      run.preset.name, counts.results, counts.ring_events, counts.cancel_results, sim::to_ns(end) / 1e6, wall_s,
      run.driver.events(), r["throughput"]["completed_per_s"].get<double>(), cl.acquisitions,
      r["per_completion"]["ctx_lock_acquisitions"].get<double>(), sim::to_ns(cl.wait.percentile(99)),
      100.0 * r["locks"]["ctx_lock"]["utilization"].get<double>(), run.ctx.completion_lock.stats().acquisitions,
      sim::to_ns(run.ctx.completion_lock.stats().wait.percentile(99)), sim::to_ns(run.w.submit_to_event().percentile(50)),
      sim::to_ns(run.w.submit_to_event().percentile(99)), spin_pct, counts.duplicates, counts.lost, usb.races(),
      usb.null_derefs(), usb.use_after_frees(), counts.ring_overflows, run.ledger.in_flight());
  if (r.contains("profile")) {
    const auto& pj = r["profile"];
    table += fmt::format(
        "  profile          fs/aio.c {:.2f}% of busy CPU time (spinning {:.2f}%), with what it calls {:.2f}%; user code {:.2f}%\n",
        100.0 * pj["aio_share"].get<double>(), 100.0 * pj["aio_spin_share"].get<double>(),
        100.0 * pj["aio_children_share"].get<double>(), 100.0 * pj["user_share"].get<double>());
  }
  return table;
}

}  // namespace

RunReport run_simulation(const Config& cfg, const std::string& version, const RunHooks& hooks) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::uint64_t seed = static_cast<std::uint64_t>(cfg.get_int("seed"));

  // The machine.
  const sim::MachinePreset* preset = sim::find_preset(cfg.get_string("machine.preset"));
  const sim::Topology topo = sim::topology_from(cfg, *preset, kMaxCpus);
  sim::Machine m(topo, sim::costs_from(cfg, *preset));
  m.coherence().set_store_buffer(sim::store_buffer_from(cfg));
  m.seed = seed;
  m.observer = hooks.observer;
  m.wakeup_latency = cfg.get_duration_ps("machine.wakeup_latency");
  const sim::Time warmup = cfg.get_duration_ps("workload.warmup");
  m.set_stats_start(warmup);
  sim::TimedDriver driver(m);

  // The kioctx design and its switches.
  BuiltDesign design = make_design(cfg);
  std::unique_ptr<AioDesign> aio = std::move(design.aio);
  const Switches sw = aio->switches();
  const Layout layout = layout_from(cfg);
  const sim::LockKind lock_kind = design.lock;
  const unsigned nr_events = aio->ioctx_nr_events(design.nr_events, m.cpus());
  kioctx ctx(m, nr_events, lock_kind, layout);

  // Roles, their CPUs and the workload (the objects are created in this
  // order, as their cache lines and RNG streams depend on it).
  WorkloadConfig wc;
  const IrqPlacement irq = place_roles(cfg, topo.cpus(), wc);
  read_workload(cfg, wc);
  wc.target_results = static_cast<std::uint64_t>(cfg.get_int("workload.kiocbs"));
  eventfd_ctx eventfd(m, lock_kind);
  wc.eventfd = &eventfd;
  const RingGeometry ring = RingGeometry::for_max_reqs(nr_events);
  check_workload(cfg, wc, nr_events, ring, warmup);
  if (design.info && !design.info->aio_kiocbs) check_block_only(cfg, wc, design.info->name);

  const bool count_races = cfg.get_string("invariants.kernel_races") == "count";
  KiocbSlab slab;
  Ledger ledger(count_races ? LostPolicy::Count : LostPolicy::Stop);
  const KernelCosts& kc = design.costs;
  aio->attach(m, ctx, slab, ledger, kc);
  const int word_bits = word_bits_from(cfg);
  aio->set_word_bits(word_bits);

  BlockDevice blk(m, *aio, BlockDevice::config_from(cfg, irq.irq_cpus, kc.submit_io), seed);
  UsbGadget usb(m, *aio, UsbGadget::config_from(cfg, irq.usb_irq_cpu),
                count_races ? UsbGadget::RacePolicy::Count : UsbGadget::RacePolicy::Stop);

  // Buffered writes (only when asked for: a file more would move every later
  // object's cache lines): the file, and under io_uring the io-wq worker's
  // CPU, whose task context no role may use.
  std::unique_ptr<BufferedBlockFile> buffered;
  if (wc.buffered_fraction > 0) {
    buffered = std::make_unique<BufferedBlockFile>(BufferedBlockFile::copy_from(cfg));  // 4096 bytes, as the block device's requests
    wc.buffered = buffered.get();
    if (aio->has_io_wq()) place_io_wq_worker(cfg, topo.cpus(), irq, wc);
  }

  install_kernel_value_names();  // reports and traces print KIOCB_CANCELLED, not numbers or host addresses
  Workload w(m, *aio, ctx, ledger, blk, &usb, wc, seed);
  if (hooks.check_only) return {};
  if (wc.target_results > 0)
    ledger.on_target(
        wc.target_results, [](void* p) { static_cast<Workload*>(p)->finish(sim::current().local); }, &w);
  // Before the threads start, so every frame is seen entering.
  std::unique_ptr<sim::Profile> profile;
  if (cfg.get_bool("output.profile")) profile = std::make_unique<sim::Profile>(m);
  w.start();

  const sim::Time duration = cfg.get_duration_ps("workload.duration");
  // No run goes past sim::kHorizon: then `now + d` cannot overflow (sim/time.hpp).
  const sim::Time until = std::min({hooks.stop_at, sim::kHorizon,
                                    wc.target_results > 0 ? sim::kNever : (duration > 0 ? duration : sim::kNever)});
  const std::uint64_t allocations_before = sim::allocations();
  run_engine(cfg, m, driver, until, hooks);
  const std::uint64_t allocations = sim::allocations() - allocations_before;

  const bool cut = driver.next_event_time() != sim::kNever && !driver.stopped();  // by hooks.stop_at
  const Run run{cfg, *preset, topo, m, driver, *aio, sw, layout, lock_kind, ring, word_bits, ctx, eventfd,
                ledger, blk, usb, w, wc, irq, seed, warmup, cut};
  const sim::Time end = check_end(run, hooks);
  for (int i = 0; i < topo.cpus(); ++i) m.cpu(i).close_accounting(end);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  RunReport rep;
  ordered_json r = result_json(run, version, end, wall_s, allocations);
  if (profile) profile_report(run, *profile, r, rep);
  r["config"] = cfg.to_json();
  rep.summary_csv = summary_csv(run, r);
  rep.table = summary_table(run, r, end, wall_s);
  rep.result = std::move(r);
  return rep;
}

}  // namespace programs::aio
