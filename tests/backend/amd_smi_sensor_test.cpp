// SPDX-License-Identifier: BSD-3-Clause
// AMD SMI backend through the production loader, against the in-tree fake libamd_smi.so
// (tests/fakes/fake_amd_smi.cpp documents its configuration).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "backend/gpu_fake_machine.hpp"
#include "sensors/backends.hpp"
#include "sensors/registry.hpp"

namespace {

using jt::ProbeReport;
using jt::Reading;
using jt::test::count_reports;
using jt::test::read_all;
using jt::test::steady_s;

jt::test::FakeGpuMachine machine(const std::string& config) {
  return {"JT_FAKE_AMD_SMI_CONFIG", "JOULETRACE_AMD_SMI_LIBRARY", config};
}

jt::ProbeOutcome probe(const std::string& library = JT_FAKE_AMD_SMI) {
  jt::ProbeContext context;
  context.amd_smi_library = library;
  return jt::probe_amd_smi(context);
}

}  // namespace

TEST(AmdSmiSensor, LibraryNotFoundIsAbsentAndSaysRocmSmiIsTried) {
  const auto outcome = probe("/nonexistent/libamd_smi.so");
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_NE(outcome.reports[0].hint.find("--amd-smi-library"), std::string::npos);
  EXPECT_NE(outcome.reports[0].hint.find("ROCm SMI"), std::string::npos);
}

TEST(AmdSmiSensor, EnergyCounterWithIdentityGivesTheConfiguredPower) {
  const auto fake = machine(
      "gpu name=AMD_Instinct_MI300X uuid=4cff74a1-0000-1000-80e1-2f3b5c1e0c6d pci=0000:c1:00.0 "
      "power_w=750 resolution_uj=15.3 cap_w=750 busy=60\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  auto& sensor = *outcome.sensors[0];
  const auto& info = sensor.channels()[0];
  EXPECT_EQ(sensor.backend(), "amd_smi");
  EXPECT_EQ(info.id, "amd_smi/4cff74a1-0000-1000-80e1-2f3b5c1e0c6d");
  EXPECT_EQ(info.device, "AMD Instinct MI300X");
  EXPECT_EQ(info.identity.vendor, jt::Vendor::kAmd);
  EXPECT_EQ(info.identity.bus_id, "0000:c1:00.0");
  ASSERT_TRUE(info.identity.rated_power_w.has_value());
  EXPECT_DOUBLE_EQ(*info.identity.rated_power_w, 750.0);
  EXPECT_EQ(info.identity.rated_power_source, "AMD SMI power cap");
  EXPECT_TRUE(info.reports_activity);
  const double t0 = steady_s();
  const auto first = read_all(sensor);
  const double t1 = steady_s();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const double t2 = steady_s();
  const auto second = read_all(sensor);
  const double t3 = steady_s();
  ASSERT_EQ(second[0].status, Reading::Status::kOk);
  EXPECT_FLOAT_EQ(second[0].activity_pct, 60.0F);
  const double joules = static_cast<double>(second[0].raw - first[0].raw) * info.scale;
  EXPECT_GE(joules, 750.0 * (t2 - t1) - 2 * 15.3e-6);
  EXPECT_LE(joules, 750.0 * (t3 - t0) + 2 * 15.3e-6);
}

TEST(AmdSmiSensor, GpuWithoutTheCounterIsLeftToRocmSmiAndALostOneStaysLost) {
  const auto fake = machine("gpu uuid=a energy=0\ngpu uuid=b lost_after_reads=2\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  ASSERT_EQ(outcome.sensors[0]->channels().size(), 1u);
  EXPECT_EQ(outcome.sensors[0]->channels()[0].id, "amd_smi/b");
  EXPECT_EQ(count_reports(outcome, ProbeReport::Status::kNotUsed), 1);
  auto& sensor = *outcome.sensors[0];
  EXPECT_EQ(read_all(sensor)[0].status, Reading::Status::kOk);
  EXPECT_EQ(read_all(sensor)[0].status, Reading::Status::kLost);
  EXPECT_EQ(read_all(sensor)[0].status, Reading::Status::kLost);
}

// With both libraries, ROCm SMI reads only what AMD SMI could not: each GPU once.
TEST(AmdSmiSensor, RocmSmiSkipsTheGpusAmdSmiReads) {
  const auto amd =
      machine("gpu uuid=a pci=0000:c1:00.0 power_w=300\ngpu uuid=b pci=0000:c2:00.0 energy=0\n");
  jt::test::TempTree tree;
  jt::test::write_file(tree / "rocm.conf",
                       "gpu unique_id=a1 pci=0000:c1:00.0\ngpu unique_id=b1 pci=0000:c2:00.0\n");
  jt::test::ScopedEnvironment rocm("JT_FAKE_ROCM_SMI_CONFIG", (tree / "rocm.conf").string());
  jt::ProbeContext context;
  context.sysfs_root = tree.path();
  context.dev_root = tree / "dev";
  context.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  context.amd_smi_library = JT_FAKE_AMD_SMI;
  context.rocm_smi_library = JT_FAKE_ROCM_SMI;
  context.level_zero_library = "/nonexistent/libze_loader.so.1";
  context.use_agent = false;
  const auto outcome = jt::probe_all(context, jt::local_backends());
  std::vector<std::string> gpus;
  for (const auto& sensor : outcome.sensors) {
    for (const auto& c : sensor->channels()) {
      if (c.domain == jt::Domain::kGpu) gpus.push_back(c.id);
    }
  }
  EXPECT_EQ(gpus, (std::vector<std::string>{"amd_smi/a", "rocm_smi/GPU-00000000000000b1"}));
}
