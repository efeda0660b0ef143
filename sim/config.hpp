// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Schema-checked TOML configuration.
//
// A Schema declares every key a program accepts (dotted paths such as
// "kioctx.lock", with type, default, range/choices and a doc line); a Config
// is a TOML file plus `--set key=value` overrides checked against it. Any bad
// input -- a TOML syntax error, an unknown key, a wrong type, an out-of-range
// value -- becomes one ConfigError whose what() is a single line naming the
// file, line and key:
//
//   experiments/x.toml:12: kioctx.lock: expected one of ticket, qspinlock, tas, got "tiket"
//
// Nothing here knows what the keys mean; the model layers declare them.
// Output (to_json, to_toml) follows schema declaration order, so the same
// config always serialises to the same bytes.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "sim/distribution.hpp"

namespace sim::config {

// Bad user input. `line` is 0 when unknown (missing keys, defaults); `key` is
// empty for errors not about a key (TOML syntax, unreadable file). For
// `--set` overrides `file` is "--set". what() is
// "FILE:LINE: KEY: message", leaving out ":LINE" / "KEY: " when absent.
struct ConfigError : std::runtime_error {
  ConfigError(std::string file, int line, std::string key, std::string message);

  std::string file;
  int line = 0;
  std::string key;
  std::string message;  // the bare message, without the location prefix
};

enum class Type {
  Bool,
  Int,           // int64
  Float,         // finite double; an integer is accepted too
  String,
  Duration,      // "250ns", "20us", "1.5ms", "2s" (a unit is required; 0 alone is allowed); stored as int64 ps
  Distribution,  // a string parsed by sim::Distribution::parse
  CpuList,       // one int, an array of ints, or "0-15,32,40-47"; stored sorted and unique
  StringList,    // array of strings
  // A role's CPUs: an explicit CPU list as CpuList (an array, or a string
  // with a range or comma such as "0-15,32"; "" is empty), a count (4 or "4"),
  // a share of the machine's CPUs ("60%") or "rest" (what the other roles
  // leave). A single explicit CPU is [4] or "4-4". Resolved against the
  // machine by the model that reads it (get_cpu_set).
  CpuSet,
};

std::string_view type_name(Type t);

struct KeyDef {
  std::string path;  // "section.key"; for a map, the prefix
  Type type = Type::String;
  // The default, as a TOML value; null when the key has no default (then
  // `required` says whether a missing key is an error or simply unset).
  std::shared_ptr<const toml::node> default_value;
  bool required = false;
  // Bounds: numeric value for Int/Float, nanoseconds for Duration, each CPU
  // id for CpuList. Ignored for other types.
  std::optional<double> min, max;
  // Allowed values for String and each element of StringList.
  std::vector<std::string> choices;
  std::string doc;
  bool is_map = false;  // declared with add_map: free-form sub-keys `path.<name>`
};

// The checked value of a Type::CpuSet key.
struct CpuSetSpec {
  enum class Kind { List, Count, Share, Rest };
  Kind kind = Kind::List;
  std::vector<int> cpus;  // List
  std::int64_t count = 0; // Count
  double percent = 0;     // Share, in [0, 100]
  std::string text() const;  // as a user writes it: "0-3,8", "4", "60%", "rest"
};

class Schema;

// Returned by Schema::add*; refines the key just declared.
class KeyBuilder {
 public:
  KeyBuilder& min(double v);
  KeyBuilder& max(double v);
  KeyBuilder& range(double lo, double hi) { return min(lo).max(hi); }
  KeyBuilder& choices(std::vector<std::string> allowed);

 private:
  friend class Schema;
  KeyBuilder(Schema& s, std::size_t i) : schema_(s), index_(i) {}
  KeyDef& def();
  Schema& schema_;
  std::size_t index_;
};

class Schema {
 public:
  // A key with a default. `def` is anything toml++ stores as a value: bool,
  // an integer, double, a string, or a toml::array (e.g. toml::array{0, 1}).
  // Schema mistakes (duplicate path, a key under another key) throw
  // std::logic_error; an invalid default throws std::logic_error at load.
  template <class T>
  KeyBuilder add(std::string path, Type type, T&& def, std::string doc) {
    auto holder = std::make_shared<toml::array>();
    holder->push_back(std::forward<T>(def));
    return add_def(std::move(path), type, std::shared_ptr<const toml::node>(holder, holder->get(0)),
                   false, std::move(doc));
  }
  // A key that must be given (in the file or by --set).
  KeyBuilder add_required(std::string path, Type type, std::string doc);
  // A key with no default: Config::has() is false unless it is given.
  KeyBuilder add_optional(std::string path, Type type, std::string doc);
  // An open table: any `prefix.<name>` is accepted, each value of `type`.
  KeyBuilder add_map(std::string prefix, Type type, std::string doc);

  const KeyDef* find(std::string_view path) const;      // declared key (not a map)
  const KeyDef* find_map(std::string_view prefix) const;
  const std::vector<KeyDef>& keys() const { return defs_; }  // declaration order

 private:
  friend class KeyBuilder;
  friend class Config;
  KeyBuilder add_def(std::string path, Type type, std::shared_ptr<const toml::node> def,
                     bool required, std::string doc, bool is_map = false);
  bool is_section(std::string_view path) const;  // a proper prefix of a key or map

  std::vector<KeyDef> defs_;
  std::map<std::string, std::size_t, std::less<>> index_;  // path -> defs_ index
  std::set<std::string, std::less<>> sections_;  // proper prefixes of declared paths
};

class Config {
 public:
  // Parsed, checked value: Bool, Int/Duration (ps), Float, String, Distribution,
  // CpuList, StringList. monostate = unset (optional key).
  using Value = std::variant<std::monostate, bool, std::int64_t, double, std::string,
                             sim::Distribution, std::vector<int>, std::vector<std::string>>;

  // Reads and checks `file`, then applies each `sets` entry ("dotted.key=value";
  // value is a TOML value, or taken as a string when it is not one).
  static Config load(const Schema& schema, const std::filesystem::path& file,
                     const std::vector<std::string>& sets = {});
  static Config from_string(const Schema& schema, std::string_view toml_text,
                            std::string source_name, const std::vector<std::string>& sets = {});
  // The tables `sections` of a document another reader parsed (and merged
  // its --set overrides into), checked against `schema`: e.g. an explorer
  // scenario's [kioctx] and [costs]. A node whose TOML source is "--set" is
  // located as --set; other sections of `root` are not looked at.
  static Config from_sections(const Schema& schema, const toml::table& root, std::string source_name,
                              const std::vector<std::string>& sections);

  // Getters. An undeclared key, a getter of the wrong type, or reading an
  // unset optional key throws std::logic_error (a programming error).
  bool get_bool(std::string_view path) const;
  std::int64_t get_int(std::string_view path) const;
  double get_float(std::string_view path) const;
  const std::string& get_string(std::string_view path) const;
  std::int64_t get_duration_ps(std::string_view path) const;
  sim::Distribution get_distribution(std::string_view path) const;
  std::vector<int> get_cpu_list(std::string_view path) const;
  std::vector<std::string> get_string_list(std::string_view path) const;
  CpuSetSpec get_cpu_set(std::string_view path) const;
  // Entries of a map in file order (then new --set entries). Values are
  // strings verbatim; other types in their canonical text form.
  std::vector<std::pair<std::string, std::string>> get_map(std::string_view prefix) const;

  bool has(std::string_view path) const;  // has a value (given or defaulted)
  bool is_set_explicitly(std::string_view path) const;  // given in the file or by --set

  // An error located where `key` was set (file:line, or --set), or at the
  // file without a line if it was defaulted. For cross-key checks.
  ConfigError error_at(std::string_view key, std::string msg) const;

  // Every declared key with its effective value, nested by section, in
  // declaration order. Durations as canonical strings ("1.5ms"), CPU lists
  // as int arrays, distributions canonical; unset optional keys are null.
  nlohmann::ordered_json to_json() const;
  // The same as TOML that reloads to equal values (unset keys are left out;
  // CPU lists are written as range strings "0-3,8").
  std::string to_toml() const;

  const std::string& source_file() const { return source_; }
  const Schema& schema() const { return *schema_; }

 private:
  struct Entry {
    Value value;
    std::string file;  // where it was set; empty if defaulted/unset
    int line = 0;
    bool explicit_set = false;
  };
  struct MapEntries {
    std::vector<std::pair<std::string, Entry>> items;  // file order
  };
  class Builder;

  const Entry& entry(std::string_view path, Type want) const;
  const Entry* find_entry(std::string_view path) const;

  std::shared_ptr<const Schema> schema_;
  std::string source_;
  std::map<std::string, Entry, std::less<>> values_;
  std::map<std::string, MapEntries, std::less<>> maps_;
};

// Input limits (docs/input-limits.md).
inline constexpr std::size_t kMaxFileBytes = 1 << 20;  // a config, spec or scenario file
inline constexpr std::size_t kMaxKeyParts = 32;        // components of a dotted key

// The text of an input file: a regular file of at most kMaxFileBytes, else a
// ConfigError naming it (so /dev/zero or a huge file is refused at once).
std::string read_input_file(const std::filesystem::path& file);
// toml::parse with the limits: keys of at most kMaxKeyParts components
// (checked before toml++ sees the text; toml++ itself caps nested arrays and
// inline tables at 256). Errors are ConfigErrors "source:line: message".
toml::table parse_toml(std::string_view text, const std::string& source);
// read_input_file + parse_toml.
toml::table parse_toml_file(const std::filesystem::path& file);

// Helpers, exposed for reuse and tests.
std::vector<int> parse_cpu_list(std::string_view text);  // throws std::invalid_argument
std::string format_cpu_list(const std::vector<int>& cpus);  // {0,1,2,3,8} -> "0-3,8"
std::string format_duration(std::int64_t ps);  // 1500000000 -> "1.5ms"
std::string toml_quote(std::string_view s);    // a TOML basic string, escapes included
// For one-line messages: control characters escaped (\n, \x01), and cut after
// `max_chars` characters with "... (N more bytes)".
std::string printable(std::string_view s, std::size_t max_chars = 1000);
std::size_t edit_distance(std::string_view a, std::string_view b);  // Damerau (OSA)

}  // namespace sim::config
