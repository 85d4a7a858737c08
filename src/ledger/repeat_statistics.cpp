// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/repeat_statistics.hpp"

#include <cmath>
#include <map>

namespace jt {

namespace {

// Figures by name, in the order they were first seen.
struct NamedValues {
  std::map<std::string, RunValues> by_name;
  std::vector<std::string> order;

  void add(const std::string& name, const Measurement& m) {
    if (!by_name.contains(name)) order.push_back(name);
    by_name[name].add(m.energy_j, m.uncertainty_j(), m.method);
  }
  std::vector<RepeatedFigure> figures() const {
    std::vector<RepeatedFigure> out;
    for (const auto& name : order) out.push_back(repeated_figure(name, by_name.at(name)));
    return out;
  }
};

}  // namespace

void RunValues::add(const std::optional<double>& value, double uncertainty, Method value_method) {
  if (!value) return;
  values.push_back(*value);
  uncertainties.push_back(uncertainty);
  method = combined(method, value_method);
}

RepeatedFigure repeated_figure(const std::string& name, const RunValues& values) {
  RepeatedFigure f;
  f.name = name;
  f.method = to_string(values.method);
  f.runs = values.values.size();
  if (f.runs == 0) return f;
  double sum = 0.0;
  double uncertainty = 0.0;
  for (std::size_t i = 0; i < f.runs; ++i) {
    sum += values.values[i];
    uncertainty += values.uncertainties[i];
  }
  const double mean = sum / static_cast<double>(f.runs);
  f.mean_j = mean;
  f.mean_uncertainty_j = uncertainty / static_cast<double>(f.runs);
  if (f.runs >= 2) {
    double squares = 0.0;
    for (double v : values.values) squares += (v - mean) * (v - mean);
    f.stddev_j = std::sqrt(squares / static_cast<double>(f.runs - 1));
  }
  return f;
}

RepeatStatistics repeat_statistics(const std::vector<const RunAnalysis*>& runs) {
  RunValues duration;
  RunValues total;
  NamedValues components;
  NamedValues phases;
  RunValues co2e;
  std::string co2e_method;
  for (const RunAnalysis* run : runs) {
    duration.values.push_back(run->window.duration_s);
    duration.uncertainties.push_back(0.0);
    total.add(run->window.total.energy_j, run->window.total.uncertainty_j(),
              run->window.total.method);
    for (const auto& c : run->window.components) components.add(c.id, c.measured);
    for (const auto& t : run->phase_totals) phases.add(t.name, t.energy);
    co2e.add(run->carbon.co2e_g, run->carbon.co2e_uncertainty_g, run->window.total.method);
    if (run->carbon.co2e_g && co2e_method.empty()) co2e_method = run->carbon.co2e_method;
  }
  RepeatStatistics out;
  out.duration = repeated_figure("duration", duration);
  out.duration.method = out.duration.runs > 0 ? "clock" : "none";
  out.total = repeated_figure("total", total);
  out.components = components.figures();
  out.phases = phases.figures();
  out.co2e = repeated_figure("co2e", co2e);
  if (out.co2e.runs > 0) out.co2e.method = co2e_method;
  return out;
}

}  // namespace jt
