// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jt {

// One record of the marker channel (docs/MARKERS.md).
struct MarkerRecord {
  enum class Kind { kBegin, kEnd, kItems };
  Kind kind = Kind::kBegin;
  std::int64_t t_ns = 0;
  std::int64_t pid = 0;
  std::uint64_t window_id = 0;  // 0: by name
  std::uint64_t count = 0;      // items, for kItems
  std::string name;             // decoded
};

inline constexpr std::size_t kMaxMarkerNameBytes = 200;

// Percent-encodes bytes outside '!'..'~' and '%' itself, so a name is one field of a line.
// Writes at most 3 bytes per input byte at `out` and returns the end; never allocates, so the
// library's flusher can use it on a fixed buffer.
char* percent_encode_to(std::string_view raw, char* out);
std::string encode_marker_name(std::string_view name);
std::optional<std::string> decode_marker_name(std::string_view encoded);

std::string format_marker(const MarkerRecord& record);
// Parses one line without its newline; nullopt for anything that is not a valid record.
std::optional<MarkerRecord> parse_marker(std::string_view line);

// The phases a stream of records describes. Records may come from several processes and out of
// order between processes; each is placed by its own timestamp.
struct Phase {
  std::string name;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::uint64_t items = 0;
  std::int64_t pid = 0;
  bool closed_at_end = false;  // still open when the run ended
};

class PhaseTracker {
 public:
  // Feeds raw bytes as they arrive; lines may be split across calls.
  void feed(std::string_view bytes);
  void add(const MarkerRecord& record);
  // Closes what is still open at end_ns and returns every phase, ordered by start.
  std::vector<Phase> finish(std::int64_t end_ns);

  std::uint64_t malformed() const { return malformed_; }
  std::uint64_t unmatched() const { return unmatched_; }  // ends and items with no open window

 private:
  struct Open {
    Phase phase;
    std::uint64_t window_id = 0;
  };
  Open* find_open(std::int64_t pid, std::uint64_t window_id, const std::string& name);

  std::string partial_;
  std::vector<Open> open_;
  std::vector<Phase> closed_;
  std::uint64_t malformed_ = 0;
  std::uint64_t unmatched_ = 0;
};

}  // namespace jt
