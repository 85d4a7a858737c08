// SPDX-License-Identifier: BSD-3-Clause
#include "study/comparison.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

namespace jt::study {

namespace {

constexpr double kUnknownUncertainty = std::numeric_limits<double>::quiet_NaN();

// Values of one name in the order the names were first seen.
template <typename T>
struct Named {
  std::map<std::string, T> by_name;
  std::vector<std::string> order;

  T& operator[](const std::string& name) {
    if (!by_name.contains(name)) order.push_back(name);
    return by_name[name];
  }
};

void add(RunValues& values, const StatedFigure& figure) {
  values.add(figure.energy_j, figure.uncertainty_j, figure.method);
}

// A duration is a clock reading: exact as far as the comparison goes.
void add_duration(RunValues& values, const std::optional<double>& seconds) {
  values.add(seconds, 0.0, Method::kNone);
}

RepeatedFigure duration_figure(const std::string& name, const RunValues& values) {
  RepeatedFigure f = repeated_figure(name, values);
  f.method = f.runs > 0 ? "clock" : "none";
  return f;
}

struct PhaseValues {
  RunValues duration;
  RunValues energy;
  RunValues per_item;
  RunValues idle_gpu;
  RunValues co2e;
  std::string co2e_method;
  double items = 0.0;
  std::size_t runs = 0;
};

void add_phase(PhaseValues& values, const StatedPhase& phase) {
  add_duration(values.duration, phase.duration_s);
  add(values.energy, phase.energy);
  // The report's own energy per item, with the phase's uncertainty shared out over the items.
  if (phase.energy_per_item_j && phase.items > 0) {
    values.per_item.add(phase.energy_per_item_j,
                        phase.energy.uncertainty_j / static_cast<double>(phase.items),
                        phase.energy.method);
  }
  if (phase.idle_gpu) add(values.idle_gpu, *phase.idle_gpu);
  if (phase.co2e_stated) {
    values.co2e.add(phase.co2e_g, phase.co2e_uncertainty_g, phase.energy.method);
    if (values.co2e_method.empty()) values.co2e_method = phase.co2e_method;
  }
  values.items += static_cast<double>(phase.items);
  ++values.runs;
}

PhaseComparison phase_comparison(const std::string& name, const PhaseValues& values) {
  PhaseComparison p;
  p.name = name;
  p.duration = duration_figure("duration", values.duration);
  p.energy = repeated_figure("energy", values.energy);
  if (values.items > 0.0) p.items = values.items / static_cast<double>(values.runs);
  p.energy_per_item = repeated_figure("energy_per_item", values.per_item);
  p.idle_gpu = repeated_figure("idle_gpu", values.idle_gpu);
  p.co2e = repeated_figure("co2e", values.co2e);
  if (p.co2e.runs > 0) p.co2e.method = values.co2e_method;
  return p;
}

void add_estimate(ConfigurationComparison& c, RunValues& estimate, RunValues& error,
                  const StatedEstimate& stated) {
  if (!stated.made) {
    ++c.estimates_missing;
    return;
  }
  if (!stated.complete) {
    ++c.estimates_partial;
    return;
  }
  estimate.add(stated.estimate_j, kUnknownUncertainty, Method::kModel);
  error.add(stated.relative_error, kUnknownUncertainty, Method::kModel);
}

struct CarbonValues {
  RunValues co2e;
  RunValues cost;
  std::string co2e_method;
  std::string cost_method;
  std::optional<std::string> currency;  // the first known cost's
};

void add_carbon(CarbonValues& values, const std::optional<StatedCarbon>& carbon, Method method) {
  if (!carbon) return;
  values.co2e.add(carbon->co2e_g, carbon->co2e_uncertainty_g, method);
  if (values.co2e_method.empty()) values.co2e_method = carbon->co2e_method;
  if (!carbon->cost) return;
  if (!values.currency) values.currency = carbon->currency;
  if (*values.currency != carbon->currency) return;
  values.cost.add(carbon->cost, carbon->cost_uncertainty, method);
  if (values.cost_method.empty()) values.cost_method = carbon->cost_method;
}

void summarise_carbon(ConfigurationComparison& c, const CarbonValues& values) {
  c.co2e = repeated_figure("co2e", values.co2e);
  if (c.co2e.runs > 0) c.co2e.method = values.co2e_method;
  c.cost = repeated_figure("cost", values.cost);
  if (c.cost.runs > 0) c.cost.method = values.cost_method;
  c.currency = values.currency.value_or("");
}

bool compared(const StatedRun& run) { return run.started && run.complete; }

ConfigurationComparison summarise(const LabelledResult& result) {
  ConfigurationComparison c{
      .label = result.label, .path = result.path, .schema = result.document.schema};
  RunValues duration, total, estimate, error, idle_gpu;
  CarbonValues carbon;
  Named<ComponentComparison> domains;
  Named<RunValues> components;
  Named<PhaseValues> phases;
  for (const StatedRun& run : result.document.runs) {
    if (!compared(run)) {
      ++c.runs_left_out;
      continue;
    }
    if (c.runs++ == 0) c.command = run.command;
    if (std::ranges::find(c.hostnames, run.hostname) == c.hostnames.end())
      c.hostnames.push_back(run.hostname);
    add_duration(duration, run.duration_s);
    add(total, run.total);
    for (const StatedComponent& component : run.components) {
      domains[component.id].domain = component.domain;
      add(components[component.id], component.energy);
    }
    for (const StatedPhase& phase : run.phases) add_phase(phases[phase.name], phase);
    add_estimate(c, estimate, error, run.estimate);
    c.gpus = std::max(c.gpus, run.gpus);
    if (run.idle_gpu && run.gpus > 0) add(idle_gpu, *run.idle_gpu);
    add_carbon(carbon, run.carbon, run.total.method);
  }
  summarise_carbon(c, carbon);
  c.duration = duration_figure("duration", duration);
  c.total = repeated_figure("total", total);
  for (const std::string& id : components.order) {
    c.components.push_back({domains[id].domain, repeated_figure(id, components[id])});
  }
  c.estimate = repeated_figure("estimate", estimate);
  c.estimate_relative_error = repeated_figure("estimate_relative_error", error);
  c.idle_gpu = repeated_figure("idle_gpu", idle_gpu);
  for (const std::string& name : phases.order) {
    c.phases.push_back(phase_comparison(name, phases[name]));
  }
  return c;
}

std::optional<double> quotient(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b || *b == 0.0) return std::nullopt;
  return *a / *b;
}

RatioToReference ratio(const RepeatedFigure& duration, const RepeatedFigure& energy,
                       const RepeatedFigure& ref_duration, const RepeatedFigure& ref_energy) {
  RatioToReference r;
  r.time = quotient(duration.mean_j, ref_duration.mean_j);
  r.energy = quotient(energy.mean_j, ref_energy.mean_j);
  if (!r.energy) return r;
  const auto relative = [](const RepeatedFigure& f) { return f.mean_uncertainty_j / *f.mean_j; };
  const double u = std::hypot(relative(energy), relative(ref_energy));
  if (std::isfinite(u)) r.energy_uncertainty = std::abs(*r.energy) * u;
  r.energy_method = combined(method_named(energy.method).value_or(Method::kNone),
                             method_named(ref_energy.method).value_or(Method::kNone));
  return r;
}

void add_ratios(ConfigurationComparison& c, const ConfigurationComparison& ref) {
  c.vs_reference = ratio(c.duration, c.total, ref.duration, ref.total);
  for (PhaseComparison& phase : c.phases) {
    const auto match = std::ranges::find(ref.phases, phase.name, &PhaseComparison::name);
    if (match == ref.phases.end()) continue;
    phase.vs_reference = ratio(phase.duration, phase.energy, match->duration, match->energy);
  }
}

Error usage(std::string message, std::string hint = {}) {
  return Error{ErrorKind::kInvalidData, std::move(message), std::move(hint)};
}

}  // namespace

ResultArgument parse_result_argument(const std::string& argument) {
  const auto equals = argument.find('=');
  if (equals != std::string::npos && equals > 0 &&
      argument.substr(0, equals).find('/') == std::string::npos) {
    return {argument.substr(0, equals), argument.substr(equals + 1), true};
  }
  std::string label = std::filesystem::path(argument).filename().string();
  if (label.size() > 5 && label.ends_with(".json")) label.resize(label.size() - 5);
  return {label, argument, false};
}

Result<Comparison> compare_results(const std::vector<LabelledResult>& results,
                                   const std::optional<std::string>& reference) {
  if (results.empty()) return std::unexpected(usage("no result file given"));
  Comparison out;
  out.reference = reference;
  std::set<std::string> labels;
  for (const LabelledResult& result : results) {
    if (!labels.insert(result.label).second) {
      return std::unexpected(usage(fmt::format("the label '{}' is given twice", result.label),
                                   "name each configuration with LABEL=FILE"));
    }
    ConfigurationComparison c = summarise(result);
    if (c.runs == 0) {
      return std::unexpected(
          usage(fmt::format("{}: no run that started and completed", result.path)));
    }
    out.configurations.push_back(std::move(c));
  }
  if (!reference) return out;
  const auto ref =
      std::ranges::find(out.configurations, *reference, &ConfigurationComparison::label);
  if (ref == out.configurations.end()) {
    return std::unexpected(usage(fmt::format("--reference '{}' names no configuration", *reference),
                                 fmt::format("the labels are: {}", fmt::join(labels, ", "))));
  }
  // The reference is left undivided: its ratios would be 1, with an uncertainty that treated
  // one measurement as two independent ones.
  const ConfigurationComparison reference_copy = *ref;
  for (ConfigurationComparison& c : out.configurations) {
    if (c.label != *reference) add_ratios(c, reference_copy);
  }
  return out;
}

}  // namespace jt::study
