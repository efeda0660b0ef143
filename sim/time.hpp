#pragma once
// Simulated time. Integer picoseconds: cache-line costs are fractions of a
// nanosecond (cycles at 2-3 GHz) and integer time keeps event order exact and
// results byte-identical across machines. int64 ps spans about 106 days.
#include <cstdint>

namespace sim {

using Time = std::int64_t;  // picoseconds

inline constexpr Time kPs = 1;
inline constexpr Time kNs = 1000;
inline constexpr Time kUs = 1000 * kNs;
inline constexpr Time kMs = 1000 * kUs;
inline constexpr Time kSec = 1000 * kMs;
inline constexpr Time kNever = INT64_MAX;

constexpr Time from_ns(double ns) { return static_cast<Time>(ns * 1000.0 + (ns >= 0 ? 0.5 : -0.5)); }
constexpr double to_ns(Time t) { return static_cast<double>(t) / 1000.0; }
constexpr double to_sec(Time t) { return static_cast<double>(t) / 1e12; }

}  // namespace sim
