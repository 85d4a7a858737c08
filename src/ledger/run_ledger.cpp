#include "ledger/run_ledger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "core/clock.hpp"

namespace jt {

const char* to_string(Method method) {
  switch (method) {
    case Method::kCounter: return "counter";
    case Method::kPowerIntegrated: return "power-integrated";
    case Method::kModel: return "model";
  }
  return "unknown";
}

namespace {
bool usable(const ChannelStats& stats) { return stats.samples >= 2; }

constexpr double kCpuModelRelativeError = 0.5;
}  // namespace

std::optional<NodeCoverage> node_coverage(const std::vector<ComponentResult>& components,
                                          const std::vector<std::size_t>& cover) {
  if (cover.size() != 1 || components[cover[0]].domain != Domain::kNode) return std::nullopt;
  const ComponentResult& meter = components[cover[0]];
  // The parts: the cover the node would have without its meter.
  std::vector<ComponentResult> parts_only;
  for (const auto& c : components) {
    if (c.domain == Domain::kNode) continue;
    ComponentResult copy = c;
    if (copy.contained_in == meter.id) copy.contained_in.clear();
    parts_only.push_back(std::move(copy));
  }
  NodeCoverage coverage;
  coverage.node_meter_id = meter.id;
  coverage.node_energy_j = meter.energy_j;
  coverage.node_method = to_string(meter.method);
  std::set<Method> part_methods;
  std::vector<const UncertaintyBudget*> part_uncertainties;
  for (std::size_t i : total_cover(parts_only)) {
    part_methods.insert(parts_only[i].method);
    coverage.parts_energy_j += parts_only[i].energy_j;
    coverage.parts.push_back(parts_only[i].id);
    part_uncertainties.push_back(&parts_only[i].uncertainty);
  }
  if (coverage.parts.empty()) return std::nullopt;
  coverage.parts_method = method_label(part_methods);
  coverage.coverage =
      coverage.node_energy_j > 0.0 ? coverage.parts_energy_j / coverage.node_energy_j : 0.0;
  coverage.rest_energy_j = coverage.node_energy_j - coverage.parts_energy_j;
  // Both sides' systematic terms add linearly, like every other combination.
  part_uncertainties.push_back(&meter.uncertainty);
  coverage.rest_uncertainty_j = combine_uncertainties(part_uncertainties);
  return coverage;
}

std::map<std::string, std::string> smallest_containers(const std::vector<ChannelInfo>& channels,
                                                       const std::vector<ChannelStats>& stats) {
  std::map<std::string, std::string> container_of;
  // Narrow containers first, so that emplace keeps them over psys and the node.
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < channels.size(); ++i) {
      const ChannelInfo& info = channels[i];
      const bool wide = info.domain == Domain::kPsys || info.domain == Domain::kNode;
      if ((pass == 0) == wide || !usable(stats[i])) continue;
      for (const auto& inner : info.contains) container_of.emplace(inner, info.id);
    }
  }
  return container_of;
}

std::string method_label(const std::set<Method>& methods) {
  if (methods.empty()) return "none";
  if (methods.size() == 1) return to_string(*methods.begin());
  return "mixed";
}

bool has_cpu_channel(const std::vector<ChannelInfo>& channels) {
  return std::any_of(channels.begin(), channels.end(), [](const ChannelInfo& c) {
    return c.domain == Domain::kPackage || c.domain == Domain::kPsys || c.domain == Domain::kCore;
  });
}

std::vector<std::size_t> total_cover(const std::vector<ComponentResult>& components) {
  // A channel with no usable reading has no energy to add; counting it would be a silent zero.
  auto measured = [](const ComponentResult& c) {
    return c.method == Method::kModel || c.samples >= 2;
  };
  std::vector<std::size_t> cover;
  // One whole-node meter covers everything; a second would double it. An energy counter
  // (Redfish EnergyJoules) beats integrated power (ACPI meter, DCMI), as everywhere else.
  std::optional<std::size_t> meter;
  for (std::size_t i = 0; i < components.size(); ++i) {
    const auto& c = components[i];
    // A meter that read no energy or was lost mid-run cannot stand for the whole node.
    if (c.domain != Domain::kNode || !measured(c) || c.lost || !(c.energy_j > 0.0)) continue;
    if (!meter || (c.method == Method::kCounter && components[*meter].method != Method::kCounter)) {
      meter = i;
    }
  }
  if (meter) {
    cover.push_back(*meter);
    return cover;
  }
  for (std::size_t i = 0; i < components.size(); ++i) {
    const auto& c = components[i];
    // A node meter that could not be the total is not a part of the node either.
    if (c.domain == Domain::kOther || c.domain == Domain::kNode || !c.contained_in.empty() ||
        !measured(c)) {
      continue;
    }
    cover.push_back(i);
  }
  return cover;
}

UncertaintyBudget component_uncertainty(const ChannelInfo& info, const ChannelStats& stats,
                                        const ComponentResult& component, double interval_s) {
  UncertaintyBudget u;
  if (stats.samples < 2) return u;
  const double measured_s = std::max(0.0, component.covered_s - component.gap_s);
  if (info.quantity == Quantity::kEnergyCounter) {
    u.quantisation_j = 2.0 * info.scale;
  } else {
    u.quantisation_j = info.scale * measured_s;
  }
  // A counter's value can be up to one update period old at each end; a power channel's
  // integral can miss that much at each end too, and never less than one sampling interval.
  // An unknown refresh period (0) is taken as no shorter than the poll interval.
  const double stale_s = info.quantity == Quantity::kEnergyCounter && info.update_period_s > 0.0
                             ? info.update_period_s
                             : std::max(info.update_period_s, interval_s);
  const double peak_w = std::max(component.peak_power_w, component.avg_power_w);
  u.update_period_j = 2.0 * stale_s * peak_w * std::max(1, component.segments);
  u.timing_j = component.avg_power_w * 2.0 * ns_to_s(stats.max_half_width_ns);
  u.calibration_j = info.calibration_error * component.energy_j;
  u.calibration_known = info.calibration_error > 0.0;
  u.total_j = std::hypot(u.quantisation_j, u.update_period_j, u.timing_j) + u.calibration_j;
  return u;
}

double combine_uncertainties(const std::vector<const UncertaintyBudget*>& parts) {
  double independent = 0.0;
  double systematic = 0.0;
  for (const UncertaintyBudget* u : parts) {
    independent += u->quantisation_j * u->quantisation_j + u->update_period_j * u->update_period_j +
                   u->timing_j * u->timing_j;
    systematic += u->calibration_j;
  }
  return std::sqrt(independent) + systematic;
}

std::optional<ActivitySummary> activity_between(const ChannelSeries& series, std::int64_t start_ns,
                                                std::int64_t end_ns) {
  ActivitySummary summary;
  double sum = 0.0;
  for (std::size_t i = 0; i < series.activity_t_ns.size(); ++i) {
    const std::int64_t t = series.activity_t_ns[i];
    if (t < start_ns || t > end_ns) continue;
    const double pct = series.activity_pct[i];
    sum += pct;
    summary.max_pct = std::max(summary.max_pct, pct);
    ++summary.samples;
  }
  if (summary.samples == 0) return std::nullopt;
  summary.mean_pct = sum / static_cast<double>(summary.samples);
  return summary;
}

WindowResult summarise_run(const Sampler& sampler, std::int64_t start_ns, std::int64_t end_ns,
                           const std::optional<CpuModel>& cpu_model) {
  WindowResult result;
  result.duration_s = ns_to_s(end_ns - start_ns);
  const auto& channels = sampler.channels();

  std::vector<ChannelStats> all_stats;
  for (std::size_t i = 0; i < channels.size(); ++i) all_stats.push_back(sampler.stats(i));
  const auto container_of = smallest_containers(channels, all_stats);

  for (std::size_t i = 0; i < channels.size(); ++i) {
    const ChannelInfo& info = channels[i];
    const ChannelStats& stats = sampler.stats(i);
    ComponentResult c;
    c.id = info.id;
    c.domain = info.domain;
    c.index = info.index;
    c.device = info.device;
    c.provenance = info.provenance;
    c.note = info.note;
    c.method =
        info.quantity == Quantity::kEnergyCounter ? Method::kCounter : Method::kPowerIntegrated;
    c.energy_j = stats.energy_j;
    c.samples = stats.samples;
    c.skipped_reads = stats.skipped;
    c.failed_reads = stats.unavailable;
    if (stats.last_error_number != 0) c.last_read_error = std::strerror(stats.last_error_number);
    c.wraps = stats.wraps;
    c.segments = stats.segments;
    c.gap_s = stats.gap_s;
    c.covered_s = stats.samples > 0 ? ns_to_s(stats.last_t_ns - stats.first_t_ns) : 0.0;
    const double span_s = c.covered_s - c.gap_s;
    c.avg_power_w = span_s > 0.0 ? c.energy_j / span_s : 0.0;
    c.peak_power_w = std::max(stats.peak_power_w, c.avg_power_w);
    c.lost = stats.lost;
    c.lost_at_s = stats.lost ? ns_to_s(stats.lost_at_ns - start_ns) : 0.0;
    if (auto it = container_of.find(info.id); it != container_of.end()) c.contained_in = it->second;
    const double channel_interval_s = sampler.channel_interval_s(i);
    const double slack_s = 2.0 * channel_interval_s + 0.05;
    c.uncertainty = component_uncertainty(info, stats, c, channel_interval_s);
    if (info.reports_activity) {
      if (auto activity = activity_between(sampler.series()[i], start_ns, end_ns)) {
        c.activity_mean_pct = activity->mean_pct;
        c.activity_max_pct = activity->max_pct;
      }
    }

    if (stats.samples == 0) {
      result.warnings.push_back(fmt::format(
          "{}: no usable reading during the run ({} failed, {} skipped); its energy is unknown "
          "and left out of the total",
          info.id, stats.unavailable, stats.skipped));
    } else if (stats.samples == 1 && !stats.lost) {
      result.warnings.push_back(fmt::format(
          "{}: only one usable reading; its energy is unknown and left out of the total", info.id));
    }
    if (stats.lost) {
      result.warnings.push_back(fmt::format(
          "{}: device lost {:.3f} s into the run{}; energy counted up to then only", info.id,
          c.lost_at_s,
          c.last_read_error.empty() ? std::string() : fmt::format(" ({})", c.last_read_error)));
    }
    if (stats.segments > 1) {
      result.warnings.push_back(
          fmt::format("{}: counter reset or outage {} time(s); {:.3f} s not measured", info.id,
                      stats.segments - 1, stats.gap_s));
    }
    if (usable(stats) && !stats.lost) {
      const double late_start_s = ns_to_s(stats.first_t_ns - start_ns);
      const double early_end_s = ns_to_s(end_ns - stats.last_t_ns);
      if (late_start_s > slack_s + info.update_period_s ||
          early_end_s > slack_s + info.update_period_s) {
        result.warnings.push_back(fmt::format(
            "{}: readings cover {:.3f} s of the {:.3f} s run (first {:.3f} s after the start, last "
            "{:.3f} s before the end); energy outside them is not counted",
            info.id, c.covered_s, result.duration_s, std::max(0.0, late_start_s),
            std::max(0.0, early_end_s)));
      }
    }
    if (stats.unavailable > 0) {
      result.warnings.push_back(
          c.last_read_error.empty()
              ? fmt::format("{}: {} read(s) failed", info.id, stats.unavailable)
              : fmt::format("{}: {} read(s) failed (last: {})", info.id, stats.unavailable,
                            c.last_read_error));
    }
    if (stats.unresolved_at_end) {
      result.warnings.push_back(
          fmt::format("{}: the last reading could not be confirmed and was left out", info.id));
    }
    if (stats.skipped > 0) {
      result.warnings.push_back(fmt::format("{}: {} torn, empty or implausible reading(s) skipped",
                                            info.id, stats.skipped));
    }
    result.components.push_back(std::move(c));
  }

  if (cpu_model) {
    ComponentResult c;
    c.id = "model/cpu";
    c.domain = Domain::kPackage;
    c.device = "CPU (estimated from the process tree's CPU time)";
    c.provenance = "getrusage(RUSAGE_CHILDREN)";
    c.note = cpu_model->assumption;
    c.method = Method::kModel;
    c.energy_j = cpu_model->cpu_time_s * cpu_model->watts_per_busy_core;
    c.covered_s = result.duration_s;
    c.avg_power_w = result.duration_s > 0.0 ? c.energy_j / result.duration_s : 0.0;
    c.peak_power_w = c.avg_power_w;
    // The per-core figure is an order of magnitude (TDP over cores of typical server parts),
    // so the estimate is stated as +/- 50 %: an assumption, not a calibration.
    c.uncertainty.calibration_j = kCpuModelRelativeError * c.energy_j;
    c.uncertainty.calibration_known = true;
    c.uncertainty.total_j = c.uncertainty.calibration_j;
    result.components.push_back(std::move(c));
    result.cpu_model = cpu_model;
  }

  const std::vector<std::size_t> cover = total_cover(result.components);
  if (cover.size() == 1 && result.components[cover[0]].domain == Domain::kNode) {
    const ComponentResult& chosen = result.components[cover[0]];
    const std::string node_id = chosen.id;
    for (auto& c : result.components) {
      if (c.id == node_id || !c.contained_in.empty()) continue;
      if (c.domain == Domain::kNode) {
        // Another meter of the same node: a cross-check, not a part.
        if (c.samples >= 2) {
          result.warnings.push_back(fmt::format(
              "two node meters: {} measured {:.1f} J and {} {:.1f} J; the total uses {} ({})",
              node_id, chosen.energy_j, c.id, c.energy_j, node_id, to_string(chosen.method)));
        }
        continue;
      }
      c.contained_in = node_id;
    }
  }
  std::set<Method> methods;
  std::vector<const UncertaintyBudget*> total_parts;
  for (std::size_t i : cover) {
    auto& c = result.components[i];
    c.in_total = true;
    result.total_energy_j += c.energy_j;
    result.total_cover.push_back(c.id);
    methods.insert(c.method);
    total_parts.push_back(&c.uncertainty);
  }
  result.total_method = method_label(methods);
  result.total_uncertainty_j = combine_uncertainties(total_parts);
  result.coverage = node_coverage(result.components, cover);
  if (result.coverage && result.coverage->parts_energy_j - result.coverage->node_energy_j >
                             result.coverage->rest_uncertainty_j) {
    result.warnings.push_back(fmt::format(
        "the measured parts ({:.1f} J) exceed the node meter {} ({:.1f} J) by more than their "
        "uncertainty: the meter may not see every part (DCMI often leaves GPUs out), or parts "
        "overlap",
        result.coverage->parts_energy_j, result.coverage->node_meter_id,
        result.coverage->node_energy_j));
  }
  if (methods.empty()) {
    result.warnings.push_back("no component could be measured or estimated: there is no total");
  }
  return result;
}

}  // namespace jt
