// SPDX-License-Identifier: BSD-3-Clause
#include "report/study_report.hpp"

#include <fmt/format.h>

#include "report/text_format.hpp"

namespace jt {

namespace {

nlohmann::json to_json(const study::IdleCheckRecord& check) {
  nlohmann::json out = {{"before_run", check.before_run}, {"performed", check.performed}};
  if (!check.performed) return out;
  const study::IdleVerdict& v = check.verdict;
  // Without a channel shared with the baseline nothing was compared: unknown, not idle.
  out["idle"] = v.known ? nlohmann::json(v.idle) : nlohmann::json(nullptr);
  out["power_w"] = v.known ? nlohmann::json(v.power_w) : nlohmann::json(nullptr);
  out["baseline_w"] = v.known ? nlohmann::json(v.baseline_w) : nlohmann::json(nullptr);
  out["limit_w"] = v.known ? nlohmann::json(v.limit_w) : nlohmann::json(nullptr);
  out["channels"] = v.channels;
  out["windows"] = check.windows;
  out["waited_s"] = check.waited_s;
  return out;
}

nlohmann::json environment_json(const std::vector<study::EnvironmentSetting>& env) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : env) out[name] = value;
  return out;
}

}  // namespace

nlohmann::json study_result_json(const RepeatSummary& runs, const study::StudyCellRecord& record,
                                 const NodeProfile& node) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& check : record.idle_checks) checks.push_back(to_json(check));
  nlohmann::json out = to_json(runs);
  out["study"] = {{"name", record.study_name},
                  {"study_file", record.study_file},
                  {"entry", record.cell.entry},
                  {"configuration", record.cell.configuration},
                  {"label", record.cell.label},
                  {"command", record.cell.command},
                  {"env", environment_json(record.cell.env)},
                  {"phases", record.cell.phases},
                  {"repetitions", record.cell.repetitions},
                  {"cooldown_s", record.cooldown_s},
                  {"baseline_source", record.baseline_source},
                  {"idle_checks", std::move(checks)},
                  {"warnings", record.warnings}};
  out["node"] = to_json(node);
  return out;
}

std::string format_study_cell_line(const std::string& label, const RepeatSummary& runs,
                                   const std::string& file) {
  const RepeatedFigure& duration = runs.duration;
  const RepeatedFigure& total = runs.total;
  const std::string time =
      duration.mean_j ? duration_text(*duration.mean_j) +
                            (duration.stddev_j ? " sd " + duration_text(*duration.stddev_j) : "")
                      : "no complete run";
  const std::string energy =
      total.mean_j
          ? fmt::format("{} ({}){}", energy_pm_text(total.mean_j, total.mean_uncertainty_j),
                        total.method, total.stddev_j ? " sd " + energy_text(*total.stddev_j) : "")
          : "energy unknown";
  return fmt::format("{}: {} of {} runs, {}, {} -> {}", terminal_safe(label), total.runs,
                     runs.requested, time, energy, terminal_safe(file));
}

nlohmann::json to_json(const study::StudyIndex& index) {
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : index.results) {
    results.push_back({{"label", r.label},
                       {"entry", r.entry},
                       {"configuration", r.configuration},
                       {"file", r.file.string()},
                       {"runs", r.runs ? nlohmann::json(*r.runs) : nlohmann::json(nullptr)}});
  }
  return {{"schema", study::kStudySchema},
          {"version", study::kStudySchemaVersion},
          {"jouletrace_version", JOULETRACE_VERSION},
          {"name", index.name},
          {"hostname", index.hostname},
          {"started_at", index.started_at},
          {"study_file", index.study_file},
          {"complete", index.complete},
          {"results", std::move(results)}};
}

}  // namespace jt
