#include "api/marker_record.hpp"

#include <charconv>
#include <cstring>

namespace jt {

namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool needs_escape(unsigned char c) { return c < '!' || c > '~' || c == '%'; }

template <typename Int>
char* put_number(char* at, Int value) {
  // 21 bytes always fit a 64-bit number and its sign; the caller sized the buffer for that.
  return std::to_chars(at, at + 21, value).ptr;
}

}  // namespace

std::size_t record_name_length(const char* name) { return ::strnlen(name, kMaxNameBytes); }

void percent_encode(std::string_view raw, std::string& out) {
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c)) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
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
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(record.name[i]);
    if (needs_escape(c)) {
      *p++ = '%';
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 0xF];
    } else {
      *p++ = static_cast<char>(c);
    }
  }
  *p++ = '\n';
  return static_cast<std::size_t>(p - out);
}

}  // namespace jt
