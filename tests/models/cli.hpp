// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Running the `aiosim` binary from tests: a scratch directory that removes
// itself, and one run with stdout/stderr captured and the exit status.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef AIOSIM_BINARY
#error "AIOSIM_BINARY must name the aiosim executable (set by tests/CMakeLists.txt)"
#endif

namespace clitest {

namespace fs = std::filesystem;

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "aiosim-model-test-XXXXXX").string();
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

struct Run {
  int status = -1;  // exit code; -1 if it did not exit normally
  std::string out, err;
};

// Runs `aiosim args...`, stdout and stderr into files under `dir`, in the
// working directory `cwd` (empty: this process's).
inline Run aiosim(const std::vector<std::string>& args, const ScratchDir& dir, const fs::path& cwd = {}) {
  static int n = 0;
  const fs::path out = dir / ("stdout." + std::to_string(n));
  const fs::path err = dir / ("stderr." + std::to_string(n));
  ++n;
  std::vector<std::string> storage{AIOSIM_BINARY};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(126);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int ws = 0;
  REQUIRE(::waitpid(pid, &ws, 0) == pid);
  Run r;
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

}  // namespace clitest
