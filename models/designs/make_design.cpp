// SPDX-License-Identifier: GPL-2.0-only
#include "models/designs/make_design.hpp"

#include <fmt/format.h>

namespace models {

using sim::config::Config;
using sim::config::Schema;
using sim::config::Type;

void add_kioctx_keys(Schema& s, const DesignKeyDefaults& d) {
  s.add("kioctx.design", Type::String, "lazy-cancel", "kioctx design (aiosim designs lists them)");
  s.add("kioctx.lock", Type::String, d.lock,
        "spinlock implementation; era: the design's kernel's (ticket before v4.2, so for every 2013 design)")
      .choices({"era", "ticket", "qspinlock", "tas"});
  s.add("kioctx.nr_events", Type::Int, d.nr_events, "io_setup(nr_events): ring size requested").range(1, 65536);
  s.add_optional("kioctx.lazy_list", Type::Bool, "seed hunk: only cancellable kiocbs go on active_reqs");
  s.add_optional("kioctx.completion_lock", Type::Bool, "seed hunk: the ring is written under completion_lock");
  s.add_optional("kioctx.cancel_xchg", Type::Bool, "seed hunk: cancel/complete race settled by xchg/cmpxchg on ki_cancel");
  s.add_optional("kioctx.zero_alloc", Type::Bool, "seed hunk: kiocbs allocated with __GFP_ZERO");
}

void add_cost_keys(Schema& s, const DesignKeyDefaults& d) {
  s.add("costs.syscall", Type::Duration, "100ns", "syscall entry and exit").min(0);
  s.add("costs.copy_iocb", Type::Duration, "60ns", "copy_from_user of one iocb and its checks").min(0);
  s.add("costs.copy_event", Type::Duration, "20ns", "copy_to_user of one io_event").min(0);
  s.add("costs.submit_io", Type::Duration, "400ns", "ki_retry: the filesystem and block layer submit path").min(0);
  // TREE_RCU (v3.9) ends a grace period only after every CPU has reported a
  // quiescent state, noticed at its scheduling-clock tick: two to three
  // jiffies, 8-12 ms at HZ=250 (2-3 ms at HZ=1000).
  s.add("costs.synchronize_rcu", Type::Duration, d.synchronize_rcu,
        "one RCU grace period, which kill_ioctx waits out before dropping its reference")
      .min(0);
}

namespace {

KernelCosts kernel_costs_from(const Config& cfg) {
  KernelCosts kc;
  kc.syscall = cfg.get_duration_ps("costs.syscall");
  kc.copy_iocb = cfg.get_duration_ps("costs.copy_iocb");
  kc.copy_event = cfg.get_duration_ps("costs.copy_event");
  kc.submit_io = cfg.get_duration_ps("costs.submit_io");
  kc.synchronize_rcu = cfg.get_duration_ps("costs.synchronize_rcu");
  return kc;
}

// The design's own seed switches, each overridden by its kioctx.* key when the config sets it.
Switches switches_from(const Config& cfg, Switches sw) {
  if (cfg.has("kioctx.lazy_list")) sw.lazy_list = cfg.get_bool("kioctx.lazy_list");
  if (cfg.has("kioctx.completion_lock")) sw.completion_lock = cfg.get_bool("kioctx.completion_lock");
  if (cfg.has("kioctx.cancel_xchg")) sw.cancel_xchg = cfg.get_bool("kioctx.cancel_xchg");
  if (cfg.has("kioctx.zero_alloc")) sw.zero_alloc = cfg.get_bool("kioctx.zero_alloc");
  return sw;
}

const DesignInfo& design_info(const Config& cfg) {
  const DesignInfo* info = find_design(cfg.get_string("kioctx.design"));
  if (!info) {
    std::string names;
    for (const auto& d : designs()) names += (names.empty() ? "" : ", ") + d.name;
    throw cfg.error_at("kioctx.design",
                       fmt::format("unknown design \"{}\"; known: {}", cfg.get_string("kioctx.design"), names));
  }
  return *info;
}

}  // namespace

KernelCosts default_kernel_costs() {
  Schema s;
  add_cost_keys(s);
  return kernel_costs_from(Config::from_string(s, "", "(defaults)"));
}

BuiltDesign make_design(const Config& cfg, const std::function<std::unique_ptr<AioDesign>()>& custom) {
  BuiltDesign b;
  if (custom) {
    b.aio = custom();
  } else {
    b.info = &design_info(cfg);
    b.aio = b.info->make();
    if (!b.info->seed_switches)
      for (const char* key : {"kioctx.lazy_list", "kioctx.completion_lock", "kioctx.cancel_xchg", "kioctx.zero_alloc"})
        if (cfg.has(key))
          throw cfg.error_at(key, fmt::format("the seed's switches select subsets of the seed (designs mm-parent and "
                                              "lazy-cancel); {} is {}'s own code", b.info->name, b.info->tag));
  }
  b.aio->set_switches(switches_from(cfg, b.aio->switches()));
  const std::string& lock = cfg.get_string("kioctx.lock");
  b.lock = lock != "era" ? sim::lock_kind_from_string(lock) : b.info ? b.info->era_lock : sim::LockKind::Ticket;
  b.nr_events = static_cast<unsigned>(cfg.get_int("kioctx.nr_events"));
  b.costs = kernel_costs_from(cfg);
  return b;
}

std::string describe_design(const BuiltDesign& d) {
  const Switches& s = d.aio->switches();
  auto on = [](bool b) { return b ? "on" : "off"; };
  const std::string mark = d.info ? (d.info->planted_bug ? "  [planted bug]" : "") : "  [not in the registry]";
  if (d.info && !d.info->seed_switches) return fmt::format("{} ({}){}", d.aio->name(), d.info->tag, mark);
  return fmt::format("{} (lazy_list={} completion_lock={} cancel_xchg={} zero_alloc={}){}", d.aio->name(),
                     on(s.lazy_list), on(s.completion_lock), on(s.cancel_xchg), on(s.zero_alloc), mark);
}

}  // namespace models
