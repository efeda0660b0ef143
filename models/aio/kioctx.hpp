// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// struct kioctx and its ring (fs/aio.c at the seed), with a field layout.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/aio/kernel_types.hpp"
#include "sim/stable_array.hpp"

namespace models {

// Which cache line each kioctx field lives on: field name -> line name.
using Layout = std::vector<std::pair<std::string, std::string>>;

// The fields of struct kioctx a layout places (the ring header is always on
// the user-mapped ring page).
const std::vector<std::string>& kioctx_fields();

// The struct as the kernel had it (no ____cacheline_aligned_in_smp groups),
// x86-64 offsets: users..reqs_active in the first 64 bytes, active_reqs,
// max_reqs, ring_info.ring_pages and ring_lock's count in the second, ring_info's nr and tail in the
// third, the seed's completion_lock after internal_pages[8] in the fourth.
Layout packed_layout();
// The grouping of v3.10's fs/aio.c (its struct kioctx puts reqs_active,
// {ctx_lock, active_reqs}, {ring_lock, wait} and {tail, completion_lock} in
// ____cacheline_aligned_in_smp groups): one group per writer set.
Layout cacheline_aligned_layout();
// The preset by name: "packed" or "cacheline-aligned" (kioctx.layout_preset);
// std::invalid_argument for any other.
Layout layout_preset(const std::string& name);

struct RingGeometry {
  unsigned nr = 0;        // info->nr: events the ring holds
  unsigned nr_pages = 0;
  static RingGeometry for_max_reqs(unsigned max_reqs);  // aio_setup_ring()
};
// AIO_EVENTS_PER_PAGE / _FIRST_PAGE / _OFFSET for 4 KiB pages, 32-byte events.
inline constexpr unsigned AIO_EVENTS_PER_PAGE = 4096 / 32;
inline constexpr unsigned AIO_EVENTS_FIRST_PAGE = (4096 - 32) / 32;
inline constexpr unsigned AIO_EVENTS_OFFSET = AIO_EVENTS_PER_PAGE - AIO_EVENTS_FIRST_PAGE;

struct kioctx {
  kioctx(sim::Machine& m, unsigned max_reqs, sim::LockKind lock_kind, const Layout& layout);

  CacheLine& line(const std::string& name);  // by layout line name
  std::vector<const CacheLine*> lines() const;

  // Lines first: fields below point into them.
 private:
  std::map<std::string, std::unique_ptr<CacheLine>> lines_;
  CacheLine& place(const Layout& layout, const char* field);

 public:
  Shared<int> users;
  Shared<int> dead;
  sim::WaitQueue wait;
  sim::Spinlock ctx_lock;
  Shared<long> reqs_active;
  ActiveReqList active_reqs;   // the list itself; its head's line:
  Shared<int> active_reqs_head;
  unsigned max_reqs;
  // info->ring_pages: the pointer aio_complete reads to find the event's
  // page and the ring header (the array it points to is not shared).
  Shared<long> ring_pages;

  // struct aio_ring_info
  sim::Mutex ring_lock;
  Shared<unsigned> nr;
  Shared<unsigned> tail;       // info->tail: the kernel's trusted copy

  sim::Spinlock completion_lock;  // the seed's new lock

  // struct aio_ring, page 0 (mapped into user space).
  CacheLine ring_header;
  Shared<unsigned> ring_head;
  Shared<unsigned> ring_tail;
  // Event slots: ring index i sits at pos = i + AIO_EVENTS_OFFSET; two
  // 32-byte io_events share a 64-byte line.
  sim::StableArray<CacheLine> slot_lines;
  sim::StableArray<Shared<io_event>> slots;

  // Model bookkeeping.
  // The request whose io_event sits in each slot, written by aio_complete
  // and not yet copied out by aio_read_events_ring (0: none): the ledger
  // learns from it which events a ring overflow overwrote.
  std::vector<std::uint64_t> unread;
  bool hashed = true;   // on mm->ioctx_list (lookup_ioctx finds it)
  bool freed = false;   // free_ioctx finished
};

}  // namespace models
