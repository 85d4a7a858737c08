// SPDX-License-Identifier: BSD-3-Clause
// NVML backend through the production loader, against the in-tree fake libnvidia-ml.so.1
// (tests/fakes/fake_nvml.cpp documents its configuration).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "sensors/backends.hpp"
#include "sensors/sensor.hpp"
#include "support/test_support.hpp"

namespace {

using jt::ProbeReport;
using jt::Quantity;
using jt::Reading;

// Sets (or unsets) one environment variable for a scope, restoring the previous value.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// A fake machine: the config file lives in a private temp tree, named by JT_FAKE_NVML_CONFIG,
// which the fake reads at its next fresh nvmlInit_v2.
class FakeMachine {
 public:
  explicit FakeMachine(const std::string& config)
      : config_path_((tree_ / "nvml.conf").string()),
        config_env_("JT_FAKE_NVML_CONFIG", config_path_),
        library_env_("JOULETRACE_NVML_LIBRARY", std::nullopt) {
    jt::test::write_file(config_path_, config);
  }
  void rewrite(const std::string& config) const { jt::test::write_file(config_path_, config); }

 private:
  jt::test::TempTree tree_;
  std::string config_path_;
  ScopedEnv config_env_;
  ScopedEnv library_env_;
};

jt::ProbeOutcome probe(const std::string& library = jt::test::fake_nvml_library()) {
  jt::ProbeContext context;
  context.nvml_library = library;
  return jt::probe_nvml(context);
}

std::vector<Reading> read_all(jt::Sensor& sensor) {
  std::vector<Reading> out(sensor.channels().size());
  sensor.read(out);
  return out;
}

int count_reports(const jt::ProbeOutcome& outcome, ProbeReport::Status status) {
  int n = 0;
  for (const auto& report : outcome.reports) n += report.status == status ? 1 : 0;
  return n;
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

TEST(NvmlSensor, LibraryNotFoundIsAbsentWithHint) {
  FakeMachine machine("gpu uuid=GPU-1111\n");
  const std::string missing = "/nonexistent/jouletrace/libnvidia-ml.so.1";
  const auto outcome = probe(missing);
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  const auto& report = outcome.reports[0];
  EXPECT_EQ(report.backend, "nvml");
  EXPECT_EQ(report.status, ProbeReport::Status::kAbsent);
  EXPECT_NE(report.detail.find(missing), std::string::npos) << report.detail;
  EXPECT_NE(report.hint.find("--nvml-library"), std::string::npos) << report.hint;
  EXPECT_NE(report.hint.find("JOULETRACE_NVML_LIBRARY"), std::string::npos) << report.hint;
}

TEST(NvmlSensor, DriverNotLoadedAtInitIsAbsent) {
  FakeMachine machine("init_result=9\ngpu uuid=GPU-1111\n");
  const auto outcome = probe();
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_NE(outcome.reports[0].detail.find("Driver Not Loaded"), std::string::npos)
      << outcome.reports[0].detail;
}

TEST(NvmlSensor, NoPermissionAtInitIsPermissionDeniedWithHint) {
  FakeMachine machine("init_result=4\ngpu uuid=GPU-1111\n");
  const auto outcome = probe();
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kPermissionDenied);
  EXPECT_NE(outcome.reports[0].hint.find("/dev/nvidia"), std::string::npos)
      << outcome.reports[0].hint;
}

TEST(NvmlSensor, OtherInitFailureIsErrorWithNvmlText) {
  FakeMachine machine("init_result=999\n");
  const auto outcome = probe();
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kError);
  EXPECT_NE(outcome.reports[0].detail.find("Unknown Error"), std::string::npos)
      << outcome.reports[0].detail;
}

TEST(NvmlSensor, NoGpuIsAbsent) {
  FakeMachine machine("# a node without GPUs\n");
  const auto outcome = probe();
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_NE(outcome.reports[0].detail.find("no NVIDIA GPU"), std::string::npos);
}

TEST(NvmlSensor, TwoGpusOneWithoutEnergyCounter) {
  FakeMachine machine(
      "gpu uuid=GPU-1111 name=FakeGPU-A power_w=200 limit_w=700 initial_mj=5000000\n"
      "gpu uuid=GPU-2222 name=FakeGPU-B power_w=150 energy=0   # pre-Volta\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  EXPECT_EQ(count_reports(outcome, ProbeReport::Status::kPresent), 2);
  ASSERT_EQ(outcome.reports.size(), 2u);
  EXPECT_NE(outcome.reports[0].detail.find("GPU-1111"), std::string::npos);
  EXPECT_NE(outcome.reports[0].detail.find("energy counter"), std::string::npos);
  EXPECT_NE(outcome.reports[1].detail.find("GPU-2222"), std::string::npos);
  EXPECT_NE(outcome.reports[1].detail.find("nvmlDeviceGetPowerUsage"), std::string::npos);

  jt::Sensor& sensor = *outcome.sensors[0];
  EXPECT_EQ(sensor.backend(), "nvml");
  const auto channels = sensor.channels();
  ASSERT_EQ(channels.size(), 2u);

  const auto& a = channels[0];
  EXPECT_EQ(a.id, "nvml/GPU-1111");
  EXPECT_EQ(a.domain, jt::Domain::kGpu);
  EXPECT_EQ(a.identity.index, 0);
  EXPECT_EQ(a.identity.vendor, jt::Vendor::kNvidia);
  EXPECT_EQ(a.identity.kind, jt::HardwareKind::kGpu);
  EXPECT_EQ(a.identity.uuid, "GPU-1111");
  EXPECT_EQ(a.identity.rated_power_w, 700.0);  // the fake's enforced limit
  EXPECT_EQ(a.identity.rated_power_source, "NVML enforced power limit");
  EXPECT_EQ(a.device, "FakeGPU-A");
  EXPECT_EQ(a.quantity, Quantity::kEnergyCounter);
  EXPECT_DOUBLE_EQ(a.scale, 1e-3);
  EXPECT_EQ(a.raw_unit, "mJ");
  EXPECT_EQ(a.wrap_modulus, 0u);
  EXPECT_DOUBLE_EQ(a.update_period_s, 0.1);
  EXPECT_DOUBLE_EQ(a.max_power_w, 700.0);
  EXPECT_NE(a.provenance.find("libnvidia-ml.so.1"), std::string::npos) << a.provenance;
  EXPECT_NE(a.provenance.find("index 0"), std::string::npos) << a.provenance;
  EXPECT_NE(a.provenance.find("GPU-1111"), std::string::npos) << a.provenance;
  EXPECT_TRUE(a.note.empty());

  const auto& b = channels[1];
  EXPECT_EQ(b.id, "nvml/GPU-2222");
  EXPECT_EQ(b.identity.index, 1);
  EXPECT_EQ(b.device, "FakeGPU-B");
  EXPECT_EQ(b.quantity, Quantity::kInstantPower);
  EXPECT_DOUBLE_EQ(b.scale, 1e-3);
  EXPECT_EQ(b.raw_unit, "mW");
  EXPECT_DOUBLE_EQ(b.update_period_s, 1.0);
  EXPECT_DOUBLE_EQ(b.max_power_w, 0.0);  // the fake reports no limit by default
  EXPECT_NE(b.note.find("no energy counter"), std::string::npos) << b.note;

  const auto readings = read_all(sensor);
  ASSERT_EQ(readings[0].status, Reading::Status::kOk);
  EXPECT_GE(readings[0].raw, 5'000'000u);
  ASSERT_EQ(readings[1].status, Reading::Status::kOk);
  EXPECT_EQ(readings[1].raw, 150'000u);
}

// Issue 10 item 13: on a real driver the counter call costs milliseconds of CPU. Such a counter
// leaves the fast lane: it gets a sensor of its own, polled every second, and anchors the GPU's
// instantaneous power, which the fast lane reads instead.
TEST(NvmlSensor, AnExpensiveCounterLeavesTheFastLaneAndAnchorsThePower) {
  FakeMachine machine(
      "gpu uuid=GPU-1111 name=FakeH100 power_w=300 limit_w=700 energy_cost_ms=3\n"
      "gpu uuid=GPU-2222 name=FakeH100 power_w=200 energy_cost_ms=3 instant=0\n"
      "gpu uuid=GPU-3333 name=FakeA100 power_w=100\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 3u);
  jt::Sensor& fast = *outcome.sensors[0];
  EXPECT_EQ(fast.min_interval_s(), 0.0);
  const auto channels = fast.channels();
  ASSERT_EQ(channels.size(), 3u);
  EXPECT_EQ(channels[0].id, "nvml/GPU-1111");
  EXPECT_EQ(channels[0].quantity, Quantity::kInstantPower);
  EXPECT_TRUE(channels[0].reports_activity);
  EXPECT_NE(channels[0].note.find("NVML_FI_DEV_POWER_INSTANT"), std::string::npos);
  EXPECT_EQ(channels[1].quantity, Quantity::kInstantPower);
  EXPECT_NE(channels[1].note.find("nvmlDeviceGetPowerUsage"), std::string::npos);
  EXPECT_DOUBLE_EQ(channels[1].update_period_s, 1.0);         // a 1-s average on Ampere and newer
  EXPECT_EQ(channels[2].quantity, Quantity::kEnergyCounter);  // cheap: stays as it was
  const auto readings = read_all(fast);
  EXPECT_EQ(readings[0].raw, 300'000u);
  EXPECT_EQ(readings[1].raw, 200'000u);

  for (std::size_t k = 1; k <= 2; ++k) {
    jt::Sensor& counter = *outcome.sensors[k];
    EXPECT_DOUBLE_EQ(counter.min_interval_s(), 1.0);
    ASSERT_EQ(counter.channels().size(), 1u);
    const auto& c = counter.channels()[0];
    EXPECT_EQ(c.id, channels[k - 1].id + "/energy");
    EXPECT_EQ(c.anchors, channels[k - 1].id);
    EXPECT_EQ(c.quantity, Quantity::kEnergyCounter);
    EXPECT_FALSE(c.reports_activity);
    EXPECT_EQ(read_all(counter)[0].status, Reading::Status::kOk);
  }
  EXPECT_NE(outcome.reports[0].detail.find("read every 1 s in its own thread"), std::string::npos)
      << outcome.reports[0].detail;
}

TEST(NvmlSensor, AnExpensiveCounterWithNothingCheaperIsReadApartOnItsOwn) {
  FakeMachine machine("gpu uuid=GPU-1111 power_w=300 energy_cost_ms=3 power=0\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  jt::Sensor& sensor = *outcome.sensors[0];
  EXPECT_DOUBLE_EQ(sensor.min_interval_s(), 1.0);
  ASSERT_EQ(sensor.channels().size(), 1u);
  EXPECT_EQ(sensor.channels()[0].id, "nvml/GPU-1111");
  EXPECT_EQ(sensor.channels()[0].quantity, Quantity::kEnergyCounter);
  EXPECT_TRUE(sensor.channels()[0].anchors.empty());
  EXPECT_NE(outcome.reports[0].detail.find("no cheaper power reading exists"), std::string::npos)
      << outcome.reports[0].detail;
}

TEST(NvmlSensor, ReadTimestampsBracketTheCall) {
  FakeMachine machine("gpu uuid=GPU-1111 power_w=100\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  const std::int64_t before = jt::monotonic_ns();
  const auto readings = read_all(*outcome.sensors[0]);
  const std::int64_t after = jt::monotonic_ns();
  ASSERT_EQ(readings[0].status, Reading::Status::kOk);
  EXPECT_GE(readings[0].half_width_ns, 0);
  EXPECT_GE(readings[0].t_ns - readings[0].half_width_ns, before);
  EXPECT_LE(readings[0].t_ns + readings[0].half_width_ns, after);
}

TEST(NvmlSensor, EnergyAdvancesAtConfiguredPower) {
  FakeMachine machine("gpu uuid=GPU-1111 power_w=200 initial_mj=5000000\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  jt::Sensor& sensor = *outcome.sensors[0];
  const double scale = sensor.channels()[0].scale;
  // The fake computes the energy at the time of the call, so the test's own clock around each
  // read brackets it (never the readings' timestamps or declared widths): between the two
  // values lie at least the time from the end of the first read to the start of the second,
  // and at most the time from the start of the first to the end of the second.
  const std::int64_t before_first = jt::monotonic_ns();
  const auto first = read_all(sensor)[0];
  const std::int64_t after_first = jt::monotonic_ns();
  sleep_ms(200);
  const std::int64_t before_second = jt::monotonic_ns();
  const auto second = read_all(sensor)[0];
  const std::int64_t after_second = jt::monotonic_ns();
  ASSERT_EQ(first.status, Reading::Status::kOk);
  ASSERT_EQ(second.status, Reading::Status::kOk);
  ASSERT_GT(second.raw, first.raw);
  const double joules = static_cast<double>(second.raw - first.raw) * scale;
  const double min_s = jt::ns_to_s(before_second - after_first);
  const double max_s = jt::ns_to_s(after_second - before_first);
  // 200 W; 1 mJ, the counter's unit, at each end.
  EXPECT_GE(joules, 200.0 * min_s - 0.002) << min_s << " to " << max_s << " s";
  EXPECT_LE(joules, 200.0 * max_s + 0.002) << min_s << " to " << max_s << " s";
}

TEST(NvmlSensor, CounterResetShowsAsDecreaseAndCountsOn) {
  FakeMachine machine("gpu uuid=GPU-1111 power_w=200 initial_mj=5000000 reset_after_reads=3\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  jt::Sensor& sensor = *outcome.sensors[0];
  // The probe may spend reads of its own, so look for the decrease rather than its position.
  std::vector<std::uint64_t> raw;
  for (int i = 0; i < 5; ++i) {
    const auto reading = read_all(sensor)[0];
    ASSERT_EQ(reading.status, Reading::Status::kOk);
    raw.push_back(reading.raw);
    sleep_ms(10);
  }
  std::size_t decrease = 0;
  for (std::size_t i = 1; i < raw.size(); ++i) {
    if (raw[i] < raw[i - 1]) {
      EXPECT_EQ(decrease, 0u) << "only one reset was configured";
      decrease = i;
    }
  }
  ASSERT_GT(decrease, 0u) << "the counter never went down";
  EXPECT_GE(raw[decrease - 1], 5'000'000u);
  EXPECT_LT(raw[decrease], 1'000'000u);  // restarted from 0 at the same power
  ASSERT_LT(decrease + 1, raw.size());
  EXPECT_GT(raw[decrease + 1], raw[decrease]);
}

TEST(NvmlSensor, LostGpuStaysLostAndOthersKeepReading) {
  // Both failing GPUs would answer again after one failure (lost_calls=1): only a sensor that
  // remembers the loss keeps reporting kLost.
  FakeMachine machine(
      "gpu uuid=GPU-1111 lost_after_reads=3 lost_calls=1\n"
      "gpu uuid=GPU-2222 lost_after_reads=3 lost_calls=1 lost_result=28   # GPU_NOT_FOUND\n"
      "gpu uuid=GPU-3333\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  jt::Sensor& sensor = *outcome.sensors[0];
  ASSERT_EQ(sensor.channels().size(), 3u);
  std::vector<int> first_lost(2, -1);
  for (int round = 0; round < 8; ++round) {
    const auto readings = read_all(sensor);
    for (std::size_t g = 0; g < 2; ++g) {
      if (first_lost[g] >= 0) {
        EXPECT_EQ(readings[g].status, Reading::Status::kLost) << "GPU " << g << " round " << round;
      } else if (readings[g].status == Reading::Status::kLost) {
        first_lost[g] = round;
      } else {
        EXPECT_EQ(readings[g].status, Reading::Status::kOk) << "GPU " << g << " round " << round;
      }
    }
    EXPECT_EQ(readings[2].status, Reading::Status::kOk) << "round " << round;
  }
  EXPECT_GE(first_lost[0], 0) << "GPU_IS_LOST never surfaced";
  EXPECT_GE(first_lost[1], 0) << "GPU_NOT_FOUND never surfaced";
}

TEST(NvmlSensor, OtherReadErrorIsUnavailableAndRetried) {
  FakeMachine machine("gpu uuid=GPU-1111 lost_after_reads=3 lost_calls=1 lost_result=999\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  int unavailable = 0;
  int ok_after = 0;
  for (int round = 0; round < 6; ++round) {
    const auto reading = read_all(*outcome.sensors[0])[0];
    ASSERT_NE(reading.status, Reading::Status::kLost);
    if (reading.status == Reading::Status::kUnavailable) {
      ++unavailable;
      EXPECT_EQ(reading.raw, 0u);
    } else if (unavailable > 0) {
      ++ok_after;
    }
  }
  EXPECT_EQ(unavailable, 1);
  EXPECT_GT(ok_after, 0);
}

TEST(NvmlSensor, GpuWithNeitherEnergyNorPowerIsSkipped) {
  FakeMachine machine(
      "gpu uuid=GPU-1111 energy=0 power=0\n"
      "gpu uuid=GPU-2222\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  ASSERT_EQ(outcome.sensors[0]->channels().size(), 1u);
  EXPECT_EQ(outcome.sensors[0]->channels()[0].id, "nvml/GPU-2222");
  EXPECT_EQ(outcome.sensors[0]->channels()[0].identity.index, 1);
  EXPECT_EQ(count_reports(outcome, ProbeReport::Status::kPresent), 1);
  ASSERT_EQ(count_reports(outcome, ProbeReport::Status::kError), 1);
  EXPECT_NE(outcome.reports[0].detail.find("GPU-1111"), std::string::npos)
      << outcome.reports[0].detail;
}

TEST(NvmlSensor, NoEnergySymbolDegradesToPower) {
  FakeMachine machine("gpu uuid=GPU-1111 name=OldGPU power_w=90 limit_w=250\n");
  auto outcome = probe(jt::test::fake_nvml_no_energy_library());
  ASSERT_EQ(outcome.sensors.size(), 1u);
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kPresent);
  EXPECT_NE(outcome.reports[0].detail.find("nvmlDeviceGetTotalEnergyConsumption"),
            std::string::npos)
      << outcome.reports[0].detail;
  const auto& channel = outcome.sensors[0]->channels()[0];
  EXPECT_EQ(channel.id, "nvml/GPU-1111");
  EXPECT_EQ(channel.quantity, Quantity::kInstantPower);
  EXPECT_EQ(channel.raw_unit, "mW");
  EXPECT_DOUBLE_EQ(channel.max_power_w, 250.0);
  EXPECT_EQ(channel.note,
            "no energy counter: NVML power (instantaneous before Ampere, a 1-s average after) "
            "integrated over time");
  const auto reading = read_all(*outcome.sensors[0])[0];
  ASSERT_EQ(reading.status, Reading::Status::kOk);
  EXPECT_EQ(reading.raw, 90'000u);
}

TEST(NvmlSensor, EnvironmentNamesLibraryWhenContextIsEmpty) {
  FakeMachine machine("gpu uuid=GPU-1111\n");
  {
    ScopedEnv env("JOULETRACE_NVML_LIBRARY", jt::test::fake_nvml_library());
    const auto outcome = probe("");
    ASSERT_EQ(outcome.sensors.size(), 1u);
    EXPECT_EQ(outcome.sensors[0]->channels()[0].id, "nvml/GPU-1111");
  }
  {
    const std::string missing = "/nonexistent/from-env/libnvidia-ml.so.1";
    ScopedEnv env("JOULETRACE_NVML_LIBRARY", missing);
    const auto from_env = probe("");
    ASSERT_EQ(from_env.reports.size(), 1u);
    EXPECT_EQ(from_env.reports[0].status, ProbeReport::Status::kAbsent);
    EXPECT_NE(from_env.reports[0].detail.find(missing), std::string::npos);
    // An explicit library (--nvml-library) wins over the environment.
    const auto explicit_path = probe(jt::test::fake_nvml_library());
    EXPECT_EQ(explicit_path.sensors.size(), 1u);
  }
}

TEST(NvmlSensor, SensorKeepsLibraryAliveAfterProbeOutcomeIsGone) {
  FakeMachine machine("gpu uuid=GPU-1111 power_w=100\n");
  std::unique_ptr<jt::Sensor> sensor;
  {
    auto outcome = probe();
    ASSERT_EQ(outcome.sensors.size(), 1u);
    sensor = std::move(outcome.sensors[0]);
  }
  EXPECT_EQ(read_all(*sensor)[0].status, Reading::Status::kOk);
}

TEST(NvmlSensor, FakeRereadsConfigOnFreshInit) {
  FakeMachine machine("gpu uuid=GPU-1111\ngpu uuid=GPU-2222\n");
  {
    const auto outcome = probe();
    ASSERT_EQ(outcome.sensors.size(), 1u);
    EXPECT_EQ(outcome.sensors[0]->channels().size(), 2u);
  }
  machine.rewrite("gpu uuid=GPU-3333 name=Replaced\n");
  const auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  ASSERT_EQ(outcome.sensors[0]->channels().size(), 1u);
  EXPECT_EQ(outcome.sensors[0]->channels()[0].id, "nvml/GPU-3333");
  EXPECT_EQ(outcome.sensors[0]->channels()[0].device, "Replaced");
}
