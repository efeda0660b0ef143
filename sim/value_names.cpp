// SPDX-License-Identifier: GPL-2.0-only
#include "sim/value_names.hpp"

#include <fmt/format.h>

namespace sim {

namespace {
ValueNamer g_namer = nullptr;
}

void set_value_namer(ValueNamer namer) { g_namer = namer; }

std::string value_text(const char* what, std::int64_t v) {
  if (g_namer && what) {
    std::string s = g_namer(what, v);
    if (!s.empty()) return s;
  }
  if (v > 0xffffffffLL || v < -0xffffffffLL) return fmt::format("{:#x}", static_cast<std::uint64_t>(v));
  return std::to_string(v);
}

}  // namespace sim
