// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Sweep specs: a base config, fixed overrides, axes (lists, ranges, zipped
// groups), constraints and replications; and the plan they expand to -- the
// numbered runs, each with its parameters, seed and fully resolved config.
//
//   [sweep]
//   base = "../mixed.toml"            # relative to this file
//   replications = 3                  # runs per grid point (default 1)
//   seed = 1                          # root of every run's derived seed (default 1)
//   common_seeds = ["kioctx.design"]  # axes left out of the seed (common random numbers)
//   constraints = ["workload.queue_depth <= 4 * workload.batch"]
//
//   [set]                             # fixed overrides, laid out like a config
//   workload.kiocbs = 20000
//
//   [axes]                            # cartesian product, first axis varies slowest
//   kioctx.design = ["mm-parent", "lazy-cancel"]
//   workload.batch = { from = 1, to = 16, factor = 2 }     # or step = ..., or num = ...
//
//   [[zip]]                           # keys varied in lockstep: one axis of the product
//   machine.cores_per_socket = [2, 4]
//   workload.submitters = ["0-1", "0-2"]
//
// Every error is a sim::config::ConfigError "spec.toml:LINE: key: message".
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/config.hpp"
#include "app/sweep/expr.hpp"

namespace sweep {

// The schema that checks a config file (it may depend on the file: its
// `scenario` key). Given so that this layer knows no model.
using SchemaFor = std::function<const sim::config::Schema&(const std::string& file, const std::vector<std::string>& sets)>;

struct AxisValue {
  nlohmann::ordered_json json;  // typed value: number, string, boolean or array
  std::string toml;             // as TOML, for --set
  std::string text;             // for people and CSV: strings bare, the rest as TOML
  ExprValue expr;               // as constraints see it
  int line = 0;                 // where the spec gives it
};

// One dimension of the product: one key, or a zipped group of keys.
struct Axis {
  std::vector<std::string> keys;
  std::vector<std::vector<AxisValue>> values;  // values[position][key]
  int line = 0;
  bool zipped = false;
};

struct Constraint {
  Expr expr;
  int line = 0;
  std::size_t index = 0;  // in sweep.constraints
};

struct Spec {
  std::string file;
  std::filesystem::path base;
  int replications = 1;
  std::uint64_t seed = 1;
  std::vector<std::string> common_seeds;
  std::vector<std::pair<std::string, std::string>> fixed;  // key, TOML value text ([set], then --set)
  std::map<std::string, int> fixed_lines;                   // key -> spec line (0: --set)
  std::vector<Axis> axes;
  std::vector<Constraint> constraints;

  std::vector<std::string> parameters() const;  // every axis key, in axis order
};

// The keys of a spec ([sweep], [set], [axes], [[zip]]), read by the shared
// config reader; `aiosim keys sweep` prints them.
const sim::config::Schema& spec_schema();

// Reads and checks a spec. `cli_sets` ("key=value") override [set];
// `replications` overrides sweep.replications.
Spec load_spec(const std::string& file, const std::vector<std::string>& cli_sets = {},
               std::optional<int> replications = std::nullopt);

struct PlannedRun {
  std::size_t run = 0, point = 0, replication = 0;
  std::uint64_t seed = 0;
  std::string dir;          // relative to the sweep directory: runs/000042
  std::string config_hash;  // fnv1a64 of the run's config text (Plan::config_toml), hex
};

struct Plan {
  std::vector<std::string> parameters;
  std::vector<nlohmann::ordered_json> points;  // per point: {parameter: value}
  std::vector<PlannedRun> runs;                // run = point * replications + replication
  // Per point: its full config as TOML with the seed of replication 0, and
  // that seed's line. A run's text is made when it is needed (a sweep of
  // 10^5 runs holds 10^5 small records, not 10^5 configs). Empty in a plan
  // read back from sweep.json: workers read config.toml from the run directory.
  std::vector<std::string> point_configs, point_seed_lines;
  std::size_t grid_points = 0, dropped_points = 0;
  int replications = 1;
  std::uint64_t seed = 1;

  // sweep.json; `spec` and `base` are recorded but not compared by same_as().
  nlohmann::ordered_json to_json(const std::string& spec, const std::string& base) const;
  // The plan in a sweep.json, without config texts (a worker reads those from the run directories).
  static Plan from_json(const nlohmann::ordered_json& j);
  bool same_as(const nlohmann::ordered_json& stored) const;
  // The full config of a run, its seed included; "" when the plan has no config texts.
  std::string config_toml(const PlannedRun& run) const;
};

// Expands the product, drops points failing a constraint, derives the seeds
// and checks every run's config against the schema (errors point at the spec
// line of the offending value).
// `check`, when given, runs the model's cross-key checks on each point's
// config (design names, CPU roles...): every run is known good before the
// first starts. At most kMaxTotalRuns runs (grid points x replications).
using CheckConfig = std::function<void(const sim::config::Config&)>;
inline constexpr std::size_t kMaxTotalRuns = 100000;
Plan make_plan(const Spec& spec, const SchemaFor& schema_for, const CheckConfig& check = {});

// A point given outright (aiosim compare): its parameters and its "key=value"
// overrides of the base config.
struct ExplicitPoint {
  nlohmann::ordered_json parameters;  // {name: value}, in the order of `parameters`
  std::vector<std::string> sets;
  // Where the spec gives each of `sets` (same order; line 0: unknown) and
  // what the point is called there: an invalid override is reported at its
  // line of the spec, not as a --set.
  std::string spec_file;
  std::vector<int> set_lines;
  std::string label;
};
// The plan of explicit points, one run each. Every run keeps the seed its
// config has (the base's, unless a point sets one): each run is exactly
// `aiosim run BASE --set ...`. The same checks as make_plan, before anything runs.
Plan make_explicit_plan(const std::filesystem::path& base, const std::vector<std::string>& parameters,
                        const std::vector<ExplicitPoint>& points, const SchemaFor& schema_for, const CheckConfig& check = {});

// The seed of replication r of a point: Rng::derive_seed(sweep.seed, name, r)
// with the top bit cleared (configs take seeds in [0, 2^63)), where name lists
// the point's parameters (common_seeds left out) as "key=value" lines.
std::uint64_t run_seed(std::uint64_t sweep_seed, const std::string& point_name, std::size_t replication);

// `aiosim sweep --list`: one line per run.
std::string list_text(const Plan& plan);

// FNV-1a 64 of a text, as 16 hex digits.
std::string fnv1a64_hex(const std::string& s);

}  // namespace sweep
