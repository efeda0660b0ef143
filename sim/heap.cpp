// SPDX-License-Identifier: GPL-2.0-only
// Replaces the global operator new/delete: counting versions on top of
// malloc/free, which serve from the active sim::Arena instead while one is
// (sim/arena.hpp). Linked into a program if something calls
// sim::allocations() or maps an arena (both sit in reach of this file).
#include "sim/alloc_count.hpp"

#include <cstdlib>
#include <new>

#include "sim/arena.hpp"

namespace {
std::uint64_t g_allocations = 0;  // one thread: the simulator is single-threaded

void* counted(std::size_t n) {
  ++g_allocations;
  if (sim::Arena* a = sim::Arena::active()) return a->allocate(n, alignof(std::max_align_t));
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}

void* counted_aligned(std::size_t n, std::align_val_t a) {
  ++g_allocations;
  const std::size_t al = static_cast<std::size_t>(a);
  if (sim::Arena* ar = sim::Arena::active()) return ar->allocate(n, al);
  if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
  throw std::bad_alloc();
}
void release(void* p) noexcept {
  if (sim::Arena* a = sim::Arena::live(); a && p && a->contains(p)) {
    a->deallocate(p);
    return;
  }
  std::free(p);
}
}  // namespace

namespace sim {
std::uint64_t allocations() { return g_allocations; }
namespace detail {
bool heap_serves_arenas() noexcept { return true; }
}  // namespace detail
}  // namespace sim

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a) { return counted_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_aligned(n, a); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
