// SPDX-License-Identifier: GPL-2.0-only
#include "models/devices/buffered_block_file.hpp"

namespace models {

BufferedBlockFile::BufferedBlockFile(sim::Time copy, long bytes) : file("blockdev-buffered"), copy_(copy), bytes_(bytes) {
  o_direct = false;
}

void BufferedBlockFile::add_keys(sim::config::Schema& s) {
  // generic_perform_write of one 4 KiB page: find or allocate the page-cache
  // page, copy_page_from_iter_atomic, mark it dirty (about 1 us on a modern
  // x86 core; writeback happens later and is not modelled).
  s.add("block.buffered_copy", sim::config::Type::Duration, "1us",
        "CPU time of one buffered write (workload.buffered_fraction): the page-cache copy in blkdev_write_iter")
      .min(0);
}

sim::Time BufferedBlockFile::copy_from(const sim::config::Config& cfg) { return cfg.get_duration_ps("block.buffered_copy"); }

// blkdev_write_iter -> __generic_file_write_iter -> generic_perform_write:
// copied into the page cache, done.
Task<long> BufferedBlockFile::aio_write(kiocb&) {
  sim::KernelFunction fn{"blkdev_write_iter"};
  sim::cpu_work(copy_);
  co_return bytes_;
}

}  // namespace models
