// SPDX-License-Identifier: BSD-3-Clause
#include "core/sysfs_file.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jt {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kPermissionDenied: return "permission denied";
    case ErrorKind::kUnsupported: return "not supported";
    case ErrorKind::kInvalidData: return "invalid data";
    case ErrorKind::kIo: return "I/O error";
    case ErrorKind::kDeviceLost: return "device lost";
    case ErrorKind::kUnreachable: return "unreachable";
    case ErrorKind::kTimeout: return "timed out";
    case ErrorKind::kTls: return "TLS failure";
  }
  return "error";
}

Error error_from_errno(int err, const std::filesystem::path& path) {
  ErrorKind kind = ErrorKind::kIo;
  if (err == ENOENT || err == ENODEV || err == ENXIO) kind = ErrorKind::kNotFound;
  if (err == EACCES || err == EPERM) kind = ErrorKind::kPermissionDenied;
  return Error{kind, path.string() + ": " + std::strerror(err), {}};
}

Result<std::string> read_text_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(error_from_errno(errno, path));
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return std::unexpected(error_from_errno(err, path));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > (1u << 20)) break;  // sysfs attributes are at most a page
  }
  ::close(fd);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t' ||
                           text.back() == '\r' || text.back() == '\0')) {
    text.pop_back();
  }
  return text;
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  std::size_t end = text.size();
  while (end > i && (text[end - 1] == '\n' || text[end - 1] == ' ' || text[end - 1] == '\t' ||
                     text[end - 1] == '\r' || text[end - 1] == '\0')) {
    --end;
  }
  if (i == end) return std::nullopt;
  std::uint64_t value = 0;
  for (; i < end; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

Result<OpenAttribute> OpenAttribute::open(const std::filesystem::path& path) {
  OpenAttribute attr;
  attr.path_ = path;
  attr.fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!attr.fd_.valid()) return std::unexpected(error_from_errno(errno, path));
  return attr;
}

OpenAttribute OpenAttribute::unopened(const std::filesystem::path& path) {
  OpenAttribute attr;
  attr.path_ = path;
  return attr;
}

Result<OpenAttribute::Kept> OpenAttribute::open_kept(const std::filesystem::path& path) {
  auto open = OpenAttribute::open(path);
  Kept kept;
  if (open) {
    kept.not_a_number = open->read_u64_settled().status != Status::kOk;
    kept.attribute = std::move(*open);
    return kept;
  }
  std::error_code ec;
  if (open.error().kind == ErrorKind::kPermissionDenied || !std::filesystem::exists(path, ec)) {
    return std::unexpected(open.error());
  }
  kept.open_error = open.error().message;
  kept.attribute = unopened(path);
  return kept;
}

bool OpenAttribute::reopen() {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  fd_.reset(fd);
  return true;
}

OpenAttribute::Value OpenAttribute::read_u64() const {
  char buf[32];
  ssize_t n;
  do {
    n = ::pread(fd_.get(), buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return {Status::kIoError, 0, errno};
  if (n == 0) return {Status::kEmpty, 0, 0};
  // No decimal u64 attribute fills the buffer (20 digits and a newline at most): the file holds
  // more than one number, and parsing the part that was read would invent a value.
  if (static_cast<std::size_t>(n) == sizeof buf) return {Status::kUnparsable, 0, 0};
  const auto parsed = parse_u64(std::string_view(buf, static_cast<std::size_t>(n)));
  if (!parsed) {
    // A read that is only whitespace is as good as empty.
    bool blank = true;
    for (ssize_t i = 0; i < n; ++i) blank = blank && (buf[i] == '\n' || buf[i] == ' ');
    return {blank ? Status::kEmpty : Status::kUnparsable, 0, 0};
  }
  return {Status::kOk, *parsed, 0};
}

OpenAttribute::Value OpenAttribute::read_u64_settled() const {
  constexpr int kAttempts = 3;
  Value value = read_u64();
  for (int i = 1;
       i < kAttempts && (value.status == Status::kEmpty || value.status == Status::kUnparsable);
       ++i) {
    const timespec pause{0, 1'000'000};
    ::nanosleep(&pause, nullptr);
    value = read_u64();
  }
  return value;
}

}  // namespace jt
