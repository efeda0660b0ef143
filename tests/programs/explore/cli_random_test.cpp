// SPDX-License-Identifier: GPL-2.0-only
// `aiosim explore --random` and `aiosim bench --explore` end to end.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/cli.hpp"

namespace {

using clitest::Run;

Run aiosim(const std::vector<std::string>& args) {
  clitest::ScratchDir dir;
  return clitest::aiosim(args, dir);
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string without_time(const std::string& s) {
  std::string out;
  for (std::size_t p = 0; p < s.size();) {
    std::size_t nl = s.find('\n', p);
    if (nl == std::string::npos) nl = s.size();
    const std::string line = s.substr(p, nl - p);
    if (line.rfind("time ", 0) != 0) out += line + "\n";
    p = nl + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("aiosim explore --random: seeded, never called exhaustive, with a coverage line", "[explore][cli][random]") {
  Run a = aiosim({"explore", "usb-cancel-destroy", "--random", "300", "--seed", "5"});
  Run b = aiosim({"explore", "usb-cancel-destroy", "--random", "300", "--seed", "5"});
  INFO(a.out << a.err);
  CHECK(has(a.out, "random walk, 300 schedules, seed 5"));
  CHECK(has(a.out, "exhaustive NO: a random sample of 300 schedules (seed 5)"));
  CHECK(has(a.out, "distinct traces covered of ~"));
  CHECK(without_time(a.out) == without_time(b.out));
  // usb-cancel-destroy has kernel races (gadgetfs): the walks find them too.
  CHECK(a.status == 3);
  Run bad = aiosim({"explore", "usb-cancel-irq", "--random", "0"});
  CHECK(bad.status == 2);
}

TEST_CASE("aiosim bench --explore: one row per built-in scenario", "[explore][cli][bench]") {
  Run r = aiosim({"bench", "--explore", "--quick"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(has(r.out, "floor sched/s"));
  CHECK(has(r.out, "restores"));
  for (const char* s : {"usb-cancel-irq", "usb-cancel-destroy", "async-cancel-irq", "recycle", "submit-vs-cancel",
                        "two-kiocbs", "cancel-complete-destroy-reap"})
    CHECK(has(r.out, s));
}
