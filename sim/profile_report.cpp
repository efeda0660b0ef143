// SPDX-License-Identifier: GPL-2.0-only
#include "sim/profile_report.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace sim::profile {

Kind kind_of_frame(std::string_view frame) {
  if (frame.rfind("[spin ", 0) == 0) return Kind::Spin;
  if (frame.rfind("[stall ", 0) == 0) return Kind::Stall;
  return Kind::Work;
}

std::string write_folded(const Folded& f) {
  std::string out;
  for (const auto& [stack, ps] : f) {
    const Time ns = (ps + kNs / 2) / kNs;
    if (ns > 0) out += fmt::format("{} {}\n", stack, ns);
  }
  return out;
}

Folded parse_folded(std::string_view text) {
  Folded f;
  int lineno = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++lineno;
    if (line.empty()) continue;
    const std::size_t sp = line.rfind(' ');
    Time ns = 0;
    if (sp == std::string_view::npos || sp == 0 ||
        std::from_chars(line.data() + sp + 1, line.data() + line.size(), ns).ptr != line.data() + line.size() || ns < 0)
      throw std::runtime_error(fmt::format("line {}: expected 'frame;frame;... weight'", lineno));
    f[std::string(line.substr(0, sp))] += ns * kNs;
  }
  return f;
}

namespace {
std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t p = s.find(';');
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s = s.substr(p + 1);
  }
}
}  // namespace

Summary summarize(const Folded& f, const std::set<std::string>& group, int skip,
                  const std::set<std::string>& keep_first) {
  Summary s;
  std::map<std::string, Symbol, std::less<>> syms;
  std::set<std::string_view> seen;
  for (const auto& [stack, w] : f) {
    std::vector<std::string_view> frames = split(stack);
    if (!keep_first.empty() && (frames.empty() || !keep_first.count(std::string(frames[0])))) continue;
    if (static_cast<int>(frames.size()) <= skip) continue;
    frames.erase(frames.begin(), frames.begin() + skip);
    s.busy += w;
    const int ctx = frames[0] == "hardirq" ? 1 : 0;
    s.by_context[ctx] += w;
    const Kind k = kind_of_frame(frames.back());
    s.by_kind[static_cast<int>(k)] += w;
    bool in_group = false;
    seen.clear();
    for (std::string_view fr : frames) {
      in_group = in_group || group.count(std::string(fr));
      if (!seen.insert(fr).second) continue;
      auto it = syms.find(fr);
      if (it == syms.end()) it = syms.emplace(std::string(fr), Symbol{std::string(fr)}).first;
      it->second.total += w;
      it->second.total_by_context[ctx] += w;
    }
    syms.find(frames.back())->second.self += w;
    if (k != Kind::Work && frames.size() >= 2) {
      Symbol& owner = syms.find(frames[frames.size() - 2])->second;
      (k == Kind::Spin ? owner.spin : owner.stall) += w;
      if (k == Kind::Spin) {
        std::string_view lock = frames.back().substr(6);
        s.spin_by_lock[std::string(lock.substr(0, lock.size() - 1))] += w;
      }
    }
    if (in_group) s.group_children += w;
    // The innermost function (above any pseudo-frame).
    const std::string_view fn = k == Kind::Work ? frames.back() : frames[frames.size() >= 2 ? frames.size() - 2 : 0];
    if (group.count(std::string(fn))) {
      s.group += w;
      if (k == Kind::Spin) s.group_spin += w;
    }
    if (fn.rfind("user:", 0) == 0) s.user += w;
  }
  for (auto& [name, sym] : syms) s.symbols.push_back(std::move(sym));
  std::stable_sort(s.symbols.begin(), s.symbols.end(), [](const Symbol& a, const Symbol& b) {
    if (a.total != b.total) return a.total > b.total;
    return a.self < b.self;  // equal children: the caller first
  });
  return s;
}

std::string table(const Summary& s, std::size_t rows) {
  const double busy = s.busy > 0 ? static_cast<double>(s.busy) : 1.0;
  std::string out = fmt::format("# busy CPU time {:.3f} ms (task {:.2f}%, hardirq {:.2f}%; work {:.2f}%, spinning {:.2f}%, "
                                "coherence stalls {:.2f}%)\n#\n",
                                to_ns(s.busy) / 1e6, 100.0 * s.by_context[0] / busy, 100.0 * s.by_context[1] / busy,
                                100.0 * s.by_kind[0] / busy, 100.0 * s.by_kind[1] / busy, 100.0 * s.by_kind[2] / busy);
  out += fmt::format("# {:>9}  {:>8}  {}\n", "Children", "Self", "Symbol");
  std::size_t n = 0;
  for (const Symbol& sym : s.symbols) {
    if (n++ == rows) break;
    out += fmt::format("  {:>8.2f}%  {:>7.2f}%  {}\n", 100.0 * sym.total / busy, 100.0 * sym.self / busy, sym.name);
  }
  return out;
}

}  // namespace sim::profile
