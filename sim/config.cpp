// SPDX-License-Identifier: GPL-2.0-only
#include "sim/config.hpp"
#include "sim/time.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

namespace sim::config {

namespace {

constexpr std::string_view kSetSource = "--set";
constexpr std::int64_t kMaxCpuId = 1'000'000;  // guards "0-4000000000" from allocating gigabytes
// A CPU list holds at most this many CPUs (after expanding ranges): more than
// any machine the models accept, and "0-999999,..." cannot take gigabytes.
constexpr std::size_t kMaxCpuListEntries = 65536;
constexpr std::size_t kMaxSuggestChars = 128;  // did-you-mean only for keys this short
constexpr std::size_t kShownChars = 80;         // of a value or key quoted in a message
constexpr std::size_t kMaxMessageChars = 1000;  // of a whole message

std::string make_what(const std::string& file, int line, const std::string& key,
                      const std::string& message) {
  std::string s = printable(file, kShownChars * 2);
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!key.empty()) s += printable(key, kShownChars) + ": ";
  s += printable(message, kMaxMessageChars);
  return s;
}

// Thrown by the value checks; the caller adds file, line and key.
struct BadValue {
  std::string message;
};

[[noreturn]] void bad(std::string message) { throw BadValue{std::move(message)}; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    out.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

bool is_bare_key(std::string_view k) {
  if (k.empty()) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool is_bare_path(std::string_view path) {
  if (static_cast<std::size_t>(std::count(path.begin(), path.end(), '.')) >= kMaxKeyParts) return false;
  for (const std::string& c : split_path(path))
    if (!is_bare_key(c)) return false;
  return true;
}

// A TOML basic string (also valid JSON string syntax for printable input).
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(c));
        else
          out += ch;
    }
  }
  out += '"';
  return out;
}

// A value quoted for a message: at most kShownChars characters of it.
std::string shown(std::string_view s) {
  if (s.size() <= kShownChars) return quote(s);
  return quote(s.substr(0, kShownChars)) + "... (" + std::to_string(s.size()) + " characters)";
}

std::string quote_key(std::string_view k) { return is_bare_key(k) ? std::string(k) : quote(k); }

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip
  std::string s(buf, end);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

// A bound for messages: "1" rather than "1.0".
std::string format_bound(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<long long>(v));
  return format_double(v);
}

// "string \"tiket\"", "integer 5", "float 1.5", "boolean true", "array", "table".
std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "string " + shown(n.as_string()->get());
    case toml::node_type::integer: return "integer " + std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point: return "float " + format_double(n.as_floating_point()->get());
    case toml::node_type::boolean: return std::string("boolean ") + (n.as_boolean()->get() ? "true" : "false");
    case toml::node_type::array: return "array";
    case toml::node_type::table: return "table";
    case toml::node_type::date: {
      std::ostringstream os;
      os << *n.as_date();
      return "date " + os.str();
    }
    case toml::node_type::time: {
      std::ostringstream os;
      os << *n.as_time();
      return "time " + os.str();
    }
    case toml::node_type::date_time: {
      std::ostringstream os;
      os << *n.as_date_time();
      return "date-time " + os.str();
    }
    default: return "nothing";
  }
}

std::string expected_phrase(Type t) {
  switch (t) {
    case Type::Bool: return "a boolean";
    case Type::Int: return "an integer";
    case Type::Float: return "a number";
    case Type::String: return "a string";
    case Type::Duration: return "a duration with its unit, such as \"250ns\" or \"1.5ms\"";
    case Type::Distribution: return "a distribution string such as \"exp(20us)\"";
    case Type::CpuList: return "a CPU list (an array of integers or a string such as \"0-15,32\")";
    case Type::StringList: return "an array of strings";
    case Type::CpuSet:
      return "a CPU list (an array of integers or a string such as \"0-15,32\"), a count (4), a share (\"60%\") or \"rest\"";
  }
  return "?";
}

[[noreturn]] void wrong_type(Type t, const toml::node& n) {
  bad("expected " + expected_phrase(t) + ", got " + describe(n));
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

void check_choice(const KeyDef& def, const std::string& s) {
  if (def.choices.empty()) return;
  if (std::find(def.choices.begin(), def.choices.end(), s) != def.choices.end()) return;
  bad("expected one of " + join(def.choices, ", ") + ", got " + shown(s));
}

// "a value in [1, 1024]", "a value >= 1", "a value <= 1024".
std::string range_phrase(const KeyDef& def, std::string (*fmt_bound)(double)) {
  if (def.min && def.max) return "in [" + fmt_bound(*def.min) + ", " + fmt_bound(*def.max) + "]";
  if (def.min) return ">= " + fmt_bound(*def.min);
  return "<= " + fmt_bound(*def.max);
}

bool in_range(const KeyDef& def, double v) {
  if (def.min && !(v >= *def.min)) return false;  // written so NaN fails
  if (def.max && !(v <= *def.max)) return false;
  return true;
}

std::string format_duration_ns_bound(double ns) {
  if (std::fabs(ns) < 9e15) return format_duration(std::llround(ns * 1000.0));
  return format_double(ns) + "ns";
}

std::int64_t duration_ps(const toml::node& n) {
  if (const auto* i = n.as_integer()) {
    // A unit is mandatory (0 excepted): a bare 200 could be ns or us.
    const std::int64_t v = i->get();
    if (v == 0) return 0;
    if (v < 0) bad("invalid duration: negative value " + std::to_string(v));
    bad("a duration needs a unit (ns, us, ms or s), got integer " + std::to_string(v) + "; did you mean \"" +
        std::to_string(v) + "us\"?");
  }
  const auto* s = n.as_string();
  if (!s) wrong_type(Type::Duration, n);
  double ns = 0;
  try {
    ns = sim::parse_duration_ns(s->get());
  } catch (const std::invalid_argument& e) {
    bad(std::string("invalid duration: ") + e.what());
  }
  try {
    return sim::checked_duration_ps(ns);
  } catch (const std::invalid_argument& e) {
    bad("invalid duration: " + shown(s->get()) + ": " + e.what());
  }
}

std::vector<int> cpu_list(const KeyDef& def, const toml::node& n) {
  std::vector<int> cpus;
  if (const auto* s = n.as_string()) {
    try {
      cpus = parse_cpu_list(s->get());
    } catch (const std::invalid_argument& e) {
      bad("invalid CPU list " + shown(s->get()) + ": " + e.what());
    }
  } else if (const auto* one = n.as_integer()) {
    // A single CPU: `--set usb.irq_cpus=3` parses as an integer.
    if (one->get() < 0) bad("invalid CPU list: negative CPU id " + std::to_string(one->get()));
    if (one->get() > kMaxCpuId) bad("invalid CPU list: CPU id " + std::to_string(one->get()) + " is too large");
    cpus.push_back(static_cast<int>(one->get()));
  } else if (const auto* a = n.as_array()) {
    if (a->size() > kMaxCpuListEntries)
      bad("invalid CPU list: more than " + std::to_string(kMaxCpuListEntries) + " entries");
    for (std::size_t i = 0; i < a->size(); ++i) {
      const auto* v = a->get(i)->as_integer();
      if (!v) bad("CPU list element " + std::to_string(i) + ": expected an integer, got " + describe(*a->get(i)));
      if (v->get() < 0) bad("invalid CPU list: negative CPU id " + std::to_string(v->get()));
      if (v->get() > kMaxCpuId) bad("invalid CPU list: CPU id " + std::to_string(v->get()) + " is too large");
      cpus.push_back(static_cast<int>(v->get()));
    }
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  } else {
    wrong_type(Type::CpuList, n);
  }
  for (int c : cpus)
    if (!in_range(def, c))
      bad("expected CPU ids " + range_phrase(def, format_bound) + ", got " + std::to_string(c));
  return cpus;
}

// A CpuSet is stored as text in Config::Value: "L:0-3", "C:4", "S:60", "R".
std::string encode_cpu_set(const CpuSetSpec& c) {
  switch (c.kind) {
    case CpuSetSpec::Kind::List: return "L:" + format_cpu_list(c.cpus);
    case CpuSetSpec::Kind::Count: return "C:" + std::to_string(c.count);
    case CpuSetSpec::Kind::Share: return "S:" + format_bound(c.percent);
    case CpuSetSpec::Kind::Rest: return "R";
  }
  return {};
}

CpuSetSpec decode_cpu_set(const std::string& s) {
  CpuSetSpec c;
  if (s == "R") {
    c.kind = CpuSetSpec::Kind::Rest;
  } else if (s.rfind("C:", 0) == 0) {
    c.kind = CpuSetSpec::Kind::Count;
    c.count = std::stoll(s.substr(2));
  } else if (s.rfind("S:", 0) == 0) {
    c.kind = CpuSetSpec::Kind::Share;
    c.percent = std::stod(s.substr(2));
  } else {
    c.cpus = parse_cpu_list(std::string_view(s).substr(2));
  }
  return c;
}

CpuSetSpec cpu_set(const KeyDef& def, const toml::node& n) {
  CpuSetSpec c;
  if (const auto* one = n.as_integer()) {
    if (one->get() < 0) bad("invalid CPU count: negative value " + std::to_string(one->get()));
    if (one->get() > kMaxCpuId) bad("invalid CPU count: " + std::to_string(one->get()) + " is too large");
    c.kind = CpuSetSpec::Kind::Count;
    c.count = one->get();
    return c;
  }
  if (const auto* s = n.as_string()) {
    const std::string_view t = trim(s->get());
    if (t == "rest") {
      c.kind = CpuSetSpec::Kind::Rest;
      return c;
    }
    if (!t.empty() && t.back() == '%') {
      const std::string_view num = trim(t.substr(0, t.size() - 1));
      double v = 0;
      const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      if (num.empty() || ec != std::errc{} || end != num.data() + num.size() || !(v >= 0) || !(v <= 100))
        bad("invalid share " + shown(s->get()) + ": expected a percentage from 0% to 100%");
      c.kind = CpuSetSpec::Kind::Share;
      c.percent = v;
      return c;
    }
    if (!t.empty() && std::all_of(t.begin(), t.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc{} || v > kMaxCpuId) bad("invalid CPU count " + shown(s->get()) + ": too large");
      c.kind = CpuSetSpec::Kind::Count;
      c.count = v;
      return c;
    }
  }
  c.cpus = cpu_list(def, n);  // an explicit list (or the type error)
  return c;
}

// Checks `n` against `def` and returns the stored value; throws BadValue.
Config::Value normalize(const KeyDef& def, const toml::node& n) {
  switch (def.type) {
    case Type::Bool:
      if (const auto* b = n.as_boolean()) return b->get();
      wrong_type(def.type, n);
    case Type::Int: {
      const auto* i = n.as_integer();
      if (!i) wrong_type(def.type, n);
      if (!in_range(def, static_cast<double>(i->get())))
        bad("expected a value " + range_phrase(def, format_bound) + ", got " + std::to_string(i->get()));
      return i->get();
    }
    case Type::Float: {
      double v = 0;
      if (const auto* i = n.as_integer())
        v = static_cast<double>(i->get());
      else if (const auto* f = n.as_floating_point())
        v = f->get();
      else
        wrong_type(def.type, n);
      // TOML allows inf and nan; no simulation parameter wants them, and JSON cannot hold them.
      if (!std::isfinite(v)) bad("expected a finite number, got " + describe(n));
      if (!in_range(def, v))
        bad("expected a value " + range_phrase(def, format_bound) + ", got " + format_bound(v));
      return v;
    }
    case Type::String: {
      const auto* s = n.as_string();
      if (!s) wrong_type(def.type, n);
      check_choice(def, s->get());
      return s->get();
    }
    case Type::Duration: {
      const std::int64_t ps = duration_ps(n);
      const double ns = static_cast<double>(ps) / 1000.0;
      if (!in_range(def, ns))
        bad("expected a duration " + range_phrase(def, format_duration_ns_bound) + ", got " +
            format_duration(ps));
      return ps;
    }
    case Type::Distribution: {
      const auto* s = n.as_string();
      if (!s) wrong_type(def.type, n);
      try {
        return sim::Distribution::parse(s->get());
      } catch (const std::invalid_argument& e) {
        bad(std::string("invalid distribution: ") + e.what());
      }
    }
    case Type::CpuList:
      return cpu_list(def, n);
    case Type::CpuSet:
      return encode_cpu_set(cpu_set(def, n));
    case Type::StringList: {
      const auto* a = n.as_array();
      if (!a) wrong_type(def.type, n);
      std::vector<std::string> out;
      for (std::size_t i = 0; i < a->size(); ++i) {
        const auto* s = a->get(i)->as_string();
        if (!s) bad("element " + std::to_string(i) + ": expected a string, got " + describe(*a->get(i)));
        try {
          check_choice(def, s->get());
        } catch (const BadValue& e) {
          bad("element " + std::to_string(i) + ": " + e.message);
        }
        out.push_back(s->get());
      }
      return out;
    }
  }
  throw std::logic_error("config: bad Type");
}

// Text of a value as TOML (strings quoted).
std::string toml_text(Type t, const Config::Value& v) {
  switch (t) {
    case Type::Bool: return std::get<bool>(v) ? "true" : "false";
    case Type::Int: return std::to_string(std::get<std::int64_t>(v));
    case Type::Float: return format_double(std::get<double>(v));
    case Type::String: return quote(std::get<std::string>(v));
    case Type::Duration: return quote(format_duration(std::get<std::int64_t>(v)));
    case Type::Distribution: return quote(std::get<sim::Distribution>(v).to_string());
    case Type::CpuList: return quote(format_cpu_list(std::get<std::vector<int>>(v)));
    case Type::CpuSet: {
      const CpuSetSpec c = decode_cpu_set(std::get<std::string>(v));
      if (c.kind == CpuSetSpec::Kind::Count) return std::to_string(c.count);
      // One explicit CPU as an array: "4" would read back as a count.
      if (c.kind == CpuSetSpec::Kind::List && c.cpus.size() == 1) return "[" + std::to_string(c.cpus[0]) + "]";
      return quote(c.text());
    }
    case Type::StringList: {
      std::vector<std::string> items;
      for (const std::string& s : std::get<std::vector<std::string>>(v)) items.push_back(quote(s));
      return "[" + join(items, ", ") + "]";
    }
  }
  return {};
}

// Text for get_map: strings and string-like values unquoted.
std::string plain_text(Type t, const Config::Value& v) {
  switch (t) {
    case Type::String: return std::get<std::string>(v);
    case Type::Duration: return format_duration(std::get<std::int64_t>(v));
    case Type::Distribution: return std::get<sim::Distribution>(v).to_string();
    case Type::CpuList: return format_cpu_list(std::get<std::vector<int>>(v));
    case Type::CpuSet: return decode_cpu_set(std::get<std::string>(v)).text();
    default: return toml_text(t, v);
  }
}

nlohmann::ordered_json json_value(Type t, const Config::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return nullptr;
  switch (t) {
    case Type::Bool: return std::get<bool>(v);
    case Type::Int: return std::get<std::int64_t>(v);
    case Type::Float: return std::get<double>(v);
    case Type::String: return std::get<std::string>(v);
    case Type::Duration: return format_duration(std::get<std::int64_t>(v));
    case Type::Distribution: return std::get<sim::Distribution>(v).to_string();
    case Type::CpuList: return std::get<std::vector<int>>(v);
    case Type::StringList: return std::get<std::vector<std::string>>(v);
    case Type::CpuSet: {
      // An explicit list as an int array, as a CpuList key writes it.
      const CpuSetSpec c = decode_cpu_set(std::get<std::string>(v));
      if (c.kind == CpuSetSpec::Kind::List) return c.cpus;
      if (c.kind == CpuSetSpec::Kind::Count) return c.count;
      return c.text();
    }
  }
  return nullptr;
}

}  // namespace

std::string toml_quote(std::string_view s) { return quote(s); }

std::string CpuSetSpec::text() const {
  switch (kind) {
    case Kind::List: return format_cpu_list(cpus);
    case Kind::Count: return std::to_string(count);
    case Kind::Share: return format_bound(percent) + "%";
    case Kind::Rest: return "rest";
  }
  return {};
}

std::string printable(std::string_view s, std::size_t max_chars) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= max_chars) {
      out += fmt::format("... ({} more bytes)", s.size() - i);
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
    else out += static_cast<char>(c);
  }
  return out;
}

// ---------------------------------------------------------------------------

ConfigError::ConfigError(std::string f, int l, std::string k, std::string m)
    : std::runtime_error(make_what(f, l, k, m)),
      file(std::move(f)),
      line(l),
      key(std::move(k)),
      message(std::move(m)) {}

std::string_view type_name(Type t) {
  switch (t) {
    case Type::Bool: return "bool";
    case Type::Int: return "int";
    case Type::Float: return "float";
    case Type::String: return "string";
    case Type::Duration: return "duration";
    case Type::Distribution: return "distribution";
    case Type::CpuList: return "cpu list";
    case Type::StringList: return "string list";
    case Type::CpuSet: return "cpu set";
  }
  return "?";
}

std::vector<int> parse_cpu_list(std::string_view text) {
  std::vector<int> out;
  const std::string_view all = trim(text);
  if (all.empty()) return out;
  auto number = [&](std::string_view s, std::string_view item) -> std::int64_t {
    s = trim(s);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < 0)
      throw std::invalid_argument("bad entry " + shown(item));
    if (v > kMaxCpuId) throw std::invalid_argument("CPU id " + std::to_string(v) + " is too large");
    return v;
  };
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = all.find(',', start);
    const std::string_view item =
        trim(all.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (item.empty()) throw std::invalid_argument("empty entry");
    const std::size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      if (out.size() >= kMaxCpuListEntries)
        throw std::invalid_argument("more than " + std::to_string(kMaxCpuListEntries) + " CPUs");
      out.push_back(static_cast<int>(number(item, item)));
    } else {
      const std::int64_t lo = number(item.substr(0, dash), item);
      const std::int64_t hi = number(item.substr(dash + 1), item);
      if (lo > hi)
        throw std::invalid_argument("range " + shown(item) + " is reversed (start > end)");
      if (static_cast<std::size_t>(hi - lo) >= kMaxCpuListEntries - std::min(out.size(), kMaxCpuListEntries))
        throw std::invalid_argument("more than " + std::to_string(kMaxCpuListEntries) + " CPUs");
      for (std::int64_t c = lo; c <= hi; ++c) out.push_back(static_cast<int>(c));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

std::string format_duration(std::int64_t ps) {
  if (ps == 0) return "0ns";
  if (ps < 0) {
    if (ps == INT64_MIN) return "-" + format_duration(INT64_MAX);  // off by 1 ps; never reached
    return "-" + format_duration(-ps);
  }
  struct U {
    const char* name;
    std::int64_t ps;
    int digits;
  };
  static constexpr U kUnits[] = {{"s", 1'000'000'000'000, 12}, {"ms", 1'000'000'000, 9},
                                 {"us", 1'000'000, 6},          {"ns", 1'000, 3}};
  const U* u = &kUnits[3];
  for (const U& c : kUnits)
    if (ps >= c.ps) {
      u = &c;
      break;
    }
  std::string s = std::to_string(ps / u->ps);
  if (const std::int64_t frac = ps % u->ps) {
    std::string f = std::to_string(frac);
    f.insert(0, static_cast<std::size_t>(u->digits) - f.size(), '0');
    while (f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s + u->name;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus adjacent transpositions.
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

// ---------------------------------------------------------------------------
// Schema

KeyDef& KeyBuilder::def() { return schema_.defs_[index_]; }

KeyBuilder& KeyBuilder::min(double v) {
  def().min = v;
  return *this;
}

KeyBuilder& KeyBuilder::max(double v) {
  def().max = v;
  return *this;
}

KeyBuilder& KeyBuilder::choices(std::vector<std::string> allowed) {
  def().choices = std::move(allowed);
  return *this;
}

KeyBuilder Schema::add_required(std::string path, Type type, std::string doc) {
  return add_def(std::move(path), type, nullptr, true, std::move(doc));
}

KeyBuilder Schema::add_optional(std::string path, Type type, std::string doc) {
  return add_def(std::move(path), type, nullptr, false, std::move(doc));
}

KeyBuilder Schema::add_map(std::string prefix, Type type, std::string doc) {
  return add_def(std::move(prefix), type, nullptr, false, std::move(doc), true);
}

KeyBuilder Schema::add_def(std::string path, Type type, std::shared_ptr<const toml::node> def,
                           bool required, std::string doc, bool is_map) {
  if (!is_bare_path(path))
    throw std::logic_error("config schema: bad key path \"" + path +
                           "\" (dotted components of A-Z a-z 0-9 _ -)");
  if (index_.count(path)) throw std::logic_error("config schema: \"" + path + "\" declared twice");
  if (sections_.count(path))
    throw std::logic_error("config schema: \"" + path + "\" is already a section of other keys");
  // No key may sit under a plain key.
  for (std::size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
    const auto it = index_.find(std::string_view(path).substr(0, dot));
    if (it != index_.end() && !defs_[it->second].is_map)
      throw std::logic_error("config schema: \"" + path + "\" is under the key \"" + it->first + "\"");
  }
  for (std::size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1))
    sections_.insert(path.substr(0, dot));

  KeyDef d;
  d.path = path;
  d.type = type;
  d.default_value = std::move(def);
  d.required = required;
  d.doc = std::move(doc);
  d.is_map = is_map;
  index_.emplace(std::move(path), defs_.size());
  defs_.push_back(std::move(d));
  return KeyBuilder(*this, defs_.size() - 1);
}

const KeyDef* Schema::find(std::string_view path) const {
  const auto it = index_.find(path);
  if (it == index_.end() || defs_[it->second].is_map) return nullptr;
  return &defs_[it->second];
}

const KeyDef* Schema::find_map(std::string_view prefix) const {
  const auto it = index_.find(prefix);
  if (it == index_.end() || !defs_[it->second].is_map) return nullptr;
  return &defs_[it->second];
}

bool Schema::is_section(std::string_view path) const { return sections_.count(path) != 0; }

// ---------------------------------------------------------------------------
// Loading

class Config::Builder {
 public:
  Builder(Config& cfg) : cfg_(cfg), schema_(*cfg.schema_) {}

  void apply_document(const toml::table& root, const std::string& file) {
    std::vector<Leaf> leaves;
    walk(root, "", nullptr, leaves);
    apply_leaves(leaves, file, false);
  }

  // Only the tables `sections` of `root`; a key whose source is "--set" (an
  // override merged into the document) is located as --set.
  void apply_sections(const toml::table& root, const std::string& file, const std::vector<std::string>& sections) {
    std::vector<Leaf> leaves;
    for (const std::string& name : sections) {
      const toml::node* n = root.get(name);
      if (!n) continue;
      if (const auto* t = n->as_table(); t && schema_.is_section(name)) {
        walk(*t, name, nullptr, leaves);
      } else {
        Leaf leaf;
        leaf.path = name;
        leaf.node = n;
        leaf.line = static_cast<int>(n->source().begin.line);
        leaves.push_back(error(std::move(leaf), "expected a table, got " + describe(*n)));
      }
    }
    apply_leaves(leaves, file, true);
  }

  void apply_set(const std::string& arg) {
    const std::size_t eq = arg.find('=');
    if (eq == std::string::npos)
      throw ConfigError(std::string(kSetSource), 0, std::string(trim(arg)),
                        "expected key=value, got " + shown(arg));
    const std::string key(trim(std::string_view(arg).substr(0, eq)));
    const std::string value(trim(std::string_view(arg).substr(eq + 1)));
    if (!is_bare_path(key))
      throw ConfigError(std::string(kSetSource), 0, key,
                        "invalid key (dotted names of A-Z a-z 0-9 _ -)");

    // String-typed keys take the raw text even when it would read as a TOML
    // number or boolean (`--set run.label=2024`).
    bool stringy = false;
    if (const KeyDef* d = schema_.find(key))
      stringy = d->type == Type::String || d->type == Type::Distribution;
    else if (const std::size_t dot = key.rfind('.'); dot != std::string::npos)
      if (const KeyDef* m = schema_.find_map(std::string_view(key).substr(0, dot)))
        stringy = m->type == Type::String || m->type == Type::Distribution;

    std::optional<toml::table> doc;
    if (value.find_first_of("\r\n") == std::string::npos) {
      try {
        doc = toml::parse(key + " = " + value, std::string_view(kSetSource));
        const toml::node* n = doc->at_path(key).node();
        if (!n || (stringy && n->is_value() && !n->is_string())) doc.reset();
      } catch (const toml::parse_error&) {
        doc.reset();
      }
    }
    if (!doc) {
      try {
        doc = toml::parse(key + " = " + quote(value), std::string_view(kSetSource));
      } catch (const toml::parse_error& e) {
        throw ConfigError(std::string(kSetSource), 0, key, "invalid value: " + std::string(e.description()));
      }
    }
    apply_document(*doc, std::string(kSetSource));
  }

  void finish() {
    for (const KeyDef& def : schema_.keys()) {
      if (def.is_map) {
        cfg_.maps_[def.path];  // present even when empty
        continue;
      }
      Value dv;
      if (def.default_value) {
        try {
          dv = normalize(def, *def.default_value);
        } catch (const BadValue& e) {
          throw std::logic_error("config schema: default of \"" + def.path + "\" is invalid: " + e.message);
        }
      }
      if (cfg_.values_.count(def.path)) continue;
      if (def.required) throw ConfigError(cfg_.source_, 0, def.path, "required key is missing");
      cfg_.values_[def.path] = Entry{std::move(dv), "", 0, false};
    }
  }

 private:
  struct Leaf {
    std::string path;
    const toml::node* node = nullptr;
    int line = 0;
    int column = 0;
    bool set_source = false;  // the key came from a --set document
    const KeyDef* def = nullptr;  // the key, or the map for a map entry
    std::string map_name;
    std::string error;  // set: report this instead
  };

  void walk(const toml::table& table, const std::string& prefix, const KeyDef* parent_map,
            std::vector<Leaf>& out) {
    for (auto&& [k, node] : table) {
      Leaf leaf;
      leaf.path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      const toml::source_region& where = k.source().begin.line ? k.source() : node.source();
      leaf.line = static_cast<int>(where.begin.line);
      leaf.column = static_cast<int>(where.begin.column);
      leaf.set_source = where.path && *where.path == kSetSource;
      leaf.node = &node;
      if ((leaf.def = schema_.find(leaf.path))) {
        out.push_back(std::move(leaf));
      } else if (const KeyDef* map = schema_.find_map(leaf.path)) {
        if (const auto* t = node.as_table())
          walk(*t, leaf.path, map, out);
        else
          out.push_back(error(std::move(leaf), "expected a table of " + std::string(type_name(map->type)) +
                                                   " values, got " + describe(node)));
      } else if (schema_.is_section(leaf.path)) {
        if (const auto* t = node.as_table())
          walk(*t, leaf.path, nullptr, out);
        else
          out.push_back(error(std::move(leaf), "expected a table, got " + describe(node)));
      } else if (parent_map) {
        leaf.def = parent_map;
        leaf.map_name = std::string(k.str());
        out.push_back(std::move(leaf));
      } else {
        std::string msg = "unknown key";
        if (const std::string s = suggest(leaf.path); !s.empty()) msg += "; did you mean \"" + s + "\"?";
        out.push_back(error(std::move(leaf), std::move(msg)));
      }
    }
  }

  static Leaf error(Leaf leaf, std::string msg) {
    leaf.error = std::move(msg);
    return leaf;
  }

  void apply_leaves(std::vector<Leaf>& leaves, const std::string& doc_file, bool per_key_source) {
    // Report the first problem in file order, not toml++'s (sorted) key order.
    std::stable_sort(leaves.begin(), leaves.end(), [](const Leaf& a, const Leaf& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    for (const Leaf& leaf : leaves) {
      const bool node_set = per_key_source && leaf.set_source;
      const std::string file = node_set ? std::string(kSetSource) : doc_file;
      const int line = file == kSetSource ? 0 : leaf.line;
      if (!leaf.error.empty()) throw ConfigError(file, line, leaf.path, leaf.error);
      Value v;
      try {
        v = normalize(*leaf.def, *leaf.node);
      } catch (const BadValue& e) {
        throw ConfigError(file, line, leaf.path, e.message);
      }
      Entry entry{std::move(v), file, line, true};
      if (leaf.def->is_map) {
        auto& items = cfg_.maps_[leaf.def->path].items;
        const auto it = std::find_if(items.begin(), items.end(),
                                     [&](const auto& p) { return p.first == leaf.map_name; });
        if (it != items.end())
          it->second = std::move(entry);
        else
          items.emplace_back(leaf.map_name, std::move(entry));
      } else {
        cfg_.values_[leaf.def->path] = std::move(entry);
      }
    }
  }

  // A declared key, map or section within a small edit distance (a typo);
  // failing a one-edit match, a key of the same name in another section.
  std::string suggest(const std::string& path) const {
    // Only for keys of a plausible length: the distance is quadratic.
    if (path.size() > kMaxSuggestChars) return {};
    std::vector<std::string> candidates;
    for (const KeyDef& d : schema_.keys()) candidates.push_back(d.path);
    for (const std::string& s : schema_.sections_) candidates.push_back(s);
    const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, path.size() / 3));
    std::string best;
    std::size_t best_d = limit + 1;
    for (const std::string& c : candidates) {
      const std::size_t d = edit_distance(path, c);
      if (d < best_d) {
        best_d = d;
        best = c;
      }
    }
    if (best_d <= 1) return best;
    // A key put in the wrong section: same name elsewhere.
    const std::size_t last = path.rfind('.');
    const std::string leaf = path.substr(last == std::string::npos ? 0 : last + 1);
    for (const KeyDef& d : schema_.keys()) {
      const std::size_t dot = d.path.rfind('.');
      if (!d.is_map && d.path != path && d.path.substr(dot == std::string::npos ? 0 : dot + 1) == leaf)
        return d.path;
    }
    return best;
  }

  Config& cfg_;
  const Schema& schema_;
};

namespace {

// The longest chain of dots joining key-like text (bare names, quoted names,
// blanks) on one line, outside strings and comments: the number of parts of
// the longest dotted key, give or take. Floats ("1.5") are one dot each.
std::size_t longest_dotted_chain(std::string_view text) {
  std::size_t longest = 0, chain = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      longest = std::max(longest, ++chain);
    } else if (c == '"' || c == '\'') {
      // A quoted name (or any string): skip to its closing quote.
      for (++i; i < text.size() && text[i] != c && text[i] != '\n'; ++i)
        if (c == '"' && text[i] == '\\') ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      chain = 0;
    } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                 c == ' ' || c == '\t')) {
      chain = 0;
    }
  }
  return longest;
}

}  // namespace

std::string read_input_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  const auto st = std::filesystem::status(file, ec);
  if (ec) throw ConfigError(name, 0, "", "cannot open: " + ec.message());
  if (std::filesystem::is_directory(st)) throw ConfigError(name, 0, "", std::string("cannot read: ") + std::strerror(EISDIR));
  if (!std::filesystem::is_regular_file(st)) throw ConfigError(name, 0, "", "cannot read: not a regular file");
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) throw ConfigError(name, 0, "", "cannot read: " + ec.message());
  if (size > kMaxFileBytes)
    throw ConfigError(name, 0, "", fmt::format("the file has {} bytes; at most {} (1 MiB) are accepted", size, kMaxFileBytes));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(name, 0, "", std::string("cannot open: ") + std::strerror(errno));
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw ConfigError(name, 0, "", std::string("cannot read: ") + std::strerror(errno));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes)  // it grew since the size check
    throw ConfigError(name, 0, "", fmt::format("the file has more than {} bytes (1 MiB)", kMaxFileBytes));
  return text;
}

toml::table parse_toml(std::string_view text, const std::string& source) {
  if (text.size() > kMaxFileBytes)
    throw ConfigError(source, 0, "", fmt::format("the input has {} bytes; at most {} (1 MiB) are accepted", text.size(), kMaxFileBytes));
  if (longest_dotted_chain(text) >= kMaxKeyParts)
    throw ConfigError(source, 0, "", fmt::format("a dotted key has more than {} parts", kMaxKeyParts));
  try {
    return toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    throw ConfigError(source, static_cast<int>(e.source().begin.line), "", std::string(e.description()));
  }
}

toml::table parse_toml_file(const std::filesystem::path& file) {
  return parse_toml(read_input_file(file), file.string());
}

Config Config::from_string(const Schema& schema, std::string_view toml_text, std::string source_name,
                           const std::vector<std::string>& sets) {
  Config cfg;
  cfg.schema_ = std::make_shared<const Schema>(schema);
  cfg.source_ = std::move(source_name);
  const toml::table root = parse_toml(toml_text, cfg.source_);
  Builder b(cfg);
  b.apply_document(root, cfg.source_);
  for (const std::string& s : sets) b.apply_set(s);
  b.finish();
  return cfg;
}

Config Config::from_sections(const Schema& schema, const toml::table& root, std::string source_name,
                             const std::vector<std::string>& sections) {
  Config cfg;
  cfg.schema_ = std::make_shared<const Schema>(schema);
  cfg.source_ = std::move(source_name);
  Builder b(cfg);
  b.apply_sections(root, cfg.source_, sections);
  b.finish();
  return cfg;
}

Config Config::load(const Schema& schema, const std::filesystem::path& file,
                    const std::vector<std::string>& sets) {
  return from_string(schema, read_input_file(file), file.string(), sets);
}

// ---------------------------------------------------------------------------
// Access

const Config::Entry* Config::find_entry(std::string_view path) const {
  if (const auto it = values_.find(path); it != values_.end()) return &it->second;
  for (const auto& [prefix, m] : maps_) {
    if (path.size() <= prefix.size() + 1 || path.substr(0, prefix.size()) != prefix ||
        path[prefix.size()] != '.')
      continue;
    const std::string_view name = path.substr(prefix.size() + 1);
    for (const auto& [n, e] : m.items)
      if (n == name) return &e;
  }
  return nullptr;
}

const Config::Entry& Config::entry(std::string_view path, Type want) const {
  const KeyDef* def = schema_->find(path);
  if (!def) throw std::logic_error("config: key \"" + std::string(path) + "\" is not declared");
  if (def->type != want)
    throw std::logic_error("config: key \"" + std::string(path) + "\" is a " + std::string(type_name(def->type)) +
                           ", not a " + std::string(type_name(want)));
  const Entry& e = values_.at(def->path);
  if (std::holds_alternative<std::monostate>(e.value))
    throw std::logic_error("config: key \"" + std::string(path) + "\" is unset (check has() first)");
  return e;
}

bool Config::get_bool(std::string_view p) const { return std::get<bool>(entry(p, Type::Bool).value); }
std::int64_t Config::get_int(std::string_view p) const {
  return std::get<std::int64_t>(entry(p, Type::Int).value);
}
double Config::get_float(std::string_view p) const { return std::get<double>(entry(p, Type::Float).value); }
const std::string& Config::get_string(std::string_view p) const {
  return std::get<std::string>(entry(p, Type::String).value);
}
std::int64_t Config::get_duration_ps(std::string_view p) const {
  return std::get<std::int64_t>(entry(p, Type::Duration).value);
}
sim::Distribution Config::get_distribution(std::string_view p) const {
  return std::get<sim::Distribution>(entry(p, Type::Distribution).value);
}
std::vector<int> Config::get_cpu_list(std::string_view p) const {
  return std::get<std::vector<int>>(entry(p, Type::CpuList).value);
}
CpuSetSpec Config::get_cpu_set(std::string_view p) const {
  return decode_cpu_set(std::get<std::string>(entry(p, Type::CpuSet).value));
}
std::vector<std::string> Config::get_string_list(std::string_view p) const {
  return std::get<std::vector<std::string>>(entry(p, Type::StringList).value);
}

std::vector<std::pair<std::string, std::string>> Config::get_map(std::string_view prefix) const {
  const KeyDef* def = schema_->find_map(prefix);
  if (!def) throw std::logic_error("config: \"" + std::string(prefix) + "\" is not a declared map");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, e] : maps_.at(def->path).items) out.emplace_back(name, plain_text(def->type, e.value));
  return out;
}

bool Config::has(std::string_view path) const {
  if (const KeyDef* d = schema_->find(path)) return !std::holds_alternative<std::monostate>(values_.at(d->path).value);
  if (find_entry(path)) return true;
  for (const KeyDef& d : schema_->keys())
    if (d.is_map && path.size() > d.path.size() && path.substr(0, d.path.size()) == d.path &&
        path[d.path.size()] == '.')
      return false;
  throw std::logic_error("config: key \"" + std::string(path) + "\" is not declared");
}

bool Config::is_set_explicitly(std::string_view path) const {
  if (!has(path)) return false;  // throws for undeclared keys
  return find_entry(path)->explicit_set;
}

ConfigError Config::error_at(std::string_view key, std::string msg) const {
  const Entry* e = find_entry(key);
  if (e && e->explicit_set) return ConfigError(e->file, e->line, std::string(key), std::move(msg));
  // Defaulted keys, maps, sections and absent map entries point at the file.
  if (!e && !schema_->find_map(key) && !schema_->is_section(key)) (void)has(key);  // throws if undeclared
  return ConfigError(source_, 0, std::string(key), std::move(msg));
}

// ---------------------------------------------------------------------------
// Output

nlohmann::ordered_json Config::to_json() const {
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  for (const KeyDef& def : schema_->keys()) {
    const std::vector<std::string> comps = split_path(def.path);
    nlohmann::ordered_json* cur = &root;
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
      nlohmann::ordered_json& next = (*cur)[comps[i]];
      if (!next.is_object()) next = nlohmann::ordered_json::object();
      cur = &next;
    }
    nlohmann::ordered_json& slot = (*cur)[comps.back()];
    if (def.is_map) {
      if (!slot.is_object()) slot = nlohmann::ordered_json::object();
      for (const auto& [name, e] : maps_.at(def.path).items) slot[name] = json_value(def.type, e.value);
    } else {
      slot = json_value(def.type, values_.at(def.path).value);
    }
  }
  return root;
}

std::string Config::to_toml() const {
  // Sections in order of first appearance; root keys must come first.
  std::vector<std::pair<std::string, std::vector<std::string>>> sections{{"", {}}};
  auto section = [&](const std::vector<std::string>& comps, std::size_t n) -> std::vector<std::string>& {
    std::string name;
    for (std::size_t i = 0; i < n; ++i) {
      if (i) name += '.';
      name += quote_key(comps[i]);
    }
    for (auto& s : sections)
      if (s.first == name) return s.second;
    return sections.emplace_back(name, std::vector<std::string>{}).second;
  };
  for (const KeyDef& def : schema_->keys()) {
    const std::vector<std::string> comps = split_path(def.path);
    if (def.is_map) {
      auto& lines = section(comps, comps.size());
      for (const auto& [name, e] : maps_.at(def.path).items)
        lines.push_back(quote_key(name) + " = " + toml_text(def.type, e.value));
    } else {
      const Value& v = values_.at(def.path).value;
      if (std::holds_alternative<std::monostate>(v)) continue;
      section(comps, comps.size() - 1).push_back(quote_key(comps.back()) + " = " + toml_text(def.type, v));
    }
  }
  std::string out;
  for (const auto& [name, lines] : sections) {
    if (lines.empty()) continue;
    if (!name.empty()) out += (out.empty() ? "[" : "\n[") + name + "]\n";
    for (const std::string& l : lines) out += l + "\n";
  }
  return out;
}

}  // namespace sim::config
