// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/attribution.hpp"
#include "support/test_support.hpp"
#include "support/warning_support.hpp"
#include "unit/attribution_test_support.hpp"

namespace jt {
namespace {

const std::vector<std::string> kUuids = {
    "GPU-8932f937-d72c-4106-c12f-20bd9faed9f6", "GPU-8932aaaa-0000-1111-2222-333344445555",
    "GPU-c0ffee00-1234-5678-9abc-def012345678", "GPU-deadbeef-1234-5678-9abc-def012345678"};

ComponentResult component(const std::string& id, Domain domain, int index, double energy_j) {
  return test::measured_component(id, domain, index, energy_j);
}

// A 2-socket node with 4 GPUs: GPUs 1000 J each, packages 400 J, DRAM 100 J: 5000 J in all.
WindowResult four_gpu_node() {
  WindowResult w;
  w.duration_s = 10.0;
  for (int i = 0; i < 4; ++i) {
    w.components.push_back(
        component("nvml/" + kUuids[static_cast<std::size_t>(i)], Domain::kGpu, i, 1000.0));
  }
  for (int s = 0; s < 2; ++s) {
    w.components.push_back(
        component("powercap/intel-rapl:" + std::to_string(s), Domain::kPackage, s, 400.0));
    w.components.push_back(
        component("powercap/intel-rapl:" + std::to_string(s) + ":0", Domain::kDram, s, 100.0));
  }
  double total = 0.0;
  for (const auto& c : w.components) total += c.measured.energy_j.value();
  w.total.energy_j = total;
  return w;
}

// The same node under a whole-node meter reading 6000 J: 1000 J are the rest of the node.
WindowResult four_gpu_node_with_meter(bool with_coverage) {
  WindowResult w = four_gpu_node();
  NodeCoverage coverage;
  coverage.node_meter_id = "redfish/chassis-1";
  coverage.node.energy_j = 6000.0;
  double parts_j = 0.0;
  for (auto& c : w.components) {
    c.in_total = false;
    c.contained_in = coverage.node_meter_id;
    coverage.part_ids.push_back(c.id);
    parts_j += c.measured.energy_j.value();
  }
  coverage.parts.energy_j = parts_j;
  coverage.rest.energy_j = 6000.0 - parts_j;
  coverage.coverage = parts_j / 6000.0;
  w.components.push_back(component(coverage.node_meter_id, Domain::kNode, 0, 6000.0));
  w.total.energy_j = 6000.0;
  if (with_coverage) w.coverage = coverage;
  return w;
}

void add_baselines(WindowResult& w, double idle_j_package, double idle_j_dram) {
  for (auto& c : w.components) {
    if (c.domain != Domain::kPackage && c.domain != Domain::kDram) continue;
    const double idle = c.domain == Domain::kPackage ? idle_j_package : idle_j_dram;
    c.idle_power_w = idle / w.duration_s;
    c.idle = test::figure(idle, 0.0, Method::kModel);
    c.dynamic = test::figure(c.measured.energy_j.value() - idle, 0.0, Method::kMixed);
  }
}

CgroupUsage usage(double job_s, double node_s, int allocated, int online) {
  CgroupUsage u;
  u.cgroup_path = "/slurm/job_42";
  u.job_cpu_s = job_s;
  u.node_busy_cpu_s = node_s;
  u.allocated_cpus = allocated;
  u.online_cpus = online;
  return u;
}

// The case: 2 of 4 GPUs, 25 % of the CPU time, 8 of 32 CPUs.
AttributionInputs shared_job(AttributionMode mode = AttributionMode::kAuto) {
  AttributionInputs in;
  in.mode = mode;
  in.gpus = {parse_cuda_visible_devices("0,1")};
  in.cpu = usage(120.0, 480.0, 8, 32);
  return in;
}

const ComponentAttribution& row(const Attribution& a, const std::string& id) {
  for (const auto& c : a.components) {
    if (c.id == id) return c;
  }
  ADD_FAILURE() << "no row " << id;
  static const ComponentAttribution kNone;
  return kNone;
}

// The warning with this code about `subject`, or a failed assertion listing what there is.
const Warning& warning_of(const Attribution& a, std::string_view code, std::string_view subject) {
  const Warning* w = test::find_warning(a.warnings, code, subject);
  if (w == nullptr)
    ADD_FAILURE() << "no " << code << " about " << subject << " in\n" << test::codes_of(a.warnings);
  static const Warning kNone;
  return w != nullptr ? *w : kNone;
}

constexpr const char* kCuda = "CUDA_VISIBLE_DEVICES";

void expect_reconciles(const Attribution& a, const WindowResult& w) {
  double measured = 0.0;
  double attributed = 0.0;
  for (const auto& c : a.components) {
    measured += c.measured.energy_j.value();
    attributed += c.attributed.energy_j.value();
  }
  EXPECT_NEAR(a.measured_total.energy_j.value(), measured, 1e-9);
  EXPECT_NEAR(a.attributed_total.energy_j.value(), attributed, 1e-9);
  EXPECT_NEAR(a.attributed_total.energy_j.value() + a.unattributed.energy_j.value(),
              w.total.energy_j.value(), 1e-9);
  EXPECT_NEAR(a.measured_total.energy_j.value(), w.total.energy_j.value(), 1e-9);
}

TEST(CudaVisibleDevices, UnsetMeansAllEmptyMeansNone) {
  EXPECT_TRUE(parse_cuda_visible_devices(std::nullopt).all);
  const auto none = parse_cuda_visible_devices("");
  EXPECT_FALSE(none.all);
  EXPECT_TRUE(none.selected.empty());
  EXPECT_TRUE(none.warnings.empty());
}

TEST(CudaVisibleDevices, IndicesUuidsAndMig) {
  const auto v = parse_cuda_visible_devices(
      " 2 ,GPU-8932f937,MIG-GPU-c0ffee00-1234-5678-9abc-def012345678/1/0,"
      "MIG-d9a47cfb-d1f2-d08c-b40e-0812b597ae69");
  ASSERT_EQ(v.selected.size(), 4u);
  EXPECT_TRUE(v.warnings.empty());
  EXPECT_EQ(v.selected[0].kind, GpuSelector::Kind::kIndex);
  EXPECT_EQ(v.selected[0].index, 2);
  EXPECT_EQ(v.selected[1].kind, GpuSelector::Kind::kUuid);
  EXPECT_EQ(v.selected[1].id, "GPU-8932f937");
  EXPECT_EQ(v.selected[2].kind, GpuSelector::Kind::kMig);
  EXPECT_EQ(v.selected[2].parent, "GPU-c0ffee00-1234-5678-9abc-def012345678");
  EXPECT_EQ(v.selected[3].kind, GpuSelector::Kind::kMig);
  EXPECT_TRUE(v.selected[3].parent.empty());
}

TEST(CudaVisibleDevices, AnInvalidEntryHidesTheRestAsCudaDoes) {
  // CUDA's own example: 0,2,-1,1 makes 0 and 2 visible and 1 invisible.
  const auto v = parse_cuda_visible_devices("0,2,-1,1");
  ASSERT_EQ(v.selected.size(), 2u);
  EXPECT_EQ(v.selected[0].index, 0);
  EXPECT_EQ(v.selected[1].index, 2);
  ASSERT_EQ(v.warnings.size(), 1u);
  EXPECT_EQ(v.warnings[0], (Warning{"visibility-entry-invalid", kCuda, {}, {{"entry", "-1"}}}));

  for (const char* bad : {"abc", "GPU-xyz", "1,,2", "99999999999", "MIG-", "MIG-GPU-zz/1/0"}) {
    const auto w = parse_cuda_visible_devices(bad);
    EXPECT_FALSE(w.all) << bad;
    EXPECT_EQ(w.warnings.size(), 1u) << bad;
  }
  EXPECT_EQ(parse_cuda_visible_devices("1,,2").selected.size(), 1u);
}

TEST(AttributionMode, Names) {
  for (auto mode :
       {AttributionMode::kExclusive, AttributionMode::kShared, AttributionMode::kAuto}) {
    EXPECT_EQ(attribution_mode_from_string(to_string(mode)), mode);
  }
  EXPECT_FALSE(attribution_mode_from_string("partial"));
}

TEST(Attribution, SharedTwoOfFourGpusWithoutBaselines) {
  const WindowResult w = four_gpu_node();
  auto a = attribute_energy(w, shared_job());
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->mode, AttributionMode::kShared);
  EXPECT_NE(a->mode_reason.find("8 of 32"), std::string::npos) << a->mode_reason;
  EXPECT_NE(a->mode_reason.find("2 of 4"), std::string::npos) << a->mode_reason;
  ASSERT_TRUE(a->shares.cpu_time_share && a->shares.core_share);
  EXPECT_DOUBLE_EQ(*a->shares.cpu_time_share, 0.25);
  EXPECT_DOUBLE_EQ(*a->shares.core_share, 0.25);
  ASSERT_EQ(a->shares.gpus.size(), 4u);
  EXPECT_EQ(a->shares.gpus[0].share, 1.0);
  EXPECT_EQ(a->shares.gpus[1].share, 1.0);
  EXPECT_EQ(a->shares.gpus[2].share, 0.0);
  EXPECT_EQ(a->shares.gpus[3].share, 0.0);

  EXPECT_DOUBLE_EQ(row(*a, "nvml/" + kUuids[0]).attributed.energy_j.value(), 1000.0);
  EXPECT_EQ(row(*a, "nvml/" + kUuids[0]).rule, "owned GPU: 100 %");
  EXPECT_DOUBLE_EQ(row(*a, "nvml/" + kUuids[2]).attributed.energy_j.value(), 0.0);
  EXPECT_DOUBLE_EQ(row(*a, "powercap/intel-rapl:0").attributed.energy_j.value(), 100.0);
  EXPECT_NE(row(*a, "powercap/intel-rapl:0").rule.find("no idle baseline"), std::string::npos);
  EXPECT_DOUBLE_EQ(row(*a, "powercap/intel-rapl:1:0").attributed.energy_j.value(), 25.0);
  EXPECT_NE(row(*a, "powercap/intel-rapl:1:0").rule.find("approximation"), std::string::npos);

  // 2 GPUs + 25 % of 800 J of packages + 25 % of 200 J of DRAM.
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 2000.0 + 200.0 + 50.0);
  EXPECT_DOUBLE_EQ(a->unattributed.energy_j.value(), 5000.0 - 2250.0);
  expect_reconciles(*a, w);
  EXPECT_TRUE(a->warnings.empty()) << test::codes_of(a->warnings);
  EXPECT_NE(a->policy.find("ownership"), std::string::npos);
}

TEST(Attribution, BaselineSplitsDynamicByCpuTimeAndIdleByCpus) {
  WindowResult w = four_gpu_node();
  add_baselines(w, 300.0, 80.0);
  AttributionInputs in = shared_job();
  in.cpu = usage(288.0, 480.0, 8, 32);  // 60 % of the CPU time on 25 % of the CPUs
  auto a = attribute_energy(w, in);
  ASSERT_TRUE(a) << a.error().message;
  // Package: dynamic 100 J x 60 % + idle 300 J x 25 %; DRAM: 20 J x 60 % + 80 J x 25 %.
  EXPECT_DOUBLE_EQ(row(*a, "powercap/intel-rapl:0").attributed.energy_j.value(), 60.0 + 75.0);
  EXPECT_DOUBLE_EQ(row(*a, "powercap/intel-rapl:1:0").attributed.energy_j.value(), 12.0 + 20.0);
  EXPECT_NE(row(*a, "powercap/intel-rapl:0").rule.find("idle"), std::string::npos);
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 2000.0 + 2 * 135.0 + 2 * 32.0);
  expect_reconciles(*a, w);
}

TEST(Attribution, NodeMeterRestIsAllocatedOverhead) {
  const WindowResult w = four_gpu_node_with_meter(true);
  auto a = attribute_energy(w, shared_job());
  ASSERT_TRUE(a) << a.error().message;
  const auto& rest = row(*a, "rest-of-node");
  EXPECT_DOUBLE_EQ(rest.measured.energy_j.value(), 1000.0);
  EXPECT_DOUBLE_EQ(rest.attributed.energy_j.value(), 250.0);
  EXPECT_NE(rest.rule.find("allocated overhead"), std::string::npos);
  EXPECT_EQ(a->components.size(), 9u);  // 8 parts and the rest, never the meter itself
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 2250.0 + 250.0);
  EXPECT_DOUBLE_EQ(a->measured_total.energy_j.value(), 6000.0);
  expect_reconciles(*a, w);
}

TEST(Attribution, NodeMeterWithoutLedgerCoverageIsBrokenDownAlike) {
  const WindowResult w = four_gpu_node_with_meter(false);
  auto a = attribute_energy(w, shared_job());
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_DOUBLE_EQ(row(*a, "rest-of-node").measured.energy_j.value(), 1000.0);
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 2500.0);
  expect_reconciles(*a, w);
}

TEST(Attribution, PartsAboveTheNodeMeterChargeNoOverhead) {
  WindowResult w = four_gpu_node_with_meter(true);
  w.coverage->node.energy_j = 4900.0;
  w.coverage->rest.energy_j = -100.0;
  w.total.energy_j = 4900.0;
  auto a = attribute_energy(w, shared_job());
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_DOUBLE_EQ(row(*a, "rest-of-node").attributed.energy_j.value(), 0.0);
  // The parts read 5000 J under a meter set to 4900 J.
  EXPECT_EQ(figure(warning_of(*a, "overhead-negative", "rest-of-node"), "excess_j"), 100.0);
  expect_reconciles(*a, w);
}

TEST(Attribution, ReconcilesAcrossConfigurations) {
  for (bool baseline : {false, true}) {
    for (int meter = 0; meter < 3; ++meter) {
      for (auto mode :
           {AttributionMode::kAuto, AttributionMode::kExclusive, AttributionMode::kShared}) {
        for (const char* visible : {"0,1", "", "3", "GPU-c0ffee00"}) {
          WindowResult w = meter == 0 ? four_gpu_node() : four_gpu_node_with_meter(meter == 1);
          if (baseline) add_baselines(w, 350.0, 95.0);
          AttributionInputs in = shared_job(mode);
          in.gpus = {parse_cuda_visible_devices(visible)};
          auto a = attribute_energy(w, in);
          ASSERT_TRUE(a) << a.error().message;
          SCOPED_TRACE(std::string(visible) + " meter " + std::to_string(meter));
          expect_reconciles(*a, w);
          EXPECT_GE(a->unattributed.energy_j.value(), -1e-9);
          for (const auto& c : a->components) {
            EXPECT_GE(c.attributed.energy_j.value(), 0.0) << c.id;
            EXPECT_LE(c.attributed.energy_j.value(),
                      std::max(0.0, c.measured.energy_j.value()) + 1e-9)
                << c.id;
          }
        }
      }
    }
  }
}

TEST(Attribution, ExclusiveAttributesEverythingAndSaysSo) {
  const WindowResult w = four_gpu_node_with_meter(true);
  auto a = attribute_energy(w, shared_job(AttributionMode::kExclusive));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->mode, AttributionMode::kExclusive);
  EXPECT_EQ(a->mode_reason, "requested");
  EXPECT_NE(a->policy.find("Slurm"), std::string::npos);
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 6000.0);
  EXPECT_DOUBLE_EQ(a->unattributed.energy_j.value(), 0.0);
  EXPECT_DOUBLE_EQ(*a->shares.cpu_time_share, 1.0);
  for (const auto& g : a->shares.gpus) EXPECT_EQ(g.share, 1.0);
  // The inputs say the node is shared: charging the job for everything gets a warning.
  const Warning expected{"exclusive-but-shared",
                         "attribution",
                         {{"cpus_allowed", 8.0},
                          {"cpus_online", 32.0},
                          {"gpus_owned:CUDA_VISIBLE_DEVICES", 2.0},
                          {"gpus_measured:CUDA_VISIBLE_DEVICES", 4.0}},
                         {{"gpu_variables", kCuda}}};
  EXPECT_EQ(warning_of(*a, "exclusive-but-shared", "attribution"), expected);
  ASSERT_TRUE(a->shares.cpu);
  EXPECT_DOUBLE_EQ(a->shares.cpu->job_cpu_s, 120.0);
}

TEST(Attribution, AutoIsExclusiveWhenTheJobHoldsTheWholeNode) {
  AttributionInputs in;
  in.gpus = {parse_cuda_visible_devices(std::nullopt)};
  in.cpu = usage(120.0, 480.0, 32, 32);
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->mode, AttributionMode::kExclusive);
  EXPECT_NE(a->mode_reason.find("auto"), std::string::npos);
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 5000.0);
  EXPECT_TRUE(a->warnings.empty());

  in.gpus = {parse_cuda_visible_devices("3,2,1,0")};  // every GPU, in another order
  a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mode, AttributionMode::kExclusive);
}

TEST(Attribution, AutoIsSharedOnCpusAlone) {
  AttributionInputs in;
  in.gpus = {parse_cuda_visible_devices(std::nullopt)};
  in.cpu = usage(120.0, 480.0, 8, 32);
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mode, AttributionMode::kShared);
  EXPECT_NE(a->mode_reason.find("8 of 32"), std::string::npos);
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 4000.0 + 250.0);
}

TEST(Attribution, AutoIsSharedOnHiddenGpusAlone) {
  AttributionInputs in;
  in.gpus = {parse_cuda_visible_devices("2")};
  in.cpu = usage(480.0, 480.0, 32, 32);
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mode, AttributionMode::kShared);
  EXPECT_NE(a->mode_reason.find("1 of 4"), std::string::npos) << a->mode_reason;
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 1000.0 + 1000.0);
}

TEST(Attribution, AutoWithoutCpuDataDecidesOnGpusAndWarns) {
  AttributionInputs in;
  in.gpus = {parse_cuda_visible_devices(std::nullopt)};
  in.cpu_unavailable_reason = "cgroup v1 only";
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mode, AttributionMode::kExclusive);
  EXPECT_EQ(detail(warning_of(*a, "cpu-sharing-unknown", "attribution"), "reason"),
            "cgroup v1 only");
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 5000.0);
}

TEST(Attribution, SharedWithoutCpuDataLeavesTheCpuSideUnattributed) {
  AttributionInputs in = shared_job();
  in.cpu.reset();
  in.cpu_unavailable_reason = "no cgroup v2";
  auto a = attribute_energy(four_gpu_node_with_meter(true), in);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mode, AttributionMode::kShared);
  EXPECT_FALSE(a->shares.cpu_time_share);
  EXPECT_DOUBLE_EQ(a->attributed_total.energy_j.value(), 2000.0);
  EXPECT_DOUBLE_EQ(row(*a, "powercap/intel-rapl:0").attributed.energy_j.value(), 0.0);
  EXPECT_NE(row(*a, "powercap/intel-rapl:0").rule.find("unknown"), std::string::npos);
  EXPECT_EQ(detail(warning_of(*a, "cpu-time-unknown", "attribution"), "reason"), "no cgroup v2");
}

TEST(Attribution, DisagreeingInputsAreClampedWithWarnings) {
  AttributionInputs in = shared_job();
  in.cpu = usage(600.0, 480.0, 40, 32);
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(*a->shares.cpu_time_share, 1.0);
  EXPECT_DOUBLE_EQ(*a->shares.core_share, 1.0);
  const auto& time = warning_of(*a, "cpu-time-over-node", "attribution");
  EXPECT_EQ(time.figures,
            (std::map<std::string, double>{{"job_cpu_s", 600.0}, {"node_busy_cpu_s", 480.0}}));
  const auto& cpus = warning_of(*a, "cpus-over-online", "attribution");
  EXPECT_EQ(cpus.figures,
            (std::map<std::string, double>{{"allocated_cpus", 40.0}, {"online_cpus", 32.0}}));
}

TEST(Attribution, NoBusyTimeFallsBackToTheCpuShare) {
  AttributionInputs in = shared_job();
  in.cpu = usage(0.0, 0.0, 8, 32);
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(*a->shares.cpu_time_share, 0.25);
  warning_of(*a, "no-busy-cpu-time", "attribution");

  in.cpu = usage(2.0, 0.0, 8, 32);
  a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(*a->shares.cpu_time_share, 1.0);
  EXPECT_EQ(figure(warning_of(*a, "node-busy-time-missing", "attribution"), "job_cpu_s"), 2.0);
}

TEST(Attribution, ImpossibleInputsAreErrors) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& bad : {usage(-1.0, 480.0, 8, 32), usage(nan, 480.0, 8, 32),
                          usage(1.0, std::numeric_limits<double>::infinity(), 8, 32),
                          usage(1.0, 480.0, 8, 0), usage(1.0, 480.0, 0, 32)}) {
    AttributionInputs in = shared_job();
    in.cpu = bad;
    auto a = attribute_energy(four_gpu_node(), in);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::kInvalidData);
  }
}

TEST(Attribution, GpusByUuidPrefix) {
  AttributionInputs in = shared_job();
  in.gpus = {parse_cuda_visible_devices("GPU-c0ffee00,GPU-DEADBEEF-1234-5678-9abc-def012345678")};
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->shares.gpus[2].share, 1.0);
  EXPECT_EQ(a->shares.gpus[3].share, 1.0);
  EXPECT_EQ(a->shares.gpus[2].matched_by, "GPU-c0ffee00");
  EXPECT_EQ(a->shares.gpus[0].share, 0.0);
  EXPECT_TRUE(a->warnings.empty());
}

TEST(Attribution, AmbiguousOrUnknownGpusAreWarnedAndNotCharged) {
  AttributionInputs in = shared_job();
  in.gpus = {parse_cuda_visible_devices("GPU-8932,7,GPU-ffff")};
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  for (const auto& g : a->shares.gpus) EXPECT_EQ(g.share, 0.0) << g.id;
  // GPU-8932 prefixes the UUIDs of GPUs 0 and 1; there is no GPU 7 and no GPU-ffff.
  const auto& ambiguous = warning_of(*a, "visibility-uuid-ambiguous", kCuda);
  EXPECT_EQ(detail(ambiguous, "entry"), "GPU-8932");
  EXPECT_EQ(figure(ambiguous, "matches"), 2.0);
  EXPECT_EQ(figure(warning_of(*a, "visibility-index-unmatched", kCuda), "index"), 7.0);
  const auto& unmatched = warning_of(*a, "visibility-uuid-unmatched", kCuda);
  EXPECT_EQ(detail(unmatched, "entry"), "GPU-ffff");
  EXPECT_EQ(figure(unmatched, "gpus_without_uuid"), 0.0);
}

TEST(Attribution, GpusWithoutUuidsMatchByIndex) {
  WindowResult w = four_gpu_node();
  for (int i = 0; i < 4; ++i) {
    auto& gpu = w.components[static_cast<std::size_t>(i)];
    gpu.id = "nvml/index-" + std::to_string(i);
    gpu.identity.uuid.clear();  // a driver without nvmlDeviceGetUUID
  }
  AttributionInputs in = shared_job();
  in.gpus = {parse_cuda_visible_devices("1,GPU-8932f937")};
  auto a = attribute_energy(w, in);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->shares.gpus[1].share, 1.0);
  const auto& unmatched = warning_of(*a, "visibility-uuid-unmatched", kCuda);
  EXPECT_EQ(detail(unmatched, "entry"), "GPU-8932f937");
  EXPECT_EQ(figure(unmatched, "gpus_without_uuid"), 4.0);  // every GPU lost its UUID above
}

TEST(Attribution, MigSlicesAreALabelledModel) {
  AttributionInputs in = shared_job();
  in.gpus = {parse_cuda_visible_devices("MIG-GPU-c0ffee00-1234-5678-9abc-def012345678/1/0")};
  in.mig_slices.push_back(
      MigSlice{"MIG-GPU-c0ffee00-1234-5678-9abc-def012345678/1/0", "", 3.0 / 7.0});
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a) << a.error().message;
  const auto& gpu = row(*a, "nvml/" + kUuids[2]);
  EXPECT_NEAR(gpu.attributed.energy_j.value(), 1000.0 * 3.0 / 7.0, 1e-9);
  EXPECT_TRUE(gpu.modelled);
  EXPECT_NE(gpu.rule.find("model"), std::string::npos);
  EXPECT_TRUE(a->shares.gpus[2].modelled);

  // The newer MIG-<uuid> form names no parent: the caller must supply it.
  in.gpus = {parse_cuda_visible_devices("MIG-d9a47cfb-d1f2-d08c-b40e-0812b597ae69")};
  in.mig_slices = {MigSlice{"MIG-d9a47cfb-d1f2-d08c-b40e-0812b597ae69", kUuids[3], 1.0 / 7.0}};
  a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_NEAR(row(*a, "nvml/" + kUuids[3]).attributed.energy_j.value(), 1000.0 / 7.0, 1e-9);
}

TEST(Attribution, MigWithoutSizeOrParentIsNotChargedAndSaysWhy) {
  AttributionInputs in = shared_job();
  in.gpus = {parse_cuda_visible_devices(
      "MIG-GPU-c0ffee00-1234-5678-9abc-def012345678/1/0,MIG-d9a47cfb-d1f2-d08c-b40e-0812b597ae69")};
  auto a = attribute_energy(four_gpu_node(), in);
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(row(*a, "nvml/" + kUuids[2]).attributed.energy_j.value(), 0.0);
  EXPECT_EQ(
      detail(warning_of(*a, "mig-size-unknown", "MIG-GPU-c0ffee00-1234-5678-9abc-def012345678/1/0"),
             "parent"),
      "GPU-c0ffee00-1234-5678-9abc-def012345678");
  warning_of(*a, "mig-parent-unknown", "MIG-d9a47cfb-d1f2-d08c-b40e-0812b597ae69");
}

TEST(Attribution, CpuModelEstimateIsTheJobsOwn) {
  WindowResult w;
  w.duration_s = 10.0;
  w.components.push_back(component("nvml/" + kUuids[0], Domain::kGpu, 0, 1000.0));
  ComponentResult model = component("model/cpu", Domain::kPackage, 0, 70.0);
  model.measured.method = Method::kModel;
  model.measured.samples = 0;
  w.components.push_back(model);
  w.cpu_model = CpuModel{10.0, 7.0, "7 W per busy core"};
  w.total.energy_j = 1070.0;
  auto a = attribute_energy(w, shared_job());
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(row(*a, "model/cpu").attributed.energy_j.value(), 70.0);
  EXPECT_NE(row(*a, "model/cpu").rule.find("own CPU time"), std::string::npos);
  expect_reconciles(*a, w);
}

TEST(Attribution, BaselineAboveTheMeasuredEnergyIsClamped) {
  WindowResult w = four_gpu_node();
  add_baselines(w, 1000.0, 100.0);  // idle 1000 J on a package that measured 400 J
  AttributionInputs in = shared_job();
  in.cpu = usage(480.0, 480.0, 1, 32);
  auto a = attribute_energy(w, in);
  ASSERT_TRUE(a);
  // dynamic -600 J x 100 % + idle 1000 J x 1/32 < 0: clamped to nothing.
  EXPECT_DOUBLE_EQ(row(*a, "powercap/intel-rapl:0").attributed.energy_j.value(), 0.0);
  // -600 J dynamic x 100 % + 1000 J idle x 1/32 of the 400 J the package measured.
  EXPECT_EQ(warning_of(*a, "split-clamped", "powercap/intel-rapl:0").figures,
            (std::map<std::string, double>{{"charged_j", -568.75}, {"energy_j", 400.0}}));
  expect_reconciles(*a, w);
}

TEST(Attribution, NothingMeasuredIsSaid) {
  auto a = attribute_energy(WindowResult{}, shared_job());
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->components.empty());
  warning_of(*a, "nothing-to-attribute", "attribution");
}

// GPUs are told apart by their typed identity: a CUDA mask says nothing about a GPU of another
// vendor, and a UUID is matched against the backend's UUID, whatever the channel is called.
TEST(Attribution, CudaVisibleDevicesNeverHidesAnotherVendorsGpu) {
  WindowResult w = four_gpu_node();
  ComponentResult amd = component("amdgpu/card0", Domain::kGpu, 0, 800.0);
  amd.identity.vendor = Vendor::kAmd;
  w.components.push_back(amd);
  w.total.energy_j = *w.total.energy_j + 800.0;
  AttributionInputs in = shared_job();
  in.gpus = {parse_cuda_visible_devices("0")};
  auto a = attribute_energy(w, in);
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(row(*a, "nvml/" + kUuids[0]).attributed.energy_j.value(), 1000.0);
  EXPECT_DOUBLE_EQ(row(*a, "nvml/" + kUuids[1]).attributed.energy_j.value(), 0.0);
  EXPECT_DOUBLE_EQ(row(*a, "amdgpu/card0").attributed.energy_j.value(), 800.0);
  const auto owned =
      std::ranges::find(a->shares.gpus, std::string("amdgpu/card0"), &GpuOwnership::id);
  ASSERT_NE(owned, a->shares.gpus.end());
  EXPECT_EQ(owned->matched_by, "no visibility variable is read for amd GPUs");
}

TEST(Attribution, UuidsMatchTheBackendsIdentityNotTheChannelName) {
  WindowResult w = four_gpu_node();
  for (int i = 0; i < 4; ++i) {
    w.components[static_cast<std::size_t>(i)].id = "gpu-" + std::to_string(i);
  }
  AttributionInputs in = shared_job();
  in.gpus = {parse_cuda_visible_devices(kUuids[3])};
  auto a = attribute_energy(w, in);
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(row(*a, "gpu-3").attributed.energy_j.value(), 1000.0);
  EXPECT_DOUBLE_EQ(row(*a, "gpu-0").attributed.energy_j.value(), 0.0);
}

TEST(VisibleDevices, EachVendorsVariableIsReadFromTheEnvironment) {
  const auto set = read_visible_devices([](const char* name) -> const char* {
    return std::string_view(name) == "CUDA_VISIBLE_DEVICES" ? "2,GPU-abc" : nullptr;
  });
  // One visibility per vendor: NVIDIA, AMD (ROCR and HIP together), Intel.
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set[0].vendor, Vendor::kNvidia);
  EXPECT_FALSE(set[0].all);
  ASSERT_EQ(set[0].selected.size(), 2u);
  EXPECT_EQ(set[0].selected[0].index, 2);
  EXPECT_EQ(set[0].selected[1].id, "GPU-abc");
  EXPECT_EQ(set[1].vendor, Vendor::kAmd);
  EXPECT_TRUE(set[1].all);
  EXPECT_EQ(set[2].vendor, Vendor::kIntel);
  EXPECT_TRUE(set[2].all);
  const auto unset = read_visible_devices([](const char*) -> const char* { return nullptr; });
  ASSERT_EQ(unset.size(), 3u);
  for (const auto& v : unset) EXPECT_TRUE(v.all);
}

TEST(VisibleDevices, RocrTakesIndicesAndUniqueIdsButNoMig) {
  const auto v = parse_rocr_visible_devices("1,GPU-00000000001a2b3c,MIG-x,0");
  EXPECT_EQ(v.vendor, Vendor::kAmd);
  ASSERT_EQ(v.selected.size(), 2u);  // MIG- is not ROCm's: it hides itself and what follows
  EXPECT_EQ(v.selected[0].index, 1);
  EXPECT_EQ(v.selected[1].id, "GPU-00000000001a2b3c");
  ASSERT_EQ(v.warnings.size(), 1u);
  EXPECT_EQ(v.warnings[0].code, "visibility-entry-invalid");
}

TEST(VisibleDevices, HipIndicesNumberTheGpusRocrLeftVisible) {
  const auto set = read_visible_devices([](const char* name) -> const char* {
    if (std::string_view(name) == "ROCR_VISIBLE_DEVICES") return "4,6,7";
    if (std::string_view(name) == "HIP_VISIBLE_DEVICES") return "2,0";
    return nullptr;
  });
  ASSERT_EQ(set.size(), 3u);
  const auto& amd = set[1];
  EXPECT_EQ(amd.vendor, Vendor::kAmd);
  ASSERT_EQ(amd.selected.size(), 2u);
  EXPECT_EQ(amd.selected[0].index, 7);
  EXPECT_EQ(amd.selected[1].index, 4);
}

TEST(VisibleDevices, HipAloneNarrowsAmdGpus) {
  const auto set = read_visible_devices([](const char* name) -> const char* {
    return std::string_view(name) == "HIP_VISIBLE_DEVICES" ? "1" : nullptr;
  });
  ASSERT_EQ(set[1].selected.size(), 1u);
  EXPECT_EQ(set[1].selected[0].index, 1);
  EXPECT_FALSE(set[1].all);
}

TEST(VisibleDevices, ZeAffinityMaskTakesDevicesAndTilesOfThem) {
  const auto v = parse_ze_affinity_mask("0.1,3,x");
  EXPECT_EQ(v.vendor, Vendor::kIntel);
  ASSERT_EQ(v.selected.size(), 2u);
  EXPECT_EQ(v.selected[0].index, 0);  // tile 1 of device 0: charged as device 0
  EXPECT_EQ(v.selected[1].index, 3);
  EXPECT_EQ(v.warnings.size(), 1u);
}

}  // namespace
}  // namespace jt
