// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The AIO kernel objects of fs/aio.c around the seed commit ("aio: use
// cancellation list lazily", 2013): struct kiocb, struct kioctx with its
// aio_ring_info, and the user-mapped struct aio_ring. Each shared field is a
// sim::Shared on a cache line; which line is data (see layout.hpp).
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/intrusive/list.hpp>

#include "sim/access.hpp"
#include "sim/spinlock.hpp"
#include "sim/waitqueue.hpp"

namespace models {

using sim::CacheLine;
using sim::Shared;
using sim::Task;

struct kiocb;
struct kioctx;
struct file;
struct eventfd_ctx;

// struct io_event (include/uapi/linux/aio_abi.h).
struct io_event {
  std::uint64_t data = 0;  // the iocb's aio_data: the model's request id
  std::uint64_t obj = 0;   // the user iocb pointer: also the request id here
  std::int64_t res = 0;
  std::int64_t res2 = 0;
};

// typedef int (kiocb_cancel_fn)(struct kiocb *, struct io_event *);
using kiocb_cancel_fn = Task<int> (*)(kiocb&, io_event&);
// #define KIOCB_CANCELLED ((void *) (~0ULL))
inline kiocb_cancel_fn const KIOCB_CANCELLED = reinterpret_cast<kiocb_cancel_fn>(~std::uintptr_t{0});

// ki_flags bits (pre-seed include/linux/aio.h).
inline constexpr int KIF_CANCELLED = 2;

// What ki_list.next holds, which is what the seed's lazy design tests:
// NULL (zeroed, never listed), a real list, LIST_POISON1 (list_del), or
// itself (INIT_LIST_HEAD / list_del_init).
enum class ListNext : std::uint8_t { Null, Linked, Poison, Self };

// errno values come from <cerrno> (Linux's, as the kernel's); this one is
// kernel-internal (include/linux/errno.h).
inline constexpr long EIOCBQUEUED = 529;

using ListHook = boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>>;

// struct kiocb (include/linux/aio.h). Two cache lines: the header fields
// every path touches, and the list/batch linkage further down the struct.
struct kiocb {
  explicit kiocb(std::uint32_t slot);

  CacheLine line_head;
  CacheLine line_list;

  Shared<unsigned long> ki_flags;   // pre-seed only: KIF_CANCELLED
  Shared<int> ki_users;
  Shared<kiocb_cancel_fn> ki_cancel;
  Shared<ListNext> ki_list_next;    // ki_list.next
  Shared<int> ki_list_link;         // ki_list.prev and the neighbours' view of it
  Shared<std::uint64_t> ki_obj_user;  // ki_obj.user: the user iocb (request id)
  ListHook ki_list;                 // the linkage itself, on active_reqs
  ListHook ki_batch;                // on the submitter's kiocb_batch (private)

  kioctx* ki_ctx = nullptr;
  file* ki_filp = nullptr;
  std::uint64_t ki_user_data = 0;
  Shared<void*> ki_private;         // iocb->private (the driver's)
  eventfd_ctx* ki_eventfd = nullptr;  // IOCB_FLAG_RESFD: aio_complete signals it

  // Model bookkeeping, not kernel state.
  std::uint32_t slot;               // index in the slab
  bool allocated = false;
};

using ActiveReqList =
    boost::intrusive::list<kiocb, boost::intrusive::member_hook<kiocb, ListHook, &kiocb::ki_list>>;
using BatchList =
    boost::intrusive::list<kiocb, boost::intrusive::member_hook<kiocb, ListHook, &kiocb::ki_batch>>;

// struct kiocb_batch (on do_io_submit's stack).
struct kiocb_batch {
  BatchList head;
  long count = 0;
  ~kiocb_batch() { head.clear(); }
};

inline constexpr long KIOCB_BATCH_SIZE = 32;

}  // namespace models
