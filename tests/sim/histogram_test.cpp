// SPDX-License-Identifier: GPL-2.0-only
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sim/rng.hpp"
#include "sim/stats/histogram.hpp"

using sim::Histogram;

namespace {

// |reported - exact| within the documented bound (exact values report exactly).
bool within_bound(std::int64_t reported, std::int64_t exact) {
  return std::abs(static_cast<double>(reported) - static_cast<double>(exact)) <=
         Histogram::kRelativeError * static_cast<double>(exact);
}

// Nearest-rank percentile of sorted samples, computed independently of Histogram.
std::int64_t exact_percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (p == 0) return sorted.front();
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size()) / 100.0));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

TEST_CASE("empty histogram reports zeros", "[histogram]") {
  Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.percentile(50) == 0);
  CHECK(h.percentile(0) == 0);
  CHECK(h.percentile(100) == 0);
}

TEST_CASE("values below 128 are exact", "[histogram]") {
  Histogram h;
  for (std::int64_t v = 0; v < 128; ++v) h.record(v);
  CHECK(h.count() == 128);
  CHECK(h.min() == 0);
  CHECK(h.max() == 127);
  CHECK(h.mean() == 63.5);
  // p = 100*r/128 has nearest rank r, whose value is r - 1.
  for (int r = 1; r <= 128; ++r) CHECK(h.percentile(100.0 * r / 128) == r - 1);
}

TEST_CASE("1..1000 uniformly", "[histogram]") {
  Histogram h;
  for (std::int64_t v = 1; v <= 1000; ++v) h.record(v);
  CHECK(h.mean() == 500.5);
  CHECK(h.min() == 1);
  CHECK(h.max() == 1000);
  CHECK(h.percentile(0) == 1);
  CHECK(h.percentile(100) == 1000);
  CHECK(within_bound(h.percentile(50), 500));
  CHECK(within_bound(h.percentile(90), 900));
  CHECK(within_bound(h.percentile(99), 990));
  CHECK(within_bound(h.percentile(99.9), 999));
  CHECK(h.percentile(10) == 100);  // still in the exact range
  CHECK(h.percentile(0.1) == 1);
}

TEST_CASE("bimodal sample", "[histogram]") {
  // 900 IRQs at 10us and 100 at 1ms, in picoseconds.
  Histogram h;
  h.record_n(10'000'000, 900);
  h.record_n(1'000'000'000, 100);
  CHECK(h.count() == 1000);
  CHECK(h.mean() == 109'000'000.0);
  CHECK(within_bound(h.percentile(50), 10'000'000));
  CHECK(within_bound(h.percentile(90), 10'000'000));
  CHECK(h.percentile(90.1) == 1'000'000'000);  // rank 901; midpoint clamped to max
  CHECK(h.percentile(99) == 1'000'000'000);
  CHECK(h.percentile(1) >= h.min());  // clamped to min, never below
}

TEST_CASE("record_n equals n records", "[histogram]") {
  Histogram a, b;
  for (int i = 0; i < 7; ++i) a.record(123'456);
  a.record(5);
  b.record_n(123'456, 7);
  b.record_n(5, 1);
  b.record_n(999, 0);  // no-op, must not touch min/max
  CHECK(a.count() == b.count());
  CHECK(a.mean() == b.mean());
  CHECK(a.min() == b.min());
  CHECK(a.max() == b.max());
  for (double p = 0; p <= 100; p += 5) CHECK(a.percentile(p) == b.percentile(p));
}

TEST_CASE("invalid input throws", "[histogram]") {
  Histogram h;
  CHECK_THROWS_AS(h.record(-1), std::invalid_argument);
  CHECK_THROWS_AS(h.record_n(-5, 3), std::invalid_argument);
  CHECK(h.count() == 0);
  h.record(1);
  CHECK_THROWS_AS(h.percentile(-0.1), std::invalid_argument);
  CHECK_THROWS_AS(h.percentile(100.1), std::invalid_argument);
  CHECK_THROWS_AS(h.percentile(std::nan("")), std::invalid_argument);
}

TEST_CASE("extreme values", "[histogram]") {
  Histogram h;
  h.record(INT64_MAX);
  h.record(0);
  CHECK(h.max() == INT64_MAX);
  CHECK(h.percentile(100) == INT64_MAX);
  CHECK(h.percentile(50) == 0);
  CHECK(within_bound(h.percentile(75), INT64_MAX));  // top bucket midpoint, no overflow
  CHECK(h.mean() == static_cast<double>(INT64_MAX) / 2);
}

TEST_CASE("merge equals recording the union", "[histogram]") {
  sim::Rng rng(7, "histogram-merge");
  Histogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    auto v = static_cast<std::int64_t>(rng.below(1'000'000'000));
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  b.record(3);  // a block only b has
  all.record(3);
  Histogram merged = a;
  merged.merge(b);
  merged.merge(Histogram{});
  CHECK(merged.count() == all.count());
  CHECK(merged.mean() == all.mean());
  CHECK(merged.min() == all.min());
  CHECK(merged.max() == all.max());
  for (double p = 0; p <= 100; p += 0.5) CHECK(merged.percentile(p) == all.percentile(p));

  Histogram empty;
  empty.merge(all);
  CHECK(empty.percentile(37) == all.percentile(37));
  CHECK(empty.min() == all.min());
}

TEST_CASE("reset keeps storage, move leaves an empty histogram", "[histogram]") {
  Histogram h;
  h.record(1'000'000);
  const auto bytes = h.allocated_bytes();
  h.reset();
  CHECK(h.count() == 0);
  CHECK(h.percentile(50) == 0);
  CHECK(h.allocated_bytes() == bytes);
  h.record(2'000'000);
  CHECK(h.min() == 2'000'000);
  CHECK(h.allocated_bytes() > bytes);

  Histogram moved = std::move(h);
  CHECK(moved.count() == 1);
  CHECK(h.count() == 0);  // NOLINT(bugprone-use-after-move): documented state
  h.record(5);            // moved-from histogram is usable
  CHECK(h.percentile(50) == 5);
  CHECK(moved.percentile(50) == 2'000'000);
}

TEST_CASE("memory stays small", "[histogram]") {
  Histogram empty;
  CHECK(sizeof(Histogram) + empty.allocated_bytes() <= 256);

  // A narrow histogram (one octave, [2^20, 2^21)) holds one block of 64
  // 32-bit counters.
  Histogram narrow;
  for (std::int64_t v = 1 << 20; v < (1 << 21); v += 997) narrow.record(v);
  CHECK(narrow.allocated_bytes() == 64 * 4);
  CHECK(sizeof(Histogram) + narrow.allocated_bytes() <= 512);

  // The whole int64 range needs at most 58 blocks.
  Histogram wide;
  for (int bit = 0; bit < 63; ++bit) wide.record(std::int64_t{1} << bit);
  wide.record(INT64_MAX);
  CHECK(wide.allocated_bytes() <= 58 * 64 * 4);
}

TEST_CASE("bucket counts past 2^32 are exact", "[histogram]") {
  // 6e9 samples of 1000 in two steps (each below 2^32, the sum above it),
  // then 1e9 of 5000: 7e9 in all. Rank 5.6e9 (p80) is still 1000 and rank
  // 6.3e9 (p90) is 5000; a count kept mod 2^32 would leave 1000's bucket
  // with 6e9 - 2^32 = 1.7e9 and make p80 5000.
  Histogram h;
  h.record_n(1000, 3'000'000'000ULL);
  h.record_n(1000, 3'000'000'000ULL);
  h.record_n(5000, 1'000'000'000ULL);
  CHECK(h.count() == 7'000'000'000ULL);
  CHECK(within_bound(h.percentile(80), 1000));
  CHECK(within_bound(h.percentile(90), 5000));
  CHECK(h.percentile(85) == h.percentile(80));  // rank 5.95e9 <= 6e9

  // One call past 2^32, then merged twice: 2 * (5e9 + 1) samples of 7.
  Histogram big;
  big.record_n(7, 5'000'000'000ULL);
  big.record(7);
  big.record(100);
  Histogram sum;
  sum.merge(big);
  sum.merge(big);
  CHECK(sum.count() == 10'000'000'004ULL);
  CHECK(sum.percentile(99.99) == 7);  // rank 9,999,000,001 of 10,000,000,004 is still 7
  CHECK(sum.percentile(100) == 100);
  sum.reset();
  sum.record(100);
  CHECK(sum.percentile(1) == 100);  // reset cleared the carries too
}

TEST_CASE("relative error bound over random values", "[histogram]") {
  sim::Rng rng(42, "histogram-sweep");
  for (double max_log2 : {10.0, 30.0, 50.0, 62.0}) {
    Histogram h;
    std::vector<std::int64_t> values;
    for (int i = 0; i < 50000; ++i) {
      // Log-uniform, so every octave up to 2^max_log2 gets samples.
      auto v = static_cast<std::int64_t>(std::exp2(rng.uniform01() * max_log2)) - 1;
      values.push_back(v);
      h.record(v);
    }
    std::sort(values.begin(), values.end());
    INFO("max_log2 = " << max_log2);
    for (int k = 0; k <= 1000; ++k) {
      const double p = k / 10.0;
      INFO("p = " << p);
      REQUIRE(within_bound(h.percentile(p), exact_percentile(values, p)));
    }
  }
}
