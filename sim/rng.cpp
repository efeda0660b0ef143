// SPDX-License-Identifier: GPL-2.0-only
#include "sim/rng.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace sim {

namespace detail {
namespace {

// The splitmix64 output function alone: a bijection, so chaining it keeps
// distinct (seed, name, index) inputs from collapsing before the last step.
constexpr std::uint64_t mix64(std::uint64_t z) {
  std::uint64_t x = z - 0x9e3779b97f4a7c15ull;
  return splitmix64(x);
}

constexpr std::uint64_t stream_seed(std::uint64_t seed, std::string_view name) {
  return mix64(mix64(seed) ^ fnv1a64(name));
}

}  // namespace
}  // namespace detail

Rng::Rng(std::uint64_t seed64) {
  // Consecutive splitmix64 outputs are distinct, so the state is never all zero.
  for (auto& w : s_) w = detail::splitmix64(seed64);
}

Rng::Rng(std::uint64_t seed, std::string_view stream_name) : Rng(detail::stream_seed(seed, stream_name)) {}

Rng::Rng(std::uint64_t seed, std::string_view name, std::uint64_t index) : Rng(derive_seed(seed, name, index)) {}

Rng Rng::from_state(const State& s) {
  if (s == State{}) throw std::invalid_argument("Rng: all-zero xoshiro256** state");
  Rng r(0);
  r.s_ = s;
  return r;
}

std::uint64_t Rng::derive_seed(std::uint64_t seed, std::string_view name, std::uint64_t index) {
  return detail::mix64(detail::stream_seed(seed, name) ^ detail::mix64(~index));
}

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("Rng::below(0)");
  // Lemire, "Fast Random Integer Generation in an Interval" (2019): the high
  // word of x*n, rejecting the few low words that would bias it.
  __extension__ using U128 = unsigned __int128;
  U128 m = static_cast<U128>(next()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = -n % n;  // 2^64 mod n
    while (low < threshold) {
      m = static_cast<U128>(next()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double Rng::exponential(double mean) {
  // 1 - u lies in (0, 1], so the logarithm is finite.
  return -mean * std::log1p(-uniform01());
}

double Rng::normal() {
  const double u1 = 1.0 - uniform01();  // (0, 1]
  const double u2 = uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace sim
