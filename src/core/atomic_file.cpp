// SPDX-License-Identifier: BSD-3-Clause
#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/sysfs_file.hpp"

namespace jt {

namespace fs = std::filesystem;

Result<void> write_file_atomically(const fs::path& path, const std::string& content) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return std::unexpected(
        Error{ErrorKind::kIo,
              fmt::format("cannot create a file in {}: {}", dir.string(), std::strerror(errno)),
              {}});
  }
  auto fail = [&](const char* what) -> Result<void> {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return std::unexpected(
        Error{ErrorKind::kIo,
              fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(err)),
              {}});
  };
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0) return fail("set permissions of");
  if (::fsync(fd) != 0) return fail("flush");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return std::unexpected(Error{
        ErrorKind::kIo, fmt::format("cannot write {}: {}", path.string(), std::strerror(err)), {}});
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return std::unexpected(
        Error{ErrorKind::kIo,
              fmt::format("cannot rename into {}: {}", path.string(), std::strerror(err)),
              {}});
  }
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // make the rename itself durable
    ::close(dfd);
  }
  return {};
}

}  // namespace jt
