// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: the config reader (TOML text against both schemas), a
// `--set` argument, a distribution, a CPU list and a duration. Bad input must
// end in sim::config::ConfigError or std::invalid_argument, nothing else:
// any other exception, a crash, a sanitizer report or a hang is a bug.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "programs/lockbench/schema.hpp"
#include "programs/aio/schema.hpp"
#include "sim/config.hpp"
#include "sim/distribution.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using sim::config::Config;
  using sim::config::ConfigError;
  for (const sim::config::Schema* schema : {&programs::aio::run_schema(), &programs::lockbench::schema()}) {
    try {
      const Config c = Config::from_string(*schema, text, "fuzz.toml");
      // What a valid config writes must read back to the same config.
      const Config again = Config::from_string(*schema, c.to_toml(), "again.toml");
      if (again.to_json() != c.to_json()) __builtin_trap();
    } catch (const ConfigError&) {
    }
    try {
      (void)Config::from_string(*schema, "", "base.toml", {text});
    } catch (const ConfigError&) {
    }
  }
  try {
    (void)sim::Distribution::parse(text);
  } catch (const std::invalid_argument&) {
  }
  try {
    (void)sim::config::parse_cpu_list(text);
  } catch (const std::invalid_argument&) {
  }
  try {
    (void)sim::parse_duration_ns(text);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
