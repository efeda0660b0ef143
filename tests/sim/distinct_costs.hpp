// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A cost table whose every entry differs, so a test that expects one entry
// cannot pass by reading another. Columns: Self, SmtSibling, SameSocket,
// OneHop, TwoHops (ns).
#include "sim/presets.hpp"

namespace test {

inline sim::CoherenceCosts distinct_costs() {
  sim::CoherenceCosts c;
  c.load_modified = {11, 12, 13, 14, 15};
  c.load_shared = {21, 22, 23, 24, 25};
  c.store_modified = {31, 32, 33, 34, 35};
  c.store_shared = {41, 42, 43, 44, 45};
  c.atomic_modified = {51, 52, 53, 54, 55};
  c.atomic_shared = {61, 62, 63, 64, 65};
  c.load_hit = 6;
  c.store_hit = 7;
  c.memory = 100;
  return c;
}

}  // namespace test
