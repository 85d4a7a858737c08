// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/run_ledger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "core/clock.hpp"

namespace jt {

Method method_of(const ChannelInfo& channel) {
  const Quantity measured = channel.measured_as.value_or(channel.quantity);
  return measured == Quantity::kEnergyCounter ? Method::kCounter : Method::kPowerIntegrated;
}

namespace {
bool usable(const ChannelStats& stats) { return stats.samples >= 2; }

// Two readings of one meter (ChannelInfo::same_meter_as).
bool same_meter(const ComponentResult& a, const ComponentResult& b) {
  return (!a.same_meter_as.empty() && a.same_meter_as == b.id) ||
         (!b.same_meter_as.empty() && b.same_meter_as == a.id);
}

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
  coverage.node = meter.measured;
  std::vector<const Measurement*> parts;
  for (std::size_t i : total_cover(parts_only)) {
    parts.push_back(&parts_only[i].measured);
    coverage.part_ids.push_back(parts_only[i].id);
  }
  if (parts.empty()) return std::nullopt;
  coverage.parts = sum_of(parts, "the components inside " + meter.id);
  if (coverage.node.energy_j && *coverage.node.energy_j > 0.0 && coverage.parts.energy_j) {
    coverage.coverage = *coverage.parts.energy_j / *coverage.node.energy_j;
  }
  // Both sides' systematic terms add linearly, like every other combination.
  coverage.rest =
      difference(coverage.node, coverage.parts, meter.id + " minus the components inside it");
  return coverage;
}

namespace {
// How wide a container is: a channel is placed in the narrowest container that lists it
// (a core in its package rather than in psys, a Grace socket in its module, not the node).
int container_tier(Domain domain) {
  switch (domain) {
    case Domain::kPsys: return 1;
    case Domain::kModule: return 2;
    case Domain::kNode: return 3;
    default: return 0;
  }
}
}  // namespace

std::map<std::string, std::string> smallest_containers(const std::vector<ChannelInfo>& channels,
                                                       const std::vector<ChannelStats>& stats) {
  std::map<std::string, std::string> container_of;
  for (int tier = 0; tier <= 3; ++tier) {
    for (std::size_t i = 0; i < channels.size(); ++i) {
      const ChannelInfo& info = channels[i];
      if (container_tier(info.domain) != tier || !usable(stats[i])) continue;
      for (const auto& inner : info.contains) container_of.emplace(inner, info.id);
    }
  }
  return container_of;
}

bool has_cpu_channel(const std::vector<ChannelInfo>& channels) {
  return std::any_of(channels.begin(), channels.end(), [](const ChannelInfo& c) {
    return c.domain == Domain::kPackage || c.domain == Domain::kPsys || c.domain == Domain::kCore ||
           c.domain == Domain::kModule;
  });
}

namespace {
// A meter that read no energy, was lost mid-run or failed its cross-check cannot stand for the
// whole node.
bool can_be_the_node(const ComponentResult& c) {
  return c.domain == Domain::kNode && c.measured.energy_j && !c.lost &&
         *c.measured.energy_j > 0.0 && c.set_aside.empty();
}
}  // namespace

std::vector<std::size_t> total_cover(const std::vector<ComponentResult>& components) {
  // A channel with no usable reading has no energy to add; counting it would be a silent zero.
  auto measured = [](const ComponentResult& c) { return c.measured.energy_j.has_value(); };
  std::vector<std::size_t> cover;
  // One whole-node meter covers everything; a second would double it. An energy counter
  // (Redfish EnergyJoules) beats integrated power (ACPI meter, DCMI), as everywhere else.
  std::optional<std::size_t> meter;
  for (std::size_t i = 0; i < components.size(); ++i) {
    const auto& c = components[i];
    if (!can_be_the_node(c)) continue;
    if (!meter || (c.measured.method == Method::kCounter &&
                   components[*meter].measured.method != Method::kCounter)) {
      meter = i;
    }
  }
  if (meter) {
    // Two readings of one meter (a BMC's kWh energy and its power): whichever is more precise
    // over this run (docs/ACCURACY.md).
    for (std::size_t i = 0; i < components.size(); ++i) {
      const auto& c = components[i];
      if (!can_be_the_node(c) || !same_meter(c, components[*meter])) continue;
      if (c.measured.uncertainty.total_j < components[*meter].measured.uncertainty.total_j)
        meter = i;
    }
    cover.push_back(*meter);
    return cover;
  }
  for (std::size_t i = 0; i < components.size(); ++i) {
    const auto& c = components[i];
    // A node meter that could not be the total is not a part of the node either.
    if (c.domain == Domain::kOther || c.domain == Domain::kNode || !c.contained_in.empty() ||
        !measured(c) || !c.set_aside.empty() || !c.anchors.empty()) {
      continue;
    }
    cover.push_back(i);
  }
  return cover;
}

namespace {

// Parts may read a little more than their container within both uncertainties, and the ends of
// different counters are read microseconds apart; beyond that, 2 % is no longer timing.
constexpr double kContainerTolerance = 0.02;

bool is_cpu_or_memory(Domain domain) {
  return domain == Domain::kPackage || domain == Domain::kPsys || domain == Domain::kCore ||
         domain == Domain::kUncore || domain == Domain::kDram;
}

struct PartsSum {
  double energy_j = 0.0;
  std::vector<const UncertaintyBudget*> uncertainties;
  std::vector<std::string> ids;
};

bool clearly_less(const ComponentResult& container, const PartsSum& parts, bool known_uncertainty) {
  // A container lost mid-run measured less of the run than its parts: that is its loss, said
  // by its own warning, not a sign it is wrong.
  if (parts.ids.empty() || container.lost) return false;
  if (!known_uncertainty) return *container.measured.energy_j <= 0.0 && parts.energy_j > 0.0;
  std::vector<const UncertaintyBudget*> all = parts.uncertainties;
  all.push_back(&container.measured.uncertainty);
  return parts.energy_j - *container.measured.energy_j >
         combined_budget(all).total_j + kContainerTolerance * parts.energy_j;
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// The container no longer stands for its parts: they count for themselves (in its own
// container, if it has one).
void set_aside(ComponentResult& container, std::string why, Warning warning,
               std::vector<ComponentResult>& components, std::vector<Warning>* warnings) {
  container.set_aside = std::move(why);
  for (auto& c : components) {
    if (c.contained_in == container.id) c.contained_in = container.contained_in;
  }
  if (warnings != nullptr) warnings->push_back(std::move(warning));
}

// What a container was held against: the words for its `set_aside`, the key for its warning.
struct HeldAgainst {
  const char* words;
  const char* key;
};
constexpr HeldAgainst kParts{"the parts it contains", "parts"};
constexpr HeldAgainst kCpuSide{"the CPU side inside it", "cpu-side"};
constexpr HeldAgainst kCpusAndMemory{"the CPUs and memory inside it", "cpus-and-memory"};

void reject(ComponentResult& container, const PartsSum& parts, HeldAgainst against,
            std::vector<ComponentResult>& components, std::vector<Warning>* warnings) {
  set_aside(container,
            fmt::format("{:.1f} J, less than the {:.1f} J of {}", *container.measured.energy_j,
                        parts.energy_j, against.words),
            Warning{"container-below-parts",
                    container.id,
                    {{"energy_j", *container.measured.energy_j}, {"parts_j", parts.energy_j}},
                    {{"held_against", against.key}, {"parts", joined(parts.ids)}}},
            components, warnings);
}

// A container lost mid-run while some of its parts were read to the end: they, not its energy
// up to the loss, stand for the run.
bool set_aside_if_lost(ComponentResult& container, const PartsSum& parts, bool a_part_lasted,
                       std::vector<ComponentResult>& components, std::vector<Warning>* warnings) {
  if (!container.lost || parts.ids.empty() || !a_part_lasted) return false;
  set_aside(container,
            fmt::format("lost {:.3f} s into the run; its parts, read on, count instead",
                        container.lost_at_s),
            Warning{"container-lost",
                    container.id,
                    {{"lost_at_s", container.lost_at_s}},
                    {{"parts", joined(parts.ids)}}},
            components, warnings);
  return true;
}

// Containers named by the parts' contained_in, narrowest first: packages (cores), psys
// (packages, DRAM), modules. A module is held against its CPU side only: NVML's figure for a
// Grace Hopper GPU may cover more than the GPU (docs/backends/hwmon.md).
void check_named_containers(std::vector<ComponentResult>& components,
                            std::vector<Warning>* warnings, bool known_uncertainty) {
  for (int tier = 0; tier <= 2; ++tier) {
    for (auto& container : components) {
      if (!container.measured.energy_j || container_tier(container.domain) != tier) continue;
      const bool module = container.domain == Domain::kModule;
      PartsSum parts;
      bool a_part_lasted = false;
      for (const auto& c : components) {
        if (c.contained_in != container.id || !c.measured.energy_j || !c.set_aside.empty() ||
            (module && !is_cpu_or_memory(c.domain))) {
          continue;
        }
        parts.energy_j += *c.measured.energy_j;
        parts.uncertainties.push_back(&c.measured.uncertainty);
        parts.ids.push_back(c.id);
        a_part_lasted = a_part_lasted || !c.lost;
      }
      if (set_aside_if_lost(container, parts, a_part_lasted, components, warnings)) continue;
      if (clearly_less(container, parts, known_uncertainty)) {
        reject(container, parts, module ? kCpuSide : kParts, components, warnings);
      }
    }
  }
}

// Another reading of the same meter measured something: a coarse one at 0 J is not news.
bool has_reading_beside(const std::vector<ComponentResult>& components,
                        const ComponentResult& meter) {
  return std::any_of(components.begin(), components.end(), [&](const ComponentResult& c) {
    return same_meter(c, meter) && c.measured.energy_j && *c.measured.energy_j > 0.0;
  });
}

// A node meter contains at least the CPUs, their memory and the modules holding them, whatever
// else it misses (DCMI often leaves GPUs out), so only those parts are held against it.
void check_node_meters(std::vector<ComponentResult>& components, std::vector<Warning>* warnings,
                       bool known_uncertainty) {
  PartsSum cpu;
  for (const auto& c : components) {
    if (!(is_cpu_or_memory(c.domain) || c.domain == Domain::kModule) ||
        c.measured.method == Method::kModel || !c.measured.energy_j || !c.contained_in.empty() ||
        !c.set_aside.empty()) {
      continue;
    }
    cpu.energy_j += *c.measured.energy_j;
    cpu.uncertainties.push_back(&c.measured.uncertainty);
    cpu.ids.push_back(c.id);
  }
  for (auto& meter : components) {
    if (meter.domain != Domain::kNode || !meter.measured.energy_j) continue;
    if (clearly_less(meter, cpu, known_uncertainty)) {
      reject(meter, cpu, kCpusAndMemory, components, warnings);
    } else if (*meter.measured.energy_j <= 0.0 && warnings != nullptr &&
               !has_reading_beside(components, meter)) {
      warnings->push_back(Warning{"node-meter-zero", meter.id, {}, {}});
    }
  }
}

}  // namespace

void set_aside_containers(std::vector<ComponentResult>& components, std::vector<Warning>* warnings,
                          bool known_uncertainty) {
  check_named_containers(components, warnings, known_uncertainty);
  check_node_meters(components, warnings, known_uncertainty);
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

namespace {

EdgeExtension edges_to_extend(const ChannelInfo& info, const ChannelStats& stats, double interval_s,
                              std::int64_t start_ns, std::int64_t end_ns) {
  const double limit_s = extrapolation_limit_s(info, interval_s);
  return {.start = ns_to_s(stats.first_t_ns - start_ns) <= limit_s,
          .end = !stats.lost && ns_to_s(end_ns - stats.last_t_ns) <= limit_s};
}

ComponentResult component_of(const Timeline& timeline, std::size_t i, std::int64_t start_ns,
                             std::int64_t end_ns,
                             const std::map<std::string, std::string>& container_of) {
  const ChannelInfo& info = timeline.channels[i];
  const ChannelStats& stats = timeline.stats[i];
  ComponentResult c;
  c.id = info.id;
  c.domain = info.domain;
  c.identity = info.identity;
  c.device = info.device;
  c.measured.provenance = info.provenance;
  c.note = info.note;
  c.same_meter_as = info.same_meter_as;
  c.anchors = info.anchors;
  c.measured.samples = stats.samples;
  c.skipped_reads = stats.skipped;
  c.failed_reads = stats.unavailable;
  if (stats.last_error_number != 0) c.last_read_error = std::strerror(stats.last_error_number);
  c.wraps = stats.wraps;
  c.segments = stats.segments;
  c.gap_s = stats.gap_s;
  c.lost = stats.lost;
  c.lost_at_s = stats.lost ? ns_to_s(stats.lost_at_ns - start_ns) : 0.0;
  if (auto it = container_of.find(info.id); it != container_of.end()) c.contained_in = it->second;
  if (info.reports_activity) {
    if (auto activity = activity_between(timeline.series[i], start_ns, end_ns)) {
      c.activity_mean_pct = activity->mean_pct;
      c.activity_max_pct = activity->max_pct;
    }
  }
  if (!usable(stats) || timeline.series[i].t_ns.size() < 2) {
    c.measured.method = Method::kNone;  // fewer than two readings: nothing was measured
    c.measured.covered_s = stats.samples > 0 ? ns_to_s(stats.last_t_ns - stats.first_t_ns) : 0.0;
    return c;
  }
  c.measured.method = method_of(info);
  // Exactly the run's interval: readings before its start or after its end are clipped by
  // interpolation (docs/ACCURACY.md).
  const SpanEnergy span =
      span_energy(info, timeline.series[i], stats, timeline.channel_interval_s[i], start_ns, end_ns,
                  edges_to_extend(info, stats, timeline.channel_interval_s[i], start_ns, end_ns));
  c.measured.energy_j = span.energy_j;
  c.extrapolated_start_s = span.extrapolated_start_s;
  c.extrapolated_end_s = span.extrapolated_end_s;
  // The time the energy stands for: what the readings covered and what was extrapolated.
  const double inside_s = ns_to_s(span.to_ns - span.from_ns);
  c.measured.covered_s = inside_s + c.extrapolated_start_s + c.extrapolated_end_s;
  const double span_s = inside_s - c.gap_s;
  c.avg_power_w = span_s > 0.0 ? span.measured_j / span_s : 0.0;
  c.peak_power_w = std::max(stats.peak_power_w, c.avg_power_w);
  c.measured.uncertainty = span.uncertainty;
  return c;
}

double count(std::uint64_t n) { return static_cast<double>(n); }

// The reason the backend gave for the last failed read, when it gave one.
std::map<std::string, std::string> error_detail(const ComponentResult& c) {
  if (c.last_read_error.empty()) return {};
  return {{"error", c.last_read_error}};
}

void add_read_warnings(const ChannelInfo& info, const ChannelStats& stats, const ComponentResult& c,
                       std::vector<Warning>* warnings) {
  auto warn = [&](const char* code, std::map<std::string, double> figures,
                  std::map<std::string, std::string> details = {}) {
    warnings->push_back(Warning{code, info.id, std::move(figures), std::move(details)});
  };
  if (stats.samples == 0) {
    warn("no-usable-reading",
         {{"failed_reads", count(stats.unavailable)}, {"skipped_reads", count(stats.skipped)}});
  } else if (stats.samples == 1) {
    // Lost after it: the reading before the loss is all there is.
    std::map<std::string, double> figures;
    if (stats.lost) figures["lost_at_s"] = c.lost_at_s;
    warn("one-usable-reading", std::move(figures));
  }
  if (stats.lost && usable(stats)) {
    warn("device-lost", {{"lost_at_s", c.lost_at_s}}, error_detail(c));
  }
  if (stats.segments > 1) {
    warn("counter-reset", {{"outages", stats.segments - 1.0}, {"gap_s", stats.gap_s}});
  }
  if (stats.unavailable > 0) {
    warn("failed-reads", {{"failed_reads", count(stats.unavailable)}}, error_detail(c));
  }
  if (stats.unresolved_at_end) warn("last-reading-unconfirmed", {});
  if (stats.skipped > 0) warn("skipped-readings", {{"skipped_reads", count(stats.skipped)}});
}

// Readings that start late or end early: a short miss was extrapolated, a long one is not
// counted (and a lost device's end is said by its own warning); say so beyond a read's jitter.
void add_coverage_warning(const ChannelInfo& info, const ChannelStats& stats, double interval_s,
                          const ComponentResult& c, std::int64_t start_ns, std::int64_t end_ns,
                          bool ended, std::vector<Warning>* warnings) {
  if (!c.measured.energy_j) return;
  const double jitter_s = 0.01 + info.update_period_s;
  const double end_slack_s = ended ? jitter_s : extrapolation_limit_s(info, interval_s);
  const bool late_start = c.extrapolated_start_s > jitter_s;
  const bool early_end = c.extrapolated_end_s > end_slack_s;
  if (late_start || early_end) {
    Warning w{"extrapolated-ends",
              info.id,
              {{"extrapolation_j", c.measured.uncertainty.extrapolation_j},
               {"failed_or_torn_reads", count(stats.skipped + stats.unavailable)}},
              {}};
    // Only the ends beyond the jitter are news; their presence says which were missed.
    if (late_start) w.figures["extrapolated_start_s"] = c.extrapolated_start_s;
    if (early_end) w.figures["extrapolated_end_s"] = c.extrapolated_end_s;
    warnings->push_back(std::move(w));
  }
  const double uncounted_start_s =
      c.extrapolated_start_s > 0.0 ? 0.0 : ns_to_s(stats.first_t_ns - start_ns);
  const double read_s = c.measured.covered_s - c.extrapolated_start_s - c.extrapolated_end_s;
  const double uncounted_end_s =
      c.extrapolated_end_s > 0.0 || stats.lost ? 0.0 : ns_to_s(end_ns - stats.last_t_ns);
  if (uncounted_start_s <= jitter_s && uncounted_end_s <= end_slack_s) return;
  warnings->push_back(Warning{"partial-coverage",
                              info.id,
                              {{"read_s", read_s},
                               {"duration_s", ns_to_s(end_ns - start_ns)},
                               {"uncounted_start_s", std::max(0.0, uncounted_start_s)},
                               {"uncounted_end_s", std::max(0.0, uncounted_end_s)}},
                              {}});
}

ComponentResult model_component(const CpuModel& model, double duration_s) {
  ComponentResult c;
  c.id = "model/cpu";
  c.domain = Domain::kPackage;
  c.device = "CPU (estimated from the process tree's CPU time)";
  c.identity = identity_of(c.domain, 0);
  c.measured.provenance = "getrusage(RUSAGE_CHILDREN)";
  c.note = model.assumption;
  c.measured.method = Method::kModel;
  const double energy_j = model.cpu_time_s * model.watts_per_busy_core;
  c.measured.energy_j = energy_j;
  c.measured.covered_s = duration_s;
  c.avg_power_w = duration_s > 0.0 ? energy_j / duration_s : 0.0;
  c.peak_power_w = c.avg_power_w;
  // The per-core figure is an order of magnitude (TDP over cores of typical server parts), so
  // the estimate is stated as +/- 50 %: an assumption, not a calibration.
  c.measured.uncertainty = assumed_budget(kCpuModelRelativeError * energy_j);
  return c;
}

// A node meter as the total: every other component lies inside it, and another meter of the
// same node is a cross-check, not a part.
void place_inside_node_meter(WindowResult& result, const ComponentResult& chosen) {
  for (auto& c : result.components) {
    if (c.id == chosen.id || !c.contained_in.empty()) continue;
    if (c.domain != Domain::kNode) {
      c.contained_in = chosen.id;
      continue;
    }
    if (!c.measured.energy_j) continue;
    if (!same_meter(c, chosen)) {
      result.warnings.push_back(Warning{
          "two-node-meters",
          chosen.id,
          {{"energy_j", *chosen.measured.energy_j}, {"other_energy_j", *c.measured.energy_j}},
          {{"other", c.id}, {"method", to_string(chosen.measured.method)}}});
      continue;
    }
    // Another reading of the same meter: worth a word only when the two disagree.
    if (std::abs(*c.measured.energy_j - *chosen.measured.energy_j) >
        combined_budget({&c.measured.uncertainty, &chosen.measured.uncertainty}).total_j) {
      result.warnings.push_back(Warning{
          "meter-readings-disagree",
          chosen.id,
          {{"energy_j", *chosen.measured.energy_j}, {"other_energy_j", *c.measured.energy_j}},
          {{"other", c.id}, {"device", chosen.device}}});
    }
  }
}

void add_total(WindowResult& result) {
  const std::vector<std::size_t> cover = total_cover(result.components);
  if (cover.size() == 1 && result.components[cover[0]].domain == Domain::kNode) {
    const ComponentResult chosen = result.components[cover[0]];
    place_inside_node_meter(result, chosen);
  }
  std::vector<const Measurement*> parts;
  for (std::size_t i : cover) {
    auto& c = result.components[i];
    c.in_total = true;
    result.total_cover.push_back(c.id);
    parts.push_back(&c.measured);
  }
  if (cover.empty()) {
    result.warnings.push_back(Warning{"no-total", "run", {}, {}});
    return;
  }
  result.total = sum_of(parts, "the non-overlapping cover of the node");
  if (result.total.method == Method::kModel) {
    result.warnings.push_back(Warning{"model-only-total", "run", {}, {}});
  }
  result.coverage = node_coverage(result.components, cover);
  const auto& coverage = result.coverage;
  if (coverage && coverage->rest.energy_j &&
      -*coverage->rest.energy_j > coverage->rest.uncertainty_j()) {
    result.warnings.push_back(
        Warning{"parts-exceed-node-meter",
                coverage->node_meter_id,
                {{"parts_j", *coverage->parts.energy_j}, {"node_j", *coverage->node.energy_j}},
                {}});
  }
}

}  // namespace

WindowResult summarise_run(const Timeline& timeline, std::int64_t start_ns, std::int64_t end_ns,
                           const std::optional<CpuModel>& cpu_model, bool ended) {
  WindowResult result;
  result.duration_s = ns_to_s(end_ns - start_ns);
  const auto container_of = smallest_containers(timeline.channels, timeline.stats);
  for (std::size_t i = 0; i < timeline.channels.size(); ++i) {
    ComponentResult c = component_of(timeline, i, start_ns, end_ns, container_of);
    add_read_warnings(timeline.channels[i], timeline.stats[i], c, &result.warnings);
    add_coverage_warning(timeline.channels[i], timeline.stats[i], timeline.channel_interval_s[i], c,
                         start_ns, end_ns, ended, &result.warnings);
    result.components.push_back(std::move(c));
  }
  if (cpu_model) {
    result.components.push_back(model_component(*cpu_model, result.duration_s));
    result.cpu_model = cpu_model;
  }
  set_aside_containers(result.components, &result.warnings);
  add_total(result);
  return result;
}

}  // namespace jt
