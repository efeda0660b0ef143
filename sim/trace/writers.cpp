#include "sim/trace/writers.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include <fmt/format.h>

namespace sim::trace {

namespace {

const char* ctx_name(ContextKind k) { return k == ContextKind::Task ? "task" : "irq"; }

std::string value(std::int64_t v) {
  if (v > 0xffffffffLL || v < -0xffffffffLL) return fmt::format("{:#x}", static_cast<std::uint64_t>(v));
  return std::to_string(v);
}

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
    case RecordKind::Step: {
      const std::string fn = r.detail ? " in " + rec.str(r.detail) : "";
      const std::string cost = format_span(dur);
      std::string text;
      switch (static_cast<StepKind>(r.sub)) {
        case StepKind::Load: text = fmt::format("load {} = {}  ({}{})", name, value(r.a), cost, fn); break;
        case StepKind::Store:
          text = fmt::format("store {}: {} -> {}  ({}{})", name, value(r.a), value(r.b), cost, fn);
          break;
        case StepKind::Rmw:
          text = fmt::format("atomic {}: {} -> {}  ({}{})", name, value(r.a), value(r.b), cost, fn);
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

std::string us(Time t) {  // ps -> microseconds, exact to the ps
  const bool neg = t < 0;
  const std::uint64_t a = neg ? static_cast<std::uint64_t>(-t) : static_cast<std::uint64_t>(t);
  return fmt::format("{}{}.{:06}", neg ? "-" : "", a / 1000000, a % 1000000);
}

constexpr int kTidActivity = 0, kTidTask = 1, kTidIrq = 2, kTidLines = 3, kTidLockBase = 100;

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
  const int locks_pid = ncpus;
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
  os << "{\"displayTimeUnit\":\"ns\",\n\"otherData\":" << info.meta.dump() << ",\n\"traceEvents\":[";

  // Metadata: processes and the threads each one uses.
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
    emit(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"tid":0,"args":{{"name":"cpu{}"}}}})", c, c));
    emit(fmt::format(R"({{"name":"process_sort_index","ph":"M","pid":{},"tid":0,"args":{{"sort_index":{}}}}})", c, c));
  }
  emit(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"tid":0,"args":{{"name":"locks"}}}})", locks_pid));
  emit(fmt::format(R"({{"name":"process_sort_index","ph":"M","pid":{},"tid":0,"args":{{"sort_index":{}}}}})", locks_pid,
                   locks_pid));
  for (const auto& [pid, tid] : threads) {
    std::string name;
    int sort = 0;
    if (tid == kTidActivity) name = "activity", sort = 0;
    else if (tid == kTidTask) name = "task", sort = 1;
    else if (tid == kTidIrq) name = "irq", sort = 50;
    else if (tid == kTidLines) name = "cache lines", sort = 99;
    else {
      const int li = (tid - kTidLockBase) / 2;
      const bool irq = (tid - kTidLockBase) % 2;
      name = fmt::format("{} {}", irq ? "irq" : "task", rec.str(lock_names[li]));
      sort = (irq ? 51 : 2) + li;
    }
    emit(fmt::format(R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":{}}}}})", pid, tid, esc(name)));
    emit(fmt::format(R"({{"name":"thread_sort_index","ph":"M","pid":{},"tid":{},"args":{{"sort_index":{}}}}})", pid, tid,
                     sort));
  }
  // Lock waiter counters start at the window's opening value.
  for (std::uint32_t l : lock_names)
    emit(fmt::format(R"({{"name":{},"ph":"C","pid":{},"tid":0,"ts":{},"args":{{"waiters":{}}}}})",
                     esc(rec.str(l) + " waiters"), locks_pid, us(w.from), rec.waiters_at_open(l)));

  auto x = [&](const Record& r, int tid, const std::string& name, const char* cat, const std::string& args) {
    emit(fmt::format(R"({{"name":{},"cat":"{}","ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"args":{{{}}}}})", esc(name),
                     cat, r.cpu, tid, us(r.begin), us(r.end - r.begin), args));
  };
  auto clip_args = [](const Record& r) {
    std::string s;
    if (r.clipped_begin) s += fmt::format(R"(,"began_before_window":true,"began_ns":{})", to_ns(r.since));
    if (r.clipped_end) s += R"(,"open_at_end":true)";
    return s;
  };
  auto instant = [&](const Record& r, int tid, const std::string& name, const char* cat, const std::string& args) {
    emit(fmt::format(R"({{"name":{},"cat":"{}","ph":"i","s":"t","pid":{},"tid":{},"ts":{},"args":{{{}}}}})", esc(name), cat,
                     r.cpu, tid, us(r.begin), args));
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
      case RecordKind::Step: {
        const auto k = static_cast<StepKind>(r.sub);
        if (k == StepKind::Load && !info.json_loads) break;
        const char* what = k == StepKind::Rmw ? "atomic" : to_string(k);
        instant(r, ctx_tid(r.ctx), fmt::format("{} {}", what, name), "access",
                fmt::format(R"("field":{},"old":{},"new":{},"cost_ns":{},"function":{})", esc(name), esc(value(r.a)),
                            esc(value(r.b)), to_ns(r.end - r.begin), esc(r.detail ? rec.str(r.detail) : "")));
        break;
      }
      case RecordKind::Transfer:
        instant(r, kTidLines, "line " + name, "transfer",
                fmt::format(R"("line":{},"from_cpu":{},"to_cpu":{},"cost_ns":{})", esc(name), r.a, r.cpu,
                            to_ns(r.end - r.begin)));
        break;
      case RecordKind::Waiters:
        emit(fmt::format(R"({{"name":{},"ph":"C","pid":{},"tid":0,"ts":{},"args":{{"waiters":{}}}}})",
                         esc(name + " waiters"), locks_pid, us(r.begin), r.a));
        break;
    }
  }
  os << "\n]}\n";
}

}  // namespace sim::trace
