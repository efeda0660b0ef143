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

namespace {

struct KindOf {
  FileKind kind = FileKind::Config;
  const char* table = "";
  int line = 0;
  bool parsed = false;  // false: unreadable or not TOML, left to the loader's own error
};

KindOf kind_of(const std::string& file) {
  toml::table t;
  try {
    t = sim::config::parse_toml_file(file);
  } catch (const std::exception&) {
    return {};
  }
  auto at = [&](FileKind k, const char* name) {
    return KindOf{k, name, static_cast<int>(t.get(name)->source().begin.line), true};
  };
  if (t.contains("sweep")) return at(FileKind::Sweep, "sweep");
  if (t.contains("compare")) return at(FileKind::Compare, "compare");
  if (t.contains("context")) return at(FileKind::Scenario, "context");
  if (t.contains("setup")) return at(FileKind::Scenario, "setup");
  return {FileKind::Config, "", 0, true};
}

const char* what_takes(FileKind k) {
  switch (k) {
    case FileKind::Sweep: return "a sweep spec: run it with `aiosim sweep`";
    case FileKind::Compare: return "a compare spec: run it with `aiosim compare`";
    case FileKind::Scenario: return "an explorer scenario: explore it with `aiosim explore`";
    case FileKind::Config: return "a run config: run it with `aiosim run`";
  }
  return "";
}

}  // namespace

FileKind file_kind(const std::string& file) { return kind_of(file).kind; }

void require_kind(const std::string& file, FileKind expected) {
  const KindOf k = kind_of(file);
  if (!k.parsed || k.kind == expected) return;
  if (k.kind == FileKind::Config)  // no table of another kind: say what the command expected
    throw sim::config::ConfigError(file, 0, "", std::string("not ") + (expected == FileKind::Sweep      ? "a sweep spec (no [sweep] table)"
                                                                     : expected == FileKind::Compare ? "a compare spec (no [compare] table)"
                                                                                                     : "an explorer scenario") +
                                                     "; it reads as " + what_takes(FileKind::Config));
  throw sim::config::ConfigError(file, k.line, k.table, std::string("this file is ") + what_takes(k.kind));
}

const programs::Program& program_of(const std::string& file, const std::vector<std::string>& sets) {
  return *programs::find(scenario_of(file, sets));  // scenario_of returns only registered names
}

const sim::config::Schema& schema_for(const std::string& file, const std::vector<std::string>& sets) {
  return program_of(file, sets).schema();
}

void check_config(const sim::config::Config& cfg) { programs::find(cfg.get_string("scenario"))->check(cfg); }

}  // namespace app
