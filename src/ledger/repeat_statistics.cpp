// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/repeat_statistics.hpp"

#include <cmath>
#include <map>

namespace jt {

namespace {

// One figure's value in each run where it is known.
struct Values {
  std::vector<double> values;
  std::vector<double> uncertainties;
  Method method = Method::kNone;
};

void add(Values& values, const Measurement& m) {
  if (!m.energy_j) return;
  values.values.push_back(*m.energy_j);
  values.uncertainties.push_back(m.uncertainty_j());
  values.method = combined(values.method, m.method);
}

RepeatedFigure figure(const std::string& name, const Values& values) {
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

// Figures by name, in the order they were first seen.
struct NamedValues {
  std::map<std::string, Values> by_name;
  std::vector<std::string> order;

  void add(const std::string& name, const Measurement& m) {
    if (!by_name.contains(name)) order.push_back(name);
    jt::add(by_name[name], m);
  }
  std::vector<RepeatedFigure> figures() const {
    std::vector<RepeatedFigure> out;
    for (const auto& name : order) out.push_back(figure(name, by_name.at(name)));
    return out;
  }
};

}  // namespace

RepeatStatistics repeat_statistics(const std::vector<const RunAnalysis*>& runs) {
  Values duration;
  Values total;
  NamedValues components;
  NamedValues phases;
  for (const RunAnalysis* run : runs) {
    duration.values.push_back(run->window.duration_s);
    duration.uncertainties.push_back(0.0);
    add(total, run->window.total);
    for (const auto& c : run->window.components) components.add(c.id, c.measured);
    for (const auto& t : run->phase_totals) phases.add(t.name, t.energy);
  }
  RepeatStatistics out;
  out.duration = figure("duration", duration);
  out.duration.method = out.duration.runs > 0 ? "clock" : "none";
  out.total = figure("total", total);
  out.components = components.figures();
  out.phases = phases.figures();
  return out;
}

}  // namespace jt
