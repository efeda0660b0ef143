// SPDX-License-Identifier: GPL-2.0-only
#include "app/scenario.hpp"

#include <toml++/toml.h>

#include "sim/config.hpp"

namespace app {

namespace {

void check(const std::string& value, const std::string& file, int line) {
  if (!programs::find(value))
    throw sim::config::ConfigError(file, line, "scenario", "expected one of " + programs::names() + ", got " + sim::config::toml_quote(value.substr(0, 80)));
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
  if (!s) throw sim::config::ConfigError(file, line, "scenario", "expected a string (one of " + programs::names() + ")");
  check(s->get(), file, line);
  return s->get();
}

const programs::Program& program_of(const std::string& file, const std::vector<std::string>& sets) {
  return *programs::find(scenario_of(file, sets));  // scenario_of returns only registered names
}

const sim::config::Schema& schema_for(const std::string& file, const std::vector<std::string>& sets) {
  return program_of(file, sets).schema();
}

void check_config(const sim::config::Config& cfg) { programs::find(cfg.get_string("scenario"))->check(cfg); }

}  // namespace app
