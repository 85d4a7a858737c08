// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/window_energy.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/clock.hpp"
#include "ledger/anchored_energy.hpp"
#include "ledger/energy_uncertainty.hpp"

namespace jt {

std::vector<std::size_t> cover_channels(const std::vector<ChannelInfo>& channels,
                                        const std::vector<ChannelStats>& stats) {
  std::vector<ComponentResult> components;
  const auto container_of = smallest_containers(channels, stats);
  for (std::size_t i = 0; i < channels.size(); ++i) {
    ComponentResult c;
    c.id = channels[i].id;
    c.domain = channels[i].domain;
    c.measured.samples = stats[i].samples;
    if (stats[i].samples >= 2) {
      c.measured.energy_j = stats[i].energy_j;
      c.measured.method = method_of(channels[i]);
    }
    c.lost = stats[i].lost;
    c.anchors = channels[i].anchors;
    if (auto it = container_of.find(c.id); it != container_of.end()) c.contained_in = it->second;
    components.push_back(std::move(c));
  }
  set_aside_containers(components, nullptr, /*known_uncertainty=*/false);
  return total_cover(components);
}

std::vector<std::size_t> cover_of(const Timeline& timeline, const std::vector<std::string>& ids) {
  std::vector<std::size_t> cover;
  for (std::size_t i = 0; i < timeline.channels.size(); ++i) {
    if (std::find(ids.begin(), ids.end(), timeline.channels[i].id) != ids.end()) cover.push_back(i);
  }
  return cover;
}

namespace {

// Readings of a series inside [start_ns, end_ns], the ends included.
std::uint64_t readings_between(const ChannelSeries& series, std::int64_t start_ns,
                               std::int64_t end_ns) {
  const auto first = std::lower_bound(series.t_ns.begin(), series.t_ns.end(), start_ns);
  const auto last = std::upper_bound(first, series.t_ns.end(), end_ns);
  return static_cast<std::uint64_t>(last - first);
}

WindowComponent window_component(const Timeline& timeline, std::size_t c, std::int64_t start_ns,
                                 std::int64_t end_ns) {
  const ChannelInfo& info = timeline.channels[c];
  const ChannelSeries& series = timeline.series[c];
  WindowComponent wc;
  wc.id = info.id;
  wc.domain = info.domain;
  wc.measured.provenance = info.provenance;
  if (info.reports_activity) {
    if (auto activity = activity_between(series, start_ns, end_ns)) {
      wc.activity_mean_pct = activity->mean_pct;
      wc.activity_max_pct = activity->max_pct;
    }
  }
  if (series.t_ns.size() < 2) {
    wc.covered = false;
    return wc;
  }
  const TimelinePoint a = energy_at(series, start_ns);
  const TimelinePoint b = energy_at(series, end_ns);
  Measurement& m = wc.measured;
  m.method = method_of(info);
  m.samples = readings_between(series, start_ns, end_ns);
  m.covered_s =
      ns_to_s(std::min(end_ns, series.t_ns.back()) - std::max(start_ns, series.t_ns.front()));
  m.covered_s = std::max(0.0, m.covered_s);
  wc.covered = a.covered && b.covered;
  const ChannelStats& stats = timeline.stats[c];
  const double interval_s = timeline.channel_interval_s[c];
  // A window that ends (or begins) between two polls of a slow channel, a read or two from its
  // readings, is extrapolated as a run's end is (extrapolation_limit_s), and says so in its
  // uncertainty; further out the window is outside the channel's readings.
  const double limit_s = extrapolation_limit_s(info, interval_s);
  const EdgeExtension extend{
      .start = !a.covered && ns_to_s(series.t_ns.front() - start_ns) <= limit_s,
      .end = !b.covered && !stats.lost && ns_to_s(end_ns - series.t_ns.back()) <= limit_s};
  if ((a.covered || extend.start) && (b.covered || extend.end) && (extend.start || extend.end)) {
    const SpanEnergy span = span_energy(info, series, stats, interval_s, start_ns, end_ns, extend);
    m.energy_j = span.energy_j;
    m.uncertainty = span.uncertainty;
    m.covered_s += span.extrapolated_start_s + span.extrapolated_end_s;
    wc.covered = true;
    return wc;
  }
  const double energy_j = std::max(0.0, b.energy_j - a.energy_j);
  m.energy_j = energy_j;
  m.uncertainty = energy_uncertainty(info, series, stats, interval_s, start_ns, end_ns, energy_j);
  return wc;
}

void add_window_warnings(const Timeline& timeline, const std::vector<std::size_t>& cover,
                         WindowEnergy& out) {
  const double duration_s = ns_to_s(out.end_ns - out.start_ns);
  double coarsest_s = 0.0;
  std::string coarsest_id;
  for (std::size_t c : cover) {
    const ChannelInfo& info = timeline.channels[c];
    if (info.update_period_s > coarsest_s) {
      coarsest_s = info.update_period_s;
      coarsest_id = info.id;
    }
    if (!out.components[c].covered) {
      out.warnings.push_back(Warning{"window-outside-readings", info.id, {}, {}});
    }
  }
  const Measurement& total = out.total;
  if (!total.energy_j) return;
  if (duration_s < 10.0 * coarsest_s) {
    out.short_window = true;
    out.warnings.push_back(Warning{"short-window",
                                   "window",
                                   {{"duration_s", duration_s},
                                    {"update_period_s", coarsest_s},
                                    {"energy_j", *total.energy_j},
                                    {"uncertainty_j", total.uncertainty_j()}},
                                   {{"channel", coarsest_id}}});
  } else if (total.uncertainty_j() > 0.1 * *total.energy_j && *total.energy_j > 0.0) {
    out.warnings.push_back(
        Warning{"coarse-sampling",
                "window",
                {{"uncertainty_j", total.uncertainty_j()},
                 {"uncertainty_pct", 100.0 * total.uncertainty_j() / *total.energy_j},
                 {"interval_s", timeline.interval_s},
                 {"duration_s", duration_s}},
                {}});
  }
}

}  // namespace

WindowEnergy analyse_window(const Timeline& timeline, std::int64_t start_ns, std::int64_t end_ns) {
  return with_joined_anchors(timeline, [&](const Timeline& joined) {
    return measure_window(joined, cover_channels(joined.channels, joined.stats), start_ns, end_ns);
  });
}

WindowEnergy measure_window(const Timeline& timeline, const std::vector<std::size_t>& cover,
                            std::int64_t start_ns, std::int64_t end_ns) {
  WindowEnergy out;
  out.start_ns = start_ns;
  out.end_ns = end_ns;
  const std::set<std::size_t> in_cover(cover.begin(), cover.end());
  for (std::size_t c = 0; c < timeline.channels.size() && c < timeline.series.size(); ++c) {
    WindowComponent wc = window_component(timeline, c, start_ns, end_ns);
    wc.in_total = in_cover.count(c) > 0;
    out.components.push_back(std::move(wc));
  }
  std::vector<const Measurement*> parts;
  for (std::size_t c : cover) parts.push_back(&out.components[c].measured);
  out.total = sum_of(parts, "the non-overlapping cover of the node");
  add_window_warnings(timeline, cover, out);
  return out;
}

}  // namespace jt
