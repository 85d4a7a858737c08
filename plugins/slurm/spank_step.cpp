// SPDX-License-Identifier: BSD-3-Clause
#include "spank_step.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace jt::slurm {

namespace {

// slurm.h: SLURM_EXTERN_CONT, SLURM_BATCH_SCRIPT, SLURM_INTERACTIVE_STEP.
constexpr std::uint32_t kExternStep = 0xfffffffc;
constexpr std::uint32_t kBatchStep = 0xfffffffb;
constexpr std::uint32_t kInteractiveStep = 0xfffffffa;

std::string one_line(const nlohmann::json& request) {
  // Names and paths come from the system and may hold bytes that are not UTF-8: replaced, so
  // that building a request never throws.
  return request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<int> parse_timeout_ms(std::string_view text) {
  int value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 1 ||
      value > kMaxTimeoutMs) {
    return make_error(ErrorKind::kInvalidData, "timeout_ms=" + std::string(text) +
                                                   " is not a whole number of 1 to " +
                                                   std::to_string(kMaxTimeoutMs) + " milliseconds");
  }
  return value;
}

Result<void> apply_argument(std::string_view argument, PluginSettings& settings) {
  const std::size_t equals = argument.find('=');
  const std::string_view key = argument.substr(0, equals);
  const std::string_view value =
      equals == std::string_view::npos ? std::string_view{} : argument.substr(equals + 1);
  if (equals != std::string_view::npos && key == "socket" && !value.empty() && value[0] == '/') {
    settings.socket_path = std::string(value);
    return {};
  }
  if (equals != std::string_view::npos && key == "default") {
    auto detail = parse_detail(value);
    if (!detail) return std::unexpected(detail.error());
    settings.default_detail = *detail;
    return {};
  }
  if (equals != std::string_view::npos && key == "timeout_ms") {
    auto timeout = parse_timeout_ms(value);
    if (!timeout) return std::unexpected(timeout.error());
    settings.timeout_ms = *timeout;
    return {};
  }
  return make_error(ErrorKind::kInvalidData,
                    "unknown plugstack argument '" + std::string(argument) +
                        "' (socket=/ABSOLUTE/PATH, default=off|summary|phases, timeout_ms=N)");
}

}  // namespace

std::string expand_node_name(std::string_view path, std::string_view host_name) {
  const std::string_view short_name = host_name.substr(0, host_name.find('.'));
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 1 < path.size() && path[i + 1] == 'n') {
      out += short_name;
      ++i;
    } else {
      out += path[i];
    }
  }
  return out;
}

Result<Detail> parse_detail(std::string_view text) {
  if (text == "off") return Detail::kOff;
  if (text == "summary") return Detail::kSummary;
  if (text == "phases") return Detail::kPhases;
  return make_error(ErrorKind::kInvalidData,
                    "'" + std::string(text) + "' is not one of off, summary, phases");
}

const char* to_string(Detail detail) {
  switch (detail) {
    case Detail::kOff: return "off";
    case Detail::kSummary: return "summary";
    case Detail::kPhases: return "phases";
  }
  return "off";
}

Result<PluginSettings> parse_plugin_arguments(std::span<const std::string_view> arguments) {
  PluginSettings settings;
  for (const std::string_view argument : arguments) {
    if (auto applied = apply_argument(argument, settings); !applied) {
      return std::unexpected(applied.error());
    }
  }
  return settings;
}

std::string step_id_text(std::uint32_t step_id) {
  switch (step_id) {
    case kExternStep: return "extern";
    case kBatchStep: return "batch";
    case kInteractiveStep: return "interactive";
    default: return std::to_string(step_id);
  }
}

std::string step_begin_request(const StepDescription& step) {
  return one_line({{"v", 1},
                   {"op", "step_begin"},
                   {"cluster", step.cluster},
                   {"job_id", step.job_id},
                   {"step_id", step.step_id},
                   {"uid", step.uid},
                   {"gid", step.gid},
                   {"user", step.user},
                   {"cgroup", step.cgroup},
                   {"cpus", step.cpus},
                   {"gpus", step.gpus},
                   {"detail", to_string(step.detail)}});
}

std::string step_end_request(std::string_view job_id, std::string_view step_id) {
  return one_line({{"v", 1}, {"op", "step_end"}, {"job_id", job_id}, {"step_id", step_id}});
}

std::string step_cgroup_from_proc(std::string_view proc_self_cgroup) {
  // cgroup v2 has one line, "0::/path" (cgroups(7)); v1 lines name their controllers.
  constexpr std::string_view kUnifiedPrefix = "0::";
  std::size_t start = 0;
  while (start < proc_self_cgroup.size()) {
    std::size_t end = proc_self_cgroup.find('\n', start);
    if (end == std::string_view::npos) end = proc_self_cgroup.size();
    const std::string_view line = proc_self_cgroup.substr(start, end - start);
    start = end + 1;
    if (!line.starts_with(kUnifiedPrefix)) continue;
    std::string_view path = line.substr(kUnifiedPrefix.size());
    if (path.ends_with("/slurm")) path.remove_suffix(std::string_view("/slurm").size());
    const std::size_t last = path.rfind('/');
    if (last == std::string_view::npos || !path.substr(last + 1).starts_with("step_")) return {};
    return std::string(path);
  }
  return {};
}

std::vector<EnvironmentVariable> step_environment(Detail detail, std::string_view socket_path,
                                                  std::string_view job_id,
                                                  std::string_view step_id) {
  std::vector<EnvironmentVariable> variables;
  if (detail == Detail::kOff) return variables;
  variables.push_back({"JOULETRACE_AGENT", std::string(socket_path)});
  if (detail == Detail::kPhases) {
    variables.push_back(
        {"JOULETRACE_MARKERS", "agent:" + std::string(job_id) + "." + std::string(step_id)});
  }
  return variables;
}

}  // namespace jt::slurm
