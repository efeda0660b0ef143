// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// How every command reports a failure: errors travel as exceptions to main
// (or to a sweep's child process), which prints exactly one line
// "aiosim: ..." -- control characters escaped, long values cut -- and picks
// the exit code: 2 for bad input, 1 for the environment (I/O) and for
// internal errors.
#include <stdexcept>
#include <string>

namespace app {

// Bad input that is not about a config key (a command-line value, a spec
// layout). what() is the line without the "aiosim: " prefix.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Prints the one line for the exception being handled and returns the exit
// code. Call only inside a catch block.
int report_current_exception() noexcept;

// Prints "aiosim: <msg>" as one line (escaped, cut to a sane length).
void print_error_line(const std::string& msg) noexcept;

}  // namespace app
