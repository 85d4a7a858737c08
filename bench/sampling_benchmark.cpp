// SPDX-License-Identifier: BSD-3-Clause
// Cost of one sampling round on a fixture node: every channel read (one pread each), unwrapped
// and appended to the timeline. Goal (issue 2): under 10 us for 8 sysfs channels.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/sysfs_file.hpp"
#include "sampler/channel_accumulator.hpp"
#include "sampler/sampler.hpp"
#include "sensors/registry.hpp"

namespace fs = std::filesystem;

namespace {

// The 2-socket fixture (6 RAPL zones and an ACPI power meter) plus one hwmon energy counter:
// 8 sysfs channels, copied to a temp dir like the tests do.
class FixtureNode {
 public:
  FixtureNode() {
    std::string pattern = (fs::temp_directory_path() / "jouletrace-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    root_ = pattern;
    fs::copy(fs::path(JT_FIXTURE_DIR) / "sysfs/intel-2s", root_, fs::copy_options::recursive);
    const fs::path extra = root_ / "class/hwmon/hwmon2";
    fs::create_directories(extra);
    std::ofstream(extra / "name") << "acme_pmbus\n";
    std::ofstream(extra / "energy1_input") << "123456789\n";
  }
  ~FixtureNode() { fs::remove_all(root_); }
  jt::ProbeContext context() const {
    jt::ProbeContext ctx;
    ctx.sysfs_root = root_;
    ctx.dev_root = root_ / "dev";
    ctx.nvml_library = "/nonexistent/libnvidia-ml.so.1";
    return ctx;
  }

 private:
  fs::path root_;
};

void BM_SamplingRound(benchmark::State& state) {
  FixtureNode node;
  auto probe = jt::probe_all(node.context(), jt::local_backends());
  jt::Sampler sampler(std::move(probe.sensors), jt::SamplerOptions{});
  for (auto _ : state) sampler.sample_once();
  state.counters["channels"] = static_cast<double>(sampler.channels().size());
  state.counters["ns_per_channel"] = benchmark::Counter(
      static_cast<double>(sampler.channels().size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SamplingRound)->MinTime(1.0);

// The floor under BM_SamplingRound: the same 8 preads and nothing else.
void BM_RawPreads(benchmark::State& state) {
  FixtureNode node;
  auto probe = jt::probe_all(node.context(), jt::local_backends());
  std::vector<jt::OpenAttribute> files;
  for (const auto& sensor : probe.sensors) {
    for (const auto& c : sensor->channels())
      files.push_back(*jt::OpenAttribute::open(c.provenance));
  }
  for (auto _ : state) {
    for (const auto& f : files) benchmark::DoNotOptimize(f.read_u64());
  }
  state.counters["channels"] = static_cast<double>(files.size());
}
BENCHMARK(BM_RawPreads)->MinTime(1.0);

void BM_AccumulatorUpdate(benchmark::State& state) {
  jt::ChannelInfo info;
  info.scale = 1e-6;
  info.wrap_modulus = 262143328851;
  info.update_period_s = 0.001;
  info.max_power_w = 300;
  jt::ChannelAccumulator acc(info, {});
  std::int64_t t = 0;
  std::uint64_t raw = 1000;
  for (auto _ : state) {
    t += 1'000'000;
    raw = (raw + 50'000) % info.wrap_modulus;
    benchmark::DoNotOptimize(acc.update(jt::Reading{t, 0, raw, jt::Reading::Status::kOk}));
  }
}
BENCHMARK(BM_AccumulatorUpdate);

}  // namespace

BENCHMARK_MAIN();
