// The record format of docs/MARKERS.md as the library writes it, checked against the parser
// that `jouletrace run` uses (src/markers/marker_protocol.hpp).
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

TEST(PercentEncode, AgreesWithTheParentsEncoder) {
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  for (std::size_t at = 0; at < every_byte.size(); at += 50) {
    const std::string chunk = every_byte.substr(at, 50);
    std::string ours;
    percent_encode(chunk, ours);
    EXPECT_EQ(ours, encode_marker_name(chunk));
  }
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
  EXPECT_LE(line.size(), kMaxRecordText);
  EXPECT_EQ(line.back(), '\n');
  const auto parsed = parse_marker(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(parsed.has_value()) << line;
  EXPECT_EQ(parsed->kind, MarkerRecord::Kind::kItems);
  EXPECT_EQ(parsed->t_ns, INT64_MAX);
  EXPECT_EQ(parsed->window_id, UINT64_MAX);
  EXPECT_EQ(parsed->count, UINT64_MAX);
  EXPECT_EQ(parsed->name, name);
}

TEST(FormatRecord, EveryByteRoundTripsThroughTheParser) {
  for (int c = 1; c < 256; ++c) {
    const std::string name = std::string("n") + static_cast<char>(c);
    const std::string line = format(make(MarkerKind::kBegin, 7, 3, 0, name), 99);
    const auto parsed = parse_marker(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(parsed.has_value()) << "byte " << c << ": " << line;
    EXPECT_EQ(parsed->name, name);
    EXPECT_EQ(parsed->pid, 99);
    EXPECT_EQ(parsed->window_id, 3u);
  }
}

}  // namespace
}  // namespace jt
