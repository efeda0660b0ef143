// SPDX-License-Identifier: GPL-2.0-only
#include "app/sweep/results.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <list>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>

namespace sweep {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

std::string shortest(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

bool wall_clock(const std::string& last) { return last.rfind("wall", 0) == 0; }

void flatten(const json& j, const std::string& prefix, const std::string& last, std::vector<std::pair<std::string, std::string>>& out) {
  switch (j.type()) {
    case json::value_t::object:
      for (const auto& [k, v] : j.items()) {
        if (prefix.empty() && (k == "config" || k == "seed")) continue;
        if (prefix == "profile" && k == "top") continue;  // per-symbol detail; profile.aio_functions has the columns
        if (wall_clock(k)) continue;
        flatten(v, prefix.empty() ? k : prefix + "." + k, k, out);
      }
      break;
    case json::value_t::array: {
      // Arrays of objects (cpus) are flattened by index; arrays of numbers
      // (a distribution such as latency_cdf) are not scalars.
      bool objects = !j.empty();
      for (const auto& e : j) objects = objects && e.is_object();
      if (!objects) break;
      for (std::size_t i = 0; i < j.size(); ++i) flatten(j[i], prefix + "." + std::to_string(i), last, out);
      break;
    }
    case json::value_t::number_integer: out.emplace_back(prefix, std::to_string(j.get<std::int64_t>())); break;
    case json::value_t::number_unsigned: out.emplace_back(prefix, std::to_string(j.get<std::uint64_t>())); break;
    case json::value_t::number_float: out.emplace_back(prefix, shortest(j.get<double>())); break;
    case json::value_t::boolean: out.emplace_back(prefix, j.get<bool>() ? "true" : "false"); break;
    default: break;  // strings, null
  }
}

std::string param_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return shortest(v.get<double>());
  return v.dump();
}

std::string first_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && (t.front() == '\n' || t.front() == ' ')) t.erase(t.begin());
  return t.substr(0, t.find('\n'));
}

bool read_json(const fs::path& p, json& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  try {
    out = json::parse(in);
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

// Column names in an order consistent with every run's own order: a name
// first seen in a later run goes right after its predecessor in that run.
class ColumnOrder {
 public:
  void add(const std::vector<std::pair<std::string, std::string>>& row) {
    auto at = order_.begin();
    for (const auto& [k, v] : row) {
      auto it = where_.find(k);
      if (it == where_.end()) {
        it = where_.emplace(k, order_.insert(at, k)).first;
      }
      at = std::next(it->second);
    }
  }
  const std::list<std::string>& names() const { return order_; }

 private:
  std::list<std::string> order_;
  std::unordered_map<std::string, std::list<std::string>::iterator> where_;
};

}  // namespace

bool config_echo(const std::string& name) {
  for (const char* p : {"design.", "layout.", "machine."})
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

const char* state_name(RunState s) {
  static const char* const kState[] = {"missing", "ok", "failed", "error"};
  return kState[static_cast<int>(s)];
}

std::vector<std::pair<std::string, std::string>> flatten_result(const json& result) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten(result, "", "", out);
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' '))) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

double t_quantile_975(double df) { return boost::math::quantile(boost::math::students_t_distribution<double>(df), 0.975); }

MeanCi mean_ci95(const std::vector<double>& xs) {
  MeanCi m;
  m.n = xs.size();
  if (xs.empty()) return m;
  double sum = 0;
  for (double x : xs) sum += x;
  m.mean = sum / static_cast<double>(m.n);
  if (m.n < 2) return m;
  double ss = 0;
  for (double x : xs) ss += (x - m.mean) * (x - m.mean);
  const double sd = std::sqrt(ss / static_cast<double>(m.n - 1));
  m.ci95 = t_quantile_975(static_cast<double>(m.n - 1)) * sd / std::sqrt(static_cast<double>(m.n));
  m.has_ci = true;
  return m;
}

RunRecord read_run(const fs::path& dir, const PlannedRun& run) {
  RunRecord r;
  const fs::path rd = dir / run.dir;
  if (!read_json(rd / "manifest.json", r.manifest) || !r.manifest.is_object()) return r;
  if (r.manifest.value("config_fnv1a64", "") != run.config_hash) return r;  // another sweep's run
  const std::string status = r.manifest.value("status", "");
  r.exit_code = r.manifest.value("exit_code", -1);
  r.error = r.manifest.value("error", "");
  if (status == "ok") {
    if (!read_json(rd / "result.json", r.result) || !r.result.is_object()) return r;
    r.state = RunState::Ok;
  } else if (status == "failed") {
    r.state = RunState::Failed;
  } else {
    r.state = RunState::Error;
  }
  return r;
}

namespace {

// Reads every planned run into t (its record and its metrics, parameters
// left out as they are columns of their own) and counts the runs by state into m.
void read_runs(const fs::path& dir, const Plan& plan, Merged& m, Tidy& t) {
  ColumnOrder order;
  std::set<std::string> params(plan.parameters.begin(), plan.parameters.end());
  for (const PlannedRun& run : plan.runs) {
    RunRecord rec = read_run(dir, run);
    std::vector<std::pair<std::string, std::string>> row;
    if (rec.state == RunState::Ok) {
      for (auto& kv : flatten_result(rec.result))
        if (!params.count(kv.first)) row.push_back(std::move(kv));  // a parameter is its own column
      order.add(row);
    }
    switch (rec.state) {
      case RunState::Ok: ++m.ok; break;
      case RunState::Failed: ++m.failed; m.failures.emplace_back(run.run, first_line(rec.error)); break;
      case RunState::Error: ++m.error; m.failures.emplace_back(run.run, first_line(rec.error)); break;
      case RunState::Missing: ++m.missing; break;
    }
    // Keep what the tables need, not the parsed documents: memory grows by a row per run, not a JSON tree.
    rec.result = nullptr;
    rec.manifest = nullptr;
    rec.error = first_line(rec.error);
    t.records.push_back(std::move(rec));
    t.rows.push_back(std::move(row));
  }
  t.metrics.assign(order.names().begin(), order.names().end());
}

// Numeric metrics (booleans are not averaged), and their mean and CI per point.
void point_stats(const Plan& plan, Tidy& t) {
  std::unordered_map<std::string, int> kind;  // bit 1: a number seen, bit 2: a boolean seen
  for (const auto& row : t.rows)
    for (const auto& [k, v] : row) kind[k] |= (v == "true" || v == "false") ? 2 : 1;
  for (const auto& c : t.metrics)
    if (kind[c] == 1) t.numeric.push_back(c);
  std::unordered_map<std::string, std::size_t> numeric_index;
  for (std::size_t i = 0; i < t.numeric.size(); ++i) numeric_index[t.numeric[i]] = i;
  t.by_point.resize(plan.points.size());
  for (std::size_t i = 0; i < plan.runs.size(); ++i) t.by_point[plan.runs[i].point].push_back(i);
  t.stats.assign(plan.points.size(), std::vector<MeanCi>(t.numeric.size()));
  t.point_n.assign(plan.points.size(), 0);
  t.point_failed.assign(plan.points.size(), 0);
  for (std::size_t p = 0; p < plan.points.size(); ++p) {
    std::vector<std::vector<double>> vals(t.numeric.size());
    for (std::size_t i : t.by_point[p]) {
      if (t.records[i].state == RunState::Failed || t.records[i].state == RunState::Error) ++t.point_failed[p];
      if (t.records[i].state != RunState::Ok) continue;
      ++t.point_n[p];
      for (const auto& [k, v] : t.rows[i]) {
        const auto it = numeric_index.find(k);
        if (it == numeric_index.end()) continue;
        double d = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
        if (ec == std::errc{} && end == v.data() + v.size()) vals[it->second].push_back(d);
      }
    }
    for (std::size_t c = 0; c < t.numeric.size(); ++c) t.stats[p][c] = mean_ci95(vals[c]);
  }
}

// Columns that say nothing (docs/sweeps.md, "What the tables leave out"): a
// description of the simulated system that is the same in every run.
std::set<std::string> constant_echoes(const Tidy& t) {
  std::set<std::string> constant_echo;
  std::unordered_map<std::string, std::string> first;
  std::unordered_map<std::string, std::size_t> seen;
  std::set<std::string> varies;
  std::size_t ok_rows = 0;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    if (t.records[i].state != RunState::Ok) continue;
    ++ok_rows;
    for (const auto& [k, v] : t.rows[i]) {
      if (!config_echo(k)) continue;
      ++seen[k];
      const auto [it, fresh] = first.emplace(k, v);
      if (!fresh && it->second != v) varies.insert(k);
    }
  }
  for (const auto& [k, n] : seen)
    if (!varies.count(k) && n == ok_rows) constant_echo.insert(k);
  return constant_echo;
}

// runs.csv: a row per planned run, every metric but the constant echoes.
std::string runs_csv(const Plan& plan, const Tidy& t, const std::set<std::string>& constant_echo) {
  std::vector<std::string> run_cols;
  for (const auto& c : t.metrics)
    if (!constant_echo.count(c)) run_cols.push_back(c);
  std::string out = "run,point,replication,seed";
  for (const auto& p : plan.parameters) out += "," + csv_field(p);
  out += ",status,exit_code,error";
  for (const auto& c : run_cols) out += "," + csv_field(c);
  out += "\n";
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& run = plan.runs[i];
    const RunRecord& rec = t.records[i];
    out += fmt::format("{},{},{},{}", run.run, run.point, run.replication, run.seed);
    for (const auto& p : plan.parameters) out += "," + csv_field(param_text(plan.points[run.point].at(p)));
    out += fmt::format(",{},{},{}", state_name(rec.state),
                       rec.state == RunState::Missing ? std::string() : std::to_string(rec.exit_code), csv_field(rec.error));
    std::unordered_map<std::string, const std::string*> have;
    for (const auto& [k, v] : t.rows[i]) have[k] = &v;
    for (const auto& c : run_cols) {
      out += ",";
      if (auto it = have.find(c); it != have.end()) out += *it->second;
    }
    out += "\n";
  }
  return out;
}

// summary.csv: an echo that varies is one column (it is the same in every
// replication); a measurement is .mean, and .ci95 where it says something
// (a .ci95 that is empty or 0 at every point is left out).
std::string summary_csv(const Plan& plan, const Tidy& t, const std::set<std::string>& constant_echo) {
  enum class Col { Echo, Mean, MeanCi };
  std::vector<std::pair<std::size_t, Col>> sum_cols;
  for (std::size_t c = 0; c < t.numeric.size(); ++c) {
    const std::string& name = t.numeric[c];
    if (constant_echo.count(name)) continue;
    if (config_echo(name)) {
      sum_cols.emplace_back(c, Col::Echo);
      continue;
    }
    bool ci = false;
    for (std::size_t p = 0; p < plan.points.size() && !ci; ++p) ci = t.stats[p][c].has_ci && t.stats[p][c].ci95 != 0;
    sum_cols.emplace_back(c, ci ? Col::MeanCi : Col::Mean);
  }
  std::string sum = "point";
  for (const auto& p : plan.parameters) sum += "," + csv_field(p);
  sum += ",n,failed";
  for (const auto& [c, kind_of] : sum_cols) {
    const std::string& name = t.numeric[c];
    if (kind_of == Col::Echo) sum += "," + csv_field(name);
    else sum += "," + csv_field(name + ".mean") + (kind_of == Col::MeanCi ? "," + csv_field(name + ".ci95") : "");
  }
  sum += "\n";
  for (std::size_t p = 0; p < plan.points.size(); ++p) {
    sum += std::to_string(p);
    for (const auto& k : plan.parameters) sum += "," + csv_field(param_text(plan.points[p].at(k)));
    sum += fmt::format(",{},{}", t.point_n[p], t.point_failed[p]);
    for (const auto& [c, kind_of] : sum_cols) {
      const MeanCi& mc = t.stats[p][c];
      sum += "," + (mc.n ? shortest(mc.mean) : std::string());
      if (kind_of == Col::MeanCi) sum += "," + (mc.has_ci ? shortest(mc.ci95) : std::string());
    }
    sum += "\n";
  }
  return sum;
}

}  // namespace

Merged merge(const fs::path& dir, const Plan& plan) {
  Merged m;
  Tidy t;
  read_runs(dir, plan, m, t);
  point_stats(plan, t);
  const std::set<std::string> constant_echo = constant_echoes(t);
  m.runs_csv = runs_csv(plan, t, constant_echo);
  m.summary_csv = summary_csv(plan, t, constant_echo);
  m.results_sqlite = results_sqlite(plan, t);
  return m;
}

}  // namespace sweep
