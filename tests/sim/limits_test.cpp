// SPDX-License-Identifier: GPL-2.0-only
// The input limits of docs/input-limits.md, at the functions that enforce
// them: checked time conversions, the duration and distribution parsers, file
// reading, the dotted-key pre-scan and one-line messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "sim/config.hpp"
#include "sim/distribution.hpp"
#include "sim/time.hpp"

using Catch::Matchers::Contains;

TEST_CASE("configured durations are finite, non-negative and at most 10^6 s", "[limits]") {
  // 10^6 s = 10^15 ns = 10^18 ps, below INT64_MAX (about 9.22 * 10^18 ps).
  CHECK(sim::checked_duration_ps(1e15) == 1'000'000'000'000'000'000LL);
  CHECK(sim::checked_duration_ps(0) == 0);
  CHECK(sim::checked_duration_ps(1.5) == 1500);
  CHECK_THROWS_AS(sim::checked_duration_ps(1.0000001e15), std::invalid_argument);
  CHECK_THROWS_AS(sim::checked_duration_ps(-1), std::invalid_argument);
  CHECK_THROWS_AS(sim::checked_duration_ps(std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(sim::checked_duration_ps(std::numeric_limits<double>::infinity()), std::invalid_argument);
  // The horizon plus a few maximal steps cannot overflow.
  CHECK(sim::kHorizon + 4 * sim::kMaxDuration < INT64_MAX);
}

TEST_CASE("sampled durations are clamped, never wrapped", "[limits]") {
  CHECK(sim::from_ns(1e300) == sim::kMaxDuration);
  CHECK(sim::from_ns(std::numeric_limits<double>::infinity()) == sim::kMaxDuration);
  CHECK(sim::from_ns(-1e300) == -sim::kMaxDuration);
  CHECK(sim::from_ns(std::nan("")) == 0);
  CHECK(sim::from_ns(2.5) == 2500);
  CHECK(sim::from_ns(0.0004) == 0);  // rounds to the nearest ps
}

TEST_CASE("duration and distribution text above the maximum is rejected", "[limits]") {
  CHECK(sim::parse_duration_ns("1000000s") == 1e15);
  CHECK_THROWS_WITH(sim::parse_duration_ns("1000001s"), Contains("maximum of 1000000s"));
  CHECK_THROWS_WITH(sim::parse_duration_ns("1e300ns"), Contains("maximum"));
  CHECK_THROWS_WITH(sim::Distribution::parse("const(1e10s)"), Contains("maximum"));
  CHECK_THROWS_WITH(sim::Distribution::parse("exp(1e300ns)"), Contains("maximum"));
  CHECK_THROWS_WITH(sim::Distribution::parse("lognormal(20us,101)"), Contains("cv must be <= 100"));
  CHECK_NOTHROW(sim::Distribution::parse("lognormal(20us,100)"));
  // A long bad value is cut in the message.
  const std::string big(100000, 'x');
  try {
    (void)sim::Distribution::parse(big);
    FAIL("accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).size() < 300);
  }
}

TEST_CASE("config durations and costs above the limits name the key", "[limits]") {
  sim::config::Schema s;
  s.add("d", sim::config::Type::Duration, "1us", "a duration").min(0);
  s.add("x", sim::config::Type::Distribution, "exp(1us)", "a distribution");
  const auto err = [&](const std::string& text) {
    try {
      (void)sim::config::Config::from_string(s, text, "x.toml");
    } catch (const sim::config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK_THAT(err("d = \"2e6s\"\n"), Contains("x.toml:1: d: invalid duration: ") && Contains("maximum of 1000000s"));
  CHECK_THAT(err("d = 9223372036854775807\n"), Contains("x.toml:1: d: a duration needs a unit"));
  CHECK_THAT(err("d = \"9223372036854775807ns\"\n"), Contains("x.toml:1: d: invalid duration: ") && Contains("maximum"));
  CHECK(err("d = \"1000000000000000ns\"\n") == "(accepted)");  // 10^15 ns exactly
  CHECK_THAT(err("x = \"const(1e300ns)\"\n"), Contains("x.toml:1: x: invalid distribution: "));
}

TEST_CASE("messages are one line with long values cut", "[limits]") {
  CHECK(sim::config::printable("a\nb\x01") == "a\\nb\\x01");
  const std::string cut = sim::config::printable(std::string(5000, 'y'), 100);
  CHECK(cut.size() < 130);
  CHECK_THAT(cut, Contains("... (4900 more bytes)"));
  const sim::config::ConfigError e("f.toml", 3, std::string(1000, 'k'), "bad\nvalue");
  const std::string what = e.what();
  CHECK(what.find('\n') == std::string::npos);
  CHECK(what.size() < 300);
}

TEST_CASE("dotted keys of more than 32 parts are refused before toml++ reads them", "[limits]") {
  std::string key = "a";
  for (int i = 0; i < 31; ++i) key += ".a";  // 32 parts
  CHECK_THROWS_WITH(sim::config::parse_toml(key + ".a = 1\n", "k.toml"), Contains("more than 32 parts"));
  CHECK_NOTHROW(sim::config::parse_toml("b = 1\n", "k.toml"));
  std::string deep = "a";
  for (int i = 0; i < 50000; ++i) deep += ".a";
  CHECK_THROWS_AS(sim::config::parse_toml(deep + " = 1\n", "k.toml"), sim::config::ConfigError);
  std::string header = "[";
  for (int i = 0; i < 5000; ++i) header += "a.";
  CHECK_THROWS_AS(sim::config::parse_toml(header + "b]\nx = 1\n", "k.toml"), sim::config::ConfigError);
  // Dots inside strings and floats in arrays are not key parts.
  std::string floats = "x = [";
  for (int i = 0; i < 100; ++i) floats += "1.5, ";
  CHECK_NOTHROW(sim::config::parse_toml(floats + "2.5]\ny = \"" + std::string(100, '.') + "\"\n", "k.toml"));
}

TEST_CASE("input files must be regular and at most 1 MiB", "[limits]") {
  CHECK_THROWS_WITH(sim::config::read_input_file("/dev/zero"), Contains("/dev/zero: cannot read: not a regular file"));
  CHECK_THROWS_WITH(sim::config::read_input_file("/"), Contains("Is a directory"));
  CHECK_THROWS_WITH(sim::config::read_input_file("/nonexistent/x.toml"), Contains("cannot open"));
}

TEST_CASE("CPU lists hold at most 65536 CPUs", "[limits]") {
  CHECK(sim::config::parse_cpu_list("0-65535").size() == 65536);
  CHECK_THROWS_AS(sim::config::parse_cpu_list("0-65536"), std::invalid_argument);
  CHECK_THROWS_AS(sim::config::parse_cpu_list("0-60000,0-60000"), std::invalid_argument);
}
