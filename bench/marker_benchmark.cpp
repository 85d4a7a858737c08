// SPDX-License-Identifier: BSD-3-Clause
// Cost of the phase markers (issue 3: under 200 ns per begin/end pair).
//
// The library runs as under `jouletrace run`: JOULETRACE_MARKERS names a pipe that another
// thread drains, and the library's flusher formats and writes every record while the
// benchmark threads mark. Each run is a fresh jt_init/jt_shutdown (Setup/Teardown).
//
// BM_BeginEndPair is paced like a program (even a fast one marks a few thousand phases a
// second, not millions): it times a batch of kBatch pairs, then lets the flusher catch up
// before the next. Its time is the mean per pair (the batch time / kBatch, given as manual
// time); with threads, Google Benchmark divides once more by the thread count, so a thread's
// own cost of a pair is Time x threads. The "median_ns" counter is the median over the batches
// of a thread's cost per pair, which preemption on a shared machine does not inflate.
// BM_BeginEndPairFlood marks in a tight loop instead: the flusher cannot keep up with ~10M
// markers a second, so most are refused (JT_ERR_BUFFER_FULL, counted in "dropped") and its
// time is largely that of the drop path. "dropped" must be 0 for a BM_BeginEndPair number
// to count.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <jouletrace/jouletrace.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "api/marker_record.hpp"

namespace {

int g_pipe[2] = {-1, -1};
std::thread g_reader;

// Stands in for `jouletrace run`: reads the marker channel as fast as it can.
void start_parent() {
  if (::pipe2(g_pipe, O_CLOEXEC) != 0) std::abort();
  ::fcntl(g_pipe[1], F_SETPIPE_SZ, 1 << 20);
  g_reader = std::thread([] {
    static char buffer[1 << 16];
    while (::read(g_pipe[0], buffer, sizeof buffer) > 0) {
    }
  });
}

void stop_parent() {
  ::close(g_pipe[1]);
  g_reader.join();
  ::close(g_pipe[0]);
}

void init_parent_mode(const benchmark::State&) {
  ::setenv("JOULETRACE_MARKERS", ("fd:" + std::to_string(g_pipe[1])).c_str(), 1);
  if (jt_init(nullptr) != JT_OK || jt_current_mode() != JT_MODE_PARENT) {
    std::fprintf(stderr, "jt_init (parent mode): %s\n", jt_last_error());
    std::abort();
  }
}

// Self mode on a node without sensors: the marker calls without a ring (nothing to send).
void init_self_mode(const benchmark::State&) {
  ::unsetenv("JOULETRACE_MARKERS");
  jt_options options{};
  options.struct_size = sizeof(options);
  options.sysfs_root = JT_FIXTURE_DIR "/sysfs/no-sensors";
  options.dev_root = JT_FIXTURE_DIR "/sysfs/no-sensors/dev";
  options.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  if (jt_init(&options) != JT_OK || jt_current_mode() != JT_MODE_SELF) {
    std::fprintf(stderr, "jt_init (self mode): %s\n", jt_last_error());
    std::abort();
  }
}

void shutdown(const benchmark::State&) { jt_shutdown(); }

void BM_ClockGettime(benchmark::State& state) {
  timespec ts{};
  for (auto _ : state) {
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    benchmark::DoNotOptimize(ts);
  }
}
BENCHMARK(BM_ClockGettime);

constexpr int kBatch = 64;

// The median over the batches as well as the mean: on a shared machine, a batch during which
// the thread was preempted inflates the mean but not the median.
double median_ns(std::vector<double>& per_pair_s) {
  if (per_pair_s.empty()) return 0.0;
  std::nth_element(per_pair_s.begin(), per_pair_s.begin() + per_pair_s.size() / 2,
                   per_pair_s.end());
  return per_pair_s[per_pair_s.size() / 2] * 1e9;
}

void BM_BeginEndPair(benchmark::State& state) {
  std::uint64_t dropped = 0;
  std::vector<double> per_pair_s;
  per_pair_s.reserve(static_cast<std::size_t>(state.max_iterations));
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kBatch; ++i) {
      jt_window w = 0;
      dropped += jt_window_begin("train/step", &w) == JT_ERR_BUFFER_FULL;
      dropped += jt_window_end(w, nullptr) == JT_ERR_BUFFER_FULL;
    }
    const auto stop = std::chrono::steady_clock::now();
    per_pair_s.push_back(std::chrono::duration<double>(stop - start).count() / kBatch);
    state.SetIterationTime(per_pair_s.back());
    // About 250 us between batches of 128 markers per thread: ~500k markers a second in all,
    // far above what phases need, and a rate the flusher sustains on a loaded 2-core machine.
    const timespec pause{0, 200'000L * state.threads()};
    ::nanosleep(&pause, nullptr);
  }
  state.counters["dropped"] = static_cast<double>(dropped);
  state.counters["pairs"] = static_cast<double>(kBatch * state.iterations());
  // A thread's own cost of one pair (averaged over the threads).
  state.counters["median_ns"] =
      benchmark::Counter(median_ns(per_pair_s), benchmark::Counter::kAvgThreads);
}
// A fixed count: the minimum time would be counted in manual (per-pair) time, which the
// pauses would stretch to minutes.
constexpr int kPacedBatches = 10'000;
BENCHMARK(BM_BeginEndPair)
    ->Setup(init_parent_mode)
    ->Teardown(shutdown)
    ->UseManualTime()
    ->Iterations(kPacedBatches);
BENCHMARK(BM_BeginEndPair)
    ->Setup(init_parent_mode)
    ->Teardown(shutdown)
    ->Threads(4)
    ->UseManualTime()
    ->Iterations(kPacedBatches);

void tight_pairs(benchmark::State& state) {
  std::uint64_t dropped = 0;
  for (auto _ : state) {
    jt_window w = 0;
    dropped += jt_window_begin("train/step", &w) == JT_ERR_BUFFER_FULL;
    dropped += jt_window_end(w, nullptr) == JT_ERR_BUFFER_FULL;
  }
  state.counters["dropped"] = static_cast<double>(dropped);
  state.counters["markers"] = static_cast<double>(2 * state.iterations());
}

void BM_BeginEndPairFlood(benchmark::State& state) { tight_pairs(state); }
BENCHMARK(BM_BeginEndPairFlood)->Setup(init_parent_mode)->Teardown(shutdown)->UseRealTime();

// Self mode has no parent to send to: no ring, only the clock and the window table.
void BM_BeginEndPairSelfMode(benchmark::State& state) { tight_pairs(state); }
BENCHMARK(BM_BeginEndPairSelfMode)->Setup(init_self_mode)->Teardown(shutdown)->UseRealTime();
BENCHMARK(BM_BeginEndPairSelfMode)
    ->Setup(init_self_mode)
    ->Teardown(shutdown)
    ->Threads(4)
    ->UseRealTime();

void BM_AddItems(benchmark::State& state) {
  jt_window w = 0;
  jt_window_begin("infer", &w);
  std::uint64_t dropped = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kBatch; ++i) {
      dropped += jt_window_add_items(w, 32) == JT_ERR_BUFFER_FULL;
    }
    const auto stop = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count() / kBatch);
    const timespec pause{0, 100'000};
    ::nanosleep(&pause, nullptr);
  }
  jt_window_end(w, nullptr);
  state.counters["dropped"] = static_cast<double>(dropped);
}
BENCHMARK(BM_AddItems)
    ->Setup(init_parent_mode)
    ->Teardown(shutdown)
    ->UseManualTime()
    ->Iterations(kPacedBatches);

// The flusher's share, off the program's threads: one record formatted (percent-encoded).
void BM_FormatRecord(benchmark::State& state) {
  jt::RawMarker record;
  record.kind = jt::MarkerKind::kItems;
  record.t_ns = 1234567890123;
  record.window_id = 65537;
  record.count = 128;
  const char* name = "train/epoch 3";
  record.name_length = static_cast<std::uint8_t>(std::strlen(name));
  std::memcpy(record.name, name, record.name_length);
  char line[jt::kMaxRecordText];
  for (auto _ : state) {
    benchmark::DoNotOptimize(jt::format_record(record, 4242, line));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_FormatRecord);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  start_parent();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  stop_parent();
  return 0;
}
