// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The workload's config keys, declared with their defaults, ranges and
// meaning next to the code that reads them into a WorkloadConfig. A program
// declares them in the order it wants its config echoed (the result.json
// `config` table follows declaration order).
#include "models/workload/workload.hpp"
#include "sim/config.hpp"

namespace models {

// workload.submitters ... workload.eventfd_fraction: the user-space threads
// and what they submit (the run's length keys, workload.kiocbs / duration /
// warmup / min_measured, are the program's).
void add_workload_keys(sim::config::Schema& s);
// io_wq.cpu: where io_uring's io-wq worker runs (buffered writes).
void add_io_wq_keys(sim::config::Schema& s, int max_cpus);
// usb.cancel_fraction ... usb.cancel_target: the io_cancel callers.
void add_cancel_keys(sim::config::Schema& s);
// teardown.at, teardown.cpu: the io_destroy caller. max_cpus: the largest
// machine the program's configs may describe.
void add_teardown_keys(sim::config::Schema& s, int max_cpus);

// Reads the keys above (and block.cancel_fraction) into wc; the role CPUs
// come from resolve_roles (models/workload/roles.hpp), not from here.
void read_workload(const sim::config::Config& cfg, WorkloadConfig& wc);

}  // namespace models
