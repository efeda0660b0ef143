// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The process side of `explore -j N` (sim/mc/dpor.cpp, docs/explorer.md
// "Parallel exploration"): a worker is a fork() of the explorer (its whole
// state, the saved system states included, is then an exact copy) that runs
// one job and sends back what the job returns, as bytes over a pipe. The
// explorer decides which answers to use; this file only runs processes,
// reports how one died, and (de)serializes the few types an answer holds.
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

#include "sim/mc/dpor.hpp"

namespace sim::mc::parallel {

// A worker died before sending its whole answer (killed, crashed, exited).
struct WorkerFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One forked worker. Its destructor kills and reaps it if its answer was not
// collected: no worker outlives the explorer, and none is left a zombie.
class Worker {
 public:
  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  Worker(Worker&& o) noexcept : pid_(o.pid_), fd_(o.fd_) { o.pid_ = -1, o.fd_ = -1; }
  Worker& operator=(Worker&& o) noexcept;
  ~Worker() { discard(); }

  // Forks. The child runs `job` and writes what it returns (or the message
  // of what it throws) to the pipe, then _exit()s; it dies with the parent.
  static Worker spawn(const std::function<std::string()>& job);
  // The job's answer; waits for it and reaps the worker. Throws WorkerFailed
  // when the worker died without sending all of it, std::runtime_error with
  // the job's own message when the job threw.
  std::string collect();
  // Kills the worker (its answer is not needed) and reaps it.
  void discard() noexcept;
  // In a forked child: a copy of the parent's handle, which is not ours to
  // kill; closes our copy of its pipe.
  void forget() noexcept;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

// Serialization of an answer (native byte order: both ends are one binary).
class Writer {
 public:
  void u64(std::uint64_t v) { buf_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void f64(double v) { buf_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    buf_ += s;
  }
  void fp(const Footprint& f);
  std::string take() { return std::move(buf_); }

 private:
  std::string buf_;
};

class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  std::uint64_t u64();
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  double f64();
  std::string str();
  Footprint fp();
  bool done() const { return at_ == s_.size(); }

 private:
  void need(std::size_t n) const;
  const std::string& s_;
  std::size_t at_ = 0;
};

}  // namespace sim::mc::parallel
