// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The explorer's checker: the generic DPOR engine of the engine layer
// (sim/mc), under the explorer's names.
#include "sim/mc/dpor.hpp"

namespace programs::explore {

using sim::mc::Access;
using sim::mc::LockOp;
using sim::mc::dependent;
using sim::mc::explore;
using sim::mc::ExploreOptions;
using sim::mc::ExploreResult;
using sim::mc::Footprint;
using sim::mc::FoundViolation;
using sim::mc::ObjKey;
using sim::mc::Reduction;
using sim::mc::System;
using sim::mc::SystemFactory;
using sim::mc::ViolationError;
using sim::mc::ViolationInfo;

}  // namespace programs::explore
