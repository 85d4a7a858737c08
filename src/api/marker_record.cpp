// SPDX-License-Identifier: BSD-3-Clause
#include "api/marker_record.hpp"

#include <charconv>
#include <cstring>

#include "markers/marker_protocol.hpp"

namespace jt {

namespace {

template <typename Int>
char* put_number(char* at, Int value) {
  // 21 bytes always fit a 64-bit number and its sign; the caller sized the buffer for that.
  return std::to_chars(at, at + 21, value).ptr;
}

}  // namespace

std::size_t record_name_length(const char* name) { return ::strnlen(name, kMaxNameBytes); }

void percent_encode(std::string_view raw, std::string& out) {
  const std::size_t at = out.size();
  out.resize(at + 3 * raw.size());
  out.resize(static_cast<std::size_t>(percent_encode_to(raw, out.data() + at) - out.data()));
}

std::size_t format_record(const RawMarker& record, std::int64_t pid, char* out) {
  char* p = out;
  std::memcpy(p, "JT1 ", 4);  // NOLINT(bugprone-not-null-terminated-result): a line
  p += 4;
  *p++ = static_cast<char>(record.kind);
  *p++ = ' ';
  p = put_number(p, record.t_ns);
  *p++ = ' ';
  p = put_number(p, pid);
  *p++ = ' ';
  p = put_number(p, record.window_id);
  *p++ = ' ';
  if (record.kind == MarkerKind::kItems) {
    p = put_number(p, record.count);
    *p++ = ' ';
  }
  const std::size_t n = record.name_length < kMaxNameBytes ? record.name_length : kMaxNameBytes;
  p = percent_encode_to(std::string_view(record.name, n), p);
  *p++ = '\n';
  return static_cast<std::size_t>(p - out);
}

}  // namespace jt
