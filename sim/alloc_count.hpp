// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// How many times the process has called operator new. The simulator should
// allocate nothing per event once it is warm (events live in their owners,
// coroutine frames and kiocbs come from pools); `aiosim bench` checks that
// by comparing this count over runs of two lengths.
#include <cstdint>

namespace sim {

std::uint64_t allocations();

}  // namespace sim
