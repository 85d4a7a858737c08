// SPDX-License-Identifier: BSD-3-Clause
// The reporters against golden files: the exact summary, JSON and CSV of a few runs built the
// way `run` builds them (summarise_run, find_idle_waste, estimate_from_runtime over hand-made
// timelines). Regenerate after an intended change with
//   JOULETRACE_UPDATE_GOLDEN=1 build/tests/unit_tests --gtest_filter='Golden*'
// and review the diff of tests/golden/ before committing it (tests/golden/README.md). The JSON
// goldens are also validated against schemas/ by tests/schema/validate.py.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ledger/idle_waste.hpp"
#include "ledger/run_analysis.hpp"
#include "ledger/runtime_estimate.hpp"
#include "ledger/window_energy.hpp"
#include "report/reporter.hpp"
#include "report/run_report.hpp"
#include "support/golden_support.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

constexpr std::int64_t kS = 1'000'000'000;

using test::expect_fits;
using test::expect_golden;
using test::golden_path;

ChannelInfo channel(const std::string& id, Domain domain, const std::string& device,
                    Quantity quantity = Quantity::kEnergyCounter) {
  ChannelInfo info;
  info.id = id;
  info.domain = domain;
  info.device = device;
  info.quantity = quantity;
  info.scale = quantity == Quantity::kEnergyCounter ? 1e-6 : 1.0;
  info.update_period_s = quantity == Quantity::kEnergyCounter ? 0.001 : 1.0;
  // As the backends fill it: powercap knows the CPU vendor, NVML the UUID and the power limit.
  const bool nvml = id.starts_with("nvml/");
  const bool powercap = id.starts_with("powercap/");
  info.identity = identity_of(domain, 0,
                              nvml       ? Vendor::kNvidia
                              : powercap ? Vendor::kIntel
                                         : Vendor::kUnknown);
  if (nvml) {
    info.identity.uuid = id.substr(5);
    info.identity.rated_power_w = 700.0;
    info.identity.rated_power_source = "NVML enforced power limit";
  }
  return info;
}

// Constant power from 0 to `seconds`, sampled every `step_s`.
ChannelSeries constant(double watts, double seconds, double step_s, float activity = -1.0F) {
  ChannelSeries s;
  for (double t = 0.0; t <= seconds + 1e-9; t += step_s) {
    s.t_ns.push_back(static_cast<std::int64_t>(t * kS));
    s.energy_j.push_back(watts * t);
    if (activity >= 0.0F) {
      s.activity_t_ns.push_back(static_cast<std::int64_t>(t * kS));
      s.activity_pct.push_back(activity);
    }
  }
  return s;
}

TdpTable rated_powers() {
  auto table = TdpTable::parse(R"({"schema": "jouletrace.rated-power", "version": 1, "devices": [
      {"kind": "cpu", "model": "Xeon Gold 6248", "aliases": [], "rated_power_w": 150,
       "rating": "TDP", "source": "https://example.invalid/6248"},
      {"kind": "gpu", "model": "H100 SXM5 80GB", "aliases": ["NVIDIA H100 80GB HBM3"],
       "rated_power_w": 700, "rating": "max board power",
       "source": "https://example.invalid/h100"}]})",
                               "golden tdp");
  EXPECT_TRUE(table.has_value()) << table.error().message;
  return *table;
}

// A GPU node with a node meter: one GPU works, one idles; two phases and one left open.
RunReport gpu_node_run() {
  const double t = 10.0;
  ChannelInfo pkg = channel("powercap/intel-rapl:0", Domain::kPackage, "package-0");
  pkg.contains = {"powercap/intel-rapl:0:0"};
  ChannelInfo core = channel("powercap/intel-rapl:0:0", Domain::kCore, "package-0 core");
  ChannelInfo busy = channel("nvml/GPU-aaaa1111-2222-3333-4444-555566667777", Domain::kGpu,
                             "NVIDIA H100 80GB HBM3");
  busy.reports_activity = true;
  busy.update_period_s = 0.1;
  busy.calibration_error = 0.05;
  ChannelInfo idle = busy;
  idle.id = "nvml/GPU-bbbb1111-2222-3333-4444-555566667777";
  idle.identity.uuid = idle.id.substr(5);
  idle.identity.index = 1;
  ChannelInfo node =
      channel("redfish/Chassis/1/Power", Domain::kNode, "BMC node meter", Quantity::kAveragePower);
  Timeline timeline =
      test::timeline_of({pkg, core, busy, idle, node},
                        {constant(120, t, 0.1), constant(80, t, 0.1), constant(300, t, 0.1, 95.0F),
                         constant(70, t, 0.1, 0.0F), constant(900, t, 1.0)},
                        0.1);
  timeline.channel_interval_s.back() = 1.0;
  RunReport r;
  r.command = {"python3", "train.py", "--epochs", "2"};
  r.hostname = "gpu-node-07";
  r.started_at = "2026-12-06T12:00:00Z";
  r.start_ns = 0;
  r.interval_s = 0.1;
  r.requested_interval_s = 0.1;
  r.rounds = 100;
  r.slow_meters = 1;
  r.sensors = {{"powercap", ProbeReport::Status::kPresent, "1 zone", ""},
               {"msr", ProbeReport::Status::kNotUsed, "powercap was readable", ""},
               {"nvml", ProbeReport::Status::kPresent, "2 GPUs", ""},
               {"redfish", ProbeReport::Status::kPresent, "chassis 1", ""},
               {"ipmi-dcmi", ProbeReport::Status::kAbsent, "no /dev/ipmi0", "modprobe ipmi_si"}};
  // The analysis `run` makes: phases from the parts inside the node meter, idle waste, the
  // runtime-based estimate over the node's devices, exclusive attribution (no cgroup).
  const TdpTable table = rated_powers();
  RunAnalysisInputs inputs{.start_ns = 0, .end_ns = static_cast<std::int64_t>(t * kS)};
  inputs.inventory.cpu_model = Fact<std::string>::known("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz");
  inputs.inventory.sockets = Fact<int>::known(1);
  inputs.inventory.hostname = Fact<std::string>::known("gpu-node-07");
  inputs.inventory.cores = Fact<int>::known(20);
  inputs.inventory.threads = Fact<int>::known(40);
  inputs.inventory.memory_bytes = Fact<std::uint64_t>::unknown("/proc/meminfo not in the fixture");
  for (const ChannelInfo* gpu : {&busy, &idle}) {
    inputs.inventory.gpus.push_back(
        {gpu->identity.index, gpu->id, gpu->identity.uuid, gpu->device, 700.0, "fake NVML"});
  }
  inputs.tdp = &table;
  // CO2e from a region entry made here (not the shipped file, which may be refreshed).
  CarbonFactors carbon;
  carbon.region = "XT";
  carbon.region_entry = CarbonRegion{
      "XT", "Testland", 380.0, 2023, {"Test", "test data", "https://example.invalid/xt"}, {}};
  carbon.intensity = CarbonFactor{380.0, "XT 2023, Test"};
  inputs.carbon = &carbon;
  inputs.cpu_activity = CpuActivity{2.0, 32};
  inputs.phases = {{"train", 1 * kS, 6 * kS, 6400, 1234, false},
                   {"eval", 6 * kS, 6 * kS + 5'000'000, 0, 1234, false},
                   {"infer", 7 * kS, 10 * kS, 1000, 1234, true}};
  static_cast<RunAnalysis&>(r) = analyse_run(timeline, inputs);
  return r;
}

// A VM or a cluster node without root: no sensor at all, the CPU estimated from CPU time.
RunReport sensorless_run() {
  RunReport r;
  r.command = {"sleep", "1"};
  r.hostname = "laptop";
  r.started_at = "2026-12-06T12:00:00Z";
  r.interval_s = r.requested_interval_s = 0.1;
  r.sensors = {{"powercap", ProbeReport::Status::kPermissionDenied,
                "/sys/class/powercap/intel-rapl:0/energy_uj is readable by root only",
                "run as root, or ask for the jouletrace agent"},
               {"msr", ProbeReport::Status::kAbsent, "no /dev/cpu/0/msr", "modprobe msr"},
               {"hwmon", ProbeReport::Status::kAbsent, "no energy or power channel", ""},
               {"nvml", ProbeReport::Status::kAbsent, "libnvidia-ml.so.1 not found", ""}};
  CpuModel model{0.004, 7.0, "no CPU energy sensor was readable: 7 W per busy core (default)"};
  r.window = summarise_run(Timeline{}, 0, kS, model);
  return r;
}

// A GPU lost after its first reading: unknown, never 0; a package that read fine.
RunReport lost_gpu_run() {
  ChannelInfo pkg = channel("powercap/intel-rapl:0", Domain::kPackage, "package-0");
  ChannelInfo gpu = channel("nvml/GPU-cccc", Domain::kGpu, "NVIDIA A100");
  ChannelSeries one;
  one.t_ns = {0};
  one.energy_j = {5000.0};
  Timeline timeline = test::timeline_of({pkg, gpu}, {constant(100, 2.0, 0.1), one}, 0.1);
  timeline.stats[1].lost = true;
  timeline.stats[1].lost_at_ns = kS / 10;
  timeline.stats[1].unavailable = 19;
  timeline.stats[1].last_error_number = 19;  // ENODEV
  RunReport r;
  r.command = {"./bench"};
  r.hostname = "node";
  r.started_at = "2026-12-06T12:00:00Z";
  r.interval_s = r.requested_interval_s = 0.1;
  r.window = summarise_run(timeline, 0, 2 * kS, std::nullopt);
  return r;
}

TEST(Golden, GpuNodeSummaryJsonAndWidth) {
  const RunReport r = gpu_node_run();
  const std::string text = format_summary(r);
  expect_golden("gpu_node.txt", text);
  EXPECT_EQ(text_reporter({})->render(r), text);  // what `run` prints is the golden
  expect_fits(text);
  expect_golden("gpu_node.json", json_reporter()->render(r));
  SummaryOptions verbose;
  verbose.verbose = true;
  expect_fits(format_summary(r, verbose));
}

TEST(Golden, SensorlessRunSaysItIsAModel) {
  const RunReport r = sensorless_run();
  const std::string text = format_summary(r);
  expect_golden("sensorless.txt", text);
  expect_fits(text);
  expect_golden("sensorless.json", json_reporter()->render(r));
}

TEST(Golden, LostGpuIsUnknownNeverZero) {
  const RunReport r = lost_gpu_run();
  expect_golden("lost_gpu.txt", format_summary(r));
  const auto json = to_json(r);
  expect_golden("lost_gpu.json", json.dump(2) + "\n");
}

TEST(Golden, CommandThatCouldNotStartIsOneLine) {
  RunReport r = sensorless_run();
  r.started = false;
  r.exit_code = 127;
  r.launch_error = "No such file or directory";
  r.command = {"no-such-command"};
  expect_golden("not_started.txt", format_summary(r));
}

TEST(Golden, ManyPhasesBecomeTotalsPerNameWithUncertainty) {
  RunReport r = gpu_node_run();
  const auto base = r.phases;
  r.phases.clear();
  for (int i = 0; i < 30; ++i) r.phases.push_back(base[static_cast<std::size_t>(i % 2)]);
  r.phases[5]
      .energy.total.energy_j.reset();  // one step without a known energy makes its total unknown
  r.phases[5].energy.total.method = Method::kNone;
  r.phases[5].energy_per_item_j.reset();
  r.phase_totals = phase_totals(r.phases, r.carbon_factors);
  const std::string text = format_summary(r);
  expect_golden("many_phases.txt", text);
  expect_fits(text);
}

TEST(Golden, NamesFromOutsideAreMadeSafeForTheTerminal) {
  RunReport r = gpu_node_run();
  r.command = {"sh", "-c", "printf '\x1b[31mred'"};
  r.phases[0].phase.name = "trai\x1b]0;pwned\x07n";
  r.phases[1].phase.name = "\xc3\xa9valuation-\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac-very-long-name";
  r.phases[2].phase.name = "bad\xff\xfeutf8";
  r.phase_totals = phase_totals(r.phases, r.carbon_factors);
  const std::string text = format_summary(r);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x07'), std::string::npos);
  expect_golden("unsafe_names.txt", text);
  expect_fits(text);
}

TEST(Golden, RepeatedRunsShowEachHeadlineAndTheStatistics) {
  std::vector<RunReport> runs;
  for (double watts : {100.0, 104.0, 98.0}) {
    ChannelInfo pkg = channel("powercap/intel-rapl:0", Domain::kPackage, "package-0");
    Timeline timeline = test::timeline_of({pkg}, {constant(watts, 2.0, 0.1)}, 0.1);
    RunReport r;
    r.command = {"./bench"};
    r.started_at = "2026-12-06T12:00:00Z";
    r.window = summarise_run(timeline, 0, 2 * kS, std::nullopt);
    r.power_profile = power_profile(timeline, r.window, r.window.total_cover, 0, 2 * kS);
    r.phases.push_back(phase_report(Phase{"step", kS / 2, kS, 10, 1, false},
                                    measure_window(timeline, {0}, kS / 2, kS)));
    r.phase_totals = phase_totals(r.phases, r.carbon_factors);
    runs.push_back(std::move(r));
  }
  RepeatSummary repeat;
  repeat.requested = 3;
  repeat.runs = runs;
  repeat.duration = {"duration", 3, 2.0, 0.0, 0.0, "clock"};
  repeat.total = {"total", 3, 201.333333, 6.110100927, 0.2, "counter"};
  repeat.components = {{"powercap/intel-rapl:0", 3, 201.333333, 6.110100927, 0.2, "counter"}};
  repeat.phases = {{"step", 3, 50.333333, 1.527525232, 5.1, "counter"}};
  const std::string text = text_reporter({})->render(repeat);
  expect_golden("repeat.txt", text);
  expect_fits(text);
  expect_golden("repeat.json", json_reporter()->render(repeat));
}

TEST(Golden, TimelineCsv) {
  ChannelInfo pkg = channel("powercap/intel-rapl:0", Domain::kPackage, "package-0");
  ChannelInfo node =
      channel("hwmon/power_meter/power1", Domain::kNode, "meter", Quantity::kAveragePower);
  std::string csv = kTimelineCsvHeader;
  csv += format_timeline_rows(pkg, constant(50, 0.3, 0.1), 0, 4, 0);
  csv += format_timeline_rows(node, constant(400, 2.0, 1.0), 0, 3, 0);
  expect_golden("timeline.csv", csv);
  // Rows written in two parts (a stream) are the rows written at once.
  const ChannelSeries s = constant(50, 0.3, 0.1);
  EXPECT_EQ(format_timeline_rows(pkg, s, 0, 2, 0) + format_timeline_rows(pkg, s, 2, 4, 0),
            format_timeline_rows(pkg, s, 0, 4, 0));
}

}  // namespace
}  // namespace jt
