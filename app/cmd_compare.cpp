// SPDX-License-Identifier: GPL-2.0-only
// `aiosim compare SPEC`: the same base config under each value of one key,
// at several points, side by side. A thin front for a sweep: the spec is
// read by the shared config reader (its keys are a schema, `aiosim keys
// compare`), each (point, value) becomes one point of a sweep plan whose runs
// keep the base config's seed -- exactly `aiosim run BASE --set ...` -- and
// the plan runs in aiosim sweep's process pool into a sweep directory
// (sweep.json, runs/NNNNNN/, runs.csv, summary.csv, results.sqlite). Compare
// adds its console table and DIR/comparison.csv.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/cmd_sweep.hpp"
#include "app/commands.hpp"
#include "app/scenario.hpp"
#include "sim/atomic_file.hpp"
#include "sim/config.hpp"
#include "app/sweep/spec.hpp"

namespace fs = std::filesystem;

namespace app {

namespace {

using sim::config::Config;
using sim::config::Schema;
using sim::config::Type;

constexpr std::size_t kMaxValues = 64, kMaxPoints = 64;

struct Point {
  std::string label;
  std::vector<std::string> sets;
  std::vector<int> set_lines;  // where the spec gives each of sets
};

struct Spec {
  std::string file;
  fs::path base;
  std::string vary;
  std::vector<std::string> values;
  std::vector<Point> points;
  int vary_line = 0;
  std::vector<int> value_lines;  // where the spec gives each of values
};

Spec load_spec(const std::string& file) {
  require_kind(file, FileKind::Compare);
  const Config cfg = Config::load(compare_schema(), file);
  Spec s;
  s.file = file;
  s.base = fs::path(file).parent_path() / cfg.get_string("compare.base");
  if (std::error_code ec; !fs::is_regular_file(s.base, ec))
    throw cfg.error_at("compare.base", fmt::format("{}: {}", s.base.string(),
                                                   fs::exists(s.base, ec) ? "not a regular file" : "no such file"));
  s.vary = cfg.get_string("compare.vary");
  s.values = cfg.get_string_list("compare.values");
  if (s.values.empty()) throw cfg.error_at("compare.values", "expected a non-empty array of strings");
  if (s.values.size() > kMaxValues) throw cfg.error_at("compare.values", fmt::format("at most {} values", kMaxValues));
  const auto& points = cfg.get_table_array("compare.point");
  if (points.empty()) throw cfg.error_at("compare.point", "expected [[compare.point]] tables");
  if (points.size() > kMaxPoints) throw cfg.error_at("compare.point", fmt::format("at most {} points", kMaxPoints));
  for (const Config& p : points) {
    Point pt{p.get_string("label"), p.get_string_list("set"), {}};
    for (std::size_t i = 0; i < pt.sets.size(); ++i) pt.set_lines.push_back(p.line_of("set", i));
    s.points.push_back(std::move(pt));
  }
  s.vary_line = cfg.line_of("compare.vary");
  for (std::size_t i = 0; i < s.values.size(); ++i) s.value_lines.push_back(cfg.line_of("compare.values", i));
  return s;
}

// Point-major, as the table reads: run = point * values + value. Every run's
// config is checked here, before --out is created or anything runs.
sweep::Plan plan_of(const Spec& spec) {
  std::vector<sweep::ExplicitPoint> points;
  for (const Point& pt : spec.points)
    for (const std::string& value : spec.values) {
      sweep::ExplicitPoint e;
      e.parameters = {{"label", pt.label}, {spec.vary, value}};
      e.sets = pt.sets;
      e.set_lines = pt.set_lines;
      e.sets.push_back(spec.vary + "=" + value);
      e.set_lines.push_back(spec.value_lines[&value - spec.values.data()]);
      e.spec_file = spec.file;
      e.label = pt.label;
      points.push_back(std::move(e));
    }
  return sweep::make_explicit_plan(spec.base, {"label", spec.vary}, points, schema_for, check_config);
}

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

double get(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* p = &j;
  for (const char* k : path) {
    if (!p->contains(k)) return 0.0;
    p = &(*p)[k];
  }
  return p->is_number() ? p->get<double>() : 0.0;
}

// The console table and comparison.csv, from each run's result.json.
std::pair<std::string, std::string> tables(const Spec& spec, const sweep::Plan& plan, const fs::path& dir) {
  std::string table = fmt::format("{:<10} {:<14} {:>14} {:>15} {:>16} {:>18} {:>11} {:>6}\n", "point", spec.vary.substr(spec.vary.find('.') + 1),
                                  "completions/s", "ctx_lock/compl", "ctx_lock p99 ns", "compl_lock p99 ns", "spinning %", "lost");
  // The console abbreviates; comparison.csv's columns are result.json's dotted names, in its units (docs/results.md).
  std::string csv = "point," + csv_field(spec.vary) +
                    ",throughput.completed_per_s,per_completion.ctx_lock_acquisitions,locks.ctx_lock.wait_ns.p99,"
                    "locks.completion_lock.wait_ns.p99,cpu_share.spinning,correctness.lost,correctness.kernel_races.total\n";
  for (const sweep::PlannedRun& run : plan.runs) {
    const std::string& label = spec.points[run.point / spec.values.size()].label;
    const std::string& value = spec.values[run.point % spec.values.size()];
    std::ifstream in(dir / run.dir / "result.json");
    if (!in) {
      table += fmt::format("{:<10} {:<14} {:>14}\n", label, value, "(failed)");
      continue;
    }
    const nlohmann::json r = nlohmann::json::parse(in, nullptr, false);
    if (r.is_discarded() || !r.is_object()) {
      table += fmt::format("{:<10} {:<14} {:>14}\n", label, value, "(unreadable)");
      continue;
    }
    // A lockbench base has no design section: no split completion lock.
    const bool split = r.contains("design") && r["design"].is_object() && r["design"].value("completion_lock", false);
    double cps = get(r, {"throughput", "completed_per_s"});
    double per = get(r, {"per_completion", "ctx_lock_acquisitions"});
    double p99 = get(r, {"locks", "ctx_lock", "wait_ns", "p99"});
    double cp99 = get(r, {"locks", "completion_lock", "wait_ns", "p99"});
    double spin = 100.0 * get(r, {"cpu_share", "spinning"});
    double lost = get(r, {"correctness", "lost"});
    double races = get(r, {"correctness", "kernel_races", "total"});
    table += fmt::format("{:<10} {:<14} {:>14.0f} {:>15.3f} {:>16.0f} {:>18} {:>11.2f} {:>6.0f}\n", label, value, cps, per, p99,
                         split ? fmt::format("{:.0f}", cp99) : std::string("-"), spin, lost);
    csv += fmt::format("{},{},{:.1f},{:.4f},{:.1f},{},{:.5f},{:.0f},{:.0f}\n", csv_field(label), csv_field(value), cps, per, p99,
                       split ? fmt::format("{:.1f}", cp99) : std::string(""), spin / 100.0, lost, races);
  }
  return {table, csv};
}

}  // namespace

const Schema& compare_schema() {
  static const Schema schema = [] {
    Schema point;
    point.add_required("label", Type::String, "the point's name in the table and in comparison.csv");
    point.add("set", Type::StringList, toml::array{}, "\"key=value\" overrides of the base config at this point");
    Schema s;
    s.add_required("compare.base", Type::String, "the base config, relative to the spec");
    s.add_required("compare.vary", Type::String, "the config key whose values are compared");
    s.add_required("compare.values", Type::StringList, "its values, side by side at every point (1 to 64)");
    s.add_table_array("compare.point", std::move(point), "[[compare.point]]: the points (1 to 64), each a label and overrides");
    return s;
  }();
  return schema;
}

std::size_t check_compare_spec(const std::string& file) { return plan_of(load_spec(file)).runs.size(); }

int cmd_compare(const CompareArgs& a, const std::string& self) {
  const Spec spec = load_spec(a.spec);
  const sweep::Plan plan = plan_of(spec);
  PlanRunOptions o;
  o.out = a.out;
  o.jobs = a.jobs;
  // Without --out: a temporary sweep directory, the table alone.
  const bool temp = a.out.empty();
  if (temp) {
    char tmpl[] = "/tmp/aiosim-compare-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("cannot create a temporary directory");
    o.out = tmpl;
    o.quiet = true;
  }
  const int code = run_plan(spec.file, spec.base, plan, o, self);
  if (code == kExitOk || code == kExitViolation) {  // every run ran (some may have failed)
    const auto [table, csv] = tables(spec, plan, o.out);
    fmt::print("{}", table);
    if (!temp) sim::write_file_atomically(o.out / "comparison.csv", csv);
  }
  if (temp) fs::remove_all(o.out);
  return code;
}

}  // namespace app
