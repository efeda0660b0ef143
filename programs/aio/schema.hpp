// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Every key `aiosim run` accepts, with its type, default, range and meaning.
#include <string>

#include "sim/config.hpp"

namespace programs::aio {

// The largest machine an AIO config may describe.
inline constexpr int kMaxCpus = 8192;
inline constexpr int kMaxCoresPerSocket = 1024;

const sim::config::Schema& run_schema();

// kioctx.layout_preset with "design" resolved to the design's own
// (DesignInfo::layout; "packed" for a design outside the registry).
std::string layout_preset_of(const sim::config::Config& cfg);

}  // namespace programs::aio
