// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Coroutine frames come from size-class free lists, so calling a model
// function (a coroutine) costs no malloc once the pool is warm: the simulator
// allocates nothing per event on its hot path.
#include <cstddef>
#include <cstdint>

namespace sim::detail {

void* frame_alloc(std::size_t bytes);
void frame_free(void* p, std::size_t bytes) noexcept;

// Frames handed out by the system allocator (pool misses), for the
// no-allocation-per-event check in benchmarks.
std::uint64_t frame_pool_misses() noexcept;

}  // namespace sim::detail
