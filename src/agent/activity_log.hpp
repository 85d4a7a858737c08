// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace jt::agent {

// How busy each device was (GPU utilisation, percent), kept for the steps' idle-device analysis
// (docs/AGENT.md, "Steps"): the sampler's activity samples folded into buckets of one coarse
// step, each keeping the count, the mean and the peak, the oldest dropped past the span. The
// ledger judges a device idle by the mean and the peak of its samples over a window
// (activity_between), and a bucket keeps both exactly.
class ActivityLog {
 public:
  ActivityLog(std::size_t channels, std::int64_t bucket_ns, std::int64_t span_ns);

  void add(std::size_t channel, std::int64_t t_ns, double pct);
  // Samples of [from_ns, to_ns] with the same count, mean and peak per bucket as those added:
  // the peak once at the bucket's first instant, the rest at the value that keeps the mean.
  void samples_between(std::size_t channel, std::int64_t from_ns, std::int64_t to_ns,
                       std::vector<std::int64_t>& t_ns, std::vector<float>& pct) const;
  bool has(std::size_t channel) const { return !buckets_[channel].empty(); }

 private:
  struct Bucket {
    std::int64_t t_ns = 0;  // start of the bucket
    std::uint32_t count = 0;
    double sum = 0.0;
    float peak = 0.0F;
  };
  std::int64_t bucket_ns_;
  std::int64_t span_ns_;
  std::vector<std::deque<Bucket>> buckets_;
};

}  // namespace jt::agent
