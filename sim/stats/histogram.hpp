// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Log-linear (HDR-style) histogram of non-negative int64 values (picoseconds).
//
// Values 0..127 get one bucket each; every power-of-two octave above is cut
// into 64 equal sub-buckets, so a bucket's midpoint is within 1/128 of any
// value in it. Storage comes in 64-bucket blocks allocated on first touch:
// the simulator keeps thousands of histograms (one per CPU and metric), most
// of them empty or spanning a few octaves, so they must not cost 30 KiB each.
// A bucket keeps the low 32 bits of its count; the rare bucket that passes
// 2^32 - 1 keeps the rest in a side list, so counts are exact to 2^64 and a
// block is 256 bytes.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sim {

namespace detail {

inline constexpr int kHistSubBits = 6;
inline constexpr unsigned kHistSub = 1u << kHistSubBits;  // buckets per block
// Blocks 0 and 1 hold the exact values 0..127; block b >= 2 is octave b + 5
// (values [2^(b+5), 2^(b+6))). The last int64 octave is 62, hence 58 blocks.
inline constexpr unsigned kHistBlocks = 58;

// Bucket of v: with s = max(0, floor(log2 v) - 6), v >> s keeps the top 7
// significant bits, and adding s * 64 places each octave after the previous.
inline unsigned hist_bucket(std::int64_t v) {
  const int top = 57 - std::countl_zero(static_cast<std::uint64_t>(v));
  const unsigned s = top > 0 ? static_cast<unsigned>(top) : 0u;
  return (s << kHistSubBits) + static_cast<unsigned>(static_cast<std::uint64_t>(v) >> s);
}

[[noreturn]] void throw_negative_sample(std::int64_t v);

}  // namespace detail

class Histogram {
 public:
  // Reported percentiles are bucket midpoints: |reported - true| <= true/128.
  static constexpr double kRelativeError = 1.0 / 128.0;

  Histogram() = default;
  Histogram(const Histogram&) = default;
  Histogram& operator=(const Histogram&) = default;
  // Hand-written so a moved-from histogram is empty rather than holding a
  // block index that points into storage it no longer owns.
  Histogram(Histogram&& other) noexcept;
  Histogram& operator=(Histogram&& other) noexcept;

  void record(std::int64_t v) { record_n(v, 1); }
  inline void record_n(std::int64_t v, std::uint64_t n);
  void merge(const Histogram& other);
  // Keeps the allocated blocks: a histogram reset after warm-up goes on
  // recording without allocating.
  void reset();

  std::uint64_t count() const { return count_; }
  double mean() const;
  std::int64_t min() const { return count_ ? min_ : 0; }
  std::int64_t max() const { return count_ ? max_ : 0; }
  // Nearest rank: the smallest recorded v with at least ceil(p/100*count)
  // samples <= v, as its bucket midpoint clamped to [min, max]. p in [0, 100].
  std::int64_t percentile(double p) const;

  // Heap bytes held by the blocks (add sizeof(Histogram) for the total).
  std::size_t allocated_bytes() const {
    return counts_.capacity() * sizeof(std::uint32_t) + carries_.capacity() * sizeof(Carry);
  }

 private:
  std::uint8_t add_block(unsigned block);
  void release() noexcept;
  // Add `n` to bucket storage index `i`, carrying past 32 bits.
  void add_to(std::size_t i, std::uint64_t n) {
    const std::uint64_t sum = std::uint64_t{counts_[i]} + n;
    counts_[i] = static_cast<std::uint32_t>(sum);
    if (sum >> 32) [[unlikely]]
      carry(i, sum >> 32);
  }
  void carry(std::size_t i, std::uint64_t high);
  std::uint64_t bucket_count(std::size_t i) const;

  struct Carry {
    std::size_t index;
    std::uint64_t high;  // the bucket's count >> 32
  };

  __extension__ using Sum = unsigned __int128;  // 2^63 * 2^64 cannot overflow it

  std::vector<std::uint32_t> counts_;  // blocks in order of first touch; low 32 bits
  std::vector<Carry> carries_;         // buckets past 2^32 - 1 (almost always empty)
  std::array<std::uint8_t, detail::kHistBlocks> slot_{};  // block -> 1 + position, 0 = absent
  std::uint64_t count_ = 0;
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = 0;
  Sum sum_ = 0;
};

// Inline: this is on the simulator's hot path. After a block exists it is
// one shift, one byte load and an add; no division, no allocation.
void Histogram::record_n(std::int64_t v, std::uint64_t n) {
  if (v < 0) [[unlikely]]
    detail::throw_negative_sample(v);
  if (n == 0) return;
  const unsigned bucket = detail::hist_bucket(v);
  const unsigned block = bucket >> detail::kHistSubBits;
  std::uint8_t slot = slot_[block];
  if (slot == 0) [[unlikely]]
    slot = add_block(block);
  add_to((slot - 1u) * detail::kHistSub + (bucket & (detail::kHistSub - 1)), n);
  count_ += n;
  sum_ += static_cast<Sum>(v) * n;
  min_ = v < min_ ? v : min_;
  max_ = v > max_ ? v : max_;
}

}  // namespace sim
