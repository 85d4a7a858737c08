// SPDX-License-Identifier: BSD-3-Clause
#include "agent/activity_log.hpp"

#include <algorithm>

namespace jt::agent {

ActivityLog::ActivityLog(std::size_t channels, std::int64_t bucket_ns, std::int64_t span_ns)
    : bucket_ns_(std::max<std::int64_t>(1, bucket_ns)), span_ns_(span_ns), buckets_(channels) {}

void ActivityLog::add(std::size_t channel, std::int64_t t_ns, double pct) {
  if (channel >= buckets_.size()) return;
  std::deque<Bucket>& log = buckets_[channel];
  std::int64_t start = t_ns / bucket_ns_ * bucket_ns_;
  if (start > t_ns) start -= bucket_ns_;
  // Samples arrive in order per channel; one older than the newest bucket joins it.
  if (log.empty() || log.back().t_ns < start) log.push_back(Bucket{start, 0, 0.0, 0.0F});
  Bucket& b = log.back();
  ++b.count;
  b.sum += pct;
  b.peak = std::max(b.peak, static_cast<float>(pct));
  while (!log.empty() && log.front().t_ns < start - span_ns_) log.pop_front();
}

void ActivityLog::samples_between(std::size_t channel, std::int64_t from_ns, std::int64_t to_ns,
                                  std::vector<std::int64_t>& t_ns, std::vector<float>& pct) const {
  if (channel >= buckets_.size()) return;
  const std::deque<Bucket>& log = buckets_[channel];
  auto it = std::ranges::lower_bound(log, from_ns, {}, &Bucket::t_ns);
  for (; it != log.end() && it->t_ns <= to_ns; ++it) {
    if (it->count == 0) continue;
    t_ns.push_back(it->t_ns);
    pct.push_back(it->peak);
    if (it->count == 1) continue;
    const double rest = (it->sum - it->peak) / static_cast<double>(it->count - 1);
    for (std::uint32_t i = 1; i < it->count; ++i) {
      t_ns.push_back(it->t_ns + 1);
      pct.push_back(static_cast<float>(rest));
    }
  }
}

}  // namespace jt::agent
