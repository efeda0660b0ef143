// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The block device opened without O_DIRECT: a write goes through the page
// cache and is done when the copy is (writeback is not modelled), so
// f_op->write_iter returns the bytes written and no interrupt follows.
//
// The two AIO front ends differ on such a file:
//   - fs/aio.c (every aio design): aio_write returns the bytes at once and
//     io_submit_one calls aio_complete inline, inside io_submit;
//   - io_uring (Linux 5.6.4 fs/block_dev.c 2013-2014): blkdev_write_iter
//     refuses IOCB_NOWAIT without IOCB_DIRECT (-EOPNOTSUPP), io_write turns
//     that into -EAGAIN and the request is punted to io-wq, whose worker
//     writes it with blocking allowed (models/designs/io_uring.cpp).
#include "models/aio/aio.hpp"
#include "sim/config.hpp"

namespace models {

class BufferedBlockFile final : public file {
 public:
  // `copy`: the page-cache copy of one request's `bytes`.
  explicit BufferedBlockFile(sim::Time copy = 0, long bytes = 4096);

  // block.buffered_copy: the copy's time in a timed run.
  static void add_keys(sim::config::Schema& s);
  static sim::Time copy_from(const sim::config::Config& cfg);

  // f_op->write_iter without IOCB_NOWAIT: the bytes, written now.
  Task<long> aio_write(kiocb& req) override;

 private:
  sim::Time copy_;
  long bytes_;
};

}  // namespace models
