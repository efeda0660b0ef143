// SPDX-License-Identifier: GPL-2.0-only
#include "app/errors.hpp"

#include <cstdio>
#include <filesystem>
#include <new>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "app/commands.hpp"
#include "sim/config.hpp"

namespace app {

void print_error_line(const std::string& msg) noexcept {
  try {
    const std::string line = "aiosim: " + sim::config::printable(msg, 1000) + "\n";
    std::fputs(line.c_str(), stderr);
  } catch (...) {
    std::fputs("aiosim: (an error whose message could not be printed)\n", stderr);
  }
  std::fflush(stderr);
}

int report_current_exception() noexcept {
  try {
    throw;
  } catch (const sim::config::ConfigError& e) {
    print_error_line(e.what());
    return kExitBadInput;
  } catch (const InputError& e) {
    print_error_line(e.what());
    return kExitBadInput;
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    print_error_line((src.path ? *src.path : std::string("input")) + ":" + std::to_string(src.begin.line) + ": " +
                     std::string(e.description()));
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    print_error_line("out of memory");
    return kExitIo;
  } catch (const std::filesystem::filesystem_error& e) {
    print_error_line(e.what());
    return kExitIo;
  } catch (const std::runtime_error& e) {
    print_error_line(e.what());  // the environment: a file that cannot be written, a failed fork
    return kExitIo;
  } catch (const std::exception& e) {
    print_error_line(std::string("internal error: ") + e.what());
    return kExitIo;
  } catch (...) {
    print_error_line("internal error: an unknown exception");
    return kExitIo;
  }
}

}  // namespace app
