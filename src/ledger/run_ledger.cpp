#include "ledger/run_ledger.hpp"

#include <fmt/format.h>

#include <algorithm>
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
}  // namespace

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
    return c.domain == Domain::kPackage || c.domain == Domain::kPsys ||
           c.domain == Domain::kCore;
  });
}

std::vector<std::size_t> total_cover(const std::vector<ComponentResult>& components) {
  // A channel with no usable reading has no energy to add; counting it would be a silent zero.
  auto measured = [](const ComponentResult& c) {
    return c.method == Method::kModel || c.samples >= 2;
  };
  std::vector<std::size_t> cover;
  for (std::size_t i = 0; i < components.size(); ++i) {
    if (components[i].domain == Domain::kNode && measured(components[i])) {
      cover.push_back(i);
      return cover;  // one whole-node meter covers everything; a second would double it
    }
  }
  for (std::size_t i = 0; i < components.size(); ++i) {
    const auto& c = components[i];
    if (c.domain == Domain::kOther || !c.contained_in.empty() || !measured(c)) continue;
    cover.push_back(i);
  }
  return cover;
}

WindowResult summarise_run(const Sampler& sampler, std::int64_t start_ns, std::int64_t end_ns,
                           const std::optional<CpuModel>& cpu_model) {
  WindowResult result;
  result.duration_s = ns_to_s(end_ns - start_ns);
  const auto& channels = sampler.channels();

  std::vector<ChannelStats> all_stats;
  for (std::size_t i = 0; i < channels.size(); ++i) all_stats.push_back(sampler.stats(i));
  const auto container_of = smallest_containers(channels, all_stats);
  const double slack_s = 2.0 * sampler.interval_s() + 0.05;

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
    c.method = info.quantity == Quantity::kEnergyCounter ? Method::kCounter
                                                          : Method::kPowerIntegrated;
    c.energy_j = stats.energy_j;
    c.samples = stats.samples;
    c.skipped_reads = stats.skipped;
    c.failed_reads = stats.unavailable;
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
          "{}: device lost {:.3f} s into the run; energy counted up to then only", info.id,
          c.lost_at_s));
    }
    if (stats.segments > 1) {
      result.warnings.push_back(fmt::format(
          "{}: counter reset or outage {} time(s); {:.3f} s not measured", info.id,
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
          fmt::format("{}: {} read(s) failed", info.id, stats.unavailable));
    }
    if (stats.unresolved_at_end) {
      result.warnings.push_back(fmt::format(
          "{}: the last reading could not be confirmed and was left out", info.id));
    }
    if (stats.skipped > 0) {
      result.warnings.push_back(fmt::format(
          "{}: {} torn, empty or implausible reading(s) skipped", info.id, stats.skipped));
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
    result.components.push_back(std::move(c));
    result.cpu_model = cpu_model;
  }

  const std::vector<std::size_t> cover = total_cover(result.components);
  if (cover.size() == 1 && result.components[cover[0]].domain == Domain::kNode) {
    const std::string node_id = result.components[cover[0]].id;
    for (auto& c : result.components) {
      if (c.id != node_id && c.contained_in.empty()) c.contained_in = node_id;
    }
  }
  std::set<Method> methods;
  for (std::size_t i : cover) {
    auto& c = result.components[i];
    c.in_total = true;
    result.total_energy_j += c.energy_j;
    result.total_cover.push_back(c.id);
    methods.insert(c.method);
  }
  result.total_method = method_label(methods);
  if (methods.empty()) {
    result.warnings.push_back("no component could be measured or estimated: there is no total");
  }
  return result;
}

}  // namespace jt
