// SPDX-License-Identifier: GPL-2.0-only
#include "sim/arena.hpp"

#include <sys/mman.h>

#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>


namespace sim {
namespace {

Arena* g_active = nullptr;  // one thread: the simulator and the explorer are single-threaded
Arena* g_live = nullptr;

// Size classes: 16-byte steps up to 2 KiB, then four per doubling (2.5,
// 3, 3.5, 4 KiB, 5, 6, 7, 8 KiB, ...). A saved state copies every byte up
// to the highest block, so a big block's rounding is copied each time:
// quarter steps keep it under 25% (a 21 KiB slab block of 64 kiocbs took a
// 32 KiB block with power-of-two classes). Every block starts with a
// 16-byte header naming its class (or, for an over-aligned block, how far
// back its real start is), so blocks keep 16-byte alignment.
constexpr std::size_t kGranule = 16;
constexpr std::size_t kSmallClasses = 128;  // up to 2048 bytes
constexpr std::size_t kSmallMax = kSmallClasses * kGranule;
constexpr std::size_t kStepsPerDoubling = 4;
constexpr std::size_t kClasses = kSmallClasses + kStepsPerDoubling * 22;  // up to 8 GiB, over any reserve
constexpr std::uint32_t kOffsetTag = 0xffffffffu;

struct BlockHeader {
  std::uint32_t cls;
  std::uint32_t pad;
  std::uint64_t back;  // kOffsetTag blocks: bytes back to the real block
};
static_assert(sizeof(BlockHeader) == kGranule);

struct FreeBlock {
  FreeBlock* next;
};

// Lives at the start of the arena, so a snapshot carries it.
struct ArenaHeader {
  std::size_t top;
  FreeBlock* free[kClasses];
};

std::size_t class_of(std::size_t n) {
  if (n <= kSmallMax) return n ? (n + kGranule - 1) / kGranule - 1 : 0;
  std::size_t c = kSmallClasses, base = kSmallMax;  // classes (base, 2 base] in quarter steps
  while (2 * base < n) {
    base *= 2;
    c += kStepsPerDoubling;
  }
  const std::size_t step = base / kStepsPerDoubling;
  return c + (n - base + step - 1) / step - 1;
}
std::size_t class_size(std::size_t c) {
  if (c < kSmallClasses) return (c + 1) * kGranule;
  const std::size_t k = c - kSmallClasses;
  const std::size_t base = kSmallMax << (k / kStepsPerDoubling);
  return base + (k % kStepsPerDoubling + 1) * (base / kStepsPerDoubling);
}

ArenaHeader& header(std::byte* base) { return *reinterpret_cast<ArenaHeader*>(base); }
constexpr std::size_t kHeaderBytes = (sizeof(ArenaHeader) + kGranule - 1) / kGranule * kGranule;

}  // namespace

Arena::Arena(std::size_t reserve) : reserve_(reserve) {
  if (g_live) throw std::logic_error("only one sim::Arena can be mapped at a time");
  // The global operator new of sim/heap.cpp is the one that routes to the
  // arena; this reference makes sure it is linked wherever an arena is.
  if (!detail::heap_serves_arenas()) throw std::logic_error("the global operator new does not serve arenas");
  void* p = ::mmap(nullptr, reserve_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<std::byte*>(p);
  header(base_).top = kHeaderBytes;
  for (FreeBlock*& f : header(base_).free) f = nullptr;
  g_live = this;
}

Arena::~Arena() {
  if (g_active == this) g_active = nullptr;
  g_live = nullptr;
  ::munmap(base_, reserve_);
}

void* Arena::allocate(std::size_t n, std::size_t align) {
  if (align > kGranule) {
    std::byte* raw = static_cast<std::byte*>(allocate(n + align, kGranule));
    const auto addr = reinterpret_cast<std::uintptr_t>(raw) + kGranule;
    std::byte* aligned = raw + (kGranule + (align - addr % align) % align);
    auto* h = reinterpret_cast<BlockHeader*>(aligned - kGranule);
    h->cls = kOffsetTag;
    h->back = static_cast<std::uint64_t>(aligned - raw);
    return aligned;
  }
  ArenaHeader& ah = header(base_);
  const std::size_t c = class_of(n);
  if (c >= kClasses) throw std::bad_alloc();
  if (FreeBlock* f = ah.free[c]) {
    ah.free[c] = f->next;
    return f;
  }
  const std::size_t need = kGranule + class_size(c);
  if (need > reserve_ - ah.top) throw std::bad_alloc();
  std::byte* block = base_ + ah.top;
  ah.top += need;
  reinterpret_cast<BlockHeader*>(block)->cls = static_cast<std::uint32_t>(c);
  return block + kGranule;
}

void Arena::deallocate(void* p) noexcept {
  auto* b = static_cast<std::byte*>(p);
  const BlockHeader* h = reinterpret_cast<const BlockHeader*>(b - kGranule);
  if (h->cls == kOffsetTag) {
    deallocate(b - h->back);
    return;
  }
  ArenaHeader& ah = header(base_);
  // The highest block gives its bytes back to the top: a saved state copies
  // everything below the top, and the coroutine frames of a schedule's
  // calls (up to 1.5 KiB each) come and go there last in, first out.
  if (b + class_size(h->cls) == base_ + ah.top) {
    ah.top -= kGranule + class_size(h->cls);
    return;
  }
  auto* f = static_cast<FreeBlock*>(p);
  f->next = ah.free[h->cls];
  ah.free[h->cls] = f;
}

std::size_t Arena::used() const noexcept { return header(base_).top; }

void Arena::save(Snapshot& s) const {
  const std::size_t n = used();
  if (s.capacity_ < n) {
    // A little room to grow: the arena's top rises as a system runs.
    s.capacity_ = n + n / 8;
    s.bytes_ = std::make_unique_for_overwrite<std::byte[]>(s.capacity_);
  }
  s.size_ = n;
  std::memcpy(s.bytes_.get(), base_, n);
}

void Arena::restore(const Snapshot& s) noexcept { std::memcpy(base_, s.bytes_.get(), s.size_); }

Arena* Arena::active() noexcept { return g_active; }
Arena* Arena::live() noexcept { return g_live; }

Arena::Scope::Scope(Arena& a) noexcept : prev_(g_active) { g_active = &a; }
Arena::Scope::~Scope() { g_active = prev_; }

OutsideArena::OutsideArena() noexcept : prev_(g_active) { g_active = nullptr; }
OutsideArena::~OutsideArena() { g_active = prev_; }

}  // namespace sim
