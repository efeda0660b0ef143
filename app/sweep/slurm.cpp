// SPDX-License-Identifier: GPL-2.0-only
#include "app/sweep/slurm.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "sim/atomic_file.hpp"

namespace sweep {

namespace fs = std::filesystem;

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

Captured capture(const std::vector<std::string>& args) {
  Captured c;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return c;
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return c;
  }
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(126);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "cannot execute %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    return c;
  }
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* dst[2] = {&c.out, &c.err};
  int open = 2;
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        dst[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  int ws = 0;
  while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  c.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  return c;
}

std::string compress_ranges(const std::vector<std::size_t>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? std::to_string(v[i]) : fmt::format("{}-{}", v[i], v[j]);
    i = j + 1;
  }
  return out;
}

std::string submit(const RunEnv& env, const Plan& plan, const SlurmOptions& opt, std::size_t* tasks_submitted) {
  if (opt.chunk == 0) throw std::runtime_error("--chunk must be at least 1");
  std::vector<std::size_t> tasks;
  for (const PlannedRun& r : plan.runs) {
    const std::size_t t = r.run / opt.chunk;
    if ((tasks.empty() || tasks.back() != t) && !complete(read_run(env.dir, r))) tasks.push_back(t);
  }
  if (tasks_submitted) *tasks_submitted = tasks.size();
  if (tasks.empty()) return "";
  // Every task checks config.toml against sweep.json: write them all now.
  for (const PlannedRun& r : plan.runs) {
    sim::OutputDir::ensure(env.dir / r.dir);
    if (const std::string text = plan.config_toml(r); !text.empty())
      sim::write_file_atomically(env.dir / r.dir / "config.toml", text);
  }
  const fs::path sd = env.dir / "slurm";
  sim::OutputDir::ensure(sd);
  const std::string script = fmt::format(
      "#!/bin/sh\n"
      "# Written by aiosim sweep: array task T runs runs [T*{0}, T*{0}+{0}) of the sweep directory named below.\n"
      "exec {2} sweep-task {1} --task \"$SLURM_ARRAY_TASK_ID\" --chunk {0}\n",
      opt.chunk, shell_quote(env.dir.string()), shell_quote(env.self));
  sim::write_file_atomically(sd / "job.sh", script);
  fs::permissions(sd / "job.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add);

  std::vector<std::string> argv = {"sbatch",
                                   "--parsable",
                                   "--job-name=aiosim-sweep",
                                   "--array=" + compress_ranges(tasks),
                                   "--cpus-per-task=1",
                                   "--output=" + (sd / "task-%A_%a.out").string(),
                                   "--chdir=" + env.dir.string()};
  argv.insert(argv.end(), opt.sbatch_args.begin(), opt.sbatch_args.end());
  argv.push_back((sd / "job.sh").string());
  const Captured c = capture(argv);
  if (c.status != 0) {
    std::string msg = trim(c.err.empty() ? c.out : c.err);
    throw std::runtime_error("sbatch failed" + (msg.empty() ? std::string() : ": " + msg));
  }
  std::string id = trim(c.out);
  id = id.substr(id.rfind('\n') == std::string::npos ? 0 : id.rfind('\n') + 1);
  id = id.substr(0, id.find(';'));  // "<job id>[;<cluster>]"
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error("sbatch printed no job id: " + trim(c.out + c.err));
  return id;
}

void wait_for_job(const RunEnv& env, const Plan& plan, const std::string& job_id, bool quiet) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto last_report = t0;
  for (;;) {
    const Captured c = capture({"squeue", "-h", "-j", job_id, "-o", "%i"});
    if (c.status != 0) {
      // Slurm forgets a finished job after MinJobAge: squeue then calls the id invalid.
      if (c.err.find("Invalid job id") != std::string::npos) return;
      throw std::runtime_error("squeue failed: " + trim(c.err));
    }
    if (trim(c.out).empty()) return;
    if (!quiet && Clock::now() - last_report > std::chrono::seconds(5)) {
      last_report = Clock::now();
      std::size_t done = 0;
      for (const PlannedRun& r : plan.runs) done += complete(read_run(env.dir, r)) ? 1 : 0;
      fmt::print(stderr, "sweep: job {}: {}/{} runs complete, elapsed {}\n", job_id, done, plan.runs.size(),
                 format_elapsed(std::chrono::duration<double>(Clock::now() - t0).count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace sweep
