// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "agent/metrics_snapshot.hpp"
#include "core/result.hpp"

namespace prometheus {
class Exposer;
}

namespace jt::agent {

// Finished jobs no scrape has seen yet; beyond this the oldest go (jouletrace_jobs_dropped_total),
// so a Prometheus that stopped scraping cannot make the agent grow without end.
inline constexpr std::size_t kMaxFinishedJobsWaiting = 1000;
// Ids of finished jobs already served, so that a sampling side that keeps sending a finished job
// does not get it served twice. Older ids are forgotten first.
inline constexpr std::size_t kMaxServedJobIdsRemembered = 16 * kMaxFinishedJobsWaiting;

// The metric families of one snapshot, as a scrape serves them (docs/METRICS.md). Every job in
// `snapshot.jobs` is served, finished or not: retention is MetricsCollectable's business.
std::vector<prometheus::MetricFamily> metric_families(const MetricsSnapshot& snapshot,
                                                      std::uint64_t jobs_dropped);

// The Prometheus text exposition of these families.
std::string render_metrics(const std::vector<prometheus::MetricFamily>& families);

// Insertion-ordered set of strings that forgets its oldest entries beyond a capacity.
class BoundedIdSet {
 public:
  explicit BoundedIdSet(std::size_t capacity) : capacity_(capacity) {}
  bool contains(const std::string& id) const { return ids_.contains(id); }
  void insert(const std::string& id);
  std::size_t size() const { return ids_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_set<std::string> ids_;
  std::deque<std::string> oldest_first_;
};

// What a scrape serves: the last published snapshot, never a sensor read, so a scrape costs the
// same whatever the sensors do and cannot disturb the sampling.
class MetricsCollectable final : public prometheus::Collectable {
 public:
  void publish(MetricsSnapshot snapshot);
  // A scrape: it hands out the finished jobs waiting, which later scrapes no longer serve.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct ScrapeView {
    MetricsSnapshot snapshot;
    bool published = false;
    std::uint64_t jobs_dropped = 0;
  };
  void keep_finished_job(JobMetrics job);
  ScrapeView take_scrape_view() const;

  // prometheus::Collectable makes Collect() const, yet a scrape consumes the finished jobs it
  // serves: the bookkeeping is mutable, under the mutex.
  mutable std::mutex mutex_;
  MetricsSnapshot latest_;  // its jobs: the running ones only
  bool published_ = false;
  mutable std::unordered_map<std::string, JobMetrics> finished_waiting_;
  mutable std::deque<std::string> finished_waiting_oldest_first_;
  mutable BoundedIdSet finished_served_{kMaxServedJobIdsRemembered};
  std::uint64_t jobs_dropped_ = 0;
};

// A scrape of `collectable` as text; like a scrape by Prometheus, it consumes finished jobs.
std::string render_metrics(const MetricsCollectable& collectable);

// The agent's HTTP endpoint /metrics for Prometheus.
class MetricsExporter {
 public:
  // `address_port`: "host:port" with a numeric host ("127.0.0.1:9464", "0.0.0.0:9464",
  // "[::1]:9464"); port 0 binds a free port (see port()).
  static Result<std::unique_ptr<MetricsExporter>> listen(const std::string& address_port);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  void publish(MetricsSnapshot snapshot) { collectable_->publish(std::move(snapshot)); }
  int port() const { return port_; }

 private:
  MetricsExporter(std::shared_ptr<MetricsCollectable> collectable,
                  std::unique_ptr<prometheus::Exposer> exposer, int port);

  // Declared before the exposer, so the server stops before the collectable it serves goes.
  std::shared_ptr<MetricsCollectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace jt::agent
