// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jt {

// The fixed-size record that the marker calls append to the ring (docs/MARKERS.md). Names are
// stored raw and truncated; percent-encoding is left to the flusher so the hot path only copies.
inline constexpr std::size_t kMaxNameBytes = 200;

enum class MarkerKind : std::uint8_t { kBegin = 'B', kEnd = 'E', kItems = 'N' };

struct RawMarker {
  std::int64_t t_ns = 0;
  std::uint64_t window_id = 0;
  std::uint64_t count = 0;  // items, for kItems only
  MarkerKind kind = MarkerKind::kBegin;
  std::uint8_t name_length = 0;
  char name[kMaxNameBytes];

  std::string_view name_view() const { return {name, name_length}; }
};

// Bytes of `name` that a record keeps: at most kMaxNameBytes, without reading past them.
std::size_t record_name_length(const char* name);

// Appends `raw` with bytes outside '!'..'~' and '%' itself written as %XX (upper-case hex).
void percent_encode(std::string_view raw, std::string& out);

// The longest line format_record can produce: "JT1 N " + four 20-digit numbers + a name of
// 200 bytes that all need escaping + the newline. Far below PIPE_BUF (4096).
inline constexpr std::size_t kMaxRecordText = 6 + 4 * 21 + 3 * kMaxNameBytes + 1;

// Writes one MARKERS.md line (with its newline) to `out`, which holds kMaxRecordText bytes;
// returns its length.
std::size_t format_record(const RawMarker& record, std::int64_t pid, char* out);

}  // namespace jt
