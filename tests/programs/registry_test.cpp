// SPDX-License-Identifier: GPL-2.0-only
// The program registry (programs/registry.hpp): every program is selected by
// its own `scenario` value, its defaults alone make a valid config, and its
// schema refuses a file that names another program.
#include <catch2/catch.hpp>

#include "programs/registry.hpp"

TEST_CASE("every program's defaults are a config its checks accept, selected by its own name", "[programs]") {
  REQUIRE(programs::all().size() >= 2);
  for (const programs::Program& p : programs::all()) {
    INFO(p.name);
    CHECK(programs::find(p.name) == &p);
    const auto cfg = sim::config::Config::from_string(p.schema(), "", "empty.toml");
    CHECK(cfg.get_string("scenario") == p.name);
    CHECK_NOTHROW(p.check(cfg));
  }
  CHECK(programs::find("explore-nothing") == nullptr);
  CHECK(programs::names() == "aio, lockbench");
}

TEST_CASE("a program's schema refuses a file that names another program", "[programs]") {
  for (const programs::Program& p : programs::all())
    for (const programs::Program& other : programs::all()) {
      if (&p == &other) continue;
      INFO(p.name << " reading scenario = " << other.name);
      CHECK_THROWS_AS(sim::config::Config::from_string(p.schema(), "scenario = \"" + other.name + "\"\n", "x.toml"),
                      sim::config::ConfigError);
    }
}
