// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>

#include "report/carbon_text.hpp"
#include "report/json_figures.hpp"
#include "report/run_report.hpp"
#include "report/text_format.hpp"

namespace jt {

namespace {

nlohmann::json to_json(const RepeatedFigure& f, const char* unit) {
  return {{"name", f.name},
          {"runs", f.runs},
          {std::string("mean_") + unit, optional_number(f.mean_j)},
          {std::string("stddev_") + unit, optional_number(f.stddev_j)},
          {std::string("mean_uncertainty_") + unit,
           f.mean_j ? nlohmann::json(f.mean_uncertainty_j) : nlohmann::json(nullptr)},
          {"method", f.method}};
}

// "10.166 J sd 0.017 J, each +/- 0.110 J": the mean, the spread over the runs, and how
// uncertain each run's own figure was.
std::string figure_text(const RepeatedFigure& f) {
  if (!f.mean_j) return "unknown";
  std::string text = energy_text(*f.mean_j);
  text += f.stddev_j ? " sd " + energy_text(*f.stddev_j) : std::string(" sd -");
  return text + ", each +/- " + energy_text(f.mean_uncertainty_j);
}

std::string short_name(const std::string& id, std::size_t columns) {
  return fit(terminal_safe(id), columns);
}

}  // namespace

nlohmann::json to_json(const RepeatSummary& repeat) {
  using nlohmann::json;
  json runs = json::array();
  for (const auto& run : repeat.runs) runs.push_back(to_json(run));
  json components = json::array();
  for (const auto& c : repeat.components) components.push_back(to_json(c, "j"));
  json phases = json::array();
  for (const auto& p : repeat.phases) phases.push_back(to_json(p, "j"));
  const bool complete = repeat.runs.empty() || repeat.runs.back().complete;
  return {{"schema", kRepeatSchema},
          {"version", kRepeatSchemaVersion},
          {"jouletrace_version", JOULETRACE_VERSION},
          {"complete", complete},
          {"requested_runs", repeat.requested},
          {"statistics",
           {{"duration", to_json(repeat.duration, "s")},
            {"total", to_json(repeat.total, "j")},
            {"components", std::move(components)},
            {"phases", std::move(phases)},
            {"co2e", to_json(repeat.co2e, "g")}}},
          {"runs", std::move(runs)}};
}

std::string format_repeat_summary(const RepeatSummary& repeat, const SummaryOptions& options) {
  std::string out;
  SummaryOptions headline = options;
  headline.part = SummaryOptions::Part::kHeadline;
  for (std::size_t i = 0; i < repeat.runs.size(); ++i) {
    std::string lines = format_summary(repeat.runs[i], headline);
    if (lines.starts_with("jouletrace: ")) lines.erase(0, 12);
    out += fmt::format("run {} of {}: {}", i + 1, repeat.requested, lines);
  }
  out += fmt::format("over {} of {} runs (mean and sample standard deviation):\n",
                     repeat.total.runs, repeat.requested);
  const RepeatedFigure& d = repeat.duration;
  if (d.mean_j) {
    out += fmt::format("  {:<30}  {:.3f} s sd {}\n", "duration", *d.mean_j,
                       d.stddev_j ? fmt::format("{:.3f} s", *d.stddev_j) : "-");
  }
  out +=
      fmt::format("  {:<30}  {} ({})\n", "total", figure_text(repeat.total), repeat.total.method);
  for (const auto& c : repeat.components) {
    out += fmt::format("  {:<30}  {} ({})\n", short_name(c.name, 30), figure_text(c), c.method);
  }
  for (const auto& p : repeat.phases) {
    out += fmt::format("  phase {:<24}  {} ({})\n", fit(terminal_safe(p.name), 24), figure_text(p),
                       p.method);
  }
  if (const RepeatedFigure& c = repeat.co2e; c.mean_j) {
    // The method names its factors and their sources: wrapped, as the run's summary is; the
    // label goes in after wrapping, which would fold its padding.
    const std::string figures = fmt::format("{} sd {}, each +/- {} ({})", co2e_text(*c.mean_j),
                                            c.stddev_j ? co2e_text(*c.stddev_j) : "-",
                                            co2e_text(c.mean_uncertainty_j), c.method);
    std::vector<std::string> lines = wrap(figures, options.width, 34, 4);
    if (!lines.empty()) lines[0].replace(2, 4, "CO2e");
    for (const auto& part : lines) out += part + "\n";
  }
  if (!repeat.runs.empty()) {
    SummaryOptions notes = options;
    notes.part = SummaryOptions::Part::kNotes;
    const std::string last = format_summary(repeat.runs.back(), notes);
    if (!last.empty()) out += fmt::format("notes of run {}:\n{}", repeat.runs.size(), last);
  }
  return out;
}

}  // namespace jt
