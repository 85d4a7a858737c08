// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "arguments.hpp"
#include "core/clock.hpp"
#include "markers/agent_marker_channel.hpp"
#include "markers/marker_protocol.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

// How long one `jouletrace mark` may wait for the agent: a job script marks between its steps
// and must not stall on a stuck agent.
constexpr int kAgentTimeoutMs = 200;

// JOULETRACE_MARKERS=fd:N with N above stderr; -1 for anything else.
int inherited_marker_fd(const char* channel) {
  if (channel == nullptr || std::string_view(channel).rfind("fd:", 0) != 0) return -1;
  const std::string_view number = std::string_view(channel).substr(3);
  int parsed = -1;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), parsed);
  // "fd:junk" must not become fd 0 (stdin).
  if (ec == std::errc() && end == number.data() + number.size() && parsed > 2) return parsed;
  return -1;
}

// Under a Slurm step (docs/MARKERS.md): one connection per marker, the request line then the
// record; closing it ends this stream for the agent. Failures are said, never fatal.
void send_to_agent(std::string_view channel, const std::string& line, const std::string& name) {
  auto fd = open_agent_marker_channel(channel.substr(kAgentMarkersPrefix.size()), kAgentTimeoutMs);
  auto sent = fd ? send_within(fd->get(), line, kAgentTimeoutMs)
                 : Result<void>(std::unexpected(fd.error()));
  if (!sent) {
    fmt::print(stderr, "jouletrace mark: {}; marker '{}' not recorded\n", sent.error().message,
               name);
  }
  // The agent's answer is awaited (bounded) only so that closing ends the stream cleanly.
  if (fd) close_agent_marker_channel(*fd, kAgentTimeoutMs);
}

}  // namespace

int mark_verb(const MarkOptions& options) {
  MarkerRecord record;
  if (options.action == "begin") {
    record.kind = MarkerRecord::Kind::kBegin;
  } else if (options.action == "end") {
    record.kind = MarkerRecord::Kind::kEnd;
  } else if (options.action == "items") {
    record.kind = MarkerRecord::Kind::kItems;
    record.count = options.count;
  } else {
    fmt::print(stderr, "jouletrace mark: unknown action '{}' (begin, end or items)\n",
               options.action);
    return kExitOwnFailure;
  }
  if (options.name.empty() || options.name.size() > kMaxMarkerNameBytes) {
    fmt::print(stderr, "jouletrace mark: a phase name of 1 to {} bytes is needed\n",
               kMaxMarkerNameBytes);
    return kExitOwnFailure;
  }
  record.t_ns = monotonic_ns();
  record.pid = ::getppid();  // the shell script that marks, not this short-lived process
  record.window_id = 0;      // by name: `mark end NAME` closes the latest open NAME
  record.name = options.name;

  const char* channel = std::getenv("JOULETRACE_MARKERS");
  const std::string line = format_marker(record);
  if (channel != nullptr && std::string_view(channel).starts_with(kAgentMarkersPrefix)) {
    send_to_agent(std::string_view(channel), line, options.name);
    return 0;
  }
  const int fd = inherited_marker_fd(channel);
  if (fd < 0) {
    // A job script that is not run under `jouletrace run` must not fail because of its markers.
    fmt::print(stderr,
               "jouletrace mark: not under `jouletrace run` (JOULETRACE_MARKERS is not set); "
               "marker '{}' not recorded\n",
               options.name);
    return 0;
  }
  const ssize_t n = ::write(fd, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    // As outside a run: the job script goes on, its marker is lost and that is said.
    fmt::print(stderr, "jouletrace mark: could not send marker '{}' on fd {}; not recorded\n",
               options.name, fd);
  }
  return 0;
}

}  // namespace jt::cli
