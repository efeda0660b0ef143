// SPDX-License-Identifier: GPL-2.0-only
// `aiosim trace` end to end on experiments/mixed.toml: the files it writes,
// their structure and bounds, the Paje file SimGrid writes, and the windows
// it refuses.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/trace/paje_check.hpp"
#include "tests/support/cli.hpp"

#ifndef AIOSIM_BINARY
#error "AIOSIM_BINARY must name the aiosim executable"
#endif
#ifndef AIOSIM_SOURCE_DIR
#error "AIOSIM_SOURCE_DIR must name the source tree"
#endif

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using clitest::read_file;
using clitest::Run;
using Scratch = clitest::ScratchDir;

// Config paths in these tests are relative to the source tree.
Run aiosim_in_tree(const std::vector<std::string>& args, const Scratch& dir) {
  return clitest::aiosim(args, dir, {}, AIOSIM_SOURCE_DIR);
}

const std::vector<std::string> kBase = {"trace", "experiments/mixed.toml", "--set", "kioctx.design=mm-parent",
                                        "--from", "300us", "--to", "310us"};

std::vector<std::string> with(std::vector<std::string> v, const std::vector<std::string>& more) {
  v.insert(v.end(), more.begin(), more.end());
  return v;
}

}  // namespace

TEST_CASE("aiosim trace: text, Chrome JSON and Paje for a window of the mixed workload", "[trace][cli]") {
  Scratch dir;
  const fs::path out = dir.path() / "out";
  const fs::path paje = dir.path() / "paje" / "cpus.trace";
  const Run r = aiosim_in_tree(with(kBase, {"--out", out.string(), "--paje", paje.string()}), dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("trace.json"));

  // --- Chrome JSON: valid, bounded by the window, the documented tracks.
  const json j = json::parse(read_file(out / "trace.json"));
  REQUIRE(j.at("otherData").at("window_ns") == json::array({300000.0, 310000.0}));
  std::set<std::string> procs;
  std::map<std::string, int> by_name;
  int atomics = 0, transfers = 0;
  for (const auto& e : j.at("traceEvents")) {
    const std::string ph = e.at("ph");
    if (ph == "M") {
      if (e.at("name") == "process_name") procs.insert(e.at("args").at("name").get<std::string>());
      continue;
    }
    const double ts = e.at("ts");
    CHECK(ts >= 300.0);
    CHECK(ts <= 310.0);
    if (ph == "X") {
      CHECK(e.at("dur").get<double>() >= 0.0);
      CHECK(ts + e.at("dur").get<double>() <= 310.0 + 1e-9);
    }
    by_name[e.at("name")]++;
    if (ph == "i" && e.at("cat") == "access" && e.at("name").get<std::string>().rfind("atomic ", 0) == 0) {
      CHECK(e.at("args").contains("old"));
      CHECK(e.at("args").contains("new"));
      ++atomics;
    }
    if (ph == "i" && e.at("cat") == "transfer") {
      // Spinners re-reading a line after the first one are served uncharged (cost 0).
      CHECK(e.at("args").at("cost_ns").get<double>() >= 0.0);
      CHECK(e.at("args").at("to_cpu").get<int>() + 1 == e.at("pid").get<int>());  // pid = CPU + 1
      if (e.at("args").at("cost_ns").get<double>() > 0.0) ++transfers;
    }
  }
  for (int c = 0; c < 16; ++c) CHECK(procs.count("cpu" + std::to_string(c)));
  CHECK(procs.count("locks"));
  // mm-parent completes under ctx_lock from the IRQ CPUs: holds, spins, handlers, waiters.
  CHECK(by_name["hold ctx_lock"] > 3);
  CHECK(by_name["spin ctx_lock"] > 3);
  CHECK(by_name["irq blk"] > 3);
  CHECK(by_name["aio_complete"] > 3);
  CHECK(by_name["ctx_lock"] > 3);  // the waiters counter
  CHECK(atomics > 10);
  CHECK(transfers > 10);

  // --- Text: a title, the state at the window's start, times in the window.
  const std::string text = read_file(out / "trace.txt");
  CHECK(text.rfind("# aiosim trace of experiments/mixed.toml (design mm-parent, packed kioctx layout, 16 CPUs", 0) == 0);
  std::istringstream lines(text);
  std::string line;
  int timed = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const double t = std::stod(line);
    CHECK(t >= 300000.0);
    CHECK(t <= 310000.0);
    ++timed;
  }
  CHECK(timed > 100);
  CHECK_THAT(text, Catch::Contains("spin_lock ctx_lock: busy, held by cpu1"));
  CHECK_THAT(text, Catch::Contains("-> aio_complete"));

  // --- Paje: well formed, one container per CPU host, one-hot activity variables.
  REQUIRE(fs::exists(paje));
  const pajecheck::Trace t = pajecheck::parse(read_file(paje));
  for (const auto& e : t.errors) FAIL_CHECK(e);
  std::set<std::string> hosts;
  for (const auto& [alias, name] : t.container_names)
    if (t.type_names.at(t.container_type.at(alias)) == "HOST") hosts.insert(name);
  std::set<std::string> want;
  for (int c = 0; c < 16; ++c) want.insert("cpu" + std::to_string(c));
  CHECK(hosts == want);
  std::map<std::string, std::string> var_alias;  // name -> alias
  for (const auto& [alias, name] : t.type_names) var_alias[name] = alias;
  for (const char* v : {"task", "spin", "irq", "idle", "holds_ctx_lock"}) CHECK(var_alias.count(v));
  const std::set<std::string> activity = {var_alias["task"], var_alias["spin"], var_alias["irq"], var_alias["idle"]};
  std::map<std::string, std::map<std::string, double>> value;  // container -> type -> value
  std::string at;
  int ours = 0;
  auto check_one_hot = [&] {
    for (const auto& [c, vars] : value) {
      double sum = 0;
      for (const auto& [ty, v] : vars)
        if (activity.count(ty)) sum += v;
      if (sum != 1.0) FAIL_CHECK("host " << t.container_names.at(c) << " is in " << sum << " activities at " << at);
    }
  };
  for (const auto& e : t.events) {
    if (e.type != "PajeSetVariable" || !activity.count(e.f.at("Type"))) continue;
    if (e.f.at("Time") != at && !at.empty()) check_one_hot();
    at = e.f.at("Time");
    const double time = std::stod(at);
    CHECK(time >= 300e-6 - 1e-15);
    CHECK(time <= 310e-6 + 1e-15);
    value[e.f.at("Container")][e.f.at("Type")] = std::stod(e.f.at("Value"));
    ++ours;
  }
  check_one_hot();
  CHECK(value.size() == 16);
  CHECK(ours > 100);
}

TEST_CASE("aiosim trace: the trace does not depend on SimGrid's clock or its quantum", "[trace][cli]") {
  Scratch dir;
  const Run a = aiosim_in_tree(with(kBase, {"--out", (dir.path() / "a").string(), "--set", "engine.clock=internal"}), dir);
  const Run b = aiosim_in_tree(with(kBase, {"--out", (dir.path() / "b").string(), "--set", "engine.sync_quantum=0ns"}), dir);
  const Run c = aiosim_in_tree(with(kBase, {"--out", (dir.path() / "c").string(), "--set", "engine.sync_quantum=5us"}), dir);
  REQUIRE(a.status == 0);
  REQUIRE(b.status == 0);
  REQUIRE(c.status == 0);
  const std::string ta = read_file(dir.path() / "a" / "trace.txt");
  CHECK(ta.size() > 10000);
  CHECK(ta == read_file(dir.path() / "b" / "trace.txt"));
  CHECK(ta == read_file(dir.path() / "c" / "trace.txt"));
}

TEST_CASE("aiosim trace: refuses windows it cannot keep, writing nothing", "[trace][cli]") {
  Scratch dir;
  const fs::path out = dir.path() / "out";
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const std::vector<Case> cases = {
      {{"trace", "experiments/mixed.toml", "--from", "1ms", "--to", "20ms"}, "too long"},
      {{"trace", "experiments/mixed.toml", "--from", "300us", "--to", "300us"}, "window is empty"},
      {{"trace", "experiments/mixed.toml", "--from", "soon"}, "invalid time"},
      {{"trace", "experiments/mixed.toml", "--set", "engine.clock=internal", "--paje", (dir.path() / "x.trace").string()},
       "--paje needs SimGrid's clock"},
      {{"trace", "experiments/mixed.toml", "--paje", (dir.path() / "a,b.trace").string()}, "spaces or commas"},
  };
  for (const auto& c : cases) {
    const Run r = aiosim_in_tree(with(c.args, {"--out", out.string()}), dir);
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains(c.says));
    CHECK(!fs::exists(out / "trace.json"));
  }
}

TEST_CASE("aiosim trace: a capped trace says where it stopped", "[trace][cli]") {
  Scratch dir;
  const Run r = aiosim_in_tree(with(kBase, {"--out", (dir.path() / "o").string(), "--max-records", "50"}), dir);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Catch::Contains("record cap (50) was reached"));
  const json j = json::parse(read_file(dir.path() / "o" / "trace.json"));
  CHECK(j.at("otherData").at("truncated") == true);
  CHECK(j.at("otherData").at("records") == 50);
}
