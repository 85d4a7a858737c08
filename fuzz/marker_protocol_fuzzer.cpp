// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the marker channel protocol (docs/MARKERS.md): the input is the byte stream a child
// process writes into the marker pipe.
//
// Invariants:
// - parse_marker: an accepted line formats back (format_marker) to a canonical line that parses
//   to the same record, and formatting that record again gives the same bytes.
// - decode_marker_name / encode_marker_name: a decoded name is 1..200 bytes and survives
//   encode -> decode; any 1..200 byte name survives encode -> decode.
// - PhaseTracker: every phase ends at or after its start, is named, phases come out ordered by
//   start; one phase per valid begin record (memory is bounded by the records sent); every line
//   is counted once (valid, malformed); ends and items never exceed what was sent; feeding the
//   same bytes in small pieces gives the same phases as feeding them at once.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "markers/marker_protocol.hpp"

namespace {

constexpr std::size_t kMaxLineBytes = 4096;  // PhaseTracker's bound on a buffered partial line

bool same_record(const jt::MarkerRecord& a, const jt::MarkerRecord& b) {
  return a.kind == b.kind && a.t_ns == b.t_ns && a.pid == b.pid && a.window_id == b.window_id &&
         a.count == b.count && a.name == b.name;
}

bool same_phases(const std::vector<jt::Phase>& a, const std::vector<jt::Phase>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].start_ns != b[i].start_ns || a[i].end_ns != b[i].end_ns ||
        a[i].items != b[i].items || a[i].pid != b[i].pid ||
        a[i].closed_at_end != b[i].closed_at_end) {
      return false;
    }
  }
  return true;
}

void check_line(std::string_view line) {
  if (const auto record = jt::parse_marker(line)) {
    JT_FUZZ_CHECK(record->t_ns >= 0);
    JT_FUZZ_CHECK(!record->name.empty() && record->name.size() <= jt::kMaxMarkerNameBytes);
    const std::string formatted = jt::format_marker(*record);
    JT_FUZZ_CHECK(!formatted.empty() && formatted.back() == '\n');
    JT_FUZZ_CHECK(std::count(formatted.begin(), formatted.end(), '\n') == 1);
    const auto again =
        jt::parse_marker(std::string_view(formatted).substr(0, formatted.size() - 1));
    JT_FUZZ_CHECK(again.has_value());
    JT_FUZZ_CHECK(same_record(*record, *again));
    JT_FUZZ_CHECK(jt::format_marker(*again) == formatted);
  }

  if (const auto name = jt::decode_marker_name(line)) {
    JT_FUZZ_CHECK(!name->empty() && name->size() <= jt::kMaxMarkerNameBytes);
    const auto again = jt::decode_marker_name(jt::encode_marker_name(*name));
    JT_FUZZ_CHECK(again.has_value() && *again == *name);
  }

  const std::string_view raw_name = line.substr(0, jt::kMaxMarkerNameBytes);
  const std::string encoded = jt::encode_marker_name(raw_name);
  for (const char c : encoded) JT_FUZZ_CHECK(c >= '!' && c <= '~');  // one field of one line
  const auto decoded = jt::decode_marker_name(encoded);
  if (raw_name.empty()) {
    JT_FUZZ_CHECK(!decoded.has_value());
  } else {
    JT_FUZZ_CHECK(decoded.has_value() && *decoded == raw_name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);

  // What the stream holds, line by line.
  std::size_t lines = 0, begins = 0, ends_and_items = 0, invalid = 0;
  bool long_line = false;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const auto nl = stream.find('\n', pos);
    const bool complete = nl != std::string_view::npos;
    const std::string_view line = stream.substr(pos, (complete ? nl : stream.size()) - pos);
    long_line = long_line || line.size() > kMaxLineBytes;
    check_line(line);
    ++lines;
    const auto record = complete ? jt::parse_marker(line) : std::nullopt;
    if (record) {
      if (record->kind == jt::MarkerRecord::Kind::kBegin) {
        ++begins;
      } else {
        ++ends_and_items;
      }
    } else {
      ++invalid;  // includes a last line cut off by the end of the stream
    }
    pos = complete ? nl + 1 : stream.size();
  }

  constexpr std::int64_t kEndNs = 1'000'000'000'000'000'000;
  jt::PhaseTracker whole;
  whole.feed(stream);
  const auto phases = whole.finish(kEndNs);
  JT_FUZZ_CHECK(whole.malformed() == invalid);
  JT_FUZZ_CHECK(whole.unmatched() <= ends_and_items);
  JT_FUZZ_CHECK(phases.size() == begins);
  JT_FUZZ_CHECK(phases.size() <= lines);
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const auto& p = phases[i];
    JT_FUZZ_CHECK(p.end_ns >= p.start_ns);
    JT_FUZZ_CHECK(p.start_ns >= 0);
    JT_FUZZ_CHECK(!p.name.empty() && p.name.size() <= jt::kMaxMarkerNameBytes);
    if (p.closed_at_end) JT_FUZZ_CHECK(p.end_ns == std::max(kEndNs, p.start_ns));
    if (i > 0) JT_FUZZ_CHECK(phases[i - 1].start_ns <= p.start_ns);
  }

  // The same bytes in pieces of 1 to 8 bytes, the piece sizes taken from the bytes themselves.
  jt::PhaseTracker pieces;
  std::size_t at = 0;
  while (at < stream.size()) {
    const std::size_t n = std::min<std::size_t>(1 + (data[at] % 8), stream.size() - at);
    pieces.feed(stream.substr(at, n));
    at += n;
  }
  const auto phases_in_pieces = pieces.finish(kEndNs);
  // A partial line longer than any valid record is dropped before its end arrives, so only a
  // stream without such lines must come out the same whatever the pieces.
  if (!long_line) {
    JT_FUZZ_CHECK(same_phases(phases, phases_in_pieces));
    JT_FUZZ_CHECK(pieces.malformed() == whole.malformed());
    JT_FUZZ_CHECK(pieces.unmatched() == whole.unmatched());
  }
  return 0;
}
