// SPDX-License-Identifier: GPL-2.0-only
// `aiosim explore` end to end: exit codes, the exhaustiveness line, errors.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/cli.hpp"

namespace {

namespace fs = std::filesystem;

using clitest::Run;

// Runs `aiosim args...` with stdout and stderr captured in a scratch directory.
Run aiosim(const std::vector<std::string>& args) {
  clitest::ScratchDir dir;
  return clitest::aiosim(args, dir);
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("aiosim explore: a clean exhaustive exploration exits 0", "[explore][cli]") {
  Run r = aiosim({"explore", "usb-cancel-irq", "--design", "mm-parent", "--set", "invariants.kernel_races=count"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(has(r.out, "design     mm-parent (lazy_list=off completion_lock=off cancel_xchg=off zero_alloc=off)"));
  CHECK(has(r.out, "exhaustive yes:"));
  CHECK(has(r.out, "violations none"));
  CHECK(has(r.out, "lost 1"));  // the counted gadgetfs race is among the end states
}

TEST_CASE("aiosim explore: a violation exits 3 with its interleaving", "[explore][cli]") {
  Run r = aiosim({"explore", AIOSIM_SCENARIOS "/async-cancel-irq.toml", "--design", "broken-plain-cancel-early"});
  INFO(r.out << r.err);
  CHECK(r.status == 3);
  CHECK(has(r.out, "invariant: request req0 yields a second result"));
  CHECK(has(r.out, "X  VIOLATION (invariant): request req0 yields a second result"));
}

TEST_CASE("aiosim explore: --max-preemptions bounds the search and says so", "[explore][cli]") {
  Run r = aiosim({"explore", "usb-cancel-irq", "--max-preemptions", "1", "--set", "invariants.kernel_races=count"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(has(r.out, "at most 1 preemption"));
  CHECK(has(r.out, "exhaustive no: complete only up to 1 preemption"));
}

TEST_CASE("aiosim explore: bad input is one file:line: key: message line and exit 2", "[explore][cli]") {
  std::string tmpl = (fs::temp_directory_path() / "aiosim-explore-bad-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const fs::path bad = fs::path(tmpl) / "bad.toml";
  std::ofstream(bad) << "description = \"bad\"\n[machine]\ncpus = 2\n[context.c]\ncpu = 0\nkind = \"task\"\naction = \"io_cancle\"\n";
  Run r = aiosim({"explore", bad.string()});
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "aiosim: " + bad.string() +
                     ":7: context.c.action: expected one of io_submit, io_cancel, io_destroy, io_getevents, complete, io_wq_worker, got \"io_cancle\"\n");
  Run s = aiosim({"explore", "usb-cancel-irq", "--set", "context.udc.cpu=9"});
  CHECK(s.status == 2);
  CHECK(s.err == "aiosim: --set: context.udc.cpu: CPU 9 does not exist (machine.cpus = 2)\n");
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}
