// SPDX-License-Identifier: GPL-2.0-only
// The profile of a real run (`aiosim run --out`, output.profile on by
// default): result.json's profile accounts for exactly the busy CPU time the
// cpus[] section reports, profile.folded parses and sums to it, and the
// profile is the same under the internal and the SimGrid clock.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/cli.hpp"

using namespace clitest;
using nlohmann::json;

namespace {

// Two submitters, one reaper, block IRQs on CPUs 2-3, a few USB cancels.
const char* const kConfig = R"toml(seed = 7

[machine]
preset = "x86-2s-modern"
sockets = 1
cores_per_socket = 4

[kioctx]
design = "mm-parent"
nr_events = 256

[workload]
kiocbs = 3000
submitters = "0-1"
reapers = [2]
batch = 4
queue_depth = 16
think = "exp(2us)"
min_nr = 2
nr = 16
usb_fraction = 0.05

[block]
service = "exp(20us)"
irq_cpus = "2-3"

[usb]
irq_cpu = 3
cancel_fraction = 0.3
cancel_delay = "uniform(0us,150us)"
cancellers = [3]

[invariants]
kernel_races = "count"
)toml";

// frames -> ns, parsed here without the project's parser.
std::map<std::string, long long> parse(const std::string& text) {
  std::map<std::string, long long> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto sp = line.rfind(' ');
    REQUIRE(sp != std::string::npos);
    out[line.substr(0, sp)] += std::stoll(line.substr(sp + 1));
  }
  return out;
}

struct Out {
  json result;
  std::string folded, roles;
};

Out run(const ScratchDir& dir, const std::string& name, const std::string& clock) {
  const fs::path out = dir / name;
  const Run r = aiosim({"run", (dir / "p.toml").string(), "--out", out.string(), "--quiet", "--set", "engine.clock=" + clock}, dir);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  return Out{json::parse(read_file(out / "result.json")), read_file(out / "profile.folded"),
             read_file(out / "profile-roles.folded")};
}

}  // namespace

TEST_CASE("profile of a run: sums to the busy CPU time, by context, and parses", "[models][profile]") {
  ScratchDir dir;
  write_file(dir / "p.toml", kConfig);
  const Out o = run(dir, "a", "internal");
  double task = 0, spin = 0, irq = 0;
  for (const auto& c : o.result["cpus"]) {
    task += c["task_ns"].get<double>();
    spin += c["spin_ns"].get<double>();
    irq += c["irq_ns"].get<double>();
  }
  const json& p = o.result["profile"];
  const double busy = task + spin + irq;
  REQUIRE(busy > 0);
  CHECK(p["busy_ns"].get<double>() == Approx(busy).epsilon(1e-12));
  // Kinds and contexts each partition the busy time.
  CHECK(p["by_kind"]["work_share"].get<double>() + p["by_kind"]["spin_share"].get<double>() +
            p["by_kind"]["stall_share"].get<double>() == Approx(1.0).epsilon(1e-12));
  CHECK(p["by_context"]["task_share"].get<double>() + p["by_context"]["hardirq_share"].get<double>() ==
        Approx(1.0).epsilon(1e-12));
  // Spinning: what the CPUs report as spinning, to the nanosecond.
  CHECK(p["by_kind"]["spin_share"].get<double>() * busy == Approx(spin).epsilon(1e-9));
  // mm-parent takes ctx_lock in every aio_complete: some spinning on it shows.
  REQUIRE(p["locks"].contains("ctx_lock"));
  CHECK(p["aio_share"].get<double>() > 0.0);
  CHECK(p["aio_share"].get<double>() < 1.0);
  CHECK(p["aio_functions"]["aio_complete"]["total_share"].get<double>() > 0.0);
  // The folded stacks, read independently: ns weights summing to the busy
  // time within the per-line rounding, roots naming the context.
  const auto f = parse(o.folded);
  REQUIRE(!f.empty());
  long long sum = 0;
  for (const auto& [stack, ns] : f) {
    const std::string root = stack.substr(0, stack.find(';'));
    CHECK((root == "task" || root == "hardirq"));
    sum += ns;
  }
  CHECK(std::abs(static_cast<double>(sum) - busy) <= 0.5 * static_cast<double>(f.size()) + 1);
  // Interrupt handlers run in hardirq context; the block completion path
  // goes through aio_complete there.
  bool irq_complete = false;
  for (const auto& [stack, ns] : f)
    irq_complete = irq_complete || stack.rfind("hardirq;blk_irq_handler;aio_complete", 0) == 0;
  CHECK(irq_complete);
  // The roles file: the same stacks under each CPU's role.
  const auto roles = parse(o.roles);
  long long role_sum = 0;
  for (const auto& [stack, ns] : roles) {
    const std::string role = stack.substr(0, stack.find(';'));
    CHECK((role == "submitter" || role == "reaper+irq" || role == "irq+canceller" || role == "canceller+irq"));
    role_sum += ns;
  }
  CHECK(std::abs(static_cast<double>(role_sum) - busy) <= 0.5 * static_cast<double>(roles.size()) + 1);
  CHECK(o.result["profile"]["roles"].contains("submitter"));
}

TEST_CASE("profile of a run: identical under the internal and the SimGrid clock", "[models][profile][determinism]") {
  ScratchDir dir;
  write_file(dir / "p.toml", kConfig);
  const Out a = run(dir, "internal", "internal");
  const Out b = run(dir, "simgrid", "simgrid");
  CHECK(a.folded == b.folded);
  CHECK(a.roles == b.roles);
  const json d = json::diff(a.result["profile"], b.result["profile"]);
  INFO("differences: " << d.dump());
  CHECK(d.empty());
}

TEST_CASE("profile off: no profile in result.json and no folded files", "[models][profile]") {
  ScratchDir dir;
  write_file(dir / "p.toml", kConfig);
  const fs::path out = dir / "off";
  const Run r = aiosim({"run", (dir / "p.toml").string(), "--out", out.string(), "--quiet", "--set", "output.profile=false"}, dir);
  REQUIRE(r.status == 0);
  CHECK_FALSE(json::parse(read_file(out / "result.json")).contains("profile"));
  CHECK_FALSE(fs::exists(out / "profile.folded"));
}
