// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// kmem_cache for kiocbs: objects are recycled, not constructed anew, so a
// reused kiocb keeps whatever its last user left in fields nobody
// initialises -- which is why the seed allocates with __GFP_ZERO.
#include <vector>

#include "models/aio/kernel_types.hpp"
#include "sim/stable_array.hpp"

namespace models {

class KiocbSlab {
 public:
  kiocb& alloc();
  void free(kiocb& k);
  std::size_t in_use() const { return in_use_; }
  std::size_t capacity() const { return objects_.size(); }

 private:
  // Blocks of 8 kiocbs (2.7 KiB), not the default 64 (21 KiB): the
  // explorer copies the whole heap of a scenario of one to four requests at
  // every saved state, and a timed run with thousands in flight only adds
  // blocks.
  sim::StableArray<kiocb, 8> objects_;
  std::vector<kiocb*> free_;
  std::size_t in_use_ = 0;
};

}  // namespace models
