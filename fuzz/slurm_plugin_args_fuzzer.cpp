// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the Slurm plugin's option parsing (plugins/slurm/spank_step.hpp, docs/SLURM.md
// "Options"): the input is a plugstack.conf argument list, whitespace-separated, and its first
// word is also tried as a --jouletrace value. The requests the plugin builds from its fields are
// built by nlohmann::json and need no fuzzing of their own.
//
// Invariants:
// - parse_plugin_arguments never throws; accepted settings have an absolute socket path and a
//   timeout of 1..kMaxTimeoutMs; parsing the canonical arguments of accepted settings gives them
//   back.
// - parse_detail accepts exactly off, summary, phases, and to_string gives the word back.
// - step_environment sets JOULETRACE_MARKERS only for phases, and its value splits (at its last
//   '.') back into the job and step ids when the step id has no '.'.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "markers/agent_marker_channel.hpp"
#include "spank_step.hpp"

namespace {

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find_first_of(" \t\n", start);
    const std::size_t stop = end == std::string_view::npos ? text.size() : end;
    if (stop > start) out.push_back(text.substr(start, stop - start));
    start = stop + 1;
  }
  return out;
}

void check_arguments(const std::vector<std::string_view>& arguments) {
  const auto settings = jt::slurm::parse_plugin_arguments(arguments);
  if (!settings) return;
  JT_FUZZ_CHECK(!settings->socket_path.empty() && settings->socket_path[0] == '/');
  JT_FUZZ_CHECK(settings->timeout_ms >= 1 && settings->timeout_ms <= jt::slurm::kMaxTimeoutMs);
  const std::string socket = "socket=" + settings->socket_path;
  const std::string detail = std::string("default=") + to_string(settings->default_detail);
  const std::string timeout = "timeout_ms=" + std::to_string(settings->timeout_ms);
  const std::vector<std::string_view> canonical = {socket, detail, timeout};
  const auto again = jt::slurm::parse_plugin_arguments(canonical);
  JT_FUZZ_CHECK(again && again->socket_path == settings->socket_path &&
                again->default_detail == settings->default_detail &&
                again->timeout_ms == settings->timeout_ms);
}

void check_detail(std::string_view word) {
  const auto detail = jt::slurm::parse_detail(word);
  JT_FUZZ_CHECK(detail.has_value() == (word == "off" || word == "summary" || word == "phases"));
  if (detail) JT_FUZZ_CHECK(word == to_string(*detail));
}

void check_environment(std::string_view job_id, std::string_view step_id) {
  for (const auto detail :
       {jt::slurm::Detail::kOff, jt::slurm::Detail::kSummary, jt::slurm::Detail::kPhases}) {
    const auto variables = jt::slurm::step_environment(detail, "/s", job_id, step_id);
    JT_FUZZ_CHECK(variables.size() == (detail == jt::slurm::Detail::kOff       ? 0U
                                       : detail == jt::slurm::Detail::kSummary ? 1U
                                                                               : 2U));
    if (detail != jt::slurm::Detail::kPhases || step_id.find('.') != std::string_view::npos) {
      continue;
    }
    const std::string_view value = variables[1].value;
    const auto target = jt::parse_agent_marker_target(value.substr(jt::kAgentMarkersPrefix.size()));
    if (target) JT_FUZZ_CHECK(target->job_id == job_id && target->step_id == step_id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto arguments = words(text);
  check_arguments(arguments);
  if (!arguments.empty()) check_detail(arguments[0]);
  if (arguments.size() >= 2) check_environment(arguments[0], arguments[1]);
  return 0;
}
