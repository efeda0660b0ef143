// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// For the sweep tests: a scratch directory that removes itself, files in and
// out, and the aiosim binary run with captured output (optionally in the
// background, with extra environment, to be killed).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#ifndef AIOSIM_BINARY
#error "AIOSIM_BINARY must name the aiosim executable (set by tests/sweep/CMakeLists.txt)"
#endif

extern char** environ;

namespace sweeptest {

namespace fs = std::filesystem;

class Scratch {
 public:
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "aiosim-sweep-test-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Splits one CSV record (fields may be quoted, with "" for a quote).
inline std::vector<std::string> csv_row(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// A CSV file as rows of column -> value.
inline std::vector<std::map<std::string, std::string>> read_csv(const fs::path& p) {
  const auto ls = lines(slurp(p));
  REQUIRE(!ls.empty());
  const auto head = csv_row(ls[0]);
  std::vector<std::map<std::string, std::string>> rows;
  for (std::size_t i = 1; i < ls.size(); ++i) {
    const auto f = csv_row(ls[i]);
    REQUIRE(f.size() == head.size());
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < f.size(); ++k) row[head[k]] = f[k];
    rows.push_back(std::move(row));
  }
  return rows;
}

struct Proc {
  int status = -1;  // exit code; -1 if killed
  std::string out, err;
};

// Starts `aiosim args...` with stdout/stderr into files named after `tag`
// in `dir`, and `env` added to the environment. Returns the pid.
inline pid_t start_aiosim(const std::vector<std::string>& args, const fs::path& dir, const std::string& tag,
                          const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> storage{AIOSIM_BINARY};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    if (!env.count(kv.substr(0, kv.find('=')))) envs.push_back(kv);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  const std::string out = (dir / (tag + ".out")).string(), err = (dir / (tag + ".err")).string();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv, envp;
    for (auto& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : envs) envp.push_back(s.data());
    envp.push_back(nullptr);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

inline Proc wait_aiosim(pid_t pid, const fs::path& dir, const std::string& tag) {
  int ws = 0;
  REQUIRE(::waitpid(pid, &ws, 0) == pid);
  Proc p;
  p.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  p.out = slurp(dir / (tag + ".out"));
  p.err = slurp(dir / (tag + ".err"));
  return p;
}

inline Proc aiosim(const std::vector<std::string>& args, const fs::path& dir, const std::map<std::string, std::string>& env = {}) {
  static int n = 0;
  const std::string tag = "cmd" + std::to_string(n++);
  return wait_aiosim(start_aiosim(args, dir, tag, env), dir, tag);
}

// A base config for small, quick runs: 8 CPUs, a few thousand kiocbs.
inline std::string small_base() {
  return R"T(seed = 1
[machine]
preset = "x86-2s-modern"
sockets = 1
cores_per_socket = 8
[kioctx]
design = "lazy-cancel"
[workload]
kiocbs = 2000
submitters = "0-3"
reapers = [4]
think = "exp(2us)"
min_nr = 8
nr = 32
usb_fraction = 0.01
[block]
irq_cpus = "5-6"
[usb]
irq_cpu = 7
cancellers = [7]
[invariants]
kernel_races = "count"
)T";
}

}  // namespace sweeptest
