// SPDX-License-Identifier: GPL-2.0-only
#include "sim/trace/writers.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "sim/value_names.hpp"

namespace sim::trace {

namespace {

const char* ctx_name(ContextKind k) { return k == ContextKind::Task ? "task" : "irq"; }

// A field's value as the kernel source names it (sim/value_names.hpp).
std::string value(const std::string& field, std::int64_t v) { return value_text(field.c_str(), v); }

std::string plural(std::int64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// --- text ------------------------------------------------------------------

struct Line {
  Time t;
  std::uint64_t seq;
  int order;  // ends before begins at equal (t, seq)
  std::string who;
  int depth;
  std::string text;
};

std::string who(const Record& r) { return fmt::format("cpu{}/{}", r.cpu, ctx_name(r.ctx)); }

void narrate(const Recorder& rec, const Record& r, std::vector<Line>& out) {
  const std::string& name = rec.str(r.name);
  const Time dur = r.end - r.begin;
  auto add = [&](Time t, std::uint64_t seq, int order, std::string w, int depth, std::string text) {
    out.push_back(Line{t, seq, order, std::move(w), depth, std::move(text)});
  };
  switch (r.kind) {
    case RecordKind::Function:
      if (!r.clipped_begin) add(r.begin, r.seq_begin, 1, who(r), r.depth, "-> " + name);
      if (!r.clipped_end) add(r.end, r.seq_end, 0, who(r), r.depth, fmt::format("<- {}  ({})", name, format_span(dur)));
      break;
    case RecordKind::Spin: {
      const char* how = r.mutex ? "sleeps" : "spins";
      if (!r.clipped_begin)
        add(r.begin, r.seq_begin, 1, who(r), r.depth + 1,
            fmt::format("{} {}: busy, held by {}; {} ({} now){}", r.mutex ? "mutex_lock" : "spin_lock", name,
                        r.detail ? rec.str(r.detail) : "?", how, plural(r.a, "waiter", "waiters"),
                        r.chain ? " in " + rec.str(r.chain) : std::string()));
      if (!r.clipped_end)
        add(r.end, r.seq_end, 1, who(r), r.depth + 1,
            fmt::format("acquires {} after {} {} ({} left)", name, r.mutex ? "waiting" : "spinning", format_span(dur),
                        plural(r.b, "waiter", "waiters")));
      break;
    }
    case RecordKind::Held:
      if (!r.clipped_begin && r.sub == 0)
        add(r.begin, r.seq_begin, 1, who(r), r.depth + 1, fmt::format("acquires {} (uncontended)", name));
      if (!r.clipped_end)
        add(r.end, r.seq_end, 0, who(r), r.depth + 1,
            fmt::format("releases {} after holding it {} ({})", name, format_span(dur),
                        plural(r.b, "waiter", "waiters")));
      break;
    case RecordKind::Handler:
      if (!r.clipped_begin)
        add(r.begin, r.seq_begin, 1, who(r), 0,
            fmt::format("IRQ {} handler starts, {} after it was raised", name, format_span(r.a)));
      if (!r.clipped_end)
        add(r.end, r.seq_end, 0, who(r), 0, fmt::format("IRQ {} handler returns ({})", name, format_span(dur)));
      break;
    case RecordKind::IrqRaised:
      add(r.begin, r.seq_begin, 1, fmt::format("cpu{}", r.cpu), 0, fmt::format("IRQ {} raised", name));
      break;
    case RecordKind::IrqDeferred:
      add(r.begin, r.seq_begin, 1, fmt::format("cpu{}", r.cpu), 0,
          fmt::format("IRQ {} held off (IRQs disabled or a handler running)", name));
      break;
    case RecordKind::IrqLatched:
      add(r.begin, r.seq_begin, 1, fmt::format("cpu{}", r.cpu), 0,
          fmt::format("IRQ {} raised again while pending: latched, no second handler", name));
      break;
    case RecordKind::Step: {
      const std::string fn = r.detail ? " in " + rec.str(r.detail) : "";
      const std::string cost = format_span(dur);
      std::string text;
      switch (static_cast<StepKind>(r.sub)) {
        case StepKind::Load: text = fmt::format("load {} = {}  ({}{})", name, value(name, r.a), cost, fn); break;
        case StepKind::Schedule: text = fmt::format("schedule()  ({}{})", cost, fn); break;
        case StepKind::Store:
          text = fmt::format("store {}: {} -> {}  ({}{})", name, value(name, r.a), value(name, r.b), cost, fn);
          break;
        case StepKind::Rmw:
          text = fmt::format("atomic {}: {} -> {}  ({}{})", name, value(name, r.a), value(name, r.b), cost, fn);
          break;
        case StepKind::IrqOff: text = fmt::format("IRQs off (were {}){}", r.a ? "on" : "off", fn); break;
        case StepKind::IrqOn: text = fmt::format("IRQs {} (restore){}", r.b ? "on" : "stay off", fn); break;
        case StepKind::Wake: text = fmt::format("wake_up {}{}", name, fn); break;
        default: return;
      }
      add(r.begin, r.seq_begin, 1, who(r), r.depth, std::move(text));
      break;
    }
    case RecordKind::Transfer:
      add(r.begin, r.seq_begin, 1, fmt::format("cpu{}", r.cpu), 0,
          r.a >= 0   ? fmt::format("line {} moves cpu{} -> cpu{} ({})", name, r.a, r.cpu, format_span(dur))
          : dur == 0 ? fmt::format("line {}: spinner cpu{} re-reads it (served shared, not charged)", name, r.cpu)
                     : fmt::format("line {} moves to cpu{} from its sharers ({})", name, r.cpu, format_span(dur)));
      break;
    case RecordKind::Activity:
    case RecordKind::Waiters:
      break;
  }
}

// --- JSON ------------------------------------------------------------------

std::string esc(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 2);
  o += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) o += fmt::format("\\u{:04x}", c);
        else o += ch;
    }
  }
  o += '"';
  return o;
}

// Chrome trace-event times are microseconds. Perfetto turns them into whole
// nanoseconds (rounding ts and dur separately), so both are written at whole
// nanoseconds, dur as the difference of the rounded ends: a slice nested in
// another in picoseconds stays nested after the rounding.
std::int64_t ns_of(Time t) { return t >= 0 ? (t + 500) / 1000 : -((-t + 500) / 1000); }

std::string us_of_ns(std::int64_t ns) {
  const bool neg = ns < 0;
  const std::uint64_t a = neg ? static_cast<std::uint64_t>(-ns) : static_cast<std::uint64_t>(ns);
  return fmt::format("{}{}.{:03}", neg ? "-" : "", a / 1000, a % 1000);
}

// Threads of a CPU's process (local numbers; the tid written is
// pid * 1000 + local, unique across the trace as Linux tids are, which is how
// Perfetto matches them). pid is the CPU number + 1: pid 0 is Perfetto's idle
// process.
constexpr int kTidActivity = 0, kTidTask = 1, kTidIrq = 2, kTidLines = 3, kTidLockBase = 100;
constexpr int kTidsPerPid = 1000;
int pid_of(int cpu) { return cpu + 1; }
int tid_of(int pid, int local) { return pid * kTidsPerPid + local; }

int ctx_tid(ContextKind k) { return k == ContextKind::Task ? kTidTask : kTidIrq; }

}  // namespace

std::string format_span(Time t) {
  const double ns = to_ns(t);
  if (std::abs(ns) < 10000.0) return fmt::format("{:.1f} ns", ns);
  if (std::abs(ns) < 1e7) return fmt::format("{:.3f} us", ns / 1000.0);
  return fmt::format("{:.3f} ms", ns / 1e6);
}

void write_text(std::ostream& os, const Recorder& rec, const TraceInfo& info) {
  const Window& w = rec.window();
  os << "# " << info.title << "\n";
  os << fmt::format("# window {:.3f} - {:.3f} ns of simulated time (times below are ns from the start of the run)\n",
                    to_ns(w.from), to_ns(w.to));
  if (rec.truncated())
    os << fmt::format("# TRUNCATED: the record cap ({}) was reached at {:.3f} ns; narrow the window\n", rec.max_records(),
                      to_ns(rec.truncated_at()));

  // What was going on when the window opened.
  std::map<std::pair<int, int>, std::vector<std::string>> chain, state;
  for (const Record& r : rec.records()) {
    if (!r.clipped_begin || r.begin != w.from) continue;
    const auto key = std::make_pair(r.cpu, static_cast<int>(r.ctx));
    switch (r.kind) {
      case RecordKind::Function: chain[key].push_back(rec.str(r.name)); break;
      case RecordKind::Held:
        state[key].push_back(fmt::format("holds {} (since {:.3f} ns)", rec.str(r.name), to_ns(r.since)));
        break;
      case RecordKind::Spin:
        state[key].push_back(fmt::format("{} on {} (since {:.3f} ns)", r.mutex ? "waits" : "spins", rec.str(r.name),
                                         to_ns(r.since)));
        break;
      case RecordKind::Handler:
        state[key].push_back(fmt::format("in IRQ handler {} (since {:.3f} ns)", rec.str(r.name), to_ns(r.since)));
        break;
      default: break;
    }
  }
  std::set<std::pair<int, int>> keys;
  for (const auto& [k, v] : chain) keys.insert(k);
  for (const auto& [k, v] : state) keys.insert(k);
  if (!keys.empty()) {
    os << fmt::format("# at {:.3f} ns:\n", to_ns(w.from));
    for (const auto& k : keys) {
      std::string s;
      const auto& c = chain[k];
      if (!c.empty()) {
        s = "in ";
        for (std::size_t i = 0; i < c.size(); ++i) s += (i ? " > " : "") + c[i];
      }
      for (const auto& st : state[k]) s += (s.empty() ? "" : "; ") + st;
      os << fmt::format("#   {:<11} {}\n", fmt::format("cpu{}/{}", k.first, ctx_name(static_cast<ContextKind>(k.second))), s);
    }
  }

  std::vector<Line> lines;
  lines.reserve(rec.records().size() * 2);
  for (const Record& r : rec.records()) narrate(rec, r, lines);
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return std::tie(a.t, a.seq, a.order) < std::tie(b.t, b.seq, b.order);
  });
  for (const Line& l : lines)
    os << fmt::format("{:>16.3f}  {:<10} {:{}}{}\n", to_ns(l.t), l.who, "", 2 * std::min(l.depth, 12), l.text);
  os << fmt::format("# end of window ({} lines)\n", lines.size());
}

void write_chrome_json(std::ostream& os, const Recorder& rec, const TraceInfo& info) {
  const Window& w = rec.window();
  int ncpus = std::max(info.cpus, rec.cpus_seen());
  for (const Record& r : rec.records()) ncpus = std::max(ncpus, r.cpu + 1);
  const int locks_pid = pid_of(ncpus);
  const auto& lock_names = rec.lock_names();
  auto lock_index = [&](std::uint32_t name) {
    auto it = std::find(lock_names.begin(), lock_names.end(), name);
    return static_cast<int>(it - lock_names.begin());
  };

  bool first = true;
  auto emit = [&](const std::string& ev) {
    os << (first ? "\n" : ",\n") << ev;
    first = false;
  };
  // No "displayTimeUnit": Perfetto reads "ns" there as the unit of ts, not
  // as a display preference; ts and dur are microseconds, as the format says.
  os << "{\"otherData\":" << info.meta.dump() << ",\n\"traceEvents\":[";

  // Metadata: processes and the threads each one uses (local thread numbers).
  std::set<std::pair<int, int>> threads;
  for (int c = 0; c < ncpus; ++c) {
    threads.insert({c, kTidActivity});
    threads.insert({c, kTidTask});
    threads.insert({c, kTidIrq});
  }
  for (const Record& r : rec.records()) {
    if (r.cpu < 0) continue;
    if (r.kind == RecordKind::Spin || r.kind == RecordKind::Held)
      threads.insert({r.cpu, kTidLockBase + 2 * lock_index(r.name) + (r.ctx == ContextKind::Irq)});
    if (r.kind == RecordKind::Transfer) threads.insert({r.cpu, kTidLines});
  }
  for (int c = 0; c < ncpus; ++c) {
    const int pid = pid_of(c);
    emit(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"tid":{},"args":{{"name":"cpu{}"}}}})", pid,
                     tid_of(pid, kTidActivity), c));
    emit(fmt::format(R"({{"name":"process_sort_index","ph":"M","pid":{},"tid":{},"args":{{"sort_index":{}}}}})", pid,
                     tid_of(pid, kTidActivity), c));
  }
  emit(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"tid":{},"args":{{"name":"locks"}}}})", locks_pid,
                   tid_of(locks_pid, 0)));
  emit(fmt::format(R"({{"name":"process_sort_index","ph":"M","pid":{},"tid":{},"args":{{"sort_index":{}}}}})", locks_pid,
                   tid_of(locks_pid, 0), ncpus));
  emit(fmt::format(R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":"waiters"}}}})", locks_pid,
                   tid_of(locks_pid, 0)));
  for (const auto& [cpu, local] : threads) {
    std::string name;
    int sort = 0;
    if (local == kTidActivity) name = "activity", sort = 0;
    else if (local == kTidTask) name = "task", sort = 1;
    else if (local == kTidIrq) name = "irq", sort = 50;
    else if (local == kTidLines) name = "cache lines", sort = 99;
    else {
      const int li = (local - kTidLockBase) / 2;
      const bool irq = (local - kTidLockBase) % 2;
      name = fmt::format("{} {}", irq ? "irq" : "task", rec.str(lock_names[li]));
      sort = (irq ? 51 : 2) + li;
    }
    const int pid = pid_of(cpu);
    emit(fmt::format(R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":{}}}}})", pid,
                     tid_of(pid, local), esc(name)));
    emit(fmt::format(R"({{"name":"thread_sort_index","ph":"M","pid":{},"tid":{},"args":{{"sort_index":{}}}}})", pid,
                     tid_of(pid, local), sort));
  }

  // Timed events, sorted by start and, at equal starts, longest first: the
  // order in which an importer must see them to nest a slice in the one that
  // encloses it.
  struct Timed {
    std::int64_t ts, dur;
    std::size_t seq;
    std::string text;
  };
  std::vector<Timed> timed;
  timed.reserve(rec.records().size() + lock_names.size());
  auto add = [&](std::int64_t ts, std::int64_t dur, std::string text) {
    timed.push_back(Timed{ts, dur, timed.size(), std::move(text)});
  };
  // Lock waiter counters (Perfetto names the track "<lock> waiters") start at
  // the window's opening value.
  for (std::uint32_t l : lock_names)
    add(ns_of(w.from), 0,
        fmt::format(R"({{"name":{},"ph":"C","pid":{},"tid":{},"ts":{},"args":{{"waiters":{}}}}})", esc(rec.str(l)),
                    locks_pid, tid_of(locks_pid, 0), us_of_ns(ns_of(w.from)), rec.waiters_at_open(l)));

  auto x = [&](const Record& r, int local, const std::string& name, const char* cat, const std::string& args) {
    const std::int64_t b = ns_of(r.begin), d = ns_of(r.end) - ns_of(r.begin);
    const int pid = pid_of(r.cpu);
    add(b, d,
        fmt::format(R"({{"name":{},"cat":"{}","ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"args":{{{}}}}})", esc(name), cat,
                    pid, tid_of(pid, local), us_of_ns(b), us_of_ns(d), args));
  };
  auto clip_args = [](const Record& r) {
    std::string s;
    if (r.clipped_begin) s += fmt::format(R"(,"began_before_window":true,"began_ns":{})", to_ns(r.since));
    if (r.clipped_end) s += R"(,"open_at_end":true)";
    return s;
  };
  auto instant = [&](const Record& r, int local, const std::string& name, const char* cat, const std::string& args) {
    const std::int64_t b = ns_of(r.begin);
    const int pid = pid_of(r.cpu);
    add(b, 0,
        fmt::format(R"({{"name":{},"cat":"{}","ph":"i","s":"t","pid":{},"tid":{},"ts":{},"args":{{{}}}}})", esc(name), cat,
                    pid, tid_of(pid, local), us_of_ns(b), args));
  };

  for (const Record& r : rec.records()) {
    const std::string& name = rec.str(r.name);
    switch (r.kind) {
      case RecordKind::Function:
        x(r, ctx_tid(r.ctx), name, "function", fmt::format(R"("depth":{}{})", r.depth, clip_args(r)));
        break;
      case RecordKind::Spin:
        x(r, kTidLockBase + 2 * lock_index(r.name) + (r.ctx == ContextKind::Irq),
          (r.mutex ? "wait " : "spin ") + name, "spin",
          fmt::format(R"("lock":{},"holder":{},"waiters_at_start":{},"waiters_at_end":{}{})", esc(name),
                      esc(r.detail ? rec.str(r.detail) : "?"), r.a, r.b, clip_args(r)));
        break;
      case RecordKind::Held:
        x(r, kTidLockBase + 2 * lock_index(r.name) + (r.ctx == ContextKind::Irq), "hold " + name, "held",
          fmt::format(R"("lock":{},"contended":{},"waiters_at_acquire":{},"waiters_at_release":{}{})", esc(name),
                      r.sub ? "true" : "false", r.a, r.b, clip_args(r)));
        break;
      case RecordKind::Handler:
        x(r, kTidIrq, "irq " + name, "irq",
          fmt::format(R"("irq":{},"latency_ns":{}{})", esc(name), to_ns(r.a), clip_args(r)));
        break;
      case RecordKind::Activity:
      {
        std::string args = clip_args(r);
        if (!args.empty()) args.erase(0, 1);
        x(r, kTidActivity, to_string(static_cast<Activity>(r.sub)), "activity", args);
      }
        break;
      case RecordKind::IrqRaised:
        instant(r, kTidIrq, "raised " + name, "irq", fmt::format(R"("irq":{})", esc(name)));
        break;
      case RecordKind::IrqDeferred:
        instant(r, kTidIrq, "deferred " + name, "irq", fmt::format(R"("irq":{})", esc(name)));
        break;
      case RecordKind::IrqLatched:
        instant(r, kTidIrq, "latched " + name, "irq", fmt::format(R"("irq":{})", esc(name)));
        break;
      case RecordKind::Step: {
        const auto k = static_cast<StepKind>(r.sub);
        if ((k == StepKind::Load || k == StepKind::Schedule) && !info.json_loads) break;
        const char* what = k == StepKind::Rmw ? "atomic" : to_string(k);
        instant(r, ctx_tid(r.ctx), k == StepKind::Schedule ? std::string("schedule()") : fmt::format("{} {}", what, name), "access",
                fmt::format(R"("field":{},"old":{},"new":{},"cost_ns":{},"function":{})", esc(name), esc(value(name, r.a)),
                            esc(value(name, r.b)), to_ns(r.end - r.begin), esc(r.detail ? rec.str(r.detail) : "")));
        break;
      }
      case RecordKind::Transfer:
        instant(r, kTidLines, "line " + name, "transfer",
                fmt::format(R"("line":{},"from_cpu":{},"to_cpu":{},"cost_ns":{})", esc(name), r.a, r.cpu,
                            to_ns(r.end - r.begin)));
        break;
      case RecordKind::Waiters:
        add(ns_of(r.begin), 0,
            fmt::format(R"({{"name":{},"ph":"C","pid":{},"tid":{},"ts":{},"args":{{"waiters":{}}}}})", esc(name),
                        locks_pid, tid_of(locks_pid, 0), us_of_ns(ns_of(r.begin)), r.a));
        break;
    }
  }
  std::stable_sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) {
    return std::tie(a.ts, b.dur, a.seq) < std::tie(b.ts, a.dur, b.seq);
  });
  for (const Timed& t : timed) emit(t.text);
  os << "\n]}\n";
}

}  // namespace sim::trace
