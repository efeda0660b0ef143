// SPDX-License-Identifier: GPL-2.0-only
// The spinlock a run uses when the config does not choose one: the kernel of
// the design's era had it. x86 spinlocks are ticket locks until v4.1; the
// queued spinlock (qspinlock) replaced them in v4.2 (2015), so the 2013
// designs (mm-parent, lazy-cancel and the planted variants of them) default to
// the ticket lock, and an explicit kioctx.lock still wins.
#include <catch2/catch.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "tests/support/cli.hpp"
#include "models/designs/registry.hpp"

using namespace clitest;
using nlohmann::json;

namespace {

const char* const kConfig = R"toml(seed = 3

[machine]
preset = "x86-2s-modern"
sockets = 1
cores_per_socket = 4

[kioctx]
nr_events = 256

[workload]
kiocbs = 400
submitters = "0-1"
reapers = [2]
usb_fraction = 0

[block]
irq_cpus = [3]
)toml";

std::string ctx_lock_kind(const ScratchDir& dir, const std::vector<std::string>& sets) {
  const fs::path out = dir / "out";
  std::vector<std::string> args{"run", (dir / "era.toml").string(), "--out", out.string(), "--quiet"};
  for (const auto& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  const Run r = aiosim(args, dir);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  const json j = json::parse(read_file(out / "result.json"));
  CHECK(j["locks"].contains("completion_lock") == (j["design"]["name"] != "mm-parent"));
  return j["locks"]["ctx_lock"]["kind"].get<std::string>();
}

}  // namespace

TEST_CASE("the 2013 designs default to the ticket lock; an explicit kioctx.lock wins", "[models][cli][locks]") {
  ScratchDir dir;
  write_file(dir / "era.toml", kConfig);
  for (const char* design : {"mm-parent", "lazy-cancel"}) {
    DYNAMIC_SECTION(design) {
      const std::string d = std::string("kioctx.design=") + design;
      CHECK(ctx_lock_kind(dir, {d}) == "ticket");
      CHECK(ctx_lock_kind(dir, {d, "kioctx.lock=era"}) == "ticket");
      CHECK(ctx_lock_kind(dir, {d, "kioctx.lock=qspinlock"}) == "qspinlock");
      CHECK(ctx_lock_kind(dir, {d, "kioctx.lock=tas"}) == "tas");
    }
  }
}

// A design tagged "Linux X.Y" runs on the qspinlock from 4.2 on; every other
// tag (the 2013 mm tree, the seed, their planted variants) is of the
// ticket-lock era.
TEST_CASE("every registered design's era lock follows its kernel's version (qspinlock from v4.2)", "[models][locks]") {
  for (const models::DesignInfo& d : models::designs()) {
    INFO(d.name << " (" << d.tag << ")");
    int major = 0, minor = 0;
    const bool linux_tag = std::sscanf(d.tag.c_str(), "Linux %d.%d", &major, &minor) == 2;
    const bool queued_era = linux_tag && (major > 4 || (major == 4 && minor >= 2));
    CHECK(d.era_lock == (queued_era ? sim::LockKind::Queued : sim::LockKind::Ticket));
  }
  // 2013: Linus's v3.9, the seed's parent, the seed and the planted variants of it.
  for (const char* name : {"v3.9", "mm-parent", "lazy-cancel", "broken-plain-cancel", "broken-irq-unsafe-cancel", "broken-plain-cancel-early"}) {
    INFO(name);
    const models::DesignInfo* d = models::find_design(name);
    REQUIRE(d != nullptr);
    CHECK(d->era_lock == sim::LockKind::Ticket);
  }
  // Linux 5.5.
  const models::DesignInfo* uring = models::find_design("io_uring");
  REQUIRE(uring != nullptr);
  CHECK(uring->era_lock == sim::LockKind::Queued);
}

TEST_CASE("v4.19 defaults to the qspinlock", "[models][cli][locks]") {
  ScratchDir dir;
  write_file(dir / "era.toml", kConfig);
  CHECK(ctx_lock_kind(dir, {"kioctx.design=v4.19"}) == "qspinlock");
  CHECK(ctx_lock_kind(dir, {"kioctx.design=v4.19", "kioctx.lock=ticket"}) == "ticket");
}
