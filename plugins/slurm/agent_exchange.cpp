// SPDX-License-Identifier: BSD-3-Clause
#include "agent_exchange.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "markers/agent_marker_channel.hpp"

namespace jt::slurm {

namespace {

// An answer longer than this is not one the step ops produce.
constexpr std::size_t kMaxAnswerBytes = 4096;

int milliseconds_left(std::int64_t deadline_ns) {
  const std::int64_t left_ns = deadline_ns - monotonic_ns();
  return left_ns <= 0 ? 0 : static_cast<int>((left_ns + 999'999) / 1'000'000);
}

Result<std::string> read_answer_line(int fd, std::int64_t deadline_ns) {
  std::string answer;
  char buffer[512];
  while (answer.find('\n') == std::string::npos) {
    if (answer.size() > kMaxAnswerBytes) {
      return make_error(ErrorKind::kInvalidData, "the agent's answer has no end of line");
    }
    pollfd ready{fd, POLLIN, 0};
    const int polled = ::poll(&ready, 1, milliseconds_left(deadline_ns));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) {
      return make_error(ErrorKind::kTimeout, "the agent did not answer in time",
                        "the agent is overloaded or stuck; raise timeout_ms in plugstack.conf "
                        "only if it is merely slow");
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      return make_error(ErrorKind::kIo, "the agent closed the connection without an answer");
    }
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  answer.resize(answer.find('\n'));
  return answer;
}

// A member of the wanted type, else the fallback: a malformed answer must not throw.
std::string string_member(const nlohmann::json& object, const char* name, const char* fallback) {
  const auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : fallback;
}

Result<void> check_answer(const std::string& line) {
  const nlohmann::json answer = nlohmann::json::parse(line, nullptr, false);
  if (!answer.is_object()) {
    return make_error(ErrorKind::kInvalidData, "the agent's answer is not a JSON object");
  }
  const auto ok = answer.find("ok");
  if (ok != answer.end() && ok->is_boolean() && ok->get<bool>()) return {};
  const auto error = answer.find("error");
  const bool described = error != answer.end() && error->is_object();
  const std::string code = described ? string_member(*error, "code", "?") : "?";
  const std::string message = described ? string_member(*error, "message", "") : "";
  return make_error(ErrorKind::kInvalidData, "the agent refused: " + code + ": " + message,
                    "see the agent's log (docs/AGENT.md)");
}

}  // namespace

Result<void> exchange_with_agent(const std::string& socket_path, std::string_view request,
                                 int timeout_ms) {
  const std::int64_t deadline_ns = monotonic_ns() + std::int64_t{timeout_ms} * 1'000'000;
  auto fd = connect_unix_stream(socket_path, timeout_ms);
  if (!fd) return std::unexpected(fd.error());
  if (auto sent = send_within(fd->get(), request, milliseconds_left(deadline_ns)); !sent) {
    return std::unexpected(sent.error());
  }
  auto answer = read_answer_line(fd->get(), deadline_ns);
  if (!answer) return std::unexpected(answer.error());
  return check_answer(*answer);
}

}  // namespace jt::slurm
