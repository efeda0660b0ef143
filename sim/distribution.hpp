// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Service-time and inter-arrival distributions as small value types, parsed
// from config strings such as "exp(20us)" or "lognormal(20us,0.5)".
// Values are nanoseconds as double; the caller rounds to simulated Time.
#include <string>
#include <string_view>

namespace sim {

class Rng;

// "250ns", "1.5us", "2ms", "1s"; the unit is mandatory except for 0 (a bare
// "200" throws, suggesting "200us"). Negative, non-finite, longer than 10^6 s
// (sim::kMaxDuration) or malformed input throws std::invalid_argument.
double parse_duration_ns(std::string_view text);

class Distribution {
 public:
  enum class Kind { constant, exponential, uniform, lognormal };

  Distribution() = default;  // const(0ns)
  static Distribution constant(double ns);
  static Distribution exponential(double mean_ns);
  static Distribution uniform(double lo_ns, double hi_ns);
  // Parameterised by mean and coefficient of variation, which is how
  // latencies are measured and quoted, rather than by the log-space mu/sigma.
  static Distribution lognormal(double mean_ns, double cv);

  // Syntax: "250ns" | "const(250ns)" | "exp(20us)" | "uniform(10us,30us)" |
  // "lognormal(20us,0.5)". Throws std::invalid_argument on bad input.
  static Distribution parse(std::string_view text);
  // Canonical form; parse(to_string()) == *this exactly.
  std::string to_string() const;

  double sample(Rng& rng) const;
  double mean() const;
  double cv() const;
  Kind kind() const { return kind_; }

  bool operator==(const Distribution&) const = default;

 private:
  Distribution(Kind kind, double a, double b);

  Kind kind_ = Kind::constant;
  double a_ = 0;  // value | mean | lo | mean
  double b_ = 0;  // -     | -    | hi | cv
  // lognormal only: log-space parameters, cached because sample() is hot.
  double mu_ = 0;
  double sigma_ = 0;
};

}  // namespace sim
