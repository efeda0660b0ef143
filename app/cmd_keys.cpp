// SPDX-License-Identifier: GPL-2.0-only
// `aiosim keys [aio|lockbench|explore|sweep] [--toml]`: every key a file of
// that kind accepts, with type, default, range or choices and description --
// for aio and lockbench straight from the schemas the loaders check against;
// with --toml, a default config, every key commented, that loads as it is.
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "errors.hpp"
#include "models/explore/scenario.hpp"
#include "models/lockbench/schema.hpp"
#include "models/workload/schema.hpp"
#include "sim/config.hpp"

namespace app {

namespace {

using sim::config::KeyDef;
using sim::config::Schema;
using sim::config::Type;

// One row of the listing.
struct Row {
  std::string key, type, def, range, doc;
};

std::string node_text(const toml::node& n) {
  std::ostringstream os;
  if (const auto* s = n.as_string()) return sim::config::toml_quote(s->get());
  n.visit([&](const auto& v) { os << toml::toml_formatter{v}; });
  return os.str();
}

std::string bound_text(double v, Type t) {
  std::string s = fmt::format("{}", v);
  return t == Type::Duration ? s + "ns" : s;
}

std::string range_text(const KeyDef& d) {
  if (!d.choices.empty()) {
    std::string out;
    for (const std::string& c : d.choices) out += (out.empty() ? "" : "|") + c;
    return out;
  }
  if (d.type == Type::CpuSet) return "list|count|N%|rest";
  const std::string what = d.type == Type::CpuList ? "each CPU " : "";
  if (d.min && d.max) return fmt::format("{}[{}, {}]", what, bound_text(*d.min, d.type), bound_text(*d.max, d.type));
  if (d.min) return fmt::format("{}>= {}", what, bound_text(*d.min, d.type));
  if (d.max) return fmt::format("{}<= {}", what, bound_text(*d.max, d.type));
  return "";
}

std::vector<Row> rows_of(const Schema& s) {
  std::vector<Row> rows;
  for (const KeyDef& d : s.keys()) {
    Row r;
    r.key = d.is_map ? d.path + ".<name>" : d.path;
    r.type = std::string(sim::config::type_name(d.type));
    r.def = d.default_value ? node_text(*d.default_value) : d.required ? "(required)" : "(unset)";
    r.range = range_text(d);
    r.doc = d.doc;
    rows.push_back(std::move(r));
  }
  return rows;
}

// The keys of a sweep spec (app/sweep/spec.cpp reads them by hand).
std::vector<Row> sweep_rows() {
  return {
      {"sweep.base", "string", "(required)", "", "the base config, relative to the spec"},
      {"sweep.replications", "int", "1", "[1, 100000]", "runs per grid point (--replications overrides)"},
      {"sweep.seed", "int", "1", ">= 0", "root of every run's derived seed"},
      {"sweep.common_seeds", "string list", "[]", "axis keys", "axes left out of the seed: their values see the same random numbers"},
      {"sweep.constraints", "string list", "[]", "", "expressions over axis values; a point for which one is false is dropped"},
      {"sweep.description", "string", "(unset)", "", "free text"},
      {"set.<key>", "any", "", "the base's keys", "a config key fixed for every run, laid out like a config (--set adds more)"},
      {"axes.<key>", "array|range", "", "the base's keys", "the values of one axis: an array, or {from, to, step|factor|num}"},
      {"zip.<key>", "array", "", "the base's keys", "[[zip]]: arrays of equal length varied in lockstep, one axis of the product"},
  };
}

// The keys of an explorer scenario (models/explore/scenario.cpp reads them by
// hand, but [kioctx] and [costs] through make_design()'s declarations).
std::vector<Row> explore_rows() {
  std::vector<Row> rows = {
      {"description", "string", "\"\"", "", "what the scenario shows"},
      {"machine.cpus", "int", "2", "[1, 16]", "CPUs of the explored machine"},
      {"invariants.kernel_races", "string", "\"stop\"", "stop|count", "gadgetfs' own io_cancel races: a violation, or counted"},
      {"explore.max_preemptions", "int", "-1", "[-1, 1000]", "preemption bound per schedule (-1: none; --max-preemptions overrides)"},
      {"explore.max_schedules", "int", "0", ">= 0", "stop after this many schedules (0: no limit)"},
      {"explore.max_steps", "int", "20000", "[10, 10000000]", "steps of one schedule before it counts as a livelock"},
      {"setup[].action", "string", "(required)", "io_submit|io_cancel|io_destroy|io_getevents|complete",
       "[[setup]]: actions run in order before the exploration, on CPU 0's task"},
      {"setup[].cpu", "int", "0", "[0, 63]", "the CPU of a set-up action"},
      {"setup[].iocbs", "string list", "", "usb|block|async", "io_submit: one request per entry (1 to 8)"},
      {"setup[].request", "int", "", ">= 0", "io_cancel, or complete of a block/async request: the request number"},
      {"setup[].device", "string", "", "usb|block|async", "complete: which device finishes"},
      {"setup[].min_nr", "int", "0", "", "io_getevents min_nr"},
      {"setup[].nr", "int", "8", "", "io_getevents nr"},
      {"context.<name>.cpu", "int", "(required)", "[0, 63]", "the context's CPU (one task context per CPU)"},
      {"context.<name>.kind", "string", "\"task\"", "task|irq", "a task, or a hard-IRQ handler (action = \"complete\")"},
      {"context.<name>.action", "string", "(required)", "io_submit|io_cancel|io_destroy|io_getevents|complete",
       "what the context does; its other keys are those of setup[]"},
  };
  const std::vector<Row> design = rows_of(models::explore::scenario_design_schema());
  rows.insert(rows.begin() + 2, design.begin(), design.end());
  return rows;
}

void print_rows(const std::vector<Row>& rows) {
  std::size_t wk = 3, wt = 4, wd = 7, wr = 5;
  for (const Row& r : rows) {
    wk = std::max(wk, r.key.size());
    wt = std::max(wt, r.type.size());
    wd = std::max(wd, r.def.size());
    wr = std::max(wr, r.range.size());
  }
  wd = std::min<std::size_t>(wd, 24);
  wr = std::min<std::size_t>(wr, 24);
  fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", "key", wk, "type", wt, "default", wd, "range", wr, "description");
  for (const Row& r : rows)
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", r.key, wk, r.type, wt, r.def, wd, r.range, wr, r.doc);
}

// A default config: each key with its default, after a comment with its
// description, type and range; keys without a default commented out.
std::string commented_toml(const Schema& s, const std::string& kind) {
  std::vector<std::pair<std::string, std::string>> sections{{"", ""}};  // name -> text
  auto section = [&](const std::string& name) -> std::string& {
    for (auto& [n, t] : sections)
      if (n == name) return t;
    return sections.emplace_back(name, "").second;
  };
  for (const KeyDef& d : s.keys()) {
    const std::size_t dot = d.path.rfind('.');
    std::string sec = dot == std::string::npos ? "" : d.path.substr(0, dot);
    std::string leaf = dot == std::string::npos ? d.path : d.path.substr(dot + 1);
    std::string text = "# " + d.doc + "\n";
    const std::string range = range_text(d);
    text += "# " + std::string(sim::config::type_name(d.type)) + (range.empty() ? "" : ", " + range) + "\n";
    if (d.is_map) {
      // An open table: an example entry, commented out.
      sec = d.path;
      section(sec) += text + "# <name> = ...\n\n";
      continue;
    }
    if (d.default_value)
      text += leaf + " = " + node_text(*d.default_value) + "\n\n";
    else
      text += "# " + leaf + " =" + (d.required ? "   (required)" : "   (unset)") + "\n\n";
    section(sec) += text;
  }
  std::string out = "# aiosim " + kind + " config: every key at its default (aiosim keys " + kind + " --toml).\n\n";
  for (const auto& [name, text] : sections) {
    if (text.empty()) continue;
    if (!name.empty()) out += "[" + name + "]\n";
    out += text;
  }
  return out;
}

}  // namespace

int cmd_keys(const KeysArgs& a) {
  const std::string& kind = a.kind;
  const Schema* schema = kind == "aio" ? &models::run_schema() : kind == "lockbench" ? &models::lockbench::schema() : nullptr;
  if (a.toml) {
    if (!schema) throw InputError(fmt::format("keys {}: --toml is for aio and lockbench configs (a {} file has no default)", kind,
                                              kind == "sweep" ? "sweep spec" : "scenario"));
    fmt::print("{}", commented_toml(*schema, kind));
    return kExitOk;
  }
  print_rows(schema ? rows_of(*schema) : kind == "sweep" ? sweep_rows() : explore_rows());
  return kExitOk;
}

}  // namespace app
