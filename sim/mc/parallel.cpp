// SPDX-License-Identifier: GPL-2.0-only
#include "sim/mc/parallel.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

namespace sim::mc::parallel {

namespace {

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// The child's side: run the job, send 'R' + answer or 'E' + message,
// length first, so that the parent can tell a whole answer from a cut one.
[[noreturn]] void run_child(int fd, pid_t parent, const std::function<std::string()>& job) {
  // A worker dies with its parent (killed, Ctrl-C'd or crashed): none is left running.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(5);
  std::string msg;
  try {
    msg = job();
    msg.insert(msg.begin(), 'R');
  } catch (const std::exception& e) {
    msg.assign(1, 'E');
    msg += e.what();
  } catch (...) {
    msg = "Eunknown exception";
  }
  const std::uint64_t n = msg.size();
  const bool ok = write_all(fd, reinterpret_cast<const char*>(&n), sizeof n) && write_all(fd, msg.data(), msg.size());
  // _exit: the copies of the parent's stdio buffers and objects are not ours to flush or destroy.
  ::_exit(ok ? 0 : 4);
}

std::string how_it_ended(pid_t pid, int status) {
  if (WIFSIGNALED(status))
    return fmt::format("an exploring worker process (pid {}) was killed by signal {} ({}) before sending its result",
                       pid, WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return fmt::format("an exploring worker process (pid {}) exited with status {} before sending its result", pid,
                       WEXITSTATUS(status));
  return fmt::format("an exploring worker process (pid {}) sent an incomplete result", pid);
}

}  // namespace

Worker& Worker::operator=(Worker&& o) noexcept {
  if (this != &o) {
    discard();
    pid_ = o.pid_, fd_ = o.fd_;
    o.pid_ = -1, o.fd_ = -1;
  }
  return *this;
}

Worker Worker::spawn(const std::function<std::string()>& job) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("explore -j: pipe: {}", std::strerror(errno)));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(fmt::format("explore -j: fork: {}", std::strerror(err)));
  }
  if (pid == 0) {
    ::close(fds[0]);
    run_child(fds[1], parent, job);
  }
  ::close(fds[1]);
  Worker w;
  w.pid_ = pid;
  w.fd_ = fds[0];
  return w;
}

std::string Worker::collect() {
  std::string got;
  char buf[65536];
  for (;;) {
    const ssize_t r = ::read(fd_, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fd_);
  fd_ = -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  const pid_t pid = pid_;
  pid_ = -1;
  std::uint64_t n = 0;
  if (got.size() >= sizeof n) std::memcpy(&n, got.data(), sizeof n);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got.size() < sizeof n || n == 0 || got.size() != sizeof n + n)
    throw WorkerFailed(how_it_ended(pid, status));
  if (got[sizeof n] == 'E') throw std::runtime_error(got.substr(sizeof n + 1));
  return got.substr(sizeof n + 1);
}

void Worker::discard() noexcept {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  forget();
}

void Worker::forget() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pid_ = -1;
}

void Writer::fp(const Footprint& f) {
  u64(f.acc.size());
  for (const Access& a : f.acc) {
    u64(a.obj);
    u64(static_cast<std::uint64_t>(a.write) | static_cast<std::uint64_t>(a.lock) << 1);
  }
  u64(f.objs);
  u64(f.global);
  i64(f.exclusive_task);
  i64(f.exclusive_handler);
}

void Reader::need(std::size_t n) const {
  if (s_.size() - at_ < n) throw std::runtime_error("explore -j: a worker's result is cut short");
}

std::uint64_t Reader::u64() {
  need(8);
  std::uint64_t v;
  std::memcpy(&v, s_.data() + at_, 8);
  at_ += 8;
  return v;
}

double Reader::f64() {
  need(8);
  double v;
  std::memcpy(&v, s_.data() + at_, 8);
  at_ += 8;
  return v;
}

std::string Reader::str() {
  const std::uint64_t n = u64();
  need(n);
  std::string s = s_.substr(at_, n);
  at_ += n;
  return s;
}

Footprint Reader::fp() {
  Footprint f;
  const std::uint64_t n = u64();
  for (std::uint64_t k = 0; k < n; ++k) {
    Access a;
    a.obj = u64();
    const std::uint64_t bits = u64();
    a.write = bits & 1;
    a.lock = static_cast<LockOp>(bits >> 1);
    f.acc.push_back(a);
  }
  f.objs = u64();
  f.global = u64() != 0;
  f.exclusive_task = static_cast<int>(i64());
  f.exclusive_handler = static_cast<int>(i64());
  return f;
}

}  // namespace sim::mc::parallel
