// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Every key the lock micro-benchmark (`scenario = "lockbench"`) accepts.
#include "sim/config.hpp"

namespace programs::lockbench {

// The largest machine a lockbench config may describe.
inline constexpr int kMaxCpus = 16384;

const sim::config::Schema& schema();

}  // namespace programs::lockbench
