// SPDX-License-Identifier: GPL-2.0-only
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/distribution.hpp"
#include "sim/rng.hpp"

using sim::Distribution;

namespace {

struct Moments {
  double mean, sd;
};

Moments sample_moments(const Distribution& d, int n, std::string_view stream) {
  sim::Rng rng(11, stream);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = d.sample(rng);
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / n;
  return {mean, std::sqrt(sum2 / n - mean * mean)};
}

}  // namespace

TEST_CASE("parse_duration_ns units", "[distribution]") {
  CHECK(sim::parse_duration_ns("250ns") == 250.0);
  CHECK(sim::parse_duration_ns("1.5us") == 1500.0);
  CHECK(sim::parse_duration_ns("2ms") == 2e6);
  CHECK(sim::parse_duration_ns("3s") == 3e9);
  CHECK(sim::parse_duration_ns(" 4 us ") == 4000.0);
  CHECK(sim::parse_duration_ns("1e3ns") == 1000.0);
  CHECK(sim::parse_duration_ns("0") == 0.0);  // the one number that needs no unit
  CHECK_THROWS_WITH(sim::parse_duration_ns("250"), Catch::Matchers::Contains("needs a unit") &&
                                                       Catch::Matchers::Contains("did you mean '250us'?"));
  for (const char* bad : {"", "250", "1.5", "2 ", "us", "-1us", "+1us", "1 parsec", "1usx", "1.2.3ns", "nan", "inf", "1e400s",
                          "0x10ns", "1 us 2"}) {
    INFO(bad);
    CHECK_THROWS_AS(sim::parse_duration_ns(bad), std::invalid_argument);
  }
}

TEST_CASE("parse the documented forms", "[distribution]") {
  const Distribution c = Distribution::parse("250ns");
  CHECK(c.kind() == Distribution::Kind::constant);
  CHECK(c.mean() == 250.0);
  CHECK(c == Distribution::parse("const(250ns)"));
  CHECK_THROWS_AS(Distribution::parse("250"), std::invalid_argument);  // no unit
  CHECK_THROWS_AS(Distribution::parse("exp(20)"), std::invalid_argument);

  const Distribution e = Distribution::parse("exp(20us)");
  CHECK(e.kind() == Distribution::Kind::exponential);
  CHECK(e.mean() == 20000.0);
  CHECK(e.cv() == 1.0);

  const Distribution u = Distribution::parse("uniform(10us,30us)");
  CHECK(u.kind() == Distribution::Kind::uniform);
  CHECK(u.mean() == 20000.0);
  CHECK(u.cv() == Approx(20000.0 / std::sqrt(12.0) / 20000.0));
  CHECK(u == Distribution::parse(" uniform( 10us , 30us ) "));

  const Distribution l = Distribution::parse("lognormal(20us,0.5)");
  CHECK(l.kind() == Distribution::Kind::lognormal);
  CHECK(l.mean() == 20000.0);
  CHECK(l.cv() == 0.5);
}

TEST_CASE("to_string is canonical and round-trips", "[distribution]") {
  CHECK(Distribution::parse("250ns").to_string() == "const(250ns)");
  CHECK(Distribution::parse("exp(20000ns)").to_string() == "exp(20us)");
  CHECK(Distribution::parse("uniform(10us, 30000ns)").to_string() == "uniform(10us,30us)");
  CHECK(Distribution::parse("lognormal(0.02ms,0.5)").to_string() == "lognormal(20us,0.5)");
  CHECK(Distribution::parse("const(1500ns)").to_string() == "const(1.5us)");
  CHECK(Distribution{}.to_string() == "const(0ns)");

  for (const Distribution& d :
       {Distribution::constant(0), Distribution::constant(0.1), Distribution::constant(1234.5678),
        Distribution::constant(123456789.123), Distribution::exponential(1e-3), Distribution::exponential(7e12),
        Distribution::uniform(0, 0), Distribution::uniform(0.3, 1.0 / 3), Distribution::lognormal(999.999, 0),
        Distribution::lognormal(1.0 / 7, 1.0 / 3)}) {
    const std::string s = d.to_string();
    INFO(s);
    CHECK(Distribution::parse(s) == d);
    CHECK(Distribution::parse(s).to_string() == s);
  }
}

TEST_CASE("bad specs throw short messages", "[distribution]") {
  for (const char* bad :
       {"", "-5us", "const(-1)", "exp(0)", "exp(-1us)", "exp()", "exp(1us,2us)", "uniform(30us,10us)",
        "uniform(10us)", "lognormal(20us)", "lognormal(0,0.5)", "lognormal(20us,-1)", "lognormal(20us,0.5us)",
        "gamma(1us)", "exp(20us)x", "exp(20us", "exp(20us))", "exp((20us))", "20us junk", "exp 20us", "(20us)",
        "EXP(20us)"}) {
    INFO(bad);
    try {
      Distribution::parse(bad);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).size() < 120);
    }
  }
}

TEST_CASE("constant is exact and draws nothing", "[distribution]") {
  const Distribution c = Distribution::parse("const(3.25us)");
  sim::Rng a(1, "c"), b(1, "c");
  for (int i = 0; i < 100; ++i) CHECK(c.sample(a) == 3250.0);
  CHECK(a.next() == b.next());
  CHECK(c.cv() == 0.0);
}

TEST_CASE("sample means within 5 sigma", "[distribution]") {
  constexpr int n = 1'000'000;
  for (const char* spec : {"exp(20us)", "uniform(10us,30us)", "lognormal(20us,0.5)", "lognormal(5us,1)"}) {
    const Distribution d = Distribution::parse(spec);
    const Moments m = sample_moments(d, n, spec);
    const double sd = d.mean() * d.cv();
    INFO(spec << ": sample mean " << m.mean << ", sd " << m.sd);
    CHECK(std::abs(m.mean - d.mean()) < 5 * sd / std::sqrt(n));
  }
}

TEST_CASE("uniform samples stay in range", "[distribution]") {
  const Distribution u = Distribution::uniform(10, 30);
  sim::Rng rng(3, "u");
  for (int i = 0; i < 100000; ++i) {
    const double x = u.sample(rng);
    REQUIRE(x >= 10.0);
    REQUIRE(x <= 30.0);
  }
}

TEST_CASE("lognormal matches the requested mean and cv", "[distribution]") {
  constexpr int n = 1'000'000;
  for (double cv : {0.25, 0.5, 1.0}) {
    const Distribution d = Distribution::lognormal(20000, cv);
    const Moments m = sample_moments(d, n, "lognormal-cv");
    // Sample variance has sd sigma^2 * sqrt((kurtosis_excess + 2) / n); the
    // lognormal's excess kurtosis follows from s2 = ln(1 + cv^2).
    const double s2 = std::log1p(cv * cv);
    const double kurt = std::exp(4 * s2) + 2 * std::exp(3 * s2) + 3 * std::exp(2 * s2) - 6;
    const double rel_var_sd = std::sqrt((kurt + 2) / n);
    const double rel_mean_sd = cv / std::sqrt(n);
    INFO("cv " << cv << ": sample mean " << m.mean << ", sample cv " << m.sd / m.mean);
    CHECK(std::abs(m.mean / 20000 - 1) < 5 * rel_mean_sd);
    CHECK(std::abs(m.sd / m.mean / cv - 1) < 5 * (rel_var_sd / 2 + rel_mean_sd));
  }
}
