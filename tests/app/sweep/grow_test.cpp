// SPDX-License-Identifier: GPL-2.0-only
// Campaigns that grow (sweep/grow.hpp): a sweep directory given a spec with
// more axis values or replications runs only the new runs and merges to the
// same bytes as a fresh sweep of the grown spec; a spec that changes or drops
// existing runs is refused with one line naming the change; --dry-run says
// what would run and writes nothing.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/app/sweep/harness.hpp"

using namespace sweeptest;
using json = nlohmann::json;

namespace {

// 2 designs x 2 batches, 1 replication: 4 runs.
std::string small_spec(const std::string& batches = "[4, 8]", int replications = 1, const std::string& kiocbs = "1500",
                       const std::string& extra = "") {
  return "[sweep]\nbase = \"base.toml\"\nreplications = " + std::to_string(replications) +
         "\n[set]\nworkload.kiocbs = " + kiocbs + "\n[axes]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\"]\nworkload.batch = " + batches +
         "\n" + extra;
}

// Every file under `dir` with its size and contents' hash of bytes: "nothing written" is this list unchanged.
std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out[fs::relative(e.path(), dir).string()] = e.is_regular_file() ? read_file(e.path()) : std::string("<dir>");
  return out;
}

struct Campaign {
  ScratchDir s;
  Campaign() { write_file(s / "base.toml", small_base()); }
  std::string spec() const { return (s / "spec.toml").string(); }
  fs::path dir(const std::string& name) const { return s / name; }
  Run sweep(const std::string& spec_text, const std::string& out, std::vector<std::string> extra = {}) {
    write_file(s / "spec.toml", spec_text);
    std::vector<std::string> args = {"sweep", spec(), "--out", dir(out).string(), "-j", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return aiosim(args, s.path());
  }
};

const char* kMerged[] = {"runs.csv", "summary.csv", "results.sqlite", "sweep.json"};

}  // namespace

TEST_CASE("a grown sweep runs only its new runs and merges to the bytes of a fresh sweep of the grown spec", "[sweep-grow]") {
  Campaign c;
  REQUIRE(c.sweep(small_spec(), "g").status == 0);
  // Old layout: run = point (1 replication), point = design * 2 + batch.
  const std::string old_run1 = read_file(c.dir("g") / "runs/000001/manifest.json");  // mm-parent, batch 8
  const std::string old_run3 = read_file(c.dir("g") / "runs/000003/manifest.json");  // lazy-cancel, batch 8

  // Grown: a third batch and a second replication: 2 x 3 x 2 = 12 runs, 4 of them done.
  const std::string grown = small_spec("[4, 8, 16]", 2);
  const auto dry = c.sweep(grown, "g", {"--dry-run"});
  REQUIRE(dry.status == 0);
  CHECK(dry.out.find("12 runs in " + c.dir("g").string() + ": 4 complete, 0 failed (kept), 8 to run (8 new, 0 again); nothing written") !=
        std::string::npos);
  const auto g = c.sweep(grown, "g");
  REQUIRE(g.status == 0);
  CHECK(g.err.find("grows from 4 to 12 runs") != std::string::npos);
  CHECK(g.err.find("12 runs, 4 already complete, 8 to run") != std::string::npos);

  // New layout: point = design * 3 + batch, run = point * 2 + replication. The old runs
  // were moved, not run again: same finish time and wall time, new index.
  const auto same_run = [](const std::string& before, const fs::path& now, int run, int point) {
    json a = json::parse(before), b = json::parse(read_file(now));
    CHECK(b["run"] == run);
    CHECK(b["point"] == point);
    CHECK(a["finished_at"] == b["finished_at"]);
    CHECK(a["wall_s"] == b["wall_s"]);
    CHECK(a["config_fnv1a64"] == b["config_fnv1a64"]);
  };
  same_run(old_run1, c.dir("g") / "runs/000002/manifest.json", 2, 1);
  same_run(old_run3, c.dir("g") / "runs/000008/manifest.json", 8, 4);

  REQUIRE(c.sweep(grown, "fresh").status == 0);
  for (const char* f : kMerged) {
    INFO(f);
    REQUIRE(fs::exists(c.dir("fresh") / f));
    CHECK(read_file(c.dir("g") / f) == read_file(c.dir("fresh") / f));
  }
  CHECK(read_csv(c.dir("g") / "runs.csv").size() == 12);

  // Grown again, by a third replication: again the fresh bytes.
  const std::string twice = small_spec("[4, 8, 16]", 3);
  REQUIRE(c.sweep(twice, "g").status == 0);
  REQUIRE(c.sweep(twice, "fresh2").status == 0);
  for (const char* f : kMerged) {
    INFO(f);
    CHECK(read_file(c.dir("g") / f) == read_file(c.dir("fresh2") / f));
  }
  // Nothing left over from the moves.
  for (const auto& e : fs::directory_iterator(c.dir("g") / "runs")) CHECK(e.path().filename().string().rfind(".moving-", 0) != 0);
}

TEST_CASE("a move interrupted by a crash is finished by the next sweep or collect, without running the runs again", "[sweep-grow]") {
  Campaign c;
  REQUIRE(c.sweep(small_spec("[4, 8]", 2), "g").status == 0);
  // As a crash during the move leaves it: one run out of its place, under its staging name.
  const json m = json::parse(read_file(c.dir("g") / "runs/000003/manifest.json"));
  const std::string hash = m["config_fnv1a64"];
  fs::rename(c.dir("g") / "runs/000003", c.dir("g") / ("runs/.moving-" + hash));
  // collect puts it back...
  const auto col = aiosim({"collect", c.dir("g").string()}, c.s.path());
  REQUIRE(col.status == 0);
  CHECK(col.out.find("8 runs: 8 ok, 0 failed") != std::string::npos);
  CHECK(json::parse(read_file(c.dir("g") / "runs/000003/manifest.json"))["finished_at"] == m["finished_at"]);
  CHECK_FALSE(fs::exists(c.dir("g") / ("runs/.moving-" + hash)));
  // ...and so does the sweep.
  fs::rename(c.dir("g") / "runs/000003", c.dir("g") / ("runs/.moving-" + hash));
  const auto r = c.sweep(small_spec("[4, 8]", 2), "g");
  REQUIRE(r.status == 0);
  CHECK(r.err.find("8 runs, 8 already complete, 0 to run") != std::string::npos);
  CHECK(json::parse(read_file(c.dir("g") / "runs/000003/manifest.json"))["finished_at"] == m["finished_at"]);
  CHECK_FALSE(fs::exists(c.dir("g") / ("runs/.moving-" + hash)));
}

TEST_CASE("a spec that changes or drops existing runs is refused with one line naming the change, nothing touched", "[sweep-grow]") {
  Campaign c;
  REQUIRE(c.sweep(small_spec(), "g").status == 0);
  const auto before = tree(c.dir("g"));
  const auto refused = [&](const std::string& spec, const std::string& what) {
    INFO(what);
    for (const bool dry : {false, true}) {
      const auto r = c.sweep(spec, "g", dry ? std::vector<std::string>{"--dry-run"} : std::vector<std::string>{});
      CHECK(r.status == 2);
      CHECK(lines(r.err).size() == 1);
      CHECK(r.err.rfind("aiosim: " + c.dir("g").string() + " holds a different sweep: ", 0) == 0);
      CHECK(r.err.find(what) != std::string::npos);
      CHECK(r.out.empty());
    }
    CHECK(tree(c.dir("g")) == before);
  };
  refused(small_spec("[4, 8]", 1, "1600"), "the config of run 0 (kioctx.design=mm-parent workload.batch=4, replication 0) changed: "
                                          "workload.kiocbs = 1500 -> 1600 (from the base config, [set] or --set)");
  std::string seeded = small_spec();
  seeded.insert(seeded.find("replications"), "seed = 7\n");
  refused(seeded, "sweep.seed changed (1 -> 7)");
  refused(small_spec("[4]"), "the spec drops 2 of the directory's 4 runs (fewer axis values or replications, or a tighter "
                            "constraint; the first: run 1, kioctx.design=mm-parent workload.batch=8, replication 0)");
  refused(small_spec("[4, 8]", 1, "1500", "workload.nr = [32, 64]\n"),
          "the axes changed (were: kioctx.design, workload.batch; now: kioctx.design, workload.batch, workload.nr)");
  // The base config changed under the sweep.
  std::string base = small_base();
  base.replace(base.find("min_nr = 8"), 10, "min_nr = 4");
  write_file(c.s / "base.toml", base);
  refused(small_spec(), "workload.min_nr = 8 -> 4");
}

TEST_CASE("a dry run (--dry-run) on a new directory lists every run as new and creates nothing", "[sweep-grow]") {
  Campaign c;
  const auto r = c.sweep(small_spec(), "d", {"--dry-run"});
  REQUIRE(r.status == 0);
  const auto ls = lines(r.out);
  REQUIRE(ls.size() == 6);
  CHECK(ls[1].find("new") != std::string::npos);
  CHECK(ls[1].find("kioctx.design=mm-parent workload.batch=4") != std::string::npos);
  CHECK(ls[5].find("4 runs in " + c.dir("d").string() + ": 0 complete, 0 failed (kept), 4 to run (4 new, 0 again)") != std::string::npos);
  CHECK_FALSE(fs::exists(c.dir("d")));
  // After a lost manifest, that run shows as to be run again.
  REQUIRE(c.sweep(small_spec(), "d").status == 0);
  fs::remove(c.dir("d") / "runs/000002/manifest.json");
  const auto before = tree(c.dir("d"));
  const auto again = c.sweep(small_spec(), "d", {"--dry-run"});
  REQUIRE(again.status == 0);
  CHECK(lines(again.out)[3].find("rerun") != std::string::npos);
  CHECK(again.out.find("3 complete, 0 failed (kept), 1 to run (0 new, 1 again)") != std::string::npos);
  CHECK(tree(c.dir("d")) == before);
}
