// SPDX-License-Identifier: BSD-3-Clause
#include "support/ipmi_replay_transport.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "core/text.hpp"

namespace jt {

namespace {

constexpr std::size_t kMaxFixtureBytes = 1 << 20;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "dc", "0xDC", "7": one byte; anything else is not.
bool parse_hex_byte(std::string_view token, std::uint8_t& out) {
  if (token.size() > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X')) {
    token.remove_prefix(2);
  }
  if (token.empty() || token.size() > 2) return false;
  int value = 0;
  for (const char c : token) {
    const int digit = hex_digit(c);
    if (digit < 0) return false;
    value = value * 16 + digit;
  }
  out = static_cast<std::uint8_t>(value);
  return true;
}

}  // namespace

ReplayStep ReplayStep::response(std::vector<std::uint8_t> bytes) {
  return ReplayStep{Kind::kResponse, std::move(bytes), {}};
}
ReplayStep ReplayStep::timeout() { return ReplayStep{Kind::kTimeout, {}, {}}; }
ReplayStep ReplayStep::fail(std::string message) {
  return ReplayStep{Kind::kFail, {}, std::move(message)};
}
ReplayStep ReplayStep::lost() { return ReplayStep{Kind::kLost, {}, {}}; }

Result<ReplayScript> parse_replay_script(std::string_view text, std::string_view source) {
  ReplayScript script;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = trim(line);
    if (line.empty()) continue;

    const auto bad = [&](const std::string& why) {
      return make_error(ErrorKind::kInvalidData,
                        fmt::format("{}:{}: {}", source, line_number, why));
    };
    if (script.loop) return bad("'loop' must be the last step");

    const std::size_t space = line.find_first_of(" \t");
    const std::string_view keyword = line.substr(0, space);
    const std::string_view rest =
        space == std::string_view::npos ? std::string_view{} : trim(line.substr(space));
    if (keyword == "timeout" || keyword == "lost" || keyword == "loop") {
      if (!rest.empty()) return bad(fmt::format("'{}' takes nothing after it", keyword));
      if (keyword == "timeout") script.steps.push_back(ReplayStep::timeout());
      if (keyword == "lost") script.steps.push_back(ReplayStep::lost());
      if (keyword == "loop") {
        if (script.steps.empty()) return bad("'loop' with no step before it");
        script.loop = true;
      }
      continue;
    }
    if (keyword == "fail") {
      if (rest.empty()) return bad("'fail' needs a message");
      script.steps.push_back(ReplayStep::fail(std::string(rest)));
      continue;
    }

    std::vector<std::uint8_t> bytes;
    std::string_view tokens = line;
    while (!tokens.empty()) {
      const std::size_t gap = tokens.find_first_of(" \t");
      const std::string_view token = tokens.substr(0, gap);
      std::uint8_t byte = 0;
      if (!parse_hex_byte(token, byte)) {
        return bad(
            fmt::format("'{}' is neither a hex byte nor timeout, fail, lost or loop", token));
      }
      bytes.push_back(byte);
      tokens = gap == std::string_view::npos ? std::string_view{} : trim(tokens.substr(gap));
    }
    script.steps.push_back(ReplayStep::response(std::move(bytes)));
  }
  if (script.steps.empty()) {
    return make_error(ErrorKind::kInvalidData, fmt::format("{}: no steps", source));
  }
  return script;
}

ReplayTransport::ReplayTransport(ReplayScript script, std::string name)
    : script_(std::move(script)), name_(std::move(name)) {}

Result<std::unique_ptr<ReplayTransport>> ReplayTransport::from_file(
    const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::kNotFound, path.string() + ": cannot open the replay file");
  }
  std::ostringstream content;
  content << in.rdbuf();
  const std::string text = content.str();
  if (text.size() > kMaxFixtureBytes) {
    return make_error(ErrorKind::kInvalidData, path.string() + ": replay file too large");
  }
  auto script = parse_replay_script(text, path.string());
  if (!script) return std::unexpected(script.error());
  return std::make_unique<ReplayTransport>(std::move(*script), "replay " + path.string());
}

Result<std::vector<std::uint8_t>> ReplayTransport::send(const IpmiRequest& request,
                                                        std::chrono::milliseconds timeout) {
  requests_.push_back(request);
  timeouts_.push_back(timeout);
  if (lost_) {
    return make_error(ErrorKind::kDeviceLost, name_ + ": the IPMI interface is gone (ENODEV)");
  }
  if (next_ >= script_.steps.size()) {
    if (!script_.loop) {
      return make_error(ErrorKind::kIo, fmt::format("{}: the script ended after {} steps", name_,
                                                    script_.steps.size()));
    }
    next_ = 0;
  }
  const ReplayStep& step = script_.steps[next_++];
  switch (step.kind) {
    case ReplayStep::Kind::kResponse: return step.bytes;
    case ReplayStep::Kind::kTimeout: return ipmi_timeout_error(name_, timeout);
    case ReplayStep::Kind::kFail: return make_error(ErrorKind::kIo, name_ + ": " + step.message);
    case ReplayStep::Kind::kLost:
      lost_ = true;
      return make_error(ErrorKind::kDeviceLost, name_ + ": the IPMI interface is gone (ENODEV)");
  }
  return make_error(ErrorKind::kIo, name_ + ": unknown replay step");
}

}  // namespace jt
