// SPDX-License-Identifier: GPL-2.0-only
#include "sim/frame_pool.hpp"

#include <array>
#include <cstdlib>
#include <new>

#include "sim/arena.hpp"

namespace sim::detail {
namespace {

constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 64;  // frames up to 4 KiB are pooled

struct FreeNode {
  FreeNode* next;
};

// One simulation per process, single-threaded: a plain static is enough.
std::array<FreeNode*, kClasses> free_lists{};
std::uint64_t misses = 0;

std::size_t size_class(std::size_t bytes) { return (bytes + kGranule - 1) / kGranule; }

}  // namespace

// Frames of a system living in an arena come from the arena (the pool's
// free lists are process-wide state, which an arena snapshot must not
// depend on).
void* frame_alloc(std::size_t bytes) {
  if (Arena* a = Arena::active()) return a->allocate(bytes, alignof(std::max_align_t));
  std::size_t c = size_class(bytes);
  if (c < kClasses) {
    if (FreeNode* n = free_lists[c]) {
      free_lists[c] = n->next;
      return n;
    }
    ++misses;
    return ::operator new(c * kGranule);
  }
  ++misses;
  return ::operator new(bytes);
}

void frame_free(void* p, std::size_t bytes) noexcept {
  if (Arena* a = Arena::live(); a && a->contains(p)) {
    a->deallocate(p);
    return;
  }
  std::size_t c = size_class(bytes);
  if (c < kClasses) {
    auto* n = static_cast<FreeNode*>(p);
    n->next = free_lists[c];
    free_lists[c] = n;
    return;
  }
  ::operator delete(p);
}

std::uint64_t frame_pool_misses() noexcept { return misses; }

}  // namespace sim::detail
