// SPDX-License-Identifier: BSD-3-Clause
// ROCm SMI backend through the production loader, against the in-tree fake librocm_smi64.so.5
// (tests/fakes/fake_rocm_smi.cpp documents its configuration).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "backend/gpu_fake_machine.hpp"
#include "sensors/backends.hpp"

namespace {

using jt::ProbeReport;
using jt::Quantity;
using jt::Reading;
using jt::test::count_reports;
using jt::test::read_all;
using jt::test::steady_s;

jt::test::FakeGpuMachine machine(const std::string& config) {
  return {"JT_FAKE_ROCM_SMI_CONFIG", "JOULETRACE_ROCM_SMI_LIBRARY", config};
}

jt::ProbeOutcome probe(const std::string& library = JT_FAKE_ROCM_SMI,
                       const jt::ProbeContext& base = {}) {
  jt::ProbeContext context = base;
  context.rocm_smi_library = library;
  return jt::probe_rocm_smi(context);
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

TEST(RocmSmiSensor, LibraryNotFoundIsAbsentWithHint) {
  const auto fake = machine("gpu\n");
  const auto outcome = probe("/nonexistent/librocm_smi64.so.5");
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_NE(outcome.reports[0].hint.find("--rocm-smi-library"), std::string::npos);
  EXPECT_NE(outcome.reports[0].hint.find("JOULETRACE_ROCM_SMI_LIBRARY"), std::string::npos);
}

TEST(RocmSmiSensor, EnvironmentNamesTheLibrary) {
  const auto fake = machine("gpu unique_id=abc\n");
  jt::test::ScopedEnvironment env("JOULETRACE_ROCM_SMI_LIBRARY", std::string(JT_FAKE_ROCM_SMI));
  const auto outcome = probe("");
  ASSERT_EQ(outcome.sensors.size(), 1u);
}

TEST(RocmSmiSensor, PermissionDeniedAtInitSaysWhichDevices) {
  const auto fake = machine("init_result=4\ngpu\n");
  const auto outcome = probe();
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kPermissionDenied);
  EXPECT_NE(outcome.reports[0].hint.find("/dev/kfd"), std::string::npos);
}

TEST(RocmSmiSensor, NoGpuIsAbsent) {
  const auto fake = machine("# no GPU\n");
  const auto outcome = probe();
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
}

TEST(RocmSmiSensor, EnergyCounterGivesTheConfiguredPower) {
  const auto fake = machine(
      "gpu name=AMD_Instinct_MI210 unique_id=1a2b3c pci=0000:c1:00.0 power_w=300 "
      "resolution_uj=15.3 cap_w=300 busy=80\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  auto& sensor = *outcome.sensors[0];
  ASSERT_EQ(sensor.channels().size(), 1u);
  const auto& info = sensor.channels()[0];
  EXPECT_EQ(sensor.backend(), "rocm_smi");
  EXPECT_EQ(info.id, "rocm_smi/GPU-00000000001a2b3c");
  EXPECT_EQ(info.domain, jt::Domain::kGpu);
  EXPECT_EQ(info.quantity, Quantity::kEnergyCounter);
  EXPECT_EQ(info.device, "AMD Instinct MI210");
  EXPECT_EQ(info.identity.vendor, jt::Vendor::kAmd);
  EXPECT_EQ(info.identity.bus_id, "0000:c1:00.0");
  EXPECT_EQ(info.identity.uuid, "GPU-00000000001a2b3c");
  ASSERT_TRUE(info.identity.rated_power_w.has_value());
  EXPECT_DOUBLE_EQ(*info.identity.rated_power_w, 300.0);
  EXPECT_TRUE(info.reports_activity);
  EXPECT_NE(info.provenance.find(JT_FAKE_ROCM_SMI), std::string::npos) << info.provenance;
  EXPECT_EQ(count_reports(outcome, ProbeReport::Status::kPresent), 1);
  EXPECT_NE(outcome.reports[0].detail.find("rsmi_dev_energy_count_get"), std::string::npos);

  const double t0 = steady_s();
  const auto first = read_all(sensor);
  const double t1 = steady_s();
  sleep_ms(200);
  const double t2 = steady_s();
  const auto second = read_all(sensor);
  const double t3 = steady_s();
  ASSERT_EQ(first[0].status, Reading::Status::kOk);
  ASSERT_EQ(second[0].status, Reading::Status::kOk);
  EXPECT_FLOAT_EQ(second[0].activity_pct, 80.0F);
  const double joules = static_cast<double>(second[0].raw - first[0].raw) * info.scale;
  // The fake's counter moves at 300 W; the reads lie between the test's own clock readings, and
  // one count of 15.3 uJ is lost to truncation at either end.
  EXPECT_GE(joules, 300.0 * (t2 - t1) - 2 * 15.3e-6);
  EXPECT_LE(joules, 300.0 * (t3 - t0) + 2 * 15.3e-6);
}

TEST(RocmSmiSensor, WithoutTheCounterEntryPointReadsAveragePower) {
  const auto fake = machine("gpu unique_id=77 power_w=250\n");
  auto outcome = probe(JT_FAKE_ROCM_SMI_NO_ENERGY);
  ASSERT_EQ(outcome.sensors.size(), 1u);
  const auto& info = outcome.sensors[0]->channels()[0];
  EXPECT_EQ(info.quantity, Quantity::kAveragePower);
  EXPECT_NE(info.note.find("no energy counter"), std::string::npos);
  const auto readings = read_all(*outcome.sensors[0]);
  ASSERT_EQ(readings[0].status, Reading::Status::kOk);
  EXPECT_DOUBLE_EQ(static_cast<double>(readings[0].raw) * info.scale, 250.0);
}

TEST(RocmSmiSensor, NeitherEnergyNorPowerIsAnErrorForThatGpuOnly) {
  const auto fake = machine("gpu unique_id=1 energy=0 power=0\ngpu unique_id=2\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  EXPECT_EQ(outcome.sensors[0]->channels().size(), 1u);
  EXPECT_EQ(count_reports(outcome, ProbeReport::Status::kError), 1);
}

TEST(RocmSmiSensor, SecondGcdOfAnMi250xIsMeasuredThroughTheFirst) {
  const auto fake = machine(
      "gpu name=AMD_Instinct_MI250X unique_id=10 power_w=500\n"
      "gpu name=AMD_Instinct_MI250X unique_id=11 energy=0 power=0\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  EXPECT_EQ(outcome.sensors[0]->channels().size(), 1u);
  EXPECT_EQ(count_reports(outcome, ProbeReport::Status::kError), 0);
  EXPECT_EQ(count_reports(outcome, ProbeReport::Status::kNotUsed), 1);
}

TEST(RocmSmiSensor, Mi300aIsAModuleHoldingTheCpuPackages) {
  const auto fake = machine("gpu name=AMD_Instinct_MI300A unique_id=300 power_w=550\n");
  jt::ProbeContext context;
  jt::ChannelInfo package;
  package.id = "powercap/intel-rapl:0";
  package.domain = jt::Domain::kPackage;
  context.earlier_channels.push_back(package);
  auto outcome = probe(JT_FAKE_ROCM_SMI, context);
  ASSERT_EQ(outcome.sensors.size(), 1u);
  const auto& info = outcome.sensors[0]->channels()[0];
  EXPECT_EQ(info.domain, jt::Domain::kModule);
  ASSERT_EQ(info.contains.size(), 1u);
  EXPECT_EQ(info.contains[0], "powercap/intel-rapl:0");
}

TEST(RocmSmiSensor, LostGpuStaysLost) {
  const auto fake = machine("gpu unique_id=5 lost_after_reads=2\n");
  auto outcome = probe();  // the probe's own read is the first
  ASSERT_EQ(outcome.sensors.size(), 1u);
  auto& sensor = *outcome.sensors[0];
  EXPECT_EQ(read_all(sensor)[0].status, Reading::Status::kOk);
  EXPECT_EQ(read_all(sensor)[0].status, Reading::Status::kLost);
  EXPECT_EQ(read_all(sensor)[0].status, Reading::Status::kLost);
}

TEST(RocmSmiSensor, CounterResetShowsAsADecrease) {
  const auto fake = machine("gpu unique_id=6 initial_uj=1e9 reset_after_reads=2\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  auto& sensor = *outcome.sensors[0];
  const auto before = read_all(sensor);  // the second read: the counter restarts after it
  sleep_ms(5);
  const auto after = read_all(sensor);
  ASSERT_EQ(after[0].status, Reading::Status::kOk);
  EXPECT_LT(after[0].raw, before[0].raw);
}

TEST(RocmSmiSensor, SameUniqueIdTwiceIsMeasuredOnce) {
  const auto fake = machine("gpu unique_id=9\ngpu unique_id=9\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  EXPECT_EQ(outcome.sensors[0]->channels().size(), 1u);
  EXPECT_EQ(count_reports(outcome, ProbeReport::Status::kError), 1);
}
