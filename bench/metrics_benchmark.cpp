// SPDX-License-Identifier: BSD-3-Clause
// Cost of a Prometheus scrape of the node agent (issue 12: at most 5 ms for 64 channels and 1000
// jobs): Collect() on the last published snapshot plus the text exposition, without the HTTP
// server, whose cost does not depend on jouletrace.
//
// BM_ScrapeFirst: 500 running and 500 finished jobs, all unseen, so the scrape also hands the
// finished jobs out; each iteration needs a fresh exporter state, built outside the timing.
// BM_ScrapeAgain: 1000 running jobs scraped over and over, the steady state of a long job mix.
// BM_CollectAgain: the same without the text serializer.
// BM_Publish: what the sampling side pays to hand over such a snapshot.
#include <benchmark/benchmark.h>

#include <optional>
#include <string>

#include "agent/metrics_exporter.hpp"

namespace {

using jt::agent::ChannelMetrics;
using jt::agent::JobMetrics;
using jt::agent::MetricsCollectable;
using jt::agent::MetricsSnapshot;

MetricsSnapshot large_node(int finished_every) {
  MetricsSnapshot snapshot{
      .node = "bench-node", .sampling_interval_s = 0.1, .taken_at_unix_ms = 1'700'000'000'000};
  for (int i = 0; i < 64; ++i) {
    snapshot.channels.push_back(ChannelMetrics{.component = i < 32 ? "cpu" : "gpu",
                                               .domain = i < 32 ? "package" : "gpu",
                                               .device = "powercap/intel-rapl:" + std::to_string(i),
                                               .method = "counter",
                                               .energy_j_total = 123456.789 * i,
                                               .power_w = 150.25 + i,
                                               .up = true,
                                               .read_errors = static_cast<std::uint64_t>(i)});
  }
  for (int i = 0; i < 1000; ++i) {
    snapshot.jobs.push_back(JobMetrics{.job_id = std::to_string(4'000'000 + i),
                                       .user = "user" + std::to_string(i % 50),
                                       .finished = finished_every > 0 && i % finished_every == 0,
                                       .components = {{"cpu", 1234.5 * i}, {"gpu", 99.25 * i}}});
  }
  return snapshot;
}

void report_size(benchmark::State& state, const std::string& text) {
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_ScrapeFirst(benchmark::State& state) {
  const MetricsSnapshot snapshot = large_node(2);
  std::string text;
  // Held outside the loop so that the previous state is freed while the timing is paused.
  std::optional<MetricsCollectable> collectable;
  for (auto _ : state) {
    state.PauseTiming();
    collectable.emplace();
    collectable->publish(snapshot);
    state.ResumeTiming();
    text = jt::agent::render_metrics(*collectable);
    benchmark::DoNotOptimize(text.data());
  }
  report_size(state, text);
}
BENCHMARK(BM_ScrapeFirst)->Unit(benchmark::kMillisecond);

void BM_ScrapeAgain(benchmark::State& state) {
  MetricsCollectable collectable;
  collectable.publish(large_node(0));
  std::string text;
  for (auto _ : state) {
    text = jt::agent::render_metrics(collectable);
    benchmark::DoNotOptimize(text.data());
  }
  report_size(state, text);
}
BENCHMARK(BM_ScrapeAgain)->Unit(benchmark::kMillisecond);

// The share of BM_ScrapeAgain spent before the text serializer.
void BM_CollectAgain(benchmark::State& state) {
  MetricsCollectable collectable;
  collectable.publish(large_node(0));
  for (auto _ : state) {
    auto families = collectable.Collect();
    benchmark::DoNotOptimize(families.data());
  }
}
BENCHMARK(BM_CollectAgain)->Unit(benchmark::kMillisecond);

void BM_Publish(benchmark::State& state) {
  const MetricsSnapshot snapshot = large_node(0);
  MetricsCollectable collectable;
  for (auto _ : state) {
    collectable.publish(snapshot);
  }
}
BENCHMARK(BM_Publish)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
