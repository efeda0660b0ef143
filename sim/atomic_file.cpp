// SPDX-License-Identifier: GPL-2.0-only
#include "sim/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include <fmt/format.h>

namespace sim {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int err) {
  throw std::runtime_error("cannot write \"" + path.string() + "\": " + what + ": " + std::strerror(err));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::filesystem::path tmp =
      dir / fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), counter.fetch_add(1));

  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) fail(path, "cannot create temporary file \"" + tmp.string() + "\"", errno);

  auto abandon = [&](const std::string& what, int err, bool close_fd) {
    if (close_fd) ::close(fd);
    ::unlink(tmp.c_str());
    fail(path, what, err);
  };

  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon("write", errno, true);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) abandon("fsync", errno, true);
  if (::close(fd) != 0) abandon("close", errno, false);
  if (::rename(tmp.c_str(), path.c_str()) != 0) abandon("rename", errno, false);

  // Make the rename itself durable; the new file is already in place, so a
  // failure here is not reported.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

void OutputDir::ensure(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create directory \"" + dir.string() + "\": " + ec.message());
  if (!std::filesystem::is_directory(dir, ec))
    throw std::runtime_error("cannot create directory \"" + dir.string() + "\": " +
                             (ec ? ec.message() : std::string("exists and is not a directory")));
}

void OutputDir::write(const std::filesystem::path& name, std::string_view contents) const {
  write_file_atomically(dir_ / name, contents);
}

}  // namespace sim
