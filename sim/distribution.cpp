// SPDX-License-Identifier: GPL-2.0-only
#include "sim/distribution.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "sim/rng.hpp"
#include "sim/time.hpp"

namespace sim {

namespace detail {
namespace {

// Beyond this the draws are all but always 0 or clamped to the maximum duration.
constexpr double kMaxLognormalCv = 100;

struct Unit {
  std::string_view name;
  double ns;
};
// Largest first: to_string picks the first unit that represents a value exactly.
constexpr Unit kUnits[] = {{"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1}};

// At most 80 characters of the offending text in a message.
std::string shown(std::string_view text) {
  if (text.size() <= 80) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, 80)) + "...'";
}

[[noreturn]] void fail(std::string_view what, std::string_view text) {
  throw std::invalid_argument(std::string(what) + ": " + shown(text));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// from_chars: locale-independent, and rejects the leading '+' and hex forms
// strtod would accept.
double parse_number(std::string_view s, std::string_view& rest, std::string_view whole) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end == s.data()) fail("bad number", whole);
  if (!std::isfinite(v)) fail("non-finite number", whole);
  if (v < 0 || std::signbit(v)) fail("negative value", whole);
  rest = s.substr(static_cast<std::size_t>(end - s.data()));
  return v;
}

std::string format_number(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip
  return std::string(buf, end);
}

std::string format_duration(double ns) {
  for (const Unit& u : kUnits) {
    const double x = ns / u.ns;
    // Exact round trip only: parse multiplies x back by the unit.
    if (x >= 1 && x * u.ns == ns) return format_number(x) + std::string(u.name);
  }
  return format_number(ns) + "ns";
}

double parse_plain(std::string_view s) {
  const std::string_view t = trim(s);
  std::string_view rest;
  const double v = parse_number(t, rest, s);
  if (!rest.empty()) fail("trailing characters", s);
  return v;
}

}  // namespace
}  // namespace detail

double parse_duration_ns(std::string_view text) {
  const std::string_view t = detail::trim(text);
  std::string_view rest;
  const double v = detail::parse_number(t, rest, text);
  rest = detail::trim(rest);
  // A unit is mandatory: "200" could mean 200ns or 200us, and read silently
  // as ns it was a frequent mistake. Zero is the same in every unit.
  if (rest.empty()) {
    if (v == 0) return 0;
    throw std::invalid_argument("a duration needs a unit (ns, us, ms or s): " + detail::shown(t) +
                                "; did you mean '" + std::string(t) + "us'?");
  }
  for (const detail::Unit& u : detail::kUnits) {
    if (rest != u.name) continue;
    if (!(v * u.ns <= kMaxDurationNs)) detail::fail("longer than the maximum of 1000000s (10^6 s)", text);
    return v * u.ns;
  }
  detail::fail("unknown duration unit (use ns, us, ms, s)", text);
}

Distribution::Distribution(Kind kind, double a, double b) : kind_(kind), a_(a), b_(b) {
  if (!std::isfinite(a) || !std::isfinite(b) || a < 0 || b < 0)
    throw std::invalid_argument("distribution parameters must be finite and non-negative");
  if (kind == Kind::lognormal) {
    // For a lognormal, cv^2 = exp(sigma^2) - 1 and mean = exp(mu + sigma^2/2).
    const double s2 = std::log1p(b * b);
    sigma_ = std::sqrt(s2);
    mu_ = std::log(a) - s2 / 2;
  }
}

Distribution Distribution::constant(double ns) { return {Kind::constant, ns, 0}; }

Distribution Distribution::exponential(double mean_ns) {
  if (!(mean_ns > 0)) throw std::invalid_argument("exp: mean must be > 0");
  return {Kind::exponential, mean_ns, 0};
}

Distribution Distribution::uniform(double lo_ns, double hi_ns) {
  if (!(lo_ns <= hi_ns)) throw std::invalid_argument("uniform: lo must be <= hi");
  return {Kind::uniform, lo_ns, hi_ns};
}

Distribution Distribution::lognormal(double mean_ns, double cv) {
  if (!(mean_ns > 0)) throw std::invalid_argument("lognormal: mean must be > 0");
  if (!(cv <= detail::kMaxLognormalCv)) throw std::invalid_argument("lognormal: cv must be <= 100");
  return {Kind::lognormal, mean_ns, cv};
}

Distribution Distribution::parse(std::string_view text) {
  const std::string_view t = detail::trim(text);
  const std::size_t open = t.find('(');
  if (open == std::string_view::npos) return constant(parse_duration_ns(t));
  if (t.back() != ')') detail::fail("expected ')' at end", text);
  const std::string_view name = detail::trim(t.substr(0, open));
  const std::string_view inner = t.substr(open + 1, t.size() - open - 2);
  if (inner.find_first_of("()") != std::string_view::npos) detail::fail("unbalanced parentheses", text);

  std::vector<std::string_view> args;
  for (std::size_t start = 0;;) {
    const std::size_t comma = inner.find(',', start);
    args.push_back(inner.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  auto want = [&](std::size_t n) {
    if (args.size() != n) throw std::invalid_argument("wrong number of arguments");
  };

  try {
    if (name == "const") {
      want(1);
      return constant(parse_duration_ns(args[0]));
    }
    if (name == "exp") {
      want(1);
      return exponential(parse_duration_ns(args[0]));
    }
    if (name == "uniform") {
      want(2);
      return uniform(parse_duration_ns(args[0]), parse_duration_ns(args[1]));
    }
    if (name == "lognormal") {
      want(2);
      return lognormal(parse_duration_ns(args[0]), detail::parse_plain(args[1]));
    }
  } catch (const std::invalid_argument& e) {
    // Name the whole spec so the config error points at the right key.
    throw std::invalid_argument(std::string(e.what()) + " in " + detail::shown(text));
  }
  detail::fail("unknown distribution (const, exp, uniform, lognormal)", text);
}

std::string Distribution::to_string() const {
  using detail::format_duration;
  switch (kind_) {
    case Kind::constant:
      return "const(" + format_duration(a_) + ")";
    case Kind::exponential:
      return "exp(" + format_duration(a_) + ")";
    case Kind::uniform:
      return "uniform(" + format_duration(a_) + "," + format_duration(b_) + ")";
    case Kind::lognormal:
      return "lognormal(" + format_duration(a_) + "," + detail::format_number(b_) + ")";
  }
  return {};
}

double Distribution::sample(Rng& rng) const {
  switch (kind_) {
    case Kind::constant:
      return a_;  // consumes no draw: a constant needs no randomness
    case Kind::exponential:
      return rng.exponential(a_);
    case Kind::uniform:
      return a_ + (b_ - a_) * rng.uniform01();
    case Kind::lognormal:
      return std::exp(mu_ + sigma_ * rng.normal());
  }
  return 0;
}

double Distribution::mean() const {
  return kind_ == Kind::uniform ? (a_ + b_) / 2 : a_;
}

double Distribution::cv() const {
  switch (kind_) {
    case Kind::constant:
      return 0;
    case Kind::exponential:
      return 1;
    case Kind::uniform:
      // sd = (hi - lo) / sqrt(12), mean = (hi + lo) / 2.
      return a_ + b_ > 0 ? (b_ - a_) / (std::sqrt(3.0) * (a_ + b_)) : 0;
    case Kind::lognormal:
      return b_;
  }
  return 0;
}

}  // namespace sim
