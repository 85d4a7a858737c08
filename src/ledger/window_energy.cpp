#include "ledger/window_energy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/clock.hpp"

namespace jt {

namespace {

struct Interpolated {
  double energy_j = 0.0;
  double local_power_w = 0.0;  // power over the samples around the point
  double bracket_s = 0.0;      // spacing of the samples around the point
  bool covered = true;         // inside the series
};

// Cumulative energy at t by linear interpolation; outside the series the nearest end is used
// and the point is marked uncovered.
Interpolated energy_at(const ChannelSeries& s, std::int64_t t) {
  Interpolated out;
  const auto& ts = s.t_ns;
  if (ts.empty()) {
    out.covered = false;
    return out;
  }
  if (t <= ts.front() || ts.size() == 1) {
    out.energy_j = s.energy_j.front();
    out.covered = t >= ts.front();
    if (ts.size() >= 2) {
      out.bracket_s = ns_to_s(ts[1] - ts[0]);
      if (out.bracket_s > 0) out.local_power_w = (s.energy_j[1] - s.energy_j[0]) / out.bracket_s;
    }
    return out;
  }
  if (t >= ts.back()) {
    const std::size_t n = ts.size();
    out.energy_j = s.energy_j.back();
    out.covered = t == ts.back();
    out.bracket_s = ns_to_s(ts[n - 1] - ts[n - 2]);
    if (out.bracket_s > 0) {
      out.local_power_w = (s.energy_j[n - 1] - s.energy_j[n - 2]) / out.bracket_s;
    }
    return out;
  }
  const auto hi = static_cast<std::size_t>(std::upper_bound(ts.begin(), ts.end(), t) - ts.begin());
  const std::size_t lo = hi - 1;
  const double span_s = ns_to_s(ts[hi] - ts[lo]);
  const double frac = span_s > 0 ? ns_to_s(t - ts[lo]) / span_s : 0.0;
  out.energy_j = s.energy_j[lo] + frac * (s.energy_j[hi] - s.energy_j[lo]);
  out.bracket_s = span_s;
  out.local_power_w = span_s > 0 ? (s.energy_j[hi] - s.energy_j[lo]) / span_s : 0.0;
  return out;
}

}  // namespace

std::vector<std::size_t> cover_channels(const std::vector<ChannelInfo>& channels,
                                        const std::vector<ChannelStats>& stats) {
  std::vector<ComponentResult> components;
  const auto container_of = smallest_containers(channels, stats);
  for (std::size_t i = 0; i < channels.size(); ++i) {
    ComponentResult c;
    c.id = channels[i].id;
    c.domain = channels[i].domain;
    c.method = channels[i].quantity == Quantity::kEnergyCounter ? Method::kCounter
                                                                : Method::kPowerIntegrated;
    c.samples = stats[i].samples;
    if (auto it = container_of.find(c.id); it != container_of.end()) c.contained_in = it->second;
    components.push_back(std::move(c));
  }
  return total_cover(components);
}

WindowEnergy measure_window(const std::vector<ChannelInfo>& channels,
                            const std::vector<ChannelSeries>& series,
                            const std::vector<std::size_t>& cover, double interval_s,
                            std::int64_t start_ns, std::int64_t end_ns) {
  WindowEnergy out;
  out.start_ns = start_ns;
  out.end_ns = end_ns;
  const double duration_s = ns_to_s(end_ns - start_ns);
  const std::set<std::size_t> in_cover(cover.begin(), cover.end());
  std::set<Method> methods;
  double variance = 0.0;
  double coarsest_update_s = 0.0;
  std::string coarsest_id;
  for (std::size_t c = 0; c < channels.size() && c < series.size(); ++c) {
    const ChannelInfo& info = channels[c];
    const Interpolated a = energy_at(series[c], start_ns);
    const Interpolated b = energy_at(series[c], end_ns);
    WindowComponent wc;
    wc.id = info.id;
    wc.domain = info.domain;
    wc.method =
        info.quantity == Quantity::kEnergyCounter ? Method::kCounter : Method::kPowerIntegrated;
    wc.energy_j = std::max(0.0, b.energy_j - a.energy_j);
    wc.covered = a.covered && b.covered;
    // Each end can be off by what the device drew while its value was stale (update period)
    // or while the sampler was between two reads (half the sample spacing), plus one LSB of a
    // counter.
    auto end_error = [&](const Interpolated& p) {
      const double stale_s = std::max(info.update_period_s, 0.5 * p.bracket_s);
      return std::abs(p.local_power_w) * stale_s;
    };
    const double lsb_j = info.quantity == Quantity::kEnergyCounter ? info.scale : 0.0;
    wc.uncertainty_j = std::hypot(end_error(a), end_error(b)) + 2.0 * lsb_j;
    wc.in_total = in_cover.count(c) > 0;
    if (info.reports_activity) {
      if (auto activity = activity_between(series[c], start_ns, end_ns)) {
        wc.activity_mean_pct = activity->mean_pct;
        wc.activity_max_pct = activity->max_pct;
      }
    }
    if (wc.in_total && info.update_period_s > coarsest_update_s) {
      coarsest_update_s = info.update_period_s;
      coarsest_id = info.id;
    }
    if (wc.in_total && !wc.covered) {
      out.warnings.push_back(fmt::format(
          "{}: the window reaches outside the channel's readings; energy there is not counted",
          info.id));
    }
    if (wc.in_total) {
      out.energy_j += wc.energy_j;
      variance += wc.uncertainty_j * wc.uncertainty_j;
      methods.insert(wc.method);
    }
    out.components.push_back(std::move(wc));
  }
  out.uncertainty_j = std::sqrt(variance);
  if (duration_s < 10.0 * coarsest_update_s) {
    out.short_window = true;
    out.warnings.push_back(fmt::format(
        "{:.4f} s is shorter than 10 update periods of {} ({:g} s): {:.3f} J +/- {:.3f} J",
        duration_s, coarsest_id, coarsest_update_s, out.energy_j, out.uncertainty_j));
  } else if (out.uncertainty_j > 0.1 * out.energy_j && out.energy_j > 0.0) {
    out.warnings.push_back(fmt::format(
        "uncertain: +/- {:.3f} J ({:.0f} %) because the {:g} s sampling interval is coarse for "
        "a {:.4f} s window; a shorter --interval narrows it",
        out.uncertainty_j, 100.0 * out.uncertainty_j / out.energy_j, interval_s, duration_s));
  }
  out.method = method_label(methods);
  return out;
}

}  // namespace jt
