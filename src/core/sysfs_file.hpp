// SPDX-License-Identifier: BSD-3-Clause
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
  // For probes, an attribute to read every round. Refused permission or a path that does not
  // exist is an error. One that exists but cannot be opened or parsed at this instant (a driver
  // busy, a file being rewritten) is kept, and the sensor retries it: dropping it would lose it
  // for the whole run.
  struct Kept;
  static Result<Kept> open_kept(const std::filesystem::path& path);

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

struct OpenAttribute::Kept {
  OpenAttribute attribute;
  std::string open_error;     // why it could not be opened now; empty when it was
  bool not_a_number = false;  // opened, but its value did not parse now
  bool readable_now() const { return open_error.empty() && !not_a_number; }
};

}  // namespace jt
