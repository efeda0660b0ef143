// SPDX-License-Identifier: GPL-2.0-only
#include "app/sweep/grow.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "sim/atomic_file.hpp"
#include "app/sweep/results.hpp"

namespace sweep {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr const char* kStaging = ".moving-";  // runs/.moving-<config hash>: a run between two indices

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string point_text(const json& params) {
  std::string out;
  for (const auto& [k, v] : params.items()) out += (out.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  return out.empty() ? "the only point" : out;
}

std::string run_key(const json& params, std::size_t replication) { return params.dump() + "#" + std::to_string(replication); }

// A resolved config (Config::to_toml: one "key = value" per line under
// [section] headers) as dotted key -> value text.
std::map<std::string, std::string> config_keys(const std::string& toml) {
  std::map<std::string, std::string> out;
  std::istringstream in(toml);
  std::string section;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line.front() == '[') {
      section = line.substr(1, line.rfind(']') - 1);
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    out[(section.empty() ? "" : section + ".") + line.substr(0, eq)] = line.substr(eq + 3);
  }
  return out;
}

std::string config_diff(const std::string& was, const std::string& now) {
  const auto a = config_keys(was), b = config_keys(now);
  std::vector<std::string> changes;
  auto shown = [](const std::string& v) { return sim::config::printable(v, 40); };
  for (const auto& [k, v] : a) {
    const auto it = b.find(k);
    if (it == b.end()) changes.push_back(fmt::format("{} = {} -> (unset)", k, shown(v)));
    else if (it->second != v) changes.push_back(fmt::format("{} = {} -> {}", k, shown(v), shown(it->second)));
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) changes.push_back(fmt::format("{} = (unset) -> {}", k, shown(v)));
  if (changes.empty()) return "";
  return changes.front() + (changes.size() > 1 ? fmt::format(" (and {} more key{})", changes.size() - 1, changes.size() == 2 ? "" : "s") : "");
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

bool is_run_dir_name(const std::string& n) {
  const std::string digits = n.rfind(kStaging, 0) == 0 ? n.substr(std::string(kStaging).size()) : n;
  return !digits.empty() && digits.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::optional<std::string> growth_refusal(const Plan& old, const Plan& now, const fs::path& dir) {
  if (old.seed != now.seed) return fmt::format("sweep.seed changed ({} -> {})", old.seed, now.seed);
  if (old.parameters != now.parameters)
    return fmt::format("the axes changed (were: {}; now: {})", joined(old.parameters), joined(now.parameters));
  std::unordered_map<std::string, std::size_t> index;
  for (const PlannedRun& r : now.runs) index.emplace(run_key(now.points[r.point], r.replication), r.run);
  std::size_t dropped = 0;
  const PlannedRun* first_dropped = nullptr;
  for (const PlannedRun& r : old.runs) {
    const json& params = old.points.at(r.point);
    const auto it = index.find(run_key(params, r.replication));
    if (it == index.end()) {
      if (!dropped++) first_dropped = &r;
      continue;
    }
    const PlannedRun& n = now.runs[it->second];
    if (n.config_hash == r.config_hash) continue;
    if (n.seed != r.seed)
      return fmt::format("the seed of run {} ({}, replication {}) changed ({} -> {}): sweep.common_seeds changed", r.run,
                         point_text(params), r.replication, r.seed, n.seed);
    const std::string diff = config_diff(read_text(dir / r.dir / "config.toml"), now.config_toml(n));
    return fmt::format("the config of run {} ({}, replication {}) changed: {} (from the base config, [set] or --set)", r.run,
                       point_text(params), r.replication, diff.empty() ? "it differs from the one sweep.json records" : diff);
  }
  if (dropped)
    return fmt::format("the spec drops {} of the directory's {} runs (fewer axis values or replications, or a tighter constraint; "
                       "the first: run {}, {}, replication {})",
                       dropped, old.runs.size(), first_dropped->run, point_text(old.points.at(first_dropped->point)),
                       first_dropped->replication);
  return std::nullopt;
}

std::vector<std::string> locate_runs(const fs::path& dir, const Plan& plan) {
  // Every run directory with a manifest, by the config hash it names.
  std::unordered_map<std::string, std::vector<std::string>> by_hash;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "runs", ec)) {
    const std::string name = e.path().filename().string();
    std::error_code ec2;
    if (!is_run_dir_name(name) || !e.is_directory(ec2)) continue;
    std::ifstream in(e.path() / "manifest.json", std::ios::binary);
    if (!in) continue;
    const json m = json::parse(in, nullptr, false);
    if (!m.is_object() || !m.contains("config_fnv1a64") || !m["config_fnv1a64"].is_string()) continue;
    by_hash[m["config_fnv1a64"].get<std::string>()].push_back("runs/" + name);
  }
  std::vector<std::string> out(plan.runs.size());
  std::set<std::string> taken;
  for (const PlannedRun& r : plan.runs) {
    const auto it = by_hash.find(r.config_hash);
    if (it == by_hash.end()) continue;
    std::vector<std::string> candidates = it->second;
    // Its own directory first.
    std::stable_partition(candidates.begin(), candidates.end(), [&](const std::string& c) { return c == r.dir; });
    for (const std::string& c : candidates) {
      if (taken.count(c)) continue;
      PlannedRun at = r;
      at.dir = c;
      if (!complete(read_run(dir, at))) continue;
      out[r.run] = c;
      taken.insert(c);
      break;
    }
  }
  return out;
}

bool has_pending_moves(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "runs", ec))
    if (e.path().filename().string().rfind(kStaging, 0) == 0) return true;
  return false;
}

void move_runs_into_place(const fs::path& dir, const Plan& plan) {
  const std::vector<std::string> where = locate_runs(dir, plan);
  // First every run that moves goes out of the way (its staging name comes
  // from its config hash: unique, and the same if a crash makes us start over)...
  std::vector<std::size_t> moving;
  for (const PlannedRun& r : plan.runs) {
    if (where[r.run].empty() || where[r.run] == r.dir) continue;
    const std::string staged = "runs/" + std::string(kStaging) + r.config_hash;
    if (where[r.run] != staged) fs::rename(dir / where[r.run], dir / staged);
    moving.push_back(r.run);
  }
  // ...then into its place, over whatever no run of the plan needs.
  for (const std::size_t i : moving) {
    const PlannedRun& r = plan.runs[i];
    const fs::path target = dir / r.dir;
    fs::remove_all(target);
    fs::rename(dir / "runs" / (std::string(kStaging) + r.config_hash), target);
    // The manifest says which run it is: its new index.
    std::ifstream in(target / "manifest.json", std::ios::binary);
    json m = json::parse(in, nullptr, false);
    if (m.is_object()) {
      m["run"] = r.run;
      m["point"] = r.point;
      m["replication"] = r.replication;
      sim::write_file_atomically(target / "manifest.json", m.dump(2) + "\n");
    }
  }
  // Left-overs of an interrupted move that this plan does not need.
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& e : fs::directory_iterator(dir / "runs", ec))
    if (e.path().filename().string().rfind(kStaging, 0) == 0) stale.push_back(e.path());
  for (const fs::path& p : stale) fs::remove_all(p);
}

std::string dry_run_text(const fs::path& dir, const Plan& plan, const Plan* stored) {
  const std::vector<std::string> where = stored ? locate_runs(dir, plan) : std::vector<std::string>(plan.runs.size());
  std::set<std::string> known;
  if (stored)
    for (const PlannedRun& r : stored->runs) known.insert(r.config_hash);
  std::string out = fmt::format("{:>6} {:>6} {:>4} {:>20}  {:<8}  {}\n", "run", "point", "rep", "seed", "state", "parameters");
  std::size_t done = 0, failed = 0, fresh = 0, again = 0;
  for (const PlannedRun& r : plan.runs) {
    std::string state;
    if (!where[r.run].empty()) {
      PlannedRun at = r;
      at.dir = where[r.run];
      const bool ok = read_run(dir, at).state == RunState::Ok;
      state = ok ? "complete" : "failed";
      ++(ok ? done : failed);
    } else if (known.count(r.config_hash)) {
      state = "rerun";  // in the directory's sweep, never completed (or ended in an error)
      ++again;
    } else {
      state = "new";
      ++fresh;
    }
    out += fmt::format("{:>6} {:>6} {:>4} {:>20}  {:<8}  {}\n", r.run, r.point, r.replication, r.seed, state, point_text(plan.points[r.point]));
  }
  out += fmt::format("dry run: {} runs in {}: {} complete, {} failed (kept), {} to run ({} new, {} again); nothing written\n",
                     plan.runs.size(), dir.string(), done, failed, fresh + again, fresh, again);
  return out;
}

}  // namespace sweep
