// SPDX-License-Identifier: GPL-2.0-only
#include "models/devices/buffered_block_file.hpp"

namespace models {

BufferedBlockFile::BufferedBlockFile(sim::Time copy, long bytes) : file("blockdev-buffered"), copy_(copy), bytes_(bytes) {
  o_direct = false;
}

// blkdev_write_iter -> __generic_file_write_iter -> generic_perform_write:
// copied into the page cache, done.
Task<long> BufferedBlockFile::aio_write(kiocb&) {
  sim::KernelFunction fn{"blkdev_write_iter"};
  sim::cpu_work(copy_);
  co_return bytes_;
}

}  // namespace models
