#include "scenario.hpp"

#include <algorithm>
#include <iterator>

#include <toml++/toml.h>

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
    throw sim::config::ConfigError(file, line, "scenario", "expected one of " + known() + ", got \"" + value + "\"");
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
    t = toml::parse_file(file);
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

}  // namespace app
