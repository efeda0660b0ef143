// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: the explorer's scenario reader (and a `--set` on a
// built-in scenario). Bad input must end in sim::config::ConfigError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "programs/explore/scenario.hpp"
#include "sim/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)programs::explore::parse_scenario(text, "fuzz.toml", {});
  } catch (const sim::config::ConfigError&) {
  }
  static const std::string base =
      "description = \"x\"\n[machine]\ncpus = 2\n[kioctx]\ndesign = \"lazy-cancel\"\n"
      "[[setup]]\naction = \"io_submit\"\niocbs = [\"usb\"]\n"
      "[context.reaper]\ncpu = 0\nkind = \"task\"\naction = \"io_getevents\"\nmin_nr = 0\nnr = 1\n";
  try {
    (void)programs::explore::parse_scenario(base, "base.toml", {text});
  } catch (const sim::config::ConfigError&) {
  }
  return 0;
}
