// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/measurement.hpp"
#include "ledger/run_ledger.hpp"
#include "sampler/sampler.hpp"

namespace jt {

// A run's power over time, downsampled for a chart (docs/REPORT.md): the run cut into equal
// buckets, each bucket's mean power per component from its channel's energy over the bucket.
struct ProfileSeries {
  std::string id;
  Domain domain = Domain::kOther;
  Method method = Method::kNone;
  // One of the non-overlapping parts that add up to the node (the phase cover): drawn stacked.
  bool stacked = false;
  // A meter that holds other components (the node meter, a package with its cores): drawn as a
  // line, never stacked on its own parts.
  bool contains_others = false;
  // Per bucket; empty where the channel has no readings over the whole bucket (a gap, before
  // its first or after its last reading): unknown, never 0.
  std::vector<std::optional<double>> power_w;
  std::vector<std::optional<double>> uncertainty_w;
};

struct PowerProfile {
  std::size_t buckets = 0;  // 0: no profile (the command did not start, an empty window)
  double bucket_s = 0.0;    // each bucket's length; the first starts at the run's start
  std::vector<ProfileSeries> series;
};

// The most buckets a profile has: enough for a chart as wide as a page, small in the report.
inline constexpr std::size_t kMaxProfileBuckets = 240;

// The profile of [start_ns, end_ns] for the components of `run` that have a channel in the
// timeline, in the run's order. Buckets are never shorter than the fast lane's interval; the
// energy of each comes from measure_window, with its uncertainty (so a slow meter's bucket
// carries its update period's error). `stacked_ids` are the parts drawn stacked.
PowerProfile power_profile(const Timeline& timeline, const WindowResult& run,
                           const std::vector<std::string>& stacked_ids, std::int64_t start_ns,
                           std::int64_t end_ns, std::size_t max_buckets = kMaxProfileBuckets);

}  // namespace jt
