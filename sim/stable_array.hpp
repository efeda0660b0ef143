// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Storage whose elements never move, for many small objects (a slab's
// kiocbs, a device's requests, a ring's slots, the ledger): Boost.Container's
// deque with blocks of N elements. std::deque gives an object over 256 bytes
// a block (a heap allocation and header) of its own, and a vector doubles
// (and moves: kiocbs cannot move, lines and hooks point into them).
#include <cstddef>

#include <boost/container/deque.hpp>
#include <boost/container/options.hpp>

namespace sim {

template <class T, std::size_t N = 64>
using StableArray = boost::container::deque<T, void, boost::container::deque_options_t<boost::container::block_size<N>>>;

}  // namespace sim
