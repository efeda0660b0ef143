// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Simulated time. Integer picoseconds: cache-line costs are fractions of a
// nanosecond (cycles at 2-3 GHz) and integer time keeps event order exact and
// results byte-identical across machines. int64 ps spans about 106 days.
//
// Limits (docs/input-limits.md): every configured duration, distribution
// parameter and cost is at most kMaxDuration (10^6 s), and a run stops at
// kHorizon (4 * 10^6 s) at the latest, so `now + d` never overflows: the sum
// of the horizon and a few maximal steps stays far below INT64_MAX (9.2 *
// 10^6 s).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace sim {

using Time = std::int64_t;  // picoseconds

inline constexpr Time kPs = 1;
inline constexpr Time kNs = 1000;
inline constexpr Time kUs = 1000 * kNs;
inline constexpr Time kMs = 1000 * kUs;
inline constexpr Time kSec = 1000 * kMs;
inline constexpr Time kNever = INT64_MAX;

// The longest configurable duration, and the same in ns as a double.
inline constexpr Time kMaxDuration = 1'000'000 * kSec;
inline constexpr double kMaxDurationNs = 1e15;
// No run goes past this simulated time (the driver's `until` is capped).
inline constexpr Time kHorizon = 4 * kMaxDuration;

// A sampled or computed duration in ns to ps, rounded, clamped to
// [-kMaxDuration, kMaxDuration] (NaN gives 0). Distribution tails (an
// exponential draw of 40 means) stay representable this way; configured
// values are checked with checked_duration_ps first, so for them the clamp
// never acts.
constexpr Time from_ns(double ns) {
  if (!(ns == ns)) return 0;
  if (ns >= kMaxDurationNs) return kMaxDuration;
  if (ns <= -kMaxDurationNs) return -kMaxDuration;
  return static_cast<Time>(ns * 1000.0 + (ns >= 0 ? 0.5 : -0.5));
}
constexpr double to_ns(Time t) { return static_cast<double>(t) / 1000.0; }
constexpr double to_sec(Time t) { return static_cast<double>(t) / 1e12; }

// A configured duration in ns to ps: throws std::invalid_argument for NaN,
// infinities, negative values and values above kMaxDuration (10^6 s).
inline Time checked_duration_ps(double ns) {
  if (!std::isfinite(ns)) throw std::invalid_argument("not a finite duration");
  if (ns < 0) throw std::invalid_argument("negative duration");
  if (ns > kMaxDurationNs) throw std::invalid_argument("longer than the maximum of 1000000s (10^6 s)");
  return static_cast<Time>(std::llround(ns * 1000.0));
}

}  // namespace sim
