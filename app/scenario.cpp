// SPDX-License-Identifier: GPL-2.0-only
#include "scenario.hpp"

#include <algorithm>
#include <iterator>

#include <toml++/toml.h>

#include "models/lockbench/lockbench.hpp"
#include "models/lockbench/schema.hpp"
#include "models/workload/schema.hpp"
#include "models/workload/simulation.hpp"
#include "sim/config.hpp"

namespace app {

namespace {

std::string known() {
  std::string out;
  for (const char* s : kScenarios) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

void check(const std::string& value, const std::string& file, int line) {
  if (std::find(std::begin(kScenarios), std::end(kScenarios), value) == std::end(kScenarios))
    throw sim::config::ConfigError(file, line, "scenario", "expected one of " + known() + ", got " + sim::config::toml_quote(value.substr(0, 80)));
}

}  // namespace

std::string scenario_of(const std::string& file, const std::vector<std::string>& sets) {
  for (auto it = sets.rbegin(); it != sets.rend(); ++it) {
    const std::string prefix = "scenario=";
    if (it->rfind(prefix, 0) != 0) continue;
    std::string v = it->substr(prefix.size());
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
    check(v, "--set", 0);
    return v;
  }
  toml::table t;
  try {
    t = sim::config::parse_toml_file(file);  // size-checked: /dev/zero is refused at once
  } catch (const std::exception&) {
    return "aio";  // unreadable or not TOML: the schema check says so, in the usual form
  }
  const toml::node* n = t.get("scenario");
  if (!n) return "aio";
  const int line = static_cast<int>(n->source().begin.line);
  const auto* s = n->as_string();
  if (!s) throw sim::config::ConfigError(file, line, "scenario", "expected a string (one of " + known() + ")");
  check(s->get(), file, line);
  return s->get();
}

const sim::config::Schema& schema_for(const std::string& file, const std::vector<std::string>& sets) {
  return scenario_of(file, sets) == "lockbench" ? models::lockbench::schema() : models::run_schema();
}

void check_config(const sim::config::Config& cfg) {
  if (cfg.get_string("scenario") == "lockbench") {
    (void)models::lockbench::params_from(cfg);
    return;
  }
  models::RunHooks hooks;
  hooks.check_only = true;
  (void)models::run_simulation(cfg, "", hooks);
}

}  // namespace app
