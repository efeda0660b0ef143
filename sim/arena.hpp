// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A private heap at a fixed address, for a system that must be copied as a
// whole: the explorer's world, whose coroutine frames, containers and
// objects point at one another. While a Scope is active, every operator
// new and every coroutine frame of the thread comes from the arena; the
// arena's used bytes (its free lists included) can then be saved and
// written back, which puts every object of the system back in the state it
// had, at the same addresses. That is what replaces rebuilding the system
// and replaying a schedule's prefix (sim/mc/dpor.cpp).
//
// The contract for code run inside a Scope: it must not keep state outside
// the arena that points into it, or that changes with it (a global cache
// filled during a step would be rolled back under its owner). Process-wide
// state built on first use is built under OutsideArena (see
// sim/coherence.cpp's line names).
#include <cstddef>
#include <cstdint>
#include <memory>

namespace sim {

class Arena {
 public:
  // Reserves `reserve` bytes of address space; pages are touched as used.
  explicit Arena(std::size_t reserve = std::size_t{1} << 32);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(std::size_t n, std::size_t align);
  void deallocate(void* p) noexcept;
  bool contains(const void* p) const noexcept {
    return static_cast<const std::byte*>(p) >= base_ && static_cast<const std::byte*>(p) < base_ + reserve_;
  }
  // Bytes from the start of the arena to its highest allocation: what a
  // snapshot copies.
  std::size_t used() const noexcept;

  // The saved bytes. Its buffer is reused by the next save into it and is
  // never zeroed first (a save overwrites all of it): an explorer saves
  // hundreds of states per exploration into a few Snapshots.
  class Snapshot {
   public:
    std::size_t size() const noexcept { return size_; }

   private:
    friend class Arena;
    std::unique_ptr<std::byte[]> bytes_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
  };
  // Call both outside any Scope: the snapshot lives on the ordinary heap.
  void save(Snapshot& s) const;
  void restore(const Snapshot& s) noexcept;

  // The arena that serves this thread's allocations, if any.
  static Arena* active() noexcept;
  // The arena whose address range is mapped (one at a time), for delete.
  static Arena* live() noexcept;

  class Scope {
   public:
    explicit Scope(Arena& a) noexcept;
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Arena* prev_;
  };

 private:
  std::byte* base_ = nullptr;
  std::size_t reserve_ = 0;
};

// Allocations go to the ordinary heap while it lives, even inside a Scope.
class OutsideArena {
 public:
  OutsideArena() noexcept;
  ~OutsideArena();
  OutsideArena(const OutsideArena&) = delete;
  OutsideArena& operator=(const OutsideArena&) = delete;

 private:
  Arena* prev_;
};

namespace detail {
// Defined next to the global operator new that routes to the active arena.
bool heap_serves_arenas() noexcept;
}  // namespace detail

}  // namespace sim
