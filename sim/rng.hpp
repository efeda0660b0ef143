// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Deterministic random streams: xoshiro256** seeded through splitmix64.
//
// Every event source owns a stream derived from (run seed, source name[,
// index]), so adding or reordering sources never perturbs another source's
// draws and a run is reproducible from its seed alone. Only hand-written
// transforms are used: std:: distributions differ between standard libraries.
#include <array>
#include <cstdint>
#include <string_view>

namespace sim {

namespace detail {

constexpr std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

constexpr std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace detail

class Rng {
 public:
  using State = std::array<std::uint64_t, 4>;

  Rng(std::uint64_t seed, std::string_view stream_name);
  Rng(std::uint64_t seed, std::string_view name, std::uint64_t index);

  // For checking against the reference algorithm and for checkpoints.
  static Rng from_state(const State& s);
  const State& state() const { return s_; }

  // A 64-bit seed for numbered child runs (e.g. sweep replications). The
  // unnumbered constructor mixes differently, so ("x") and ("x", 0) differ.
  static std::uint64_t derive_seed(std::uint64_t seed, std::string_view name, std::uint64_t index);

  std::uint64_t next() {
    const std::uint64_t result = detail::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = detail::rotl(s_[3], 45);
    return result;
  }

  // Top 53 bits: every value is a multiple of 2^-53 in [0, 1).
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Unbiased integer in [0, n); n must be > 0.
  std::uint64_t below(std::uint64_t n);
  double exponential(double mean);
  // Standard normal. Box-Muller without caching the second value, so every
  // call consumes exactly two draws and the stream position stays obvious.
  double normal();
  // Always consumes one draw, whatever p, so changing p does not shift the
  // rest of the stream.
  bool bernoulli(double p) { return uniform01() < p; }

 private:
  explicit Rng(std::uint64_t seed64);

  State s_{};
};

}  // namespace sim
