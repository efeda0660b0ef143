// SPDX-License-Identifier: GPL-2.0-only
#include "sim/trace/recorder.hpp"

#include <algorithm>

namespace sim::trace {

const char* to_string(Activity a) {
  switch (a) {
    case Activity::Idle: return "idle";
    case Activity::Task: return "task";
    case Activity::Spin: return "spin";
    case Activity::Irq: return "irq";
  }
  return "?";
}

Recorder::Recorder(Options o) : opt_(o) {
  if (opt_.window.to < opt_.window.from) opt_.window.to = opt_.window.from;
}

std::uint32_t Recorder::intern(std::string_view s) {
  auto it = string_ids_.find(std::string(s));
  if (it != string_ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(strings_.size());
  strings_.emplace_back(s);
  string_ids_.emplace(strings_.back(), id);
  return id;
}

std::int64_t Recorder::waiters_at_open(std::uint32_t lock) const {
  auto it = waiters_at_open_.find(lock);
  return it == waiters_at_open_.end() ? 0 : it->second;
}

Recorder::CtxState& Recorder::ctx(const Context& c) {
  auto [it, fresh] = ctxs_.try_emplace(&c);
  if (fresh) {
    it->second.cpu = c.cpu().id();
    it->second.kind = c.kind();
  }
  return it->second;
}

Recorder::CpuState& Recorder::cpu(const Cpu& c) {
  if (c.id() >= static_cast<int>(cpus_.size())) cpus_.resize(c.id() + 1);
  CpuState& s = cpus_[c.id()];
  s.cpu = &c;
  s.id = c.id();
  return s;
}

Recorder::LockState& Recorder::lock(const LockBase& l) {
  auto [it, fresh] = locks_.try_emplace(&l);
  if (fresh) {
    it->second.name = intern(l.name());
    it->second.mutex = l.kind() == LockKind::Mutex;
    if (std::find(lock_order_.begin(), lock_order_.end(), it->second.name) == lock_order_.end())
      lock_order_.push_back(it->second.name);
  }
  return it->second;
}

bool Recorder::room() {
  if (records_.size() < opt_.max_records) return true;
  truncated_ = true;
  return false;
}

void Recorder::maybe_open(Time at) {
  if (opened_ || at < opt_.window.from) return;
  opened_ = true;
  const Time from = opt_.window.from;
  // Spinners per lock name (two locks may share one).
  for (const auto& [l, s] : locks_) waiters_at_open_[s.name] += s.spinning;
  if (!sink_) return;
  sink_->window_opened(from);
  for (const CpuState& s : cpus_)
    if (s.cpu) sink_->activity(*s.cpu, s.act, true, from);
  for (const auto& [key, lc] : lock_ctx_)
    if (lc.held_begin >= 0) sink_->held(key.first->cpu(), key.second->name(), true, from);
}

void Recorder::slice(Record r) {
  const Window& w = opt_.window;
  if (!w.overlaps(r.begin, r.end)) return;
  r.since = r.begin;
  if (r.begin < w.from) {
    r.begin = w.from;
    r.clipped_begin = true;
  }
  if (r.end > w.to) {
    r.end = w.to;
    r.clipped_end = true;
  }
  if (!room()) {
    if (truncated_at_ == 0 || r.end < truncated_at_) truncated_at_ = r.end;
    return;
  }
  records_.push_back(r);
}

void Recorder::instant(Record r) {
  if (!opt_.window.contains(r.begin)) return;
  if (!room()) {
    if (truncated_at_ == 0 || r.begin < truncated_at_) truncated_at_ = r.begin;
    return;
  }
  records_.push_back(r);
}

void Recorder::on_step(const Context& c, const Step& step, Time at, Time cost, std::int64_t before, std::int64_t after) {
  // RCU's steps cost nothing and the function spans (lookup_ioctx,
  // kill_ioctx) already show where they are: a timeline keeps to accesses.
  if (is_annotation(step.kind) || step.kind == StepKind::GracePeriodEnd) return;
  ++seq_;
  maybe_open(at);
  if (!opt_.window.contains(at)) return;
  if (step.kind == StepKind::LockAcquire || step.kind == StepKind::LockRelease) return;  // on_lock tells more
  if ((step.kind == StepKind::Load || step.kind == StepKind::Schedule) && !opt_.loads) return;
  CtxState& s = ctx(c);
  Record r;
  r.kind = RecordKind::Step;
  r.sub = static_cast<std::uint8_t>(step.kind);
  r.begin = at;
  r.end = at + cost;
  r.seq_begin = r.seq_end = seq_;
  r.a = before;
  r.b = after;
  r.name = intern(step.what ? step.what : "?");
  r.detail = s.stack.empty() ? 0 : intern(s.stack.back().name);
  r.cpu = s.cpu;
  r.ctx = s.kind;
  r.depth = static_cast<std::int16_t>(s.stack.size());
  instant(r);
}

void Recorder::on_function(const Context& c, const char* fn, bool enter, Time at) {
  ++seq_;
  maybe_open(at);
  CtxState& s = ctx(c);
  if (enter) {
    s.stack.push_back(Open{fn, at, seq_});
    return;
  }
  if (s.stack.empty()) return;  // entered before the recorder was installed
  Open o = s.stack.back();
  s.stack.pop_back();
  if (!opt_.window.overlaps(o.begin, at)) return;
  Record r;
  r.kind = RecordKind::Function;
  r.begin = o.begin;
  r.end = at;
  r.seq_begin = o.seq;
  r.seq_end = seq_;
  r.name = intern(o.name);
  r.cpu = s.cpu;
  r.ctx = s.kind;
  r.depth = static_cast<std::int16_t>(s.stack.size());
  slice(r);
}

void Recorder::on_irq(const Cpu& c, IrqEvent ev, const char* name, Time at) {
  ++seq_;
  maybe_open(at);
  CpuState& s = cpu(c);
  Record r;
  r.begin = r.end = at;
  r.seq_begin = r.seq_end = seq_;
  r.cpu = c.id();
  r.ctx = ContextKind::Irq;
  switch (ev) {
    case IrqEvent::Raised:
      s.pending.emplace_back(name, at);
      if (!opt_.window.contains(at)) return;
      r.kind = RecordKind::IrqRaised;
      r.name = intern(name ? name : "irq");
      instant(r);
      return;
    case IrqEvent::Latched:
      if (!opt_.window.contains(at)) return;
      r.kind = RecordKind::IrqLatched;
      r.name = intern(name ? name : "irq");
      instant(r);
      return;
    case IrqEvent::Deferred:
      if (!opt_.window.contains(at)) return;
      r.kind = RecordKind::IrqDeferred;
      r.name = intern(name ? name : "irq");
      instant(r);
      return;
    case IrqEvent::Started: {
      // Handlers start in the order their vectors became pending (Cpu's FIFO).
      Time raised = at;
      auto it = std::find_if(s.pending.begin(), s.pending.end(), [&](const auto& p) { return p.first == name; });
      if (it != s.pending.end()) {
        raised = it->second;
        s.pending.erase(it);
      }
      s.handler_name_ptr = name;
      s.handler_begin = at;
      s.handler_seq = seq_;
      s.handler_latency = at - raised;
      return;
    }
    case IrqEvent::Finished:
      if (s.handler_begin < 0) return;
      if (opt_.window.overlaps(s.handler_begin, at)) {
        r.kind = RecordKind::Handler;
        r.begin = s.handler_begin;
        r.seq_begin = s.handler_seq;
        r.name = intern(s.handler_name_ptr ? s.handler_name_ptr : "irq");
        r.a = s.handler_latency;
        slice(r);
      }
      s.handler_begin = -1;
      return;
  }
}

void Recorder::on_lock(const Context& c, const LockBase& l, LockEvent ev, Time at, int waiters) {
  ++seq_;
  maybe_open(at);
  LockState& ls = lock(l);
  LockCtx& lc = lock_ctx_[{&c, &l}];
  CtxState& cs = ctx(c);
  const Window& w = opt_.window;
  auto sample = [&] {
    if (!w.contains(at)) return;
    Record r;
    r.kind = RecordKind::Waiters;
    r.begin = r.end = at;
    r.seq_begin = r.seq_end = seq_;
    r.name = ls.name;
    r.a = ls.spinning;
    instant(r);
  };
  Record r;
  r.cpu = cs.cpu;
  r.ctx = cs.kind;
  r.name = ls.name;
  r.mutex = ls.mutex;
  r.depth = static_cast<std::int16_t>(cs.stack.size());
  switch (ev) {
    case LockEvent::Spin:
      lc.spin_begin = at;
      lc.spin_seq = seq_;
      lc.spin_waiters = waiters;
      lc.holder = l.holder() ? intern(l.holder()->name()) : 0;
      {
        // The call chain, as the profile's stacks have it: the spin line
        // names it even when the functions were entered before the window.
        std::string chain;
        for (auto it = cs.stack.rbegin(); it != cs.stack.rend(); ++it) chain += (chain.empty() ? "" : " <- ") + std::string(it->name);
        lc.chain = chain.empty() ? 0 : intern(chain);
      }
      ++ls.spinning;
      sample();
      return;
    case LockEvent::Acquired:
      lc.contended = lc.spin_begin >= 0;
      if (lc.contended) {
        r.kind = RecordKind::Spin;
        r.begin = lc.spin_begin;
        r.end = at;
        r.seq_begin = lc.spin_seq;
        r.seq_end = seq_;
        r.a = lc.spin_waiters;
        r.b = waiters;
        r.detail = lc.holder;
        r.chain = lc.chain;
        slice(r);
        lc.spin_begin = -1;
        if (ls.spinning > 0) --ls.spinning;
        sample();
      }
      lc.held_begin = at;
      lc.held_seq = seq_;
      lc.held_waiters = waiters;
      if (sink_ && opened_ && at <= w.to) sink_->held(c.cpu(), l.name(), true, std::max(at, w.from));
      return;
    case LockEvent::Released:
      if (lc.held_begin < 0) return;  // acquired before the recorder was installed
      r.kind = RecordKind::Held;
      r.begin = lc.held_begin;
      r.end = at;
      r.seq_begin = lc.held_seq;
      r.seq_end = seq_;
      r.a = lc.held_waiters;
      r.b = waiters;
      r.sub = lc.contended ? 1 : 0;
      slice(r);
      lc.held_begin = -1;
      if (sink_ && opened_ && at <= w.to) sink_->held(c.cpu(), l.name(), false, std::max(at, w.from));
      return;
  }
}

void Recorder::on_context(const Context& c, bool runs, Time at) {
  if (runs) return;
  // The root returned: nothing of it can still be open; close what is (a
  // model function that never left, e.g. after an exception).
  CtxState& s = ctx(c);
  while (!s.stack.empty()) on_function(c, s.stack.back().name, false, at);
}

void Recorder::on_transfer(const CacheLine& line, int from_cpu, int to_cpu, Time at, Time cost) {
  ++seq_;
  maybe_open(at);
  if (!opt_.window.contains(at)) return;
  Record r;
  r.kind = RecordKind::Transfer;
  r.begin = at;
  r.end = at + cost;
  r.seq_begin = r.seq_end = seq_;
  r.name = intern(line.name());
  r.a = from_cpu;
  r.cpu = to_cpu;
  instant(r);
}

void Recorder::on_activity(const Cpu& c, Activity a, Time at) {
  ++seq_;
  maybe_open(at);
  CpuState& s = cpu(c);
  const Window& w = opt_.window;
  if (w.overlaps(s.act_since, at)) {
    Record r;
    r.kind = RecordKind::Activity;
    r.sub = static_cast<std::uint8_t>(s.act);
    r.begin = s.act_since;
    r.end = at;
    r.seq_begin = s.act_seq;
    r.seq_end = seq_;
    r.cpu = c.id();
    slice(r);
  }
  if (sink_ && opened_ && at <= w.to) {
    const Time t = std::max(at, w.from);
    sink_->activity(c, s.act, false, t);
    sink_->activity(c, a, true, t);
  }
  s.act = a;
  s.act_since = at;
  s.act_seq = seq_;
}

void Recorder::finish(Time end) {
  if (finished_) return;
  finished_ = true;
  sink_ = nullptr;  // the run (and SimGrid's trace) is over
  maybe_open(end);
  const Window& w = opt_.window;
  const Time close = std::min(end, w.to);
  ++seq_;
  auto open_slice = [&](Record r) {
    r.end = std::max(close, r.begin);
    r.seq_end = seq_;
    r.clipped_end = true;  // still open when the trace ends
    slice(r);
  };
  for (auto& [c, s] : ctxs_) {
    int depth = 0;
    for (const Open& o : s.stack) {
      Record r;
      r.kind = RecordKind::Function;
      r.begin = o.begin;
      r.seq_begin = o.seq;
      r.name = intern(o.name);
      r.cpu = s.cpu;
      r.ctx = s.kind;
      r.depth = static_cast<std::int16_t>(depth++);
      open_slice(r);
    }
  }
  for (auto& [key, lc] : lock_ctx_) {
    const LockState& ls = locks_[key.second];
    const CtxState& cs = ctxs_[key.first];
    Record r;
    r.cpu = cs.cpu;
    r.ctx = cs.kind;
    r.name = ls.name;
    r.mutex = ls.mutex;
    if (lc.spin_begin >= 0) {
      r.kind = RecordKind::Spin;
      r.begin = lc.spin_begin;
      r.seq_begin = lc.spin_seq;
      r.a = lc.spin_waiters;
      r.detail = lc.holder;
      r.chain = lc.chain;
      open_slice(r);
    }
    if (lc.held_begin >= 0) {
      r.kind = RecordKind::Held;
      r.begin = lc.held_begin;
      r.seq_begin = lc.held_seq;
      r.a = lc.held_waiters;
      r.detail = 0;
      r.sub = lc.contended ? 1 : 0;
      open_slice(r);
    }
  }
  for (const CpuState& s : cpus_) {
    if (s.id < 0) continue;
    Record r;
    r.cpu = s.id;
    if (s.handler_begin >= 0) {
      r.kind = RecordKind::Handler;
      r.ctx = ContextKind::Irq;
      r.begin = s.handler_begin;
      r.seq_begin = s.handler_seq;
      r.name = intern(s.handler_name_ptr ? s.handler_name_ptr : "irq");
      r.a = s.handler_latency;
      open_slice(r);
    }
    r = Record{};
    r.cpu = s.id;
    r.kind = RecordKind::Activity;
    r.sub = static_cast<std::uint8_t>(s.act);
    r.begin = s.act_since;
    r.seq_begin = s.act_seq;
    open_slice(r);
  }
  std::stable_sort(records_.begin(), records_.end(), [](const Record& x, const Record& y) {
    return x.begin != y.begin ? x.begin < y.begin : x.seq_begin < y.seq_begin;
  });
}

}  // namespace sim::trace
