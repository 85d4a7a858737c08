#include "repeat.hpp"

#include <cmath>
#include <map>

namespace jt::cli {

namespace {

// Collects one figure's value in each run where it is known.
struct Samples {
  std::vector<double> values;
  std::vector<double> uncertainties;
  std::string method;
};

void add(Samples& samples, const Measurement& m) {
  if (!m.energy_j) return;
  samples.values.push_back(*m.energy_j);
  samples.uncertainties.push_back(m.uncertainty_j);
  if (samples.method.empty()) samples.method = m.method;
  if (samples.method != m.method) samples.method = "mixed";
}

RepeatedFigure figure(const std::string& name, const Samples& samples) {
  RepeatedFigure f;
  f.name = name;
  f.method = samples.method.empty() ? "none" : samples.method;
  f.runs = samples.values.size();
  if (f.runs == 0) return f;
  double sum = 0.0;
  double uncertainty = 0.0;
  for (std::size_t i = 0; i < f.runs; ++i) {
    sum += samples.values[i];
    uncertainty += samples.uncertainties[i];
  }
  const double mean = sum / static_cast<double>(f.runs);
  f.mean_j = mean;
  f.mean_uncertainty_j = uncertainty / static_cast<double>(f.runs);
  if (f.runs >= 2) {
    double squares = 0.0;
    for (double v : samples.values) squares += (v - mean) * (v - mean);
    f.stddev_j = std::sqrt(squares / static_cast<double>(f.runs - 1));
  }
  return f;
}

}  // namespace

RepeatSummary summarise_repeats(std::vector<RunReport> runs, int requested) {
  RepeatSummary out;
  out.requested = requested;
  Samples duration;
  Samples total;
  std::map<std::string, Samples> components;  // by id, in first-seen order below
  std::vector<std::string> component_order;
  std::map<std::string, Samples> phases;
  std::vector<std::string> phase_order;
  for (const auto& run : runs) {
    if (!run.started || !run.complete) continue;
    add(duration, Measurement{run.window.duration_s, 0.0, "clock"});
    add(total, Measurement{run.window.total_energy_j, run.window.total_uncertainty_j,
                           run.window.total_method});
    for (const auto& c : run.window.components) {
      if (!components.contains(c.id)) component_order.push_back(c.id);
      add(components[c.id], Measurement{c.energy_j, c.uncertainty.total_j, to_string(c.method)});
    }
    for (const auto& t : run.phase_totals) {
      if (!phases.contains(t.name)) phase_order.push_back(t.name);
      add(phases[t.name], t.energy);
    }
  }
  out.duration = figure("duration", duration);
  out.total = figure("total", total);
  for (const auto& id : component_order) out.components.push_back(figure(id, components[id]));
  for (const auto& name : phase_order) out.phases.push_back(figure(name, phases[name]));
  out.runs = std::move(runs);
  return out;
}

}  // namespace jt::cli
