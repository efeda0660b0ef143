// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The kernel's symbols for the values of AIO fields, for violation reports,
// traces and the explorer's interleavings alike: ki_cancel is NULL,
// KIOCB_CANCELLED or a cancel method named by its function (never a host
// address); ki_list.next is NULL, LIST_POISON1 or a list pointer.
#include <cstdint>
#include <string>

namespace models {

// The symbol of `value` for the field `what` (matched on its last component:
// "kiocb3->ki_cancel" and "ki_cancel" alike), or "" when it has none.
std::string kernel_value_name(const char* what, std::int64_t value);

// Makes sim::value_text use kernel_value_name (idempotent).
void install_kernel_value_names();

}  // namespace models
