// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Crash-safe output: a result file is either the old version or the complete
// new one, never half-written.
#include <filesystem>
#include <string_view>

namespace sim {

// Writes `contents` to a temporary file next to `path` (".<name>.tmp.<pid>.<n>"),
// fsyncs it, renames it over `path` and fsyncs the directory. On any failure
// the temporary is removed and std::runtime_error names the path and the
// system error; `path` is then untouched.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// An output directory, created on construction.
class OutputDir {
 public:
  // Creates `dir` and its parents if missing; std::runtime_error if that
  // fails or `dir` exists but is not a directory.
  static void ensure(const std::filesystem::path& dir);

  explicit OutputDir(std::filesystem::path dir) : dir_(std::move(dir)) { ensure(dir_); }

  const std::filesystem::path& path() const { return dir_; }
  std::filesystem::path file(const std::filesystem::path& name) const { return dir_ / name; }
  // write_file_atomically(dir / name, contents).
  void write(const std::filesystem::path& name, std::string_view contents) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace sim

namespace sim::config {
using sim::OutputDir;
using sim::write_file_atomically;
}  // namespace sim::config
