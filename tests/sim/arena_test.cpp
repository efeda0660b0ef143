// SPDX-License-Identifier: GPL-2.0-only
// sim::Arena: what the explorer's snapshots rely on. Inside a Scope,
// operator new is served by the arena; restoring a saved arena brings back
// the contents of every object and the allocator's own state (the next
// allocation after a restore lands where it landed after the save), so a
// restored system is the saved one, byte for byte, at the same addresses.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/arena.hpp"

TEST_CASE("arena: allocations inside a scope come from the arena, outside from the heap", "[arena]") {
  sim::Arena a(std::size_t{1} << 24);
  std::unique_ptr<int> in, out;
  {
    sim::Arena::Scope s(a);
    in = std::make_unique<int>(7);
    {
      sim::OutsideArena o;
      out = std::make_unique<int>(8);
    }
  }
  CHECK(a.contains(in.get()));
  CHECK_FALSE(a.contains(out.get()));
  auto after = std::make_unique<int>(9);
  CHECK_FALSE(a.contains(after.get()));
  in.reset();  // freed into the arena, outside any scope
  CHECK(sim::Arena::active() == nullptr);
}

TEST_CASE("arena: a restore brings back the objects and the allocator state", "[arena]") {
  sim::Arena a(std::size_t{1} << 24);
  sim::Arena::Snapshot snap;
  std::map<int, std::string>* m = nullptr;
  {
    sim::Arena::Scope s(a);
    m = new std::map<int, std::string>{{1, "one"}, {2, "a string longer than the small-string buffer"}};
  }
  a.save(snap);
  const std::size_t used_at_save = a.used();
  void* next_after_save = nullptr;
  {
    sim::Arena::Scope s(a);
    next_after_save = ::operator new(40);
    ::operator delete(next_after_save);
    // Change the system: erase, insert, grow.
    m->erase(1);
    (*m)[3] = "three";
    for (int i = 10; i < 200; ++i) (*m)[i] = std::string(static_cast<std::size_t>(i), 'x');
  }
  CHECK(m->size() == 192);
  CHECK(a.used() > used_at_save);
  a.restore(snap);
  CHECK(a.used() == used_at_save);
  REQUIRE(m->size() == 2);
  CHECK(m->at(1) == "one");
  CHECK(m->at(2) == "a string longer than the small-string buffer");
  CHECK(m->count(3) == 0);
  {
    sim::Arena::Scope s(a);
    void* p = ::operator new(40);
    CHECK(p == next_after_save);  // the free lists came back too
    ::operator delete(p);
    (*m)[4] = "four";  // and the restored map works as a map
  }
  CHECK(m->size() == 3);
  {
    sim::Arena::Scope s(a);
    delete m;
  }
}

TEST_CASE("arena: freed blocks are reused by size class; over-aligned blocks are aligned", "[arena]") {
  sim::Arena a(std::size_t{1} << 24);
  sim::Arena::Scope s(a);
  void* p = a.allocate(100, 16);
  a.deallocate(p);
  CHECK(a.allocate(97, 16) == p);   // same 16-byte class (97..112)
  CHECK(a.allocate(100, 16) != p);  // now taken
  for (std::size_t align : {32u, 64u, 4096u}) {
    void* q = a.allocate(10, align);
    CHECK(reinterpret_cast<std::uintptr_t>(q) % align == 0);
    CHECK(a.contains(q));
    a.deallocate(q);
  }
  void* big = a.allocate(1 << 20, 16);  // a power-of-two class
  CHECK(a.contains(big));
  a.deallocate(big);
  CHECK(a.allocate(1 << 20, 16) == big);
  CHECK(reinterpret_cast<std::uintptr_t>(a.allocate(1, 16)) % 16 == 0);
}

// A saved state copies the arena up to its top: the highest block, when
// freed, lowers the top by its size and header (the coroutine frames of a
// schedule come and go there); any other goes to its free list.
TEST_CASE("arena: freeing the highest block lowers the top; a lower one goes to its free list", "[arena]") {
  sim::Arena a(std::size_t{1} << 24);
  sim::Arena::Scope s(a);
  const std::size_t start = a.used();
  void* low = a.allocate(100, 16);  // class 112, 128 bytes with its header
  void* high = a.allocate(200, 16);  // class 208, 224 bytes
  CHECK(a.used() == start + 128 + 224);
  a.deallocate(high);
  CHECK(a.used() == start + 128);
  CHECK(a.allocate(200, 16) == high);  // the top serves it again, where it was
  a.deallocate(low);                   // not the highest: the top stays
  CHECK(a.used() == start + 128 + 224);
  CHECK(a.allocate(100, 16) == low);  // from the free list
  CHECK(a.used() == start + 128 + 224);
}

// Above 2 KiB a block is rounded up to a quarter step of its doubling
// (2048 < n <= 4096: 2560, 3072, 3584, 4096; then 5120, 6144, ...), and
// the arena grows by the block plus its 16-byte header: the growth of
// used() is the class size + 16, worked out here by hand.
TEST_CASE("arena: big blocks are rounded to a quarter of their doubling, not to a power of two", "[arena]") {
  sim::Arena a(std::size_t{1} << 24);
  sim::Arena::Scope s(a);
  const std::vector<std::pair<std::size_t, std::size_t>> cases = {
      {2048, 2048},    // the largest 16-byte class
      {2049, 2560},    {3072, 3072},   {3073, 3584},   {4096, 4096},
      {4688, 5120},    // the explorer's World
      {10240, 10240},  // a block of 64 ledger entries
      {21504, 24576},  // a block of 64 kiocbs (was 32768)
      {16385, 20480},  {1 << 20, 1 << 20}};
  // Every block stays allocated, so no free list serves a later request and
  // each one grows the arena.
  for (const auto& [request, rounded] : cases) {
    const std::size_t before = a.used();
    void* p = a.allocate(request, 16);
    CHECK(a.used() - before == rounded + 16);
    a.deallocate(p);
    CHECK(a.allocate(rounded, 16) == p);  // the same class serves the rounded size
  }
  for (const auto& [request, rounded] : cases) {
    if (rounded <= 2048) continue;
    const std::size_t before = a.used();
    a.allocate(rounded + 1, 16);  // one byte more: the next class up, a new block
    CHECK(a.used() - before > rounded + 16);
  }
}

TEST_CASE("arena: a full arena throws bad_alloc; only one is mapped at a time", "[arena]") {
  sim::Arena a(std::size_t{1} << 16);
  CHECK_THROWS_AS(a.allocate(std::size_t{1} << 20, 16), std::bad_alloc);
  CHECK_THROWS_AS(sim::Arena(std::size_t{1} << 16), std::logic_error);
}
