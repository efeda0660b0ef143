// SPDX-License-Identifier: GPL-2.0-only
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "sim/rng.hpp"

using sim::Rng;

namespace {

// xoshiro256** transcribed independently from Blackman & Vigna's xoshiro256starstar.c.
struct Reference {
  std::uint64_t s[4];
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

}  // namespace

TEST_CASE("xoshiro256** matches the reference", "[rng]") {
  // Hand-checked: rotl(2*5, 7)*9 = 11520; s[1] becomes 0 so the second is 0;
  // the third is rotl(262149*5, 7)*9. Values also agree with a Python transcription.
  Rng r = Rng::from_state({1, 2, 3, 4});
  CHECK(r.next() == 11520u);
  CHECK(r.next() == 0u);
  CHECK(r.next() == 1509978240u);
  CHECK(r.next() == 1215971899390074240u);

  Rng a = Rng::from_state({0x0123456789abcdefull, 0xfedcba9876543210ull, 42, 0xdeadbeefull});
  Reference ref{{0x0123456789abcdefull, 0xfedcba9876543210ull, 42, 0xdeadbeefull}};
  for (int i = 0; i < 1000; ++i) REQUIRE(a.next() == ref.next());

  CHECK_THROWS_AS(Rng::from_state({0, 0, 0, 0}), std::invalid_argument);
}

TEST_CASE("seeding helpers match their published test vectors", "[rng]") {
  std::uint64_t x = 0;
  CHECK(sim::detail::splitmix64(x) == 0xe220a8397b1dcdafull);
  CHECK(sim::detail::splitmix64(x) == 0x6e789e6aa1b965f4ull);
  CHECK(sim::detail::splitmix64(x) == 0x06c45d188009454full);
  static_assert(sim::detail::fnv1a64("") == 0xcbf29ce484222325ull);
  static_assert(sim::detail::fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  static_assert(sim::detail::fnv1a64("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("streams are deterministic and independent", "[rng]") {
  auto first = [](Rng r) {
    std::array<std::uint64_t, 8> out{};
    for (auto& v : out) v = r.next();
    return out;
  };
  CHECK(first(Rng(1, "disk")) == first(Rng(1, "disk")));
  CHECK(first(Rng(1, "disk")) != first(Rng(1, "nic")));
  CHECK(first(Rng(1, "disk")) != first(Rng(2, "disk")));
  CHECK(first(Rng(1, "cpu", 3)) == first(Rng(1, "cpu", 3)));
  CHECK(first(Rng(1, "cpu", 3)) != first(Rng(1, "cpu", 4)));
  CHECK(first(Rng(1, "cpu", 0)) != first(Rng(1, "cpu")));

  CHECK(Rng::derive_seed(9, "rep", 0) == Rng::derive_seed(9, "rep", 0));
  CHECK(Rng::derive_seed(9, "rep", 0) != Rng::derive_seed(9, "rep", 1));
  CHECK(Rng::derive_seed(9, "rep", 0) != Rng::derive_seed(10, "rep", 0));
  CHECK(Rng::derive_seed(9, "rep", 0) != Rng::derive_seed(9, "rop", 0));
}

TEST_CASE("uniform01 lies in 0 to 1 (exclusive) with mean 1/2", "[rng]") {
  Rng r(2024, "uniform");
  constexpr int n = 1'000'000;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  const double sigma = std::sqrt(1.0 / 12.0 / n);
  CHECK(std::abs(sum / n - 0.5) < 5 * sigma);
}

TEST_CASE("exponential mean", "[rng]") {
  Rng r(2024, "exponential");
  constexpr int n = 1'000'000;
  const double mean = 20'000.0;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double x = r.exponential(mean);
    REQUIRE(x >= 0.0);
    REQUIRE(std::isfinite(x));
    sum += x;
  }
  CHECK(std::abs(sum / n - mean) < 5 * mean / std::sqrt(n));  // sd of an exponential = mean
}

TEST_CASE("normal has mean 0 and variance 1", "[rng]") {
  Rng r(2024, "normal");
  constexpr int n = 1'000'000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    REQUIRE(std::isfinite(z));
    sum += z;
    sum2 += z * z;
  }
  const double mean = sum / n;
  CHECK(std::abs(mean) < 5 / std::sqrt(n));
  CHECK(std::abs(sum2 / n - mean * mean - 1) < 5 * std::sqrt(2.0 / n));
}

TEST_CASE("below(n) stays below n and is unbiased", "[rng]") {
  Rng r(5, "below");
  for (std::uint64_t n : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{1000},
                          (std::uint64_t{1} << 63) + 1, UINT64_MAX}) {
    for (int i = 0; i < 10000; ++i) REQUIRE(r.below(n) < n);
  }
  CHECK_THROWS_AS(r.below(0), std::invalid_argument);

  constexpr int n = 1'000'000;
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(r.below(10));
  CHECK(std::abs(sum / n - 4.5) < 5 * std::sqrt(99.0 / 12.0 / n));  // var = (n^2-1)/12
}

TEST_CASE("bernoulli frequency", "[rng]") {
  Rng r(5, "bernoulli");
  constexpr int n = 1'000'000;
  const double p = 0.3;
  int hits = 0;
  for (int i = 0; i < n; ++i) hits += r.bernoulli(p);
  CHECK(std::abs(static_cast<double>(hits) / n - p) < 5 * std::sqrt(p * (1 - p) / n));
  CHECK_FALSE(r.bernoulli(0.0));
  CHECK(r.bernoulli(1.0));
}
