// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include "sampler/sampler.hpp"

namespace jt {

// Joins each energy counter that anchors another channel (ChannelInfo::anchors: a GPU's counter,
// read every second because one read costs milliseconds, and the same GPU's power, read every
// round) into that channel (docs/ACCURACY.md, "Anchored energy"). The anchored channel's
// cumulative energy becomes the counter's: exactly the counter's at its readings, distributed
// between them in proportion to the channel's own integral (its shape), and carried before the
// first and after the last counter reading by that integral. The anchored channel then reads as
// an energy counter with the counter's unit, refresh period and calibration; the counters leave
// the timeline. A timeline without anchors comes back as it is.
Timeline with_anchored_energies(const Timeline& timeline);
// Whether any channel anchors another: callers that hold the sampler still skip the copy when not.
bool has_anchors(const Timeline& timeline);

// Calls `analyse` with the timeline whose GPU counters are joined. Joining copies the timeline
// while a checkpoint or a self-mode window holds the sampler still: only when needed.
template <typename Analyse>
auto with_joined_anchors(const Timeline& timeline, Analyse analyse) {
  if (has_anchors(timeline)) return analyse(with_anchored_energies(timeline));
  return analyse(timeline);
}

// The counter's cumulative energy at t, shaped between its readings by `shape` (both series
// cumulative joules). Exposed for tests.
double shaped_energy(const ChannelSeries& counter, const ChannelSeries& shape, std::int64_t t_ns);

}  // namespace jt
