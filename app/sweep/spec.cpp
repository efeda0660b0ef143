// SPDX-License-Identifier: GPL-2.0-only
#include "app/sweep/spec.hpp"

#include <optional>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "sim/rng.hpp"

namespace sweep {

namespace fs = std::filesystem;
using sim::config::ConfigError;
using json = nlohmann::ordered_json;

namespace {

constexpr std::size_t kMaxAxisValues = 100000;
constexpr std::size_t kMaxRuns = 1000000;

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

std::string shortest(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

// 12 significant digits: 0.1 + 2 * 0.1 is 0.3 in a range, not 0.30000000000000004.
double round12(double v) { return std::stod(fmt::format("{:.12g}", v)); }

using Leaf = sim::config::TreeLeaf;

struct Reader {
  std::string file;

  [[noreturn]] void fail(int line, const std::string& key, const std::string& msg) const { throw ConfigError(file, line, key, msg); }

  // TOML text, JSON, display text and expression value of a scalar or array node.
  AxisValue value(const toml::node& n, const std::string& key) const {
    AxisValue v;
    v.line = line_of(n);
    v.toml = toml_text(n, key);
    v.json = json_of(n);
    if (const auto* s = n.as_string()) {
      v.text = s->get();
      v.expr = s->get();
    } else {
      v.text = v.toml;
      if (const auto* i = n.as_integer()) v.expr = static_cast<double>(i->get());
      else if (const auto* f = n.as_floating_point()) v.expr = f->get();
      else if (const auto* b = n.as_boolean()) v.expr = b->get();
    }
    return v;
  }

  std::string toml_text(const toml::node& n, const std::string& key) const {
    if (const auto* s = n.as_string()) return sim::config::toml_quote(s->get());
    if (const auto* i = n.as_integer()) return std::to_string(i->get());
    if (const auto* f = n.as_floating_point()) {
      if (!std::isfinite(f->get())) fail(line_of(n), key, "expected a finite number");
      std::string s = shortest(f->get());
      if (s.find_first_of(".eE") == std::string::npos) s += ".0";
      return s;
    }
    if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
    if (const auto* a = n.as_array()) {
      std::string s = "[";
      for (std::size_t i = 0; i < a->size(); ++i) s += (i ? ", " : "") + toml_text(*a->get(i), key);
      return s + "]";
    }
    fail(line_of(n), key, "unsupported value (use a number, string, boolean or array)");
  }

  static json json_of(const toml::node& n) {
    if (const auto* s = n.as_string()) return s->get();
    if (const auto* i = n.as_integer()) return i->get();
    if (const auto* f = n.as_floating_point()) return f->get();
    if (const auto* b = n.as_boolean()) return b->get();
    json a = json::array();
    if (const auto* arr = n.as_array())
      for (const auto& e : *arr) a.push_back(json_of(e));
    return a;
  }

  // An axis' values: an array, or a range table {from, to, step|factor|num}.
  std::vector<AxisValue> axis_values(const Leaf& leaf) const {
    std::vector<AxisValue> out;
    if (const auto* a = leaf.node->as_array()) {
      if (a->empty()) fail(leaf.line, leaf.path, "an axis needs at least one value");
      for (const auto& e : *a) out.push_back(value(e, leaf.path));
    } else if (const auto* t = leaf.node->as_table()) {
      out = range(*t, leaf);
    } else {
      fail(leaf.line, leaf.path, "expected an array of values or a range {from, to, step|factor|num}");
    }
    return out;
  }

  // The same point twice would run the same configs with the same seeds.
  void check_distinct(const Axis& a) const {
    std::set<std::string> seen;
    for (const auto& pos : a.values) {
      std::string t;
      for (const AxisValue& v : pos) t += (t.empty() ? "" : ", ") + v.toml;
      if (!seen.insert(t).second)
        fail(pos.front().line, a.keys.front(), a.keys.size() == 1 ? "value " + t + " appears twice" : "values (" + t + ") appear twice");
    }
  }

  std::vector<AxisValue> range(const toml::table& t, const Leaf& leaf) const {
    const std::string& key = leaf.path;
    for (auto&& [k, v] : t)
      if (k != "from" && k != "to" && k != "step" && k != "factor" && k != "num")
        fail(line_of(v), key + "." + std::string(k.str()), "unknown range key (known: from, to, step, factor, num)");
    auto number = [&](const char* name, bool required) -> std::optional<double> {
      const toml::node* n = t.get(name);
      if (!n) {
        if (required) fail(leaf.line, key, std::string("a range needs \"") + name + "\"");
        return std::nullopt;
      }
      if (const auto* i = n->as_integer()) return static_cast<double>(i->get());
      if (const auto* f = n->as_floating_point(); f && std::isfinite(f->get())) return f->get();
      fail(line_of(*n), key + "." + name, "expected a number");
    };
    auto is_int = [&](const char* name) { const toml::node* n = t.get(name); return !n || n->is_integer(); };
    const double from = *number("from", true), to = *number("to", true);
    const auto step = number("step", false), factor = number("factor", false), num = number("num", false);
    if (int(step.has_value()) + int(factor.has_value()) + int(num.has_value()) != 1)
      fail(leaf.line, key, "a range needs exactly one of step, factor, num");
    std::vector<double> vals;
    bool ints = is_int("from") && is_int("to");
    auto too_many = [&] { fail(leaf.line, key, fmt::format("a range of more than {} values", kMaxAxisValues)); };
    if (step) {
      ints = ints && is_int("step");
      if (*step == 0 || (to - from) * *step < 0) fail(leaf.line, key, "the step must be nonzero and go from \"from\" towards \"to\"");
      const double count = std::floor((to - from) / *step + 1e-9) + 1;
      if (count > kMaxAxisValues) too_many();
      for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) vals.push_back(from + static_cast<double>(i) * *step);
    } else if (factor) {
      ints = ints && is_int("factor");
      if (from <= 0 || to <= 0 || *factor <= 0 || *factor == 1 || (*factor > 1) != (to >= from))
        fail(leaf.line, key, "a geometric range needs from, to > 0 and a factor > 0, not 1, going from \"from\" towards \"to\"");
      double v = from;
      for (std::size_t i = 0; *factor > 1 ? v <= to * (1 + 1e-9) : v >= to * (1 - 1e-9); ++i) {
        if (i >= kMaxAxisValues) too_many();
        vals.push_back(v);
        v = ints ? v * *factor : from * std::pow(*factor, static_cast<double>(i + 1));
      }
    } else {
      if (!is_int("num") || *num < 1) fail(line_of(*t.get("num")), key + ".num", "expected an integer >= 1");
      if (*num > kMaxAxisValues) too_many();
      const auto n = static_cast<std::size_t>(*num);
      for (std::size_t i = 0; i < n; ++i) vals.push_back(n == 1 ? from : from + (to - from) * static_cast<double>(i) / static_cast<double>(n - 1));
      for (double v : vals) ints = ints && v == std::floor(v);
    }
    std::vector<AxisValue> out;
    for (double v : vals) {
      AxisValue a;
      a.line = leaf.line;
      if (ints) {
        const auto i = static_cast<std::int64_t>(std::llround(v));
        a.json = i;
        a.toml = a.text = std::to_string(i);
        a.expr = static_cast<double>(i);
      } else {
        const double r = round12(v);
        a.json = r;
        a.toml = shortest(r);
        if (a.toml.find_first_of(".eE") == std::string::npos) a.toml += ".0";
        a.text = a.toml;
        a.expr = r;
      }
      out.push_back(std::move(a));
    }
    return out;
  }
};

std::string set_key(const std::string& s) {
  const auto eq = s.find('=');
  std::string k = s.substr(0, eq);
  while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.pop_back();
  while (!k.empty() && (k.front() == ' ' || k.front() == '\t')) k.erase(k.begin());
  return k;
}

}  // namespace

std::string fnv1a64_hex(const std::string& s) { return fmt::format("{:016x}", sim::detail::fnv1a64(s)); }

std::vector<std::string> Spec::parameters() const {
  std::vector<std::string> out;
  for (const Axis& a : axes) out.insert(out.end(), a.keys.begin(), a.keys.end());
  return out;
}

namespace {

// [set]: fixed overrides.
void read_fixed(const Reader& rd, const std::vector<Leaf>& set, Spec& s) {
  for (const Leaf& l : set) {
    if (l.path == "seed") rd.fail(l.line, "seed", "each run's seed is derived from sweep.seed: set that instead");
    s.fixed.emplace_back(l.path, rd.toml_text(*l.node, l.path));
    s.fixed_lines[l.path] = l.line;
  }
}

// The keys the axes vary: each once, never the seed, never one [set] fixes.
struct AxisKeys {
  const Reader& rd;
  const Spec& s;
  std::set<std::string> keys;

  void add(const std::string& key, int line) {
    if (key == "seed") rd.fail(line, key, "each run's seed is derived from sweep.seed and sweep.replications; it cannot be an axis");
    if (!keys.insert(key).second) rd.fail(line, key, "is already an axis");
    if (const auto it = s.fixed_lines.find(key); it != s.fixed_lines.end())
      rd.fail(line, key, fmt::format("is also fixed in [set] (line {})", it->second));
  }
};

// [axes]: one axis per key.
void read_axes(Reader& rd, const std::vector<Leaf>& axes, AxisKeys& keys, Spec& s) {
  for (const Leaf& l : axes) {
    keys.add(l.path, l.line);
    Axis a;
    a.keys = {l.path};
    a.line = l.line;
    for (AxisValue& v : rd.axis_values(l)) a.values.push_back({std::move(v)});
    rd.check_distinct(a);
    s.axes.push_back(std::move(a));
  }
}

// [[zip]]: each group one axis whose keys take their values together.
void read_zips(Reader& rd, const std::vector<sim::config::Config>& groups, AxisKeys& keys, Spec& s) {
  for (const sim::config::Config& g : groups) {
    Axis a;
    a.zipped = true;
    a.line = g.line();
    std::vector<std::vector<AxisValue>> cols;
    for (const Leaf& l : g.get_tree("")) {
      keys.add(l.path, l.line);
      cols.push_back(rd.axis_values(l));
      a.keys.push_back(l.path);
      if (a.line == 0 || (cols.size() == 1)) a.line = l.line;
      if (cols.size() > 1 && cols.back().size() != cols.front().size())
        rd.fail(l.line, l.path,
                fmt::format("zipped keys need as many values each: {} has {}, {} has {}", a.keys.front(), cols.front().size(),
                            l.path, cols.back().size()));
    }
    if (cols.empty()) rd.fail(g.line(), "zip", "an empty [[zip]] group");
    for (std::size_t i = 0; i < cols.front().size(); ++i) {
      std::vector<AxisValue> pos;
      for (auto& c : cols) pos.push_back(c[i]);
      a.values.push_back(std::move(pos));
    }
    rd.check_distinct(a);
    s.axes.push_back(std::move(a));
  }
}

// --set from the command line: after [set], and never on an axis.
void apply_cli_sets(const std::vector<std::string>& cli_sets, const std::set<std::string>& axis_keys, Spec& s) {
  for (const std::string& cs : cli_sets) {
    const std::string key = set_key(cs);
    if (cs.find('=') == std::string::npos) throw ConfigError("--set", 0, key, "expected key=value, got \"" + cs + "\"");
    if (axis_keys.count(key)) throw ConfigError("--set", 0, key, "is an axis of the sweep; edit the spec's [axes] instead");
    if (key == "seed") throw ConfigError("--set", 0, key, "each run's seed is derived from sweep.seed");
    s.fixed.emplace_back(key, cs.substr(cs.find('=') + 1));
    s.fixed_lines[key] = 0;
  }
}

// sweep.common_seeds and sweep.constraints, which name axes.
void read_axis_references(const sim::config::Config& cfg, const std::set<std::string>& axis_keys, Spec& s) {
  std::set<std::string, std::less<>> names(axis_keys.begin(), axis_keys.end());
  for (const std::string& k : cfg.get_string_list("sweep.common_seeds")) {
    if (!names.count(k))
      throw cfg.error_at("sweep.common_seeds", fmt::format("expected axis keys (strings naming an axis), got \"{}\"", k));
    s.common_seeds.push_back(k);
  }
  const std::vector<std::string> constraints = cfg.get_string_list("sweep.constraints");
  for (std::size_t i = 0; i < constraints.size(); ++i) {
    const int line = cfg.line_of("sweep.constraints", i);
    try {
      s.constraints.push_back({Expr::parse(constraints[i], names), line, i});
    } catch (const ExprError& x) {
      // At the constraint's own line (a list of them may span lines); a spec takes no --set.
      throw ConfigError(cfg.source_file(), line, fmt::format("sweep.constraints[{}]", i),
                        fmt::format("{} at column {} of \"{}\"", x.message, x.column, constraints[i]));
    }
  }
}

}  // namespace

const sim::config::Schema& spec_schema() {
  using sim::config::Type;
  static const sim::config::Schema schema = [] {
    sim::config::Schema s;
    s.add_required("sweep.base", Type::String, "the base config, relative to the spec");
    s.add("sweep.replications", Type::Int, 1, "runs per grid point (--replications overrides)").range(1, 100000);
    s.add("sweep.seed", Type::Int, 1, "root of every run's derived seed").min(0);
    s.add("sweep.common_seeds", Type::StringList, toml::array{},
          "axis keys left out of the seed: their values see the same random numbers");
    s.add("sweep.constraints", Type::StringList, toml::array{},
          "expressions over axis values; a point for which one is false is dropped");
    s.add_optional("sweep.description", Type::String, "free text");
    s.add_tree("set", "config keys fixed for every run, laid out like a config (--set adds more)");
    s.add_tree("axes", "one axis per config key: an array of values, or a range {from, to, step|factor|num}",
               {"from", "to"});
    sim::config::Schema zip;
    zip.add_tree("", "config keys with arrays of equal length, varied in lockstep", {"from", "to"});
    s.add_table_array("zip", std::move(zip), "[[zip]]: keys varied in lockstep, one axis of the product");
    return s;
  }();
  return schema;
}

Spec load_spec(const std::string& file, const std::vector<std::string>& cli_sets, std::optional<int> replications) {
  Reader rd{file};
  const sim::config::Config cfg = sim::config::Config::load(spec_schema(), file);
  Spec s;
  s.file = file;
  s.base = fs::path(file).parent_path() / cfg.get_string("sweep.base");
  // Checked here so a missing base is blamed on the line that names it, not
  // on the first point that would load it.
  if (std::error_code ec; !fs::is_regular_file(s.base, ec))
    throw cfg.error_at("sweep.base", fmt::format("{}: {}", s.base.string(),
                                                 fs::exists(s.base, ec) ? "not a regular file" : "no such file"));
  s.replications = static_cast<int>(cfg.get_int("sweep.replications"));
  if (replications) {
    if (*replications < 1 || *replications > 100000) throw ConfigError("--replications", 0, "", "expected an integer in [1, 100000]");
    s.replications = *replications;
  }
  s.seed = static_cast<std::uint64_t>(cfg.get_int("sweep.seed"));
  read_fixed(rd, cfg.get_tree("set"), s);
  // Axes and zipped groups, in file order.
  AxisKeys keys{rd, s, {}};
  read_axes(rd, cfg.get_tree("axes"), keys, s);
  read_zips(rd, cfg.get_table_array("zip"), keys, s);
  std::stable_sort(s.axes.begin(), s.axes.end(), [](const Axis& a, const Axis& b) { return a.line < b.line; });
  apply_cli_sets(cli_sets, keys.keys, s);
  read_axis_references(cfg, keys.keys, s);
  return s;
}

std::uint64_t run_seed(std::uint64_t sweep_seed, const std::string& point_name, std::size_t replication) {
  return sim::Rng::derive_seed(sweep_seed, point_name, replication) & 0x7fffffffffffffffull;
}

namespace {

// One grid point: each axis key with its value there.
using PointValues = std::vector<std::pair<const std::string*, const AxisValue*>>;

// Grid point g of the axes, as an odometer: the last axis varies fastest.
PointValues point_values(const Spec& spec, std::size_t g) {
  std::vector<std::size_t> pos(spec.axes.size(), 0);
  std::size_t rest = g;
  for (std::size_t i = spec.axes.size(); i-- > 0;) {
    pos[i] = rest % spec.axes[i].values.size();
    rest /= spec.axes[i].values.size();
  }
  PointValues vals;
  for (std::size_t i = 0; i < spec.axes.size(); ++i)
    for (std::size_t k = 0; k < spec.axes[i].keys.size(); ++k) vals.emplace_back(&spec.axes[i].keys[k], &spec.axes[i].values[pos[i]][k]);
  return vals;
}

bool passes_constraints(const Spec& spec, const PointValues& vals) {
  for (const Constraint& c : spec.constraints) {
    const auto lookup = [&](const std::string& name) -> const ExprValue& {
      for (const auto& [k, v] : vals)
        if (*k == name) return v->expr;
      throw std::logic_error("sweep: constraint name not an axis");
    };
    try {
      if (!c.expr.test(lookup)) return false;
    } catch (const ExprError& x) {
      std::string where;
      for (const auto& [k, v] : vals) where += (where.empty() ? "" : ", ") + *k + "=" + v->text;
      throw ConfigError(spec.file, c.line, fmt::format("sweep.constraints[{}]", c.index),
                        fmt::format("{} at column {} of \"{}\" (at {})", x.message, x.column, c.expr.text(), where));
    }
  }
  return true;
}

// An error in a point's config, pointed at the spec where it can be.
ConfigError point_error(const Spec& spec, const PointValues& vals, const ConfigError& e) {
  if (e.file != "--set") {
    // A key of the base config that this point makes invalid: say which point, and where the spec gives it.
    std::string at;
    for (const auto& [k, v] : vals) at += (at.empty() ? "" : ", ") + *k + "=" + v->text;
    if (at.empty()) return e;
    return ConfigError(e.file, e.line, e.key,
                       e.message + fmt::format(" (at the sweep point {}: {}:{})", at, spec.file, vals.front().second->line));
  }
  // Point at the spec: the axis value, or the [set] entry.
  for (const auto& [k, v] : vals)
    if (*k == e.key || e.key.rfind(*k + ".", 0) == 0) return ConfigError(spec.file, v->line, e.key, e.message);
  if (auto it = spec.fixed_lines.find(e.key); it != spec.fixed_lines.end() && it->second > 0)
    return ConfigError(spec.file, it->second, e.key, e.message);
  return e;
}

// One config per point, checked once; replications differ only in the seed
// line. Adds the point's config and its first replication's seed line to plan.
void add_point_config(const Spec& spec, const SchemaFor& schema_for, const CheckConfig& check, const PointValues& vals,
                      std::vector<std::string> run_sets, const std::string& name, Plan& plan) {
  const std::uint64_t seed0 = run_seed(spec.seed, name, 0);
  run_sets.push_back(fmt::format("seed={}", seed0));
  std::string point_toml;
  try {
    const sim::config::Schema& schema = schema_for(spec.base.string(), run_sets);
    const sim::config::Config cfg = sim::config::Config::load(schema, spec.base, run_sets);
    if (check) check(cfg);
    // "\n" + config: the seed line is found at the start of any line.
    point_toml = "\n" + cfg.to_toml();
  } catch (const ConfigError& e) {
    throw point_error(spec, vals, e);
  }
  std::string point_seed_line = fmt::format("\nseed = {}\n", seed0);
  if (point_toml.find(point_seed_line) == std::string::npos)
    throw std::logic_error("sweep: a config's seed line is not where the plan expects it");
  plan.point_configs.push_back(std::move(point_toml));
  plan.point_seed_lines.push_back(std::move(point_seed_line));
}

}  // namespace

Plan make_plan(const Spec& spec, const SchemaFor& schema_for, const CheckConfig& check) {
  Plan plan;
  plan.parameters = spec.parameters();
  plan.replications = spec.replications;
  plan.seed = spec.seed;

  std::size_t total = 1;
  for (const Axis& a : spec.axes) {
    total *= a.values.size();
    if (total > kMaxRuns) throw ConfigError(spec.file, a.line, a.keys.front(), fmt::format("the sweep has more than {} grid points", kMaxRuns));
  }
  plan.grid_points = total;

  for (std::size_t g = 0; g < total; ++g) {
    const PointValues vals = point_values(spec, g);
    if (!passes_constraints(spec, vals)) {
      ++plan.dropped_points;
      continue;
    }

    const std::size_t point = plan.points.size();
    json params = json::object();
    std::string name;  // what the seeds derive from: the point's values, but those of sweep.common_seeds
    std::vector<std::string> sets;
    for (const auto& [k, v] : spec.fixed) sets.push_back(k + "=" + v);
    for (const auto& [k, v] : vals) {
      params[*k] = v->json;
      sets.push_back(*k + "=" + v->toml);
      if (std::find(spec.common_seeds.begin(), spec.common_seeds.end(), *k) == spec.common_seeds.end())
        name += *k + "=" + v->toml + "\n";
    }
    plan.points.push_back(params);

    if (plan.points.size() * static_cast<std::size_t>(spec.replications) > kMaxTotalRuns)
      throw ConfigError(spec.file, 0, "sweep.replications",
                        fmt::format("the sweep has more than {} runs (grid points after the constraints x replications)",
                                    kMaxTotalRuns));

    add_point_config(spec, schema_for, check, vals, sets, name, plan);
    for (int r = 0; r < spec.replications; ++r) {
      PlannedRun run;
      run.run = point * static_cast<std::size_t>(spec.replications) + static_cast<std::size_t>(r);
      run.point = point;
      run.replication = static_cast<std::size_t>(r);
      run.seed = run_seed(spec.seed, name, run.replication);
      run.dir = fmt::format("runs/{:06}", run.run);
      run.config_hash = fnv1a64_hex(plan.config_toml(run));
      plan.runs.push_back(std::move(run));
    }
  }
  return plan;
}

namespace {

// An error in an explicit point's config, pointed at the spec's line for
// the override that caused it, or (a base key this point makes invalid)
// naming the point and where the spec gives it.
ConfigError explicit_point_error(const ExplicitPoint& pt, const ConfigError& e) {
  if (pt.spec_file.empty()) return e;
  const int first_line = pt.set_lines.empty() ? 0 : pt.set_lines.front();
  if (e.file == "--set") {
    for (std::size_t i = 0; i < pt.sets.size() && i < pt.set_lines.size(); ++i) {
      const std::string k = set_key(pt.sets[i]);
      if ((k == e.key || e.key.rfind(k + ".", 0) == 0) && pt.set_lines[i] > 0)
        return ConfigError(pt.spec_file, pt.set_lines[i], e.key, e.message);
    }
    return ConfigError(pt.spec_file, first_line, e.key, e.message);
  }
  if (pt.label.empty()) return e;
  return ConfigError(e.file, e.line, e.key,
                     e.message + fmt::format(" (at the point \"{}\": {}:{})", pt.label, pt.spec_file, first_line));
}

}  // namespace

Plan make_explicit_plan(const fs::path& base, const std::vector<std::string>& parameters, const std::vector<ExplicitPoint>& points,
                        const SchemaFor& schema_for, const CheckConfig& check) {
  Plan plan;
  plan.parameters = parameters;
  plan.grid_points = points.size();
  if (points.size() > kMaxTotalRuns) throw std::logic_error("sweep: more explicit points than a sweep may have");
  for (const ExplicitPoint& pt : points) {
    std::optional<sim::config::Config> loaded;
    try {
      loaded.emplace(sim::config::Config::load(schema_for(base.string(), pt.sets), base, pt.sets));
      if (check) check(*loaded);
    } catch (const ConfigError& e) {
      throw explicit_point_error(pt, e);
    }
    const sim::config::Config& cfg = *loaded;
    PlannedRun run;
    run.run = run.point = plan.points.size();
    run.seed = static_cast<std::uint64_t>(cfg.get_int("seed"));
    run.dir = fmt::format("runs/{:06}", run.run);
    std::string seed_line = fmt::format("\nseed = {}\n", run.seed);
    plan.point_configs.push_back("\n" + cfg.to_toml());
    if (plan.point_configs.back().find(seed_line) == std::string::npos)
      throw std::logic_error("sweep: a config's seed line is not where the plan expects it");
    plan.point_seed_lines.push_back(std::move(seed_line));
    plan.points.push_back(pt.parameters);
    run.config_hash = fnv1a64_hex(plan.config_toml(run));
    plan.runs.push_back(std::move(run));
  }
  if (!plan.runs.empty()) plan.seed = plan.runs.front().seed;
  return plan;
}

std::string Plan::config_toml(const PlannedRun& run) const {
  if (run.point >= point_configs.size()) return "";
  std::string t = point_configs[run.point];
  const std::string& first = point_seed_lines[run.point];
  t.replace(t.find(first), first.size(), fmt::format("\nseed = {}\n", run.seed));
  return t.substr(1);
}

json Plan::to_json(const std::string& spec, const std::string& base) const {
  json j;
  j["format"] = "aiosim-sweep/1";
  j["spec"] = spec;
  j["base"] = base;
  j["replications"] = replications;
  j["seed"] = seed;
  j["parameters"] = parameters;
  j["grid_points"] = grid_points;
  j["dropped_points"] = dropped_points;
  json pts = json::array();
  for (std::size_t i = 0; i < points.size(); ++i) pts.push_back({{"point", i}, {"parameters", points[i]}});
  j["points"] = pts;
  json rs = json::array();
  for (const PlannedRun& r : runs)
    rs.push_back({{"run", r.run}, {"point", r.point}, {"replication", r.replication}, {"seed", r.seed}, {"dir", r.dir},
                  {"config_fnv1a64", r.config_hash}});
  j["runs"] = rs;
  return j;
}

Plan Plan::from_json(const json& j) {
  if (!j.is_object() || j.value("format", "") != "aiosim-sweep/1") throw std::invalid_argument("not an aiosim sweep.json (format aiosim-sweep/1)");
  Plan p;
  p.replications = j.at("replications").get<int>();
  p.seed = j.at("seed").get<std::uint64_t>();
  p.parameters = j.at("parameters").get<std::vector<std::string>>();
  p.grid_points = j.at("grid_points").get<std::size_t>();
  p.dropped_points = j.at("dropped_points").get<std::size_t>();
  for (const auto& pt : j.at("points")) p.points.push_back(pt.at("parameters"));
  for (const auto& r : j.at("runs")) {
    PlannedRun run;
    run.run = r.at("run").get<std::size_t>();
    run.point = r.at("point").get<std::size_t>();
    run.replication = r.at("replication").get<std::size_t>();
    run.seed = r.at("seed").get<std::uint64_t>();
    run.dir = r.at("dir").get<std::string>();
    run.config_hash = r.at("config_fnv1a64").get<std::string>();
    if (run.run != p.runs.size()) throw std::invalid_argument("sweep.json: runs out of order");
    // The directory comes from the index, never from the file's text (no "../" anywhere).
    if (run.dir != fmt::format("runs/{:06}", run.run)) throw std::invalid_argument("sweep.json: unexpected run directory");
    p.runs.push_back(std::move(run));
  }
  return p;
}

bool Plan::same_as(const json& stored) const {
  json a = to_json("", "");
  json b = stored;
  if (!b.is_object()) return false;
  for (auto* j : {&a, &b}) {
    j->erase("spec");
    j->erase("base");
  }
  return a == b;
}

std::string list_text(const Plan& plan) {
  std::string out = fmt::format("{:>6} {:>6} {:>4} {:>20}  {}\n", "run", "point", "rep", "seed", "parameters");
  for (const PlannedRun& r : plan.runs) {
    std::string params;
    for (const auto& [k, v] : plan.points[r.point].items())
      params += (params.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    out += fmt::format("{:>6} {:>6} {:>4} {:>20}  {}\n", r.run, r.point, r.replication, r.seed, params);
  }
  out += fmt::format("{} runs: {} grid points{}, {} replication{} each\n", plan.runs.size(), plan.points.size(),
                     plan.dropped_points ? fmt::format(" ({} of {} dropped by constraints)", plan.dropped_points, plan.grid_points) : "",
                     plan.replications, plan.replications == 1 ? "" : "s");
  return out;
}

}  // namespace sweep
