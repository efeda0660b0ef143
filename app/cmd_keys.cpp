// SPDX-License-Identifier: GPL-2.0-only
// `aiosim keys [aio|lockbench|explore|sweep|compare] [--toml]`: every key a file of
// that kind accepts, with type, default, range or choices and description --
// straight from the schemas the loaders check against;
// with --toml, a default config, every key commented, that loads as it is.
#include <map>
#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/errors.hpp"
#include "app/sweep/spec.hpp"
#include "programs/explore/scenario.hpp"
#include "programs/registry.hpp"
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
  // The shortest text that reads back as the same double ("0.8", not toml++'s 17 digits).
  if (const auto* f = n.as_floating_point()) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f->get());
    std::string text(buf, ec == std::errc{} ? end : buf);
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // a float stays a float in TOML
    return text;
  }
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

// Nested sections list their tables' keys: "setup[].cpu", "context.<name>.cpu", "axes.<key>".
void add_rows(const Schema& s, const std::string& prefix, std::vector<Row>& rows) {
  for (const KeyDef& d : s.keys()) {
    Row r;
    r.key = prefix + d.path;
    r.doc = d.doc;
    switch (d.nested) {
      case KeyDef::Nested::TableArray:
        add_rows(*d.item, prefix + d.path + "[].", rows);
        continue;
      case KeyDef::Nested::TableSet:
        add_rows(*d.item, prefix + d.path + ".<name>.", rows);
        continue;
      case KeyDef::Nested::Tree:
        r.key = d.path.empty() ? prefix + "<key>" : prefix + d.path + ".<key>";
        r.type = d.leaf_table_keys.empty() ? "any" : "array|range";
        r.range = "the base's keys";
        rows.push_back(std::move(r));
        continue;
      case KeyDef::Nested::None: break;
    }
    if (d.is_map) r.key += ".<name>";
    r.type = std::string(sim::config::type_name(d.type));
    r.def = d.default_value ? node_text(*d.default_value) : d.required ? "(required)" : "(unset)";
    r.range = range_text(d);
    rows.push_back(std::move(r));
  }
}

std::vector<Row> rows_of(const Schema& s) {
  std::vector<Row> rows;
  add_rows(s, "", rows);
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
  const programs::Program* program = programs::find(kind);
  const Schema* schema = program ? &program->schema() : nullptr;
  if (a.toml) {
    if (!schema) throw InputError(fmt::format("keys {}: --toml is for aio and lockbench configs (a {} file has no default)", kind,
                                              kind == "explore" ? "scenario" : kind + " spec"));
    fmt::print("{}", commented_toml(*schema, kind));
    return kExitOk;
  }
  print_rows(rows_of(schema            ? *schema
                     : kind == "sweep"   ? sweep::spec_schema()
                     : kind == "compare" ? compare_schema()
                                         : programs::explore::scenario_schema()));
  return kExitOk;
}

}  // namespace app
