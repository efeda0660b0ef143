// SPDX-License-Identifier: GPL-2.0-only
// io_cancel of in-flight block requests, in a whole run (aiosim run).
//
// A block request has no cancel method. Before the seed (the -mm parent,
// the `mm-parent` design) every kiocb is on active_reqs from kiocb_batch_refill,
// so io_cancel finds an in-flight block request, and kiocb_cancel sets
// KIF_CANCELLED before it sees there is no method: io_cancel returns
// -EINVAL, and aio_complete -- which takes ctx_lock after io_cancel dropped
// it -- drops the event. User space gets nothing: a lost result, once per
// io_cancel that finds its request still in flight. After the seed
// (`lazy-cancel`) block kiocbs are never listed: io_cancel returns -EINVAL,
// marks nothing, and the event comes.
//
// The workload: block I/O only (no USB, so no gadgetfs race), 1% of the
// requests cancelled 0-20 us after submission while the device takes
// exp(20 us): most cancels find their request in flight. Expected: mm-parent
// loses some results, never more than the failed io_cancel calls, and no
// io_cancel succeeds; lazy-cancel loses none. (A lost request never leaves its submitter's queue, as
// an application would wait for it forever: queue_depth is large so that
// the run still ends.)
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/cli.hpp"

using namespace clitest;
using nlohmann::json;

namespace {

const char* const kConfig = R"toml(seed = 3

[machine]
preset = "x86-2s-modern"
sockets = 1
cores_per_socket = 4

[kioctx]
nr_events = 4096

[workload]
kiocbs = 4000
submitters = [0]
reapers = [1]
batch = 8
queue_depth = 512
think = "exp(2us)"
min_nr = 1
nr = 64
usb_fraction = 0.0

[block]
service = "exp(20us)"
irq_cpus = [3]
cancel_fraction = 0.01

[usb]
cancel_delay = "uniform(0us,20us)"
cancellers = [2]

[invariants]
kernel_races = "count"
)toml";

json run(const ScratchDir& dir, const std::string& design) {
  const fs::path out = dir / design;
  const Run r = aiosim({"run", (dir / "block.toml").string(), "--set", "kioctx.design=" + design, "--out",
                        out.string(), "--quiet"},
                       dir);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  return json::parse(read_file(out / "result.json"));
}

void check_no_other_fault(const json& c) {
  CHECK(c["duplicates"] == 0);
  CHECK(c["kernel_races"]["total"] == 0);
  CHECK(c["ring_overflows"] == 0);
}

}  // namespace

TEST_CASE("io_cancel of in-flight block requests loses results before the seed, not after", "[models][cancel]") {
  ScratchDir dir;
  write_file(dir / "block.toml", kConfig);

  const json before = run(dir, "mm-parent");
  {
    INFO("mm-parent");
    const json& c = before["correctness"];
    const json& k = before["cancels"];
    check_no_other_fault(c);
    CHECK(k["io_cancel_calls"].get<std::uint64_t>() > 0);
    CHECK(k["succeeded"] == 0);  // no cancel method: io_cancel never succeeds
    CHECK(c["cancel_results"] == 0);
    CHECK(c["lost"].get<std::uint64_t>() > 0);
    CHECK(c["lost"].get<std::uint64_t>() <= k["einval"].get<std::uint64_t>());
  }
  const json after = run(dir, "lazy-cancel");
  {
    INFO("lazy-cancel");
    const json& c = after["correctness"];
    const json& k = after["cancels"];
    check_no_other_fault(c);
    CHECK(k["io_cancel_calls"].get<std::uint64_t>() > 0);
    CHECK(k["succeeded"] == 0);
    CHECK(c["lost"] == 0);
  }
}
