// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// What every test that runs the `aiosim` binary shares: a scratch directory
// that removes itself, files in and out, and a run of the binary with its
// stdout, stderr and exit status (in the foreground, or started in the
// background with extra environment, to be waited for or killed), and the
// small 8-CPU base config the sweep tests vary (small_base.toml, also read by
// the Python and shell tests).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#ifndef AIOSIM_BINARY
#error "AIOSIM_BINARY must name the aiosim executable (set by the tests' CMakeLists.txt)"
#endif
#ifndef AIOSIM_TEST_SUPPORT
#error "AIOSIM_TEST_SUPPORT must name tests/support (set by tests/CMakeLists.txt)"
#endif

extern char** environ;

namespace clitest {

namespace fs = std::filesystem;

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "aiosim-test-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  operator const fs::path&() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// The base config for small, quick runs: 8 CPUs, 2000 kiocbs.
inline std::string small_base() { return read_file(fs::path(AIOSIM_TEST_SUPPORT) / "small_base.toml"); }

struct Run {
  int status = -1;  // exit code; -1 if it did not exit normally (killed)
  std::string out, err;
};

// Starts `aiosim args...` with stdout/stderr into DIR/TAG.out and DIR/TAG.err,
// `env` added to the environment, in the working directory `cwd` (empty: this
// process's). Returns the pid.
inline pid_t start_aiosim(const std::vector<std::string>& args, const fs::path& dir, const std::string& tag,
                          const std::map<std::string, std::string>& env = {}, const fs::path& cwd = {}) {
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
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

inline Run wait_aiosim(pid_t pid, const fs::path& dir, const std::string& tag) {
  int ws = 0;
  REQUIRE(::waitpid(pid, &ws, 0) == pid);
  Run r;
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  r.out = read_file(dir / (tag + ".out"));
  r.err = read_file(dir / (tag + ".err"));
  return r;
}

// Runs `aiosim args...` to its end, its output kept under `dir`.
inline Run aiosim(const std::vector<std::string>& args, const fs::path& dir,
                  const std::map<std::string, std::string>& env = {}, const fs::path& cwd = {}) {
  static int n = 0;
  const std::string tag = "cmd" + std::to_string(n++);
  return wait_aiosim(start_aiosim(args, dir, tag, env, cwd), dir, tag);
}

}  // namespace clitest
