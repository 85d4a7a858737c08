#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "arguments.hpp"
#include "core/clock.hpp"
#include "markers/marker_protocol.hpp"
#include "verbs.hpp"

namespace jt::cli {

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
  int fd = -1;
  if (channel != nullptr && std::string_view(channel).rfind("fd:", 0) == 0) {
    const std::string_view number = std::string_view(channel).substr(3);
    int parsed = -1;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), parsed);
    // "fd:junk" must not become fd 0 (stdin).
    if (ec == std::errc() && end == number.data() + number.size() && parsed > 2) fd = parsed;
  }
  if (fd < 0) {
    // A job script that is not run under `jouletrace run` must not fail because of its markers.
    fmt::print(stderr,
               "jouletrace mark: not under `jouletrace run` (JOULETRACE_MARKERS is not set); "
               "marker '{}' not recorded\n",
               options.name);
    return 0;
  }
  const std::string line = format_marker(record);
  const ssize_t n = ::write(fd, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    // As outside a run: the job script goes on, its marker is lost and that is said.
    fmt::print(stderr, "jouletrace mark: could not send marker '{}' on fd {}; not recorded\n",
               options.name, fd);
  }
  return 0;
}

}  // namespace jt::cli
