// SPDX-License-Identifier: GPL-2.0-only
#include "sim/stats/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace sim {

namespace detail {

void throw_negative_sample(std::int64_t v) {
  // Clamping would silently hide a model bug (time running backwards).
  throw std::invalid_argument("Histogram: negative sample " + std::to_string(v));
}

namespace {

// Midpoint of a bucket. Exact buckets (blocks 0, 1) are their own value; in
// block b >= 2 the width is 2^(b-1) and the bucket starts at (64+sub) << (b-1).
std::int64_t bucket_midpoint(unsigned block, unsigned sub) {
  if (block < 2) return static_cast<std::int64_t>(block * kHistSub + sub);
  const unsigned s = block - 1;
  const std::uint64_t lo = static_cast<std::uint64_t>(kHistSub + sub) << s;
  return static_cast<std::int64_t>(lo + (std::uint64_t{1} << (s - 1)));
}

}  // namespace
}  // namespace detail

Histogram::Histogram(Histogram&& other) noexcept { *this = std::move(other); }

Histogram& Histogram::operator=(Histogram&& other) noexcept {
  if (this != &other) {
    counts_ = std::move(other.counts_);
    carries_ = std::move(other.carries_);
    slot_ = other.slot_;
    count_ = other.count_;
    min_ = other.min_;
    max_ = other.max_;
    sum_ = other.sum_;
    other.release();
  }
  return *this;
}

void Histogram::release() noexcept {
  counts_.clear();
  carries_.clear();
  slot_.fill(0);
  count_ = 0;
  min_ = INT64_MAX;
  max_ = 0;
  sum_ = 0;
}

std::uint8_t Histogram::add_block(unsigned block) {
  // Grow to the exact size (not the vector's doubling) to keep narrow
  // histograms small; this happens at most kHistBlocks times per histogram.
  std::vector<std::uint32_t> grown;
  grown.reserve(counts_.size() + detail::kHistSub);
  grown.assign(counts_.begin(), counts_.end());
  grown.resize(counts_.size() + detail::kHistSub, 0);
  counts_.swap(grown);
  const auto slot = static_cast<std::uint8_t>(counts_.size() / detail::kHistSub);
  slot_[block] = slot;
  return slot;
}

void Histogram::carry(std::size_t i, std::uint64_t high) {
  for (Carry& c : carries_)
    if (c.index == i) {
      c.high += high;
      return;
    }
  carries_.push_back(Carry{i, high});
}

std::uint64_t Histogram::bucket_count(std::size_t i) const {
  std::uint64_t n = counts_[i];
  for (const Carry& c : carries_)
    if (c.index == i) n += c.high << 32;
  return n;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (unsigned b = 0; b < detail::kHistBlocks; ++b) {
    if (other.slot_[b] == 0) continue;
    std::uint8_t slot = slot_[b];
    if (slot == 0) slot = add_block(b);
    const std::size_t src = (other.slot_[b] - 1u) * detail::kHistSub;
    const std::size_t dst = (slot - 1u) * detail::kHistSub;
    for (unsigned i = 0; i < detail::kHistSub; ++i) add_to(dst + i, other.bucket_count(src + i));
  }
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  carries_.clear();
  count_ = 0;
  min_ = INT64_MAX;
  max_ = 0;
  sum_ = 0;
}

double Histogram::mean() const {
  if (count_ == 0) return 0.0;
  return static_cast<double>(static_cast<long double>(sum_) / static_cast<long double>(count_));
}

std::int64_t Histogram::percentile(double p) const {
  if (!(p >= 0.0 && p <= 100.0)) throw std::invalid_argument("Histogram: percentile outside [0, 100]");
  if (count_ == 0) return 0;
  if (p == 0.0) return min_;
  if (p == 100.0) return max_;
  // p * count first: when p * count is a multiple of 100 the quotient is
  // exact, so p90 of 1000 samples is rank 900, not 901 from rounding noise.
  const double r = std::ceil(p * static_cast<double>(count_) / 100.0);
  const std::uint64_t rank = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(r), 1, count_);
  std::uint64_t seen = 0;
  for (unsigned b = 0; b < detail::kHistBlocks; ++b) {
    if (slot_[b] == 0) continue;
    const std::size_t first = (slot_[b] - 1u) * detail::kHistSub;
    for (unsigned i = 0; i < detail::kHistSub; ++i) {
      seen += bucket_count(first + i);
      if (seen >= rank) return std::clamp(detail::bucket_midpoint(b, i), min_, max_);
    }
  }
  return max_;  // unreachable while counts and count_ agree
}

}  // namespace sim
