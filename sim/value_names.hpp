// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// How a field's value is printed in violation reports (Context::history) and
// traces (trace.txt, trace.json): the engine knows no model, so a model may
// install a namer that turns a value into the symbol the kernel source uses
// (ki_cancel == KIOCB_CANCELLED, ki_list.next == LIST_POISON1, a cancel
// method by its function name) instead of a number or a host address.
#include <cstdint>
#include <string>

namespace sim {

// Returns the symbol for `value` of the field `what`, or "" for none.
using ValueNamer = std::string (*)(const char* what, std::int64_t value);

void set_value_namer(ValueNamer namer);

// The namer's symbol, else the number in decimal (hex beyond 32 bits).
std::string value_text(const char* what, std::int64_t value);

}  // namespace sim
