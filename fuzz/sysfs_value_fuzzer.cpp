// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the sysfs value readers: jt::parse_u64 on the raw bytes, and the same bytes as the
// content of a real file read through OpenAttribute::read_u64 and read_text_file.
//
// Invariants:
// - parse_u64 accepts exactly "blanks, decimal digits, trailing whitespace" that fit in 64 bits,
//   and agrees with std::from_chars on the digits; its result prints back to the same number.
// - read_u64 on a file holding the input says kEmpty for an empty file, and kOk only with the
//   value parse_u64 gives for the whole content (never the number of a prefix of a long file).
// - read_text_file returns the content with trailing whitespace removed.
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/sysfs_file.hpp"
#include "fuzz_check.hpp"

namespace {

bool is_trailing_space(char c) {
  return c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\0';
}

// An independent statement of the grammar parse_u64 documents.
std::optional<std::uint64_t> reference_parse(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  std::size_t end = text.size();
  while (end > i && is_trailing_space(text[end - 1])) --end;
  const std::string_view digits = text.substr(i, end - i);
  if (digits.empty()) return std::nullopt;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return value;
}

// One file per process, rewritten for every input.
const std::filesystem::path& scratch_file() {
  static const std::filesystem::path path = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "jt-fuzz-value-XXXXXX").string();
    const int fd = ::mkstemp(templ.data());
    if (fd < 0) std::abort();
    ::close(fd);
    return std::filesystem::path(templ);
  }();
  return path;
}

void write_all(const std::filesystem::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) std::abort();
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::atexit([] { std::filesystem::remove(scratch_file()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto parsed = jt::parse_u64(input);
  const auto expected = reference_parse(input);
  JT_FUZZ_CHECK(parsed.has_value() == expected.has_value());
  if (parsed) {
    JT_FUZZ_CHECK(*parsed == *expected);
    JT_FUZZ_CHECK(jt::parse_u64(std::to_string(*parsed)) == parsed);
    JT_FUZZ_CHECK(jt::parse_u64(" " + std::to_string(*parsed) + "\n") == parsed);
  }

  if (size > 64 * 1024) return 0;  // sysfs attributes are at most a page; keep files small
  const auto& path = scratch_file();
  write_all(path, input);

  auto attr = jt::OpenAttribute::open(path);
  JT_FUZZ_CHECK(attr.has_value());
  const auto value = attr->read_u64();
  switch (value.status) {
    case jt::OpenAttribute::Status::kOk:
      // The number must be the file's number, not the number of a prefix of the file.
      JT_FUZZ_CHECK(parsed.has_value() && *parsed == value.value);
      break;
    case jt::OpenAttribute::Status::kEmpty: JT_FUZZ_CHECK(!parsed.has_value()); break;
    case jt::OpenAttribute::Status::kUnparsable: JT_FUZZ_CHECK(!input.empty()); break;
    case jt::OpenAttribute::Status::kIoError:
      JT_FUZZ_CHECK(false);  // a regular file that was just written must be readable
      break;
  }
  // Every valid value a sysfs attribute can hold (at most 20 digits and a newline) is read.
  if (parsed && size < 32) JT_FUZZ_CHECK(value.status == jt::OpenAttribute::Status::kOk);
  if (input.empty()) JT_FUZZ_CHECK(value.status == jt::OpenAttribute::Status::kEmpty);

  const auto text = jt::read_text_file(path);
  JT_FUZZ_CHECK(text.has_value());
  std::size_t end = input.size();
  while (end > 0 && is_trailing_space(input[end - 1])) --end;
  JT_FUZZ_CHECK(*text == input.substr(0, end));
  return 0;
}
