// SPDX-License-Identifier: GPL-2.0-only
// Bad configs: `aiosim run` must refuse them with exit status 2, one line
// on stderr naming file:line and the key, nothing on stdout, and nothing
// written to --out. Each case changes one line of a config that is known to
// run (the control case); the line numbers are those of that file, counted
// by hand below and guarded by a check that the line really holds the key.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/support/cli.hpp"

using namespace clitest;

namespace {

// Line numbers on the right (not part of the file).
const std::vector<std::string> kBase = {
    "# aiosim model test: a small valid run",  //  1
    "seed = 3",                                //  2
    "",                                        //  3
    "[machine]",                               //  4
    "preset = \"x86-2s-modern\"",              //  5
    "sockets = 1",                             //  6
    "cores_per_socket = 4",                    //  7  -> CPUs 0-3
    "",                                        //  8
    "[kioctx]",                                //  9
    "design = \"lazy-cancel\"",                // 10
    "nr_events = 256",                         // 11
    "",                                        // 12
    "[workload]",                              // 13
    "kiocbs = 500",                            // 14
    "warmup = \"10us\"",                       // 15
    "submitters = \"0-1\"",                    // 16
    "reapers = [2]",                           // 17
    "batch = 4",                               // 18
    "queue_depth = 16",                        // 19
    "nr = 16",                                 // 20
    "usb_fraction = 0.05",                     // 21
    "",                                        // 22
    "[block]",                                 // 23
    "irq_cpus = \"2-3\"",                      // 24
    "",                                        // 25
    "[usb]",                                   // 26
    "irq_cpu = 3",                             // 27
    "cancel_fraction = 0.3",                   // 28
    "cancellers = [3]",                        // 29
    "",                                        // 30
    "[invariants]",                            // 31
    "kernel_races = \"count\"",                // 32
};

// kBase with line `line` (1-based) replaced; checks that the line being
// replaced starts with `leaf` so the expected line numbers cannot drift.
std::string with_line(int line, const std::string& leaf, const std::string& text) {
  REQUIRE(line >= 1);
  REQUIRE(line <= static_cast<int>(kBase.size()));
  REQUIRE(kBase[static_cast<std::size_t>(line - 1)].rfind(leaf + " = ", 0) == 0);
  std::string out;
  for (std::size_t i = 0; i < kBase.size(); ++i) out += (static_cast<int>(i) == line - 1 ? text : kBase[i]) + "\n";
  return out;
}

std::string base_text() {
  std::string out;
  for (const auto& l : kBase) out += l + "\n";
  return out;
}

// Runs the config; expects the refusal. `where` is "FILE:LINE" or "--set".
void expect_refused(const ScratchDir& dir, const std::string& config, const std::vector<std::string>& extra,
                    const std::string& where_suffix, const std::string& key, const std::string& fragment) {
  static int n = 0;
  const fs::path file = dir / ("bad" + std::to_string(n) + ".toml");
  const fs::path out = dir / ("out" + std::to_string(n));
  ++n;
  write_file(file, config);
  std::vector<std::string> args{"run", file.string(), "--out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const Run r = aiosim(args, dir);
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  // One line.
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK((!r.err.empty() && r.err.back() == '\n'));
  // "aiosim: FILE:LINE: KEY: message"
  const std::string where = where_suffix == "--set" ? "--set" : file.string() + ":" + where_suffix;
  CHECK(r.err.rfind("aiosim: " + where + ": " + key + ": ", 0) == 0);
  CHECK_THAT(r.err, Catch::Contains(fragment));
  // Nothing written.
  CHECK_FALSE(fs::exists(out));
}

}  // namespace

TEST_CASE("control: the base config and the ring-size boundary run", "[models][cli][config]") {
  ScratchDir dir;
  write_file(dir / "base.toml", base_text());
  const Run ok = aiosim({"run", (dir / "base.toml").string(), "--out", (dir / "out").string(), "--quiet"}, dir);
  INFO("stderr: " << ok.err);
  CHECK(ok.status == 0);
  CHECK(fs::exists(dir / "out" / "result.json"));

  // nr_events 256 -> aio_setup_ring: (256 + 2) * 32 + 32 = 8288 bytes -> 3
  // pages -> nr = (3 * 4096 - 32) / 32 = 383 slots, of which at most 382 can
  // be outstanding (aio_ring_avail leaves one slot free). 382 fits.
  write_file(dir / "edge.toml", with_line(19, "queue_depth", "queue_depth = 382"));
  const Run edge = aiosim({"run", (dir / "edge.toml").string(), "--out", (dir / "edge").string(), "--quiet"}, dir);
  INFO("stderr: " << edge.err);
  CHECK(edge.status == 0);
}

TEST_CASE("bad config: unknown key", "[models][cli][config]") {
  ScratchDir dir;
  expect_refused(dir, with_line(18, "batch", "batchh = 4"), {}, "18", "workload.batchh", "unknown key");
  expect_refused(dir, base_text(), {"--set", "workload.batchh=4"}, "--set", "workload.batchh", "unknown key");
}

TEST_CASE("bad config: wrong type", "[models][cli][config]") {
  ScratchDir dir;
  expect_refused(dir, with_line(18, "batch", "batch = \"four\""), {}, "18", "workload.batch", "expected an integer");
  expect_refused(dir, with_line(24, "irq_cpus", "irq_cpus = 2.5"), {}, "24", "block.irq_cpus", "CPU list");
}

TEST_CASE("bad config: negative time", "[models][cli][config]") {
  ScratchDir dir;
  expect_refused(dir, with_line(15, "warmup", "warmup = \"-10us\""), {}, "15", "workload.warmup", "negative");
  expect_refused(dir, with_line(15, "warmup", "warmup = -10"), {}, "15", "workload.warmup", "negative");
}

TEST_CASE("bad config: zero CPUs", "[models][cli][config]") {
  ScratchDir dir;
  expect_refused(dir, with_line(7, "cores_per_socket", "cores_per_socket = 0"), {}, "7", "machine.cores_per_socket",
                 "got 0");
  expect_refused(dir, base_text(), {"--set", "machine.cores_per_socket=0"}, "--set", "machine.cores_per_socket",
                 "got 0");
}

TEST_CASE("bad config: queue depth larger than the ring", "[models][cli][config]") {
  ScratchDir dir;
  // 383 slots (see the control case): a depth of 383 cannot be outstanding.
  expect_refused(dir, with_line(19, "queue_depth", "queue_depth = 383"), {}, "19", "workload.queue_depth",
                 "does not fit the ring");
  expect_refused(dir, with_line(19, "queue_depth", "queue_depth = 1000"), {}, "19", "workload.queue_depth",
                 "does not fit the ring");
}

TEST_CASE("bad config: a CPU id beyond the machine", "[models][cli][config]") {
  ScratchDir dir;
  // 1 socket x 4 cores: CPUs 0-3.
  expect_refused(dir, with_line(16, "submitters", "submitters = \"0-4\""), {}, "16", "workload.submitters",
                 "CPU 4 does not exist");
  expect_refused(dir, with_line(27, "irq_cpu", "irq_cpu = 4"), {}, "27", "usb.irq_cpu", "CPU 4 does not exist");
  expect_refused(dir, with_line(24, "irq_cpus", "irq_cpus = \"2-7\""), {}, "24", "block.irq_cpus", "does not exist");
}

TEST_CASE("bad config: two roles on one CPU", "[models][cli][config]") {
  ScratchDir dir;
  // Submitters run on CPUs 0-1; a reaper or a canceller there would share a task.
  expect_refused(dir, with_line(17, "reapers", "reapers = [1]"), {}, "17", "workload.reapers",
                 "CPU 1 already runs a task for workload.submitters");
  expect_refused(dir, with_line(29, "cancellers", "cancellers = [0]"), {}, "29", "usb.cancellers",
                 "CPU 0 already runs a task for workload.submitters");
}

TEST_CASE("run --out: stray temporaries of a killed writer are removed, the pair is replaced", "[models][cli]") {
  ScratchDir dir;
  write_file(dir / "c.toml", base_text());
  const fs::path out = dir / "out";
  fs::create_directories(out);
  // What a writer killed between its two renames leaves: temporaries, and an old pair.
  write_file(out / ".result.json.tmp.12345.0", "{ half");
  write_file(out / ".summary.csv.tmp.12345.1", "half");
  write_file(out / "result.json", "{\"old\": true}\n");
  write_file(out / "summary.csv", "old\n");
  const Run r = aiosim({"run", (dir / "c.toml").string(), "--out", out.string(), "--quiet"}, dir);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  CHECK_FALSE(fs::exists(out / ".result.json.tmp.12345.0"));
  CHECK_FALSE(fs::exists(out / ".summary.csv.tmp.12345.1"));
  CHECK(read_file(out / "result.json").find("\"old\"") == std::string::npos);
  CHECK(read_file(out / "summary.csv") != "old\n");
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(out)) entries += e.path().filename() != "" ? 1 : 0;
  CHECK(entries == 4);  // result.json, summary.csv and the profile's two folded files, nothing else
}
