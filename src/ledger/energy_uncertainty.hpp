// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <vector>

#include "ledger/measurement.hpp"
#include "sampler/channel_accumulator.hpp"
#include "sampler/sampler.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// A channel's cumulative energy at an instant of its timeline.
struct TimelinePoint {
  double energy_j = 0.0;
  double local_power_w = 0.0;     // the higher power of the sample spans on either side
  double bracket_s = 0.0;         // span of the samples around the point; 0 on a sample
  double nearest_sample_s = 0.0;  // how far the point is from the closer of those samples
  bool covered = true;            // inside the series (outside, the nearest end is used)
};

// Linear interpolation of the series at t.
TimelinePoint energy_at(const ChannelSeries& series, std::int64_t t_ns);

// The one uncertainty model of runs and windows (docs/ACCURACY.md): the energy of a channel
// between two instants of its timeline, `energy_j`, is uncertain by one LSB per end (one LSB of
// power over the measured time for power channels), by what the device drew while each end's
// value was stale (hardware update period, sampling interval for power channels) or
// interpolated (half the sample spacing around it), per segment; by the reads' own duration;
// and by the sensor type's calibration error. A window whose ends lie on samples (a run) and
// one whose ends are interpolated (a phase) differ only by that interpolation.
UncertaintyBudget energy_uncertainty(const ChannelInfo& info, const ChannelSeries& series,
                                     const ChannelStats& stats, double interval_s,
                                     std::int64_t start_ns, std::int64_t end_ns, double energy_j);

// A channel's energy over [start, end] of a run (docs/ACCURACY.md): what its readings measured
// inside that span, clipped to it by interpolation, plus, where the readings begin after the start
// or end before the end, the missed time at the power of the adjacent sample span.
struct SpanEnergy {
  double energy_j = 0.0;  // measured + extrapolated
  double measured_j = 0.0;
  std::int64_t from_ns = 0;  // the part of [start, end] the readings cover
  std::int64_t to_ns = 0;
  double extrapolated_start_s = 0.0;
  double extrapolated_end_s = 0.0;
  UncertaintyBudget uncertainty;
};
// An end the readings missed by a read or two (a torn first value, a failed last read, a
// checkpoint between polls, a window that ends between two polls of a slow lane) is
// extrapolated; a longer outage there, or the time after a device was lost, is not counted and is
// said to be missing (docs/ACCURACY.md). Runs and windows use the same limit.
double extrapolation_limit_s(const ChannelInfo& info, double interval_s);

// Which missed ends to extrapolate; one that is not is left uncounted.
struct EdgeExtension {
  bool start = true;
  bool end = true;
};
SpanEnergy span_energy(const ChannelInfo& info, const ChannelSeries& series,
                       const ChannelStats& stats, double interval_s, std::int64_t start_ns,
                       std::int64_t end_ns, EdgeExtension extend);

}  // namespace jt
