// SPDX-License-Identifier: BSD-3-Clause
// The record format of docs/MARKERS.md as the library writes it, checked against lines written
// out here from that document (not against the parent's encoder or parser, which share code with
// the library's and would agree with it however wrong), and those lines against the parser that
// `jouletrace run` uses (src/markers/marker_protocol.hpp).
#include "api/marker_record.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "markers/marker_protocol.hpp"

namespace jt {
namespace {

RawMarker make(MarkerKind kind, std::int64_t t_ns, std::uint64_t id, std::uint64_t count,
               std::string_view name) {
  RawMarker r;
  r.kind = kind;
  r.t_ns = t_ns;
  r.window_id = id;
  r.count = count;
  r.name_length = static_cast<std::uint8_t>(std::min(name.size(), kMaxNameBytes));
  std::memcpy(r.name, name.data(), r.name_length);
  return r;
}

std::string format(const RawMarker& r, std::int64_t pid) {
  char buffer[kMaxRecordText];
  return std::string(buffer, format_record(r, pid, buffer));
}

TEST(PercentEncode, PrintableAsciiStaysAndTheRestIsEscaped) {
  std::string out;
  percent_encode("train/epoch-1_x!~", out);
  EXPECT_EQ(out, "train/epoch-1_x!~");
  out.clear();
  percent_encode(std::string("a b%c\n\t\x7f\x80\xff", 10), out);
  EXPECT_EQ(out, "a%20b%25c%0A%09%7F%80%FF");
  out.clear();
  percent_encode(std::string("\0z", 2), out);
  EXPECT_EQ(out, "%00z");
}

// Every byte 1..255 as docs/MARKERS.md says to write it: "bytes outside `!`..`~` and `%` itself
// are written `%XX`" (upper-case hex, as the examples above).
std::string escaped(int from, int to) {
  std::string out;
  for (int c = from; c <= to; ++c) {
    constexpr char kHex[] = "0123456789ABCDEF";
    out += '%';
    out += kHex[c / 16];
    out += kHex[c % 16];
  }
  return out;
}

const std::string& every_byte_encoded() {
  static const std::string text = escaped(0x01, 0x20) + "!\"#$" + "%25" +
                                  "&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ" +
                                  "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~" + escaped(0x7f, 0xff);
  return text;
}

TEST(PercentEncode, EveryByteAsTheDocumentSaysAndTheParentsDecoderReadsIt) {
  ASSERT_EQ(every_byte_encoded().size(), 94u - 1u + 3u * (255u - 94u + 1u));  // '%' escaped
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  std::string ours;
  percent_encode(every_byte, ours);
  EXPECT_EQ(ours, every_byte_encoded());
  EXPECT_EQ(encode_marker_name(every_byte.substr(0, kMaxMarkerNameBytes)),
            every_byte_encoded().substr(0, every_byte_encoded().find("%C9")));
  // The parent decodes the document's text (not the library's) into the bytes: the first 200
  // bytes, as many as a name may hold.
  const auto decoded =
      decode_marker_name(every_byte_encoded().substr(0, every_byte_encoded().find("%C9")));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, every_byte.substr(0, kMaxNameBytes));
}

TEST(RecordNameLength, StopsAtTwoHundredBytes) {
  EXPECT_EQ(record_name_length("train"), 5u);
  EXPECT_EQ(record_name_length(""), 0u);
  const std::string long_name(300, 'x');
  EXPECT_EQ(record_name_length(long_name.c_str()), kMaxNameBytes);
}

TEST(FormatRecord, BeginEndAndItemsLines) {
  EXPECT_EQ(format(make(MarkerKind::kBegin, 123456789, 65537, 0, "train"), 4242),
            "JT1 B 123456789 4242 65537 train\n");
  EXPECT_EQ(format(make(MarkerKind::kEnd, 987654321012, 65537, 0, "train phase"), 4242),
            "JT1 E 987654321012 4242 65537 train%20phase\n");
  EXPECT_EQ(format(make(MarkerKind::kItems, 5, 18446744073709551615ull, 128, "infer"), 1),
            "JT1 N 5 1 18446744073709551615 128 infer\n");
}

TEST(FormatRecord, LongestRecordFitsAndParses) {
  const std::string name(kMaxNameBytes, '\xff');
  const RawMarker r = make(MarkerKind::kItems, INT64_MAX, UINT64_MAX, UINT64_MAX, name);
  const std::string line = format(r, INT64_MAX);
  std::string expected =
      "JT1 N 9223372036854775807 9223372036854775807 18446744073709551615 18446744073709551615 ";
  for (std::size_t i = 0; i < kMaxNameBytes; ++i) expected += "%FF";
  EXPECT_EQ(line, expected + "\n");
  EXPECT_LE(line.size(), kMaxRecordText);
  const auto parsed = parse_marker(expected);
  ASSERT_TRUE(parsed.has_value()) << expected;
  EXPECT_EQ(parsed->kind, MarkerRecord::Kind::kItems);
  EXPECT_EQ(parsed->t_ns, INT64_MAX);
  EXPECT_EQ(parsed->window_id, UINT64_MAX);
  EXPECT_EQ(parsed->count, UINT64_MAX);
  EXPECT_EQ(parsed->name, name);
}

// Every byte in a name: the library writes the document's line, and the parent reads that line
// (the expected text, not the library's output) back into the name.
TEST(FormatRecord, EveryByteGivesTheDocumentedLineAndTheParserReadsIt) {
  for (int c = 1; c < 256; ++c) {
    const std::string name = std::string("n") + static_cast<char>(c);
    const bool kept = c >= '!' && c <= '~' && c != '%';
    const std::string expected =
        "JT1 B 7 99 3 n" + (kept ? std::string(1, static_cast<char>(c)) : escaped(c, c));
    EXPECT_EQ(format(make(MarkerKind::kBegin, 7, 3, 0, name), 99), expected + "\n") << c;
    const auto parsed = parse_marker(expected);
    ASSERT_TRUE(parsed.has_value()) << "byte " << c << ": " << expected;
    EXPECT_EQ(parsed->name, name);
    EXPECT_EQ(parsed->pid, 99);
    EXPECT_EQ(parsed->window_id, 3u);
  }
}

}  // namespace
}  // namespace jt
