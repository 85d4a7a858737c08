#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/unique_fd.hpp"

namespace jt {

// Reads a whole small text file (sysfs attribute), trailing whitespace removed.
Result<std::string> read_text_file(const std::filesystem::path& path);

// Strict unsigned decimal parse: digits with optional surrounding whitespace, nothing else.
std::optional<std::uint64_t> parse_u64(std::string_view text);

// Maps an errno from open()/read() to an Error with a message naming the path.
Error error_from_errno(int err, const std::filesystem::path& path);

// An attribute kept open so that each sample costs one pread() and no path lookup.
// Sysfs regenerates the content on every pread at offset 0.
class OpenAttribute {
 public:
  static Result<OpenAttribute> open(const std::filesystem::path& path);
  // An attribute known by its path only (it could not be opened yet): every read fails until a
  // reopen() succeeds, as for a file that was replaced.
  static OpenAttribute unopened(const std::filesystem::path& path);

  enum class Status { kOk, kEmpty, kUnparsable, kIoError };
  struct Value {
    Status status = Status::kIoError;
    std::uint64_t value = 0;
    int err = 0;
  };
  // Reads and parses an unsigned decimal. Never throws, never allocates.
  Value read_u64() const;
  // For probes, which decide once whether a channel exists: an empty or unparsable value (a torn
  // read of a file being rewritten) is read again twice, a millisecond apart, before it
  // counts. I/O errors are not retried. May sleep; never call it while sampling.
  Value read_u64_settled() const;

  const std::filesystem::path& path() const { return path_; }
  // Closes and reopens the path, for attributes whose file was replaced (hotplug).
  bool reopen();

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
};

}  // namespace jt
