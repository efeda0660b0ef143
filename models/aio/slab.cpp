// SPDX-License-Identifier: GPL-2.0-only
#include "models/aio/slab.hpp"

#include <fmt/format.h>

#include "sim/violation.hpp"

namespace models {

kiocb::kiocb(std::uint32_t s)
    : line_head("kiocb"),
      line_list("kiocb.list"),
      ki_flags(line_head, "ki_flags", 0),
      ki_users(line_head, "ki_users", 0),
      ki_cancel(line_head, "ki_cancel", nullptr),
      ki_list_next(line_list, "ki_list.next", ListNext::Null),
      ki_list_link(line_list, "ki_list.prev", 0),
      ki_obj_user(line_list, "ki_obj.user", 0),
      ki_private(line_list, "private", nullptr),
      slot(s) {}

kiocb& KiocbSlab::alloc() {
  kiocb* k;
  if (!free_.empty()) {
    k = free_.back();
    free_.pop_back();
  } else {
    k = &objects_.emplace_back(static_cast<std::uint32_t>(objects_.size()));
  }
  k->allocated = true;
  ++in_use_;
  return *k;
}

void KiocbSlab::free(kiocb& k) {
  if (!k.allocated)
    throw sim::Violation(sim::ViolationKind::Invariant, fmt::format("double free of kiocb slot {}", k.slot));
  k.allocated = false;
  --in_use_;
  free_.push_back(&k);
}

}  // namespace models
