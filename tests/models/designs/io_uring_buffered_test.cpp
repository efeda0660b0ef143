// SPDX-License-Identifier: GPL-2.0-only
// Buffered block writes in timed runs (`aiosim run`, workload.buffered_fraction),
// with the counts worked out by hand from Linux v5.6.4 fs/io-wq.c and
// fs/io_uring.c (docs/designs/io_uring.md, "io-wq in timed runs"):
//
// One submitter, batch 1, queue depth 1, 20 us of thinking: each write is
// alone. io_write's nonblocking attempt fails on a file without O_DIRECT and
// __io_queue_sqe punts it: io_wqe_enqueue takes wqe->lock once and, as
// acct->nr_running is 0 (the worker sleeps), wakes the worker on the free
// list. The worker, from schedule_timeout back to the top of io_wqe_worker:
//   1. `loop:` spin_lock_irq(&wqe->lock): work -> io_worker_handle_work,
//      which takes it off the list and drops the lock;
//      worker->lock to set cur_work, the write (its CQE under
//      completion_lock, from this task context), worker->lock to clear it;
//   2. spin_lock_irq(&wqe->lock) again for the next work: none, unlock;
//   3. `goto loop`: the lock, nothing queued, __io_worker_idle puts it on
//      the free list and drops the lock to let go of the submitter's mm;
//   4. `goto loop`: the lock, idle, unlock; schedule_timeout returns at
//      once (the task is TASK_RUNNING since 1);
//   5. the next pass, TASK_INTERRUPTIBLE: the lock, idle, unlock;
//      schedule_timeout -> io_wq_worker_sleeping:
//   6. the lock, nr_running 1 -> 0, unlock; asleep.
// So each write costs wqe->lock 1 + 6 = 7 acquisitions, worker->lock 2,
// completion_lock 1, one wake-up and one sleep. Two runs of 20 and 40
// writes differ by exactly 20 times that (the worker's start and the run's
// end are the same in both). No interrupt is raised: nothing goes to the
// device. Under fs/aio.c (lazy-cancel) the same write completes inside
// io_submit: no interrupt, no io-wq.
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
design = "io_uring"
nr_events = 64

[workload]
kiocbs = 20
submitters = [0]
batch = 1
queue_depth = 1
think = "const(20us)"
min_nr = 1
nr = 4
usb_fraction = 0.0
buffered_fraction = 1.0

[block]
irq_cpus = [3]

[usb]
cancellers = 0

[output]
profile = false
)toml";

json run(const ScratchDir& dir, const std::string& name, const std::vector<std::string>& extra) {
  const fs::path out = dir / name;
  std::vector<std::string> args{"run", (dir / "buffered.toml").string(), "--out", out.string(), "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  const Run r = aiosim(args, dir);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  return json::parse(read_file(out / "result.json"));
}

std::uint64_t acq(const json& r, const char* lock) { return r["locks"][lock]["acquisitions"].get<std::uint64_t>(); }

// No CPU spent any time in hard-IRQ context and none latched an interrupt:
// no aio_complete / io_complete_rw ran from an interrupt.
void no_interrupts(const json& r) {
  CHECK(r["devices"]["block"]["irq_invocations"] == 0);
  for (const json& c : r["cpus"]) {
    CHECK(c["irq_ns"].get<double>() == 0.0);
    CHECK(c["irqs_latched"] == 0);
  }
}

}  // namespace

TEST_CASE("io_uring buffered writes: each alone costs wqe->lock 7, worker->lock 2, completion_lock 1, CQE from the worker",
          "[models][designs][io_uring][io_wq]") {
  ScratchDir dir;
  write_file(dir / "buffered.toml", kConfig);
  const json a = run(dir, "n20", {});
  const json b = run(dir, "n40", {"--set", "workload.kiocbs=40"});
  for (const json* r : {&a, &b}) {
    const std::uint64_t n = (*r)["correctness"]["results"];
    CHECK((*r)["correctness"]["lost"] == 0);
    CHECK((*r)["correctness"]["duplicates"] == 0);
    CHECK((*r)["buffered"]["io_wq_enqueued"] == n);
    CHECK((*r)["buffered"]["io_wq_run_by_worker"] == n);
    CHECK((*r)["buffered"]["io_wq_cqes_from_worker"] == n);  // every CQE from the worker's task context
    CHECK((*r)["buffered"]["io_wq_wakeups"] == n);           // every write found the worker asleep
    CHECK((*r)["locks"]["wqe_lock"]["line"] == "io_wqe");
    no_interrupts(*r);
  }
  CHECK(a["correctness"]["results"] == 20);
  CHECK(b["correctness"]["results"] == 40);
  CHECK(acq(b, "wqe_lock") - acq(a, "wqe_lock") == 7 * 20);
  CHECK(acq(b, "worker_lock") - acq(a, "worker_lock") == 2 * 20);
  CHECK(acq(b, "completion_lock") - acq(a, "completion_lock") == 1 * 20);
  CHECK(b["buffered"]["io_wq_sleeps"].get<std::uint64_t>() - a["buffered"]["io_wq_sleeps"].get<std::uint64_t>() == 20);
  CHECK(acq(b, "ctx_lock") == 0);
}

TEST_CASE("io_uring buffered writes in batches: exactly one CQE each, all from the worker, no interrupt",
          "[models][designs][io_uring][io_wq]") {
  ScratchDir dir;
  write_file(dir / "buffered.toml", kConfig);
  const json r = run(dir, "batch", {"--set", "workload.kiocbs=3000", "--set", "workload.submitters=0-1", "--set",
                                    "workload.batch=8", "--set", "workload.queue_depth=16", "--set", "workload.think=exp(1us)"});
  const std::uint64_t n = r["correctness"]["results"];
  CHECK(n == 3000);
  CHECK(r["correctness"]["lost"] == 0);
  CHECK(r["correctness"]["duplicates"] == 0);
  CHECK(r["buffered"]["io_wq_cqes_from_worker"] == n);
  // Several writes per wake-up: fewer wake-ups than writes, and wqe->lock at
  // most 7 per write (one per enqueue, one per work, at most 5 per wake-up).
  CHECK(r["buffered"]["io_wq_wakeups"].get<std::uint64_t>() < n);
  CHECK(acq(r, "wqe_lock") <= 7 * r["buffered"]["io_wq_enqueued"].get<std::uint64_t>() + 2);
  no_interrupts(r);
}

TEST_CASE("io_uring: ASYNC_CANCEL of queued buffered writes in a timed run: one result each",
          "[models][designs][io_uring][io_wq]") {
  ScratchDir dir;
  write_file(dir / "buffered.toml", kConfig);
  const json r = run(dir, "cancel", {"--set", "workload.kiocbs=2000", "--set", "workload.batch=8", "--set",
                                     "workload.queue_depth=16", "--set", "workload.think=exp(1us)", "--set",
                                     "block.cancel_fraction=0.5", "--set", "usb.cancel_delay=const(0ns)",
                                     "--set", "usb.cancellers=[1]", "--set", "block.buffered_copy=3us"});
  CHECK(r["correctness"]["lost"] == 0);
  CHECK(r["correctness"]["duplicates"] == 0);
  CHECK(r["cancels"]["io_cancel_calls"].get<std::uint64_t>() > 0);
  // An ASYNC_CANCEL returns 0 exactly when it took the work off
  // wqe->work_list (io_run_cancel); the write's CQE then carries -ECANCELED.
  CHECK(r["cancels"]["succeeded"] == r["buffered"]["io_wq_cancelled_queued"]);
  CHECK(r["buffered"]["io_wq_cancelled_queued"].get<std::uint64_t>() > 0);
  // Every punted write was either written by the worker or cancelled off the
  // list, except those still queued at the end (in flight; the last one the
  // worker wrote may not have posted its CQE when the run stopped).
  const std::uint64_t done = r["buffered"]["io_wq_run_by_worker"].get<std::uint64_t>() +
                             r["buffered"]["io_wq_cancelled_queued"].get<std::uint64_t>();
  const std::uint64_t enqueued = r["buffered"]["io_wq_enqueued"];
  CHECK(done <= enqueued);
  CHECK(done + r["correctness"]["in_flight"].get<std::uint64_t>() >= enqueued);
}

TEST_CASE("fs/aio.c buffered writes complete inside io_submit: no interrupt, no io-wq", "[models][designs][io_wq]") {
  ScratchDir dir;
  write_file(dir / "buffered.toml", kConfig);
  // 200 requests: every write completes inside io_submit, so the lone
  // submitter never suspends; before the engine bounded a run's stack
  // (resume_bounded, sim/task.hpp) this overflowed the ASan build's stack.
  const json r = run(dir, "lazy", {"--set", "kioctx.design=lazy-cancel", "--set", "workload.kiocbs=200"});
  CHECK(r["correctness"]["results"] == 200);
  CHECK(r["correctness"]["ring_events"] == 200);
  CHECK(r["correctness"]["lost"] == 0);
  CHECK(r["buffered"]["io_wq_enqueued"] == 0);
  CHECK_FALSE(r["locks"].contains("wqe_lock"));
  no_interrupts(r);
  // io_submit_one -> aio_complete from the submitter: the event is in the
  // ring before io_submit returns, so the one submitter's completion_lock is
  // the ring's only writer: one acquisition per event.
  CHECK(acq(r, "completion_lock") == 200);
}

TEST_CASE("workload.buffered_fraction 0: no buffered section, no io-wq locks", "[models][designs][io_wq]") {
  ScratchDir dir;
  write_file(dir / "buffered.toml", kConfig);
  const json r = run(dir, "none", {"--set", "workload.buffered_fraction=0", "--set", "workload.kiocbs=50"});
  CHECK_FALSE(r.contains("buffered"));
  CHECK_FALSE(r["locks"].contains("wqe_lock"));
  double irq_ns = 0;  // the O_DIRECT writes complete from the block interrupt
  for (const json& c : r["cpus"]) irq_ns += c["irq_ns"].get<double>();
  CHECK(irq_ns > 0);
}
