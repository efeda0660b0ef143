// SPDX-License-Identifier: GPL-2.0-only
#include "app/sweep/runner.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "sim/atomic_file.hpp"

namespace sweep {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

namespace {

// The signal that interrupted run_local (SIGINT, SIGTERM, SIGHUP), or 0.
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int sig) { g_interrupted = sig; }
extern "C" void on_tick(int) {}  // only to interrupt waitpid: the progress bar is redrawn

// Handlers for the pool's lifetime; without SA_RESTART, so waitpid returns EINTR.
class InterruptHandlers {
 public:
  InterruptHandlers() {
    g_interrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &sa, &old_[i]);
  }
  ~InterruptHandlers() {
    for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
  }
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;

 private:
  static constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction old_[3];
};

// While the progress bar is on: SIGALRM every 250 ms, without SA_RESTART,
// so that waitpid returns EINTR and the bar is redrawn while runs are in
// flight. (Interval timers are not inherited by the forked runs.)
class Ticker {
 public:
  explicit Ticker(bool on) : on_(on) {
    if (!on_) return;
    struct sigaction sa {};
    sa.sa_handler = on_tick;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGALRM, &sa, &old_);
    itimerval t{};
    t.it_interval.tv_usec = t.it_value.tv_usec = 250000;
    ::setitimer(ITIMER_REAL, &t, nullptr);
  }
  ~Ticker() {
    if (!on_) return;
    itimerval t{};
    ::setitimer(ITIMER_REAL, &t, nullptr);
    ::sigaction(SIGALRM, &old_, nullptr);
  }
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  bool on_;
  struct sigaction old_ {};
};

int terminal_columns() {
  winsize ws{};
  if (::ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}

std::string read_text(const fs::path& p, std::size_t limit = 1 << 20) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  std::string s(limit, '\0');
  in.read(s.data(), static_cast<std::streamsize>(limit));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "?";
  return buf;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Removes leftovers of an interrupted attempt: temporaries of atomic writes
// and the outputs of a run whose manifest never came.
void clear_run_dir(const fs::path& rd) {
  std::error_code ec;
  for (const char* f : {"manifest.json", "result.json", "summary.csv", "stderr.txt", "profile.folded", "profile-roles.folded"}) fs::remove(rd / f, ec);
  for (const auto& e : fs::directory_iterator(rd, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 1 && name[0] == '.' && name.find(".tmp.") != std::string::npos) fs::remove(e.path(), ec);
  }
}

void write_manifest(const RunEnv& env, const Plan& plan, const PlannedRun& run, const std::string& status, int exit_code,
                    const std::string& error, double wall_s) {
  json m;
  m["run"] = run.run;
  m["point"] = run.point;
  m["replication"] = run.replication;
  m["seed"] = run.seed;
  m["parameters"] = plan.points.at(run.point);
  m["status"] = status;
  m["exit_code"] = exit_code;
  m["error"] = error;
  m["wall_s"] = wall_s;
  m["finished_at"] = utc_now();
  m["host"] = hostname();
  m["backend"] = env.backend;
  if (env.backend == "slurm")
    m["slurm"] = {{"job_id", env_or_empty("SLURM_ARRAY_JOB_ID")}, {"array_task_id", env_or_empty("SLURM_ARRAY_TASK_ID")}};
  m["aiosim_version"] = env.build.version;
  m["git_commit"] = env.build.git_commit;
  m["git_dirty"] = env.build.git_dirty;
  m["simgrid_version"] = env.build.simgrid_version;
  m["config_fnv1a64"] = run.config_hash;
  const fs::path cfg = env.dir / run.dir / "config.toml";
  try {
    m["config"] = sim::config::Config::load(env.schema_for(cfg.string(), {}), cfg).to_json();
  } catch (const std::exception& e) {
    m["config"] = nullptr;
    m["config_error"] = e.what();
  }
  sim::write_file_atomically(env.dir / run.dir / "manifest.json", m.dump(2) + "\n");
}

pid_t spawn_aiosim_run(const RunEnv& env, const PlannedRun& run) {
  const fs::path rd = env.dir / run.dir;
  // Run inside the run's directory with relative names, so that error
  // messages ("config.toml:23: ...") do not depend on where the sweep is.
  const std::string dir = rd.string();
  std::vector<std::string> args = {env.self, "run", "config.toml", "--out", ".", "--quiet"};
  const pid_t parent = ::getpid();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  // The child: dies with the sweep (a killed sweep leaves no run behind),
  // and takes the default action on the signals the sweep itself handles
  // (SIGALRM: the progress bar's tick; interval timers are not inherited).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM}) std::signal(sig, SIG_DFL);
  if (::getppid() != parent) ::_exit(127);
  if (::chdir(dir.c_str()) != 0) ::_exit(126);
  const int e = ::open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int n = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (e < 0 || n < 0 || ::dup2(n, 0) < 0 || ::dup2(n, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(126);
  if (env.run_in_child) {
    int rc = 1;
    try {
      rc = env.run_in_child();
    } catch (const std::exception& ex) {
      fmt::print(stderr, "aiosim: {}\n", ex.what());
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

}  // namespace

std::string progress_line(const ProgressState& p) {
  const std::size_t left = p.total - p.done;
  const std::string eta = p.ran ? format_elapsed(p.elapsed_s / static_cast<double>(p.ran) * static_cast<double>(left)) : "?";
  const double eps = p.elapsed_s > 0 ? static_cast<double>(p.events) / p.elapsed_s : 0.0;
  return fmt::format("sweep: [{}/{}] {} failed{}, elapsed {}, ETA {}, {:.2f}M events/s", p.done, p.total, p.failed + p.errors,
                     p.errors ? fmt::format(" ({} errors)", p.errors) : "", format_elapsed(p.elapsed_s), eta, eps / 1e6);
}

std::string progress_bar(const ProgressState& p, std::size_t width) {
  const std::size_t left = p.total - p.done;
  // The ETA from the runs finished so far; "?" until one has.
  const std::string eta = p.ran ? format_elapsed(p.elapsed_s / static_cast<double>(p.ran) * static_cast<double>(left)) : "?";
  const double eps = p.elapsed_s > 0 ? static_cast<double>(p.events) / p.elapsed_s : 0.0;
  const std::string text = fmt::format("{}/{} runs, {} failed{}, {} running, elapsed {}, ETA {}, {:.2f}M events/s", p.done, p.total,
                                       p.failed + p.errors, p.errors ? fmt::format(" ({} errors)", p.errors) : "", p.running,
                                       format_elapsed(p.elapsed_s), eta, eps / 1e6);
  // The bar takes what the text leaves of the line: 8 to 24 columns.
  constexpr std::size_t kFrame = 9;  // "sweep [" and "] "
  const std::size_t bar = std::clamp<std::size_t>(width > kFrame + text.size() ? width - kFrame - text.size() : 0, 8, 24);
  const std::size_t fill = p.total ? p.done * bar / p.total : bar;
  std::string line = "sweep [" + std::string(fill, '#') + std::string(bar - fill, '.') + "] " + text;
  if (line.size() > width) line.resize(width);  // one terminal line: \r must return to its start
  return line;
}

std::string format_elapsed(double s) {
  const auto t = static_cast<long long>(s + 0.5);
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

pid_t start_run(const RunEnv& env, const Plan& plan, const PlannedRun& run) {
  const fs::path rd = env.dir / run.dir;
  try {
    sim::OutputDir::ensure(rd);
    clear_run_dir(rd);
    if (const std::string text = plan.config_toml(run); !text.empty()) {
      sim::write_file_atomically(rd / "config.toml", text);
    } else if (fnv1a64_hex(read_text(rd / "config.toml", 1 << 24)) != run.config_hash) {
      write_manifest(env, plan, run, "error", -1, "config.toml is missing or differs from sweep.json", 0);
      return -1;
    }
  } catch (const std::exception& e) {
    try {
      write_manifest(env, plan, run, "error", -1, e.what(), 0);
    } catch (const std::exception&) {
    }
    return -1;
  }
  return spawn_aiosim_run(env, run);
}

Outcome finish_run(const RunEnv& env, const Plan& plan, const PlannedRun& run, int ws, double wall_s) {
  Outcome o;
  o.wall_s = wall_s;
  const fs::path rd = env.dir / run.dir;
  std::string err = trim(read_text(rd / "stderr.txt", 8192));
  std::string status;
  if (WIFEXITED(ws)) {
    o.exit_code = WEXITSTATUS(ws);
    if (o.exit_code == 0) {
      json r;
      bool parsed = false;
      try {
        std::ifstream in(rd / "result.json", std::ios::binary);
        r = json::parse(in);
        parsed = r.is_object();
      } catch (const json::exception&) {
      }
      if (parsed) {
        status = "ok";
        o.state = RunState::Ok;
        if (r.contains("sim") && r["sim"].contains("events") && r["sim"]["events"].is_number_unsigned())
          o.events = r["sim"]["events"].get<std::uint64_t>();
      } else {
        status = "error";
        if (err.empty()) err = "exited 0 without a readable result.json";
      }
    } else if (o.exit_code == 2 || o.exit_code == 3) {
      status = "failed";
      o.state = RunState::Failed;
    } else {
      status = "error";
      if (err.empty()) err = o.exit_code == 127 ? "cannot execute " + env.self : fmt::format("exit code {}", o.exit_code);
    }
  } else {
    status = "error";
    const int sig = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    err = trim(err + fmt::format("\nkilled by signal {} ({})", sig, strsignal(sig)));
    o.exit_code = -1;
  }
  if (o.state != RunState::Ok) o.error = first_line(err);
  write_manifest(env, plan, run, status, o.exit_code, o.state == RunState::Ok ? "" : err, wall_s);
  return o;
}

PoolStats run_local(const RunEnv& env, const Plan& plan, int jobs, bool quiet) {
  PoolStats st;
  st.total = plan.runs.size();
  std::vector<const PlannedRun*> todo;
  for (const PlannedRun& r : plan.runs) {
    if (complete(read_run(env.dir, r))) ++st.skipped;
    else todo.push_back(&r);
  }
  // On a terminal, one line redrawn at least once a second (progress_bar);
  // otherwise a line per finished run, for logs.
  const bool tty = ::isatty(2) && !quiet;
  if (!quiet)
    fmt::print(stderr, "sweep: {} runs, {} already complete, {} to run on {} worker{}\n", st.total, st.skipped, todo.size(), jobs,
               jobs == 1 ? "" : "s");
  const auto t0 = Clock::now();
  std::uint64_t events = 0;
  struct Running {
    const PlannedRun* run;
    Clock::time_point start;
  };
  std::map<pid_t, Running> running;
  std::size_t next = 0;
  const InterruptHandlers handlers;
  const Ticker ticker(tty && !todo.empty());
  auto stats_line = [&] {
    ProgressState ps;
    ps.done = st.skipped + st.ran;
    ps.total = st.total;
    ps.ran = st.ran;
    ps.failed = st.failed;
    ps.errors = st.error;
    ps.running = running.size();
    ps.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
    ps.events = events;
    return ps;
  };
  auto redraw = [&] {
    if (tty) fmt::print(stderr, "\r\033[K{}", progress_bar(stats_line(), static_cast<std::size_t>(terminal_columns() - 1)));
  };
  auto progress = [&](const PlannedRun& r, const Outcome& o) {
    if (quiet) return;
    if (o.state != RunState::Ok)
      fmt::print(stderr, "{}sweep: run {} {} (exit {}): {}\n", tty ? "\r\033[K" : "", r.run,
                 o.state == RunState::Failed ? "failed" : "error", o.exit_code, o.error);
    if (tty) redraw();
    else fmt::print(stderr, "{}\n", progress_line(stats_line()));
  };
  while (next < todo.size() || !running.empty()) {
    if (g_interrupted) {
      // Stop: no new runs; the running ones are killed and left without a
      // manifest (incomplete: a resumed sweep runs them again).
      for (const auto& [pid, r] : running) ::kill(pid, SIGKILL);
      for (const auto& [pid, r] : running) {
        int ws = 0;
        while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
        }
      }
      running.clear();
      st.interrupted = g_interrupted;
      break;
    }
    while (next < todo.size() && static_cast<int>(running.size()) < jobs) {
      const PlannedRun& r = *todo[next++];
      const pid_t pid = start_run(env, plan, r);
      if (pid < 0) {
        ++st.ran;
        ++st.error;
        Outcome o;
        o.error = read_run(env.dir, r).error;
        progress(r, o);
        continue;
      }
      running[pid] = {&r, Clock::now()};
    }
    if (running.empty()) continue;
    redraw();
    int ws = 0;
    const pid_t pid = ::waitpid(-1, &ws, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;  // a tick (the bar is redrawn), or a signal that stops the pool
      throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const Running rr = it->second;
    running.erase(it);
    // A run killed by the same Ctrl-C (the terminal signals the whole process group) is not a result.
    if (g_interrupted && WIFSIGNALED(ws)) continue;
    const Outcome o = finish_run(env, plan, *rr.run, ws, std::chrono::duration<double>(Clock::now() - rr.start).count());
    ++st.ran;
    events += o.events;
    switch (o.state) {
      case RunState::Ok: ++st.ok; break;
      case RunState::Failed: ++st.failed; break;
      default: ++st.error; break;
    }
    progress(*rr.run, o);
  }
  if (tty && !todo.empty()) {
    redraw();
    fmt::print(stderr, "\n");
  }
  return st;
}

std::size_t run_task(const RunEnv& env, const Plan& plan, std::size_t task, std::size_t chunk) {
  std::size_t errors = 0;
  const std::size_t first = task * chunk;
  for (std::size_t i = first; i < first + chunk && i < plan.runs.size(); ++i) {
    const PlannedRun& r = plan.runs[i];
    if (complete(read_run(env.dir, r))) {
      fmt::print("run {}: already complete\n", r.run);
      continue;
    }
    const auto start = Clock::now();
    const pid_t pid = start_run(env, plan, r);
    if (pid < 0) {
      ++errors;
      fmt::print("run {}: error: {}\n", r.run, read_run(env.dir, r).error);
      continue;
    }
    int ws = 0;
    while (::waitpid(pid, &ws, 0) < 0)
      if (errno != EINTR) throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
    const Outcome o = finish_run(env, plan, r, ws, std::chrono::duration<double>(Clock::now() - start).count());
    static const char* const kState[] = {"missing", "ok", "failed", "error"};
    fmt::print("run {}: {} ({:.2f} s){}{}\n", r.run, kState[static_cast<int>(o.state)], o.wall_s, o.error.empty() ? "" : ": ", o.error);
    if (o.state == RunState::Error) ++errors;
  }
  std::fflush(stdout);
  return errors;
}

}  // namespace sweep
