// SPDX-License-Identifier: GPL-2.0-only
// `aiosim compare SPEC`: the same base config under each value of one key,
// at several points, side by side. Each run is its own process (SimGrid
// allows one simulation per process).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "app/commands.hpp"
#include "app/scenario.hpp"
#include "sim/atomic_file.hpp"

namespace fs = std::filesystem;

namespace app {

namespace {

struct Point {
  std::string label;
  std::vector<std::string> sets;
};

constexpr std::size_t kMaxValues = 64, kMaxPoints = 64;

struct Spec {
  fs::path base;
  std::string vary;
  std::vector<std::string> values;
  std::vector<Point> points;
};

[[noreturn]] void spec_error(const std::string& file, const toml::node* n, const std::string& key, const std::string& msg) {
  throw sim::config::ConfigError(file, n ? static_cast<int>(n->source().begin.line) : 0, key, msg);
}

Spec load_spec(const std::string& file) {
  const toml::table t = sim::config::parse_toml_file(file);
  Spec s;
  const toml::table* c = t["compare"].as_table();
  if (!c) spec_error(file, nullptr, "compare", "missing [compare] table");
  for (const auto& [k, v] : t)
    if (k != "compare") spec_error(file, &v, std::string(k.str()), "unknown key (known: compare)");
  for (const auto& [k, v] : *c)
    if (k != "base" && k != "vary" && k != "values" && k != "point")
      spec_error(file, &v, "compare." + std::string(k.str()), "unknown key (known: base, vary, values, point)");
  auto base = c->get_as<std::string>("base");
  if (!base) spec_error(file, c->get("base"), "compare.base", "expected a config file name (string)");
  s.base = fs::path(file).parent_path() / base->get();
  auto vary = c->get_as<std::string>("vary");
  if (!vary) spec_error(file, c->get("vary"), "compare.vary", "expected a config key (string)");
  s.vary = vary->get();
  const toml::array* values = c->get_as<toml::array>("values");
  if (!values || values->empty()) spec_error(file, c->get("values"), "compare.values", "expected a non-empty array of strings");
  if (values->size() > kMaxValues) spec_error(file, values, "compare.values", fmt::format("at most {} values", kMaxValues));
  for (const auto& v : *values) {
    if (!v.is_string()) spec_error(file, &v, "compare.values", "expected strings");
    s.values.push_back(*v.value<std::string>());
  }
  const toml::array* points = c->get_as<toml::array>("point");
  if (!points || points->empty()) spec_error(file, c->get("point"), "compare.point", "expected [[compare.point]] tables");
  if (points->size() > kMaxPoints) spec_error(file, points, "compare.point", fmt::format("at most {} points", kMaxPoints));
  for (const auto& pn : *points) {
    const toml::table* p = pn.as_table();
    if (!p) spec_error(file, &pn, "compare.point", "expected a table");
    Point pt;
    for (const auto& [k, v] : *p)
      if (k != "label" && k != "set") spec_error(file, &v, "compare.point." + std::string(k.str()), "unknown key (known: label, set)");
    auto label = p->get_as<std::string>("label");
    if (!label) spec_error(file, p->get("label"), "compare.point.label", "expected a string");
    pt.label = label->get();
    if (const toml::node* set = p->get("set")) {
      const toml::array* sets = set->as_array();
      if (!sets) spec_error(file, set, "compare.point.set", "expected an array of \"key=value\" strings");
      for (const auto& v : *sets) {
        if (!v.is_string()) spec_error(file, &v, "compare.point.set", "expected \"key=value\" strings");
        pt.sets.push_back(*v.value<std::string>());
      }
    }
    s.points.push_back(std::move(pt));
  }
  return s;
}

struct Job {
  std::size_t point, value;
  fs::path out;
  std::vector<std::string> argv;
};

pid_t spawn(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
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


// Every run's config is checked before --out is created or anything runs.
void check_runs(const Spec& spec) {
  for (const Point& pt : spec.points)
    for (const std::string& value : spec.values) {
      std::vector<std::string> sets = pt.sets;
      sets.push_back(spec.vary + "=" + value);
      check_config(sim::config::Config::load(schema_for(spec.base.string(), sets), spec.base, sets));
    }
}

}  // namespace

std::size_t check_compare_spec(const std::string& file) {
  const Spec spec = load_spec(file);
  check_runs(spec);
  return spec.points.size() * spec.values.size();
}

int cmd_compare(const CompareArgs& a, const std::string& self) {
  const Spec spec = load_spec(a.spec);
  check_runs(spec);
  fs::path out = a.out;
  bool temp = false;
  if (out.empty()) {
    char tmpl[] = "/tmp/aiosim-compare-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("cannot create a temporary directory");
    out = tmpl;
    temp = true;
  }
  sim::OutputDir::ensure(out);
  std::vector<Job> jobs;
  for (std::size_t p = 0; p < spec.points.size(); ++p)
    for (std::size_t v = 0; v < spec.values.size(); ++v) {
      // Directory names from indices only: values are user text ("/../x").
      Job j{p, v, out / fmt::format("point{}-value{}", p, v), {}};
      j.argv = {self, "run", spec.base.string(), "--quiet", "--out", j.out.string()};
      for (const auto& s : spec.points[p].sets) j.argv.insert(j.argv.end(), {"--set", s});
      j.argv.insert(j.argv.end(), {"--set", spec.vary + "=" + spec.values[v]});
      jobs.push_back(std::move(j));
    }

  // Run them, at most a.jobs at a time.
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0, done = 0;
  int worst = kExitOk;
  while (done < jobs.size()) {
    while (next < jobs.size() && static_cast<int>(running.size()) < a.jobs) {
      running[spawn(jobs[next].argv)] = next;
      ++next;
    }
    int status = 0;
    pid_t pid = wait(&status);
    if (pid < 0) break;
    std::size_t i = running[pid];
    running.erase(pid);
    ++done;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : kExitIo;
    fmt::print(stderr, "[{}/{}] {} / {}={}: {}\n", done, jobs.size(), spec.points[jobs[i].point].label, spec.vary,
               spec.values[jobs[i].value], code == 0 ? "ok" : fmt::format("failed (exit {})", code));
    if (code != 0 && worst == kExitOk) worst = code;
  }

  std::string table = fmt::format("{:<10} {:<14} {:>14} {:>15} {:>16} {:>18} {:>11} {:>6}\n", "point", spec.vary.substr(spec.vary.find('.') + 1),
                                  "completions/s", "ctx_lock/compl", "ctx_lock p99 ns", "compl_lock p99 ns", "spinning %", "lost");
  // The console abbreviates; comparison.csv's columns are result.json's dotted names, in its units (docs/results.md).
  std::string csv = "point," + csv_field(spec.vary) +
                    ",throughput.completed_per_s,per_completion.ctx_lock_acquisitions,locks.ctx_lock.wait_ns.p99,"
                    "locks.completion_lock.wait_ns.p99,cpu_share.spinning,correctness.lost,correctness.kernel_races.total\n";
  for (const Job& j : jobs) {
    std::ifstream in(j.out / "result.json");
    const std::string& label = spec.points[j.point].label;
    const std::string& value = spec.values[j.value];
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
  fmt::print("{}", table);
  if (!temp) sim::write_file_atomically(out / "comparison.csv", csv);
  else fs::remove_all(out);
  return worst;
}

}  // namespace app
