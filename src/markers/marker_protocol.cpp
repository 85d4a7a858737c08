// SPDX-License-Identifier: BSD-3-Clause
#include "markers/marker_protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace jt {

namespace {

constexpr std::string_view kMagic = "JT1";
constexpr std::size_t kMaxLineBytes = 4096;

template <typename T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

char* percent_encode_to(std::string_view raw, char* out) {
  constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < '!' || c > '~' || c == '%') {
      *out++ = '%';
      *out++ = kHex[c >> 4];
      *out++ = kHex[c & 0xF];
    } else {
      *out++ = ch;
    }
  }
  return out;
}

std::string encode_marker_name(std::string_view name) {
  const std::string_view kept = name.substr(0, kMaxMarkerNameBytes);
  std::string out(3 * kept.size(), '\0');
  out.resize(static_cast<std::size_t>(percent_encode_to(kept, out.data()) - out.data()));
  return out;
}

std::optional<std::string> decode_marker_name(std::string_view encoded) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '%') {
      if (i + 2 >= encoded.size()) return std::nullopt;
      const int hi = hex_value(encoded[i + 1]);
      const int lo = hex_value(encoded[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c < '!' || c > '~') {
      return std::nullopt;
    } else {
      out += c;
    }
  }
  if (out.empty() || out.size() > kMaxMarkerNameBytes) return std::nullopt;
  return out;
}

std::string format_marker(const MarkerRecord& r) {
  const std::string name = encode_marker_name(r.name);
  switch (r.kind) {
    case MarkerRecord::Kind::kBegin:
      return fmt::format("JT1 B {} {} {} {}\n", r.t_ns, r.pid, r.window_id, name);
    case MarkerRecord::Kind::kEnd:
      return fmt::format("JT1 E {} {} {} {}\n", r.t_ns, r.pid, r.window_id, name);
    case MarkerRecord::Kind::kItems:
      return fmt::format("JT1 N {} {} {} {} {}\n", r.t_ns, r.pid, r.window_id, r.count, name);
  }
  return {};
}

std::optional<MarkerRecord> parse_marker(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos <= line.size() && fields.size() < 8) {
    const auto next = std::min(line.find(' ', pos), line.size());
    fields.push_back(line.substr(pos, next - pos));
    pos = next + 1;
  }
  if (fields.size() < 6 || fields[0] != kMagic || fields[1].size() != 1) return std::nullopt;
  MarkerRecord r;
  const char kind = fields[1][0];
  std::size_t name_field = 5;
  if (kind == 'B') {
    r.kind = MarkerRecord::Kind::kBegin;
  } else if (kind == 'E') {
    r.kind = MarkerRecord::Kind::kEnd;
  } else if (kind == 'N') {
    r.kind = MarkerRecord::Kind::kItems;
    name_field = 6;
    if (fields.size() != 7 || !parse_number(fields[5], r.count)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (fields.size() != name_field + 1) return std::nullopt;
  if (!parse_number(fields[2], r.t_ns) || !parse_number(fields[3], r.pid) ||
      !parse_number(fields[4], r.window_id) || r.t_ns < 0) {
    return std::nullopt;
  }
  auto name = decode_marker_name(fields[name_field]);
  if (!name) return std::nullopt;
  r.name = std::move(*name);
  return r;
}

void PhaseTracker::feed(std::string_view bytes) {
  partial_.append(bytes);
  std::size_t start = 0;
  for (;;) {
    const auto nl = partial_.find('\n', start);
    if (nl == std::string::npos) break;
    const std::string_view line(partial_.data() + start, nl - start);
    if (auto record = parse_marker(line)) {
      add(*record);
    } else {
      ++malformed_;
    }
    start = nl + 1;
  }
  partial_.erase(0, start);
  if (partial_.size() > kMaxLineBytes) {
    // No valid record is this long: drop it rather than buffer without bound.
    ++malformed_;
    partial_.clear();
  }
}

PhaseTracker::Open* PhaseTracker::find_open(std::int64_t pid, std::uint64_t window_id,
                                            const std::string& name) {
  // The most recent match: windows of one name nest like a stack.
  for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
    if (window_id != 0 ? (it->phase.pid == pid && it->window_id == window_id)
                       : it->phase.name == name) {
      return &*it;
    }
  }
  return nullptr;
}

void PhaseTracker::add(const MarkerRecord& r) {
  switch (r.kind) {
    case MarkerRecord::Kind::kBegin: {
      Open open;
      open.phase.name = r.name;
      open.phase.start_ns = r.t_ns;
      open.phase.pid = r.pid;
      open.window_id = r.window_id;
      open_.push_back(std::move(open));
      return;
    }
    case MarkerRecord::Kind::kEnd: {
      Open* open = find_open(r.pid, r.window_id, r.name);
      if (open == nullptr) {
        ++unmatched_;
        return;
      }
      open->phase.end_ns = std::max(r.t_ns, open->phase.start_ns);
      closed_.push_back(std::move(open->phase));
      open_.erase(open_.begin() + (open - open_.data()));
      return;
    }
    case MarkerRecord::Kind::kItems: {
      Open* open = find_open(r.pid, r.window_id, r.name);
      if (open == nullptr) {
        ++unmatched_;
        return;
      }
      open->phase.items += r.count;
      return;
    }
  }
}

std::vector<Phase> PhaseTracker::finish(std::int64_t end_ns) {
  if (!partial_.empty()) {
    ++malformed_;  // a record cut off by the end of the stream
    partial_.clear();
  }
  for (auto& open : open_) {
    open.phase.end_ns = std::max(end_ns, open.phase.start_ns);
    open.phase.closed_at_end = true;
    closed_.push_back(std::move(open.phase));
  }
  open_.clear();
  std::vector<Phase> out = std::move(closed_);
  closed_.clear();
  std::stable_sort(out.begin(), out.end(),
                   [](const Phase& a, const Phase& b) { return a.start_ns < b.start_ns; });
  return out;
}

}  // namespace jt
