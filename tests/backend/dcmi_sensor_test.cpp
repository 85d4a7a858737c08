// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/ipmi/dcmi_sensor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sampler/channel_accumulator.hpp"
#include "sampler/sampler.hpp"
#include "sensors/bmc_backends.hpp"
#include "support/ipmi_replay_transport.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Status = Reading::Status;

using test::contains;

std::unique_ptr<ReplayTransport> replay_fixture(const std::string& name) {
  auto replay = ReplayTransport::from_file(test::fixture_dir("dcmi/" + name));
  if (!replay) ADD_FAILURE() << replay.error().message;
  return replay ? std::move(*replay) : nullptr;
}

Bytes response(std::uint16_t watts, std::uint8_t state = 0x40) {
  return {0x00,
          0xDC,
          static_cast<std::uint8_t>(watts & 0xFF),
          static_cast<std::uint8_t>(watts >> 8),
          0xB4,
          0x00,
          0x8F,
          0x02,
          0x8E,
          0x01,
          0xC3,
          0xB2,
          0xA1,
          0x66,
          0xE8,
          0x03,
          0x00,
          0x00,
          state};
}

std::unique_ptr<ReplayTransport> replay_steps(std::vector<ReplayStep> steps) {
  return std::make_unique<ReplayTransport>(ReplayScript{std::move(steps), false}, "replay");
}

// A sensor over a replay; `replay` is left pointing at the transport the sensor owns.
std::unique_ptr<DcmiSensor> sensor_over(std::unique_ptr<ReplayTransport> transport,
                                        ReplayTransport** replay = nullptr) {
  if (replay != nullptr) *replay = transport.get();
  auto sensor = make_dcmi_sensor(std::move(transport), "ipmi0");
  if (!sensor) {
    ADD_FAILURE() << sensor.error().message;
    return nullptr;
  }
  return std::move(*sensor);
}

Reading read_once(Sensor& sensor) {
  Reading reading;
  sensor.read({&reading, 1});
  return reading;
}

// ---- the channel ---------------------------------------------------------------------------

TEST(DcmiSensor, ProbeOverAReplayGivesOneNodePowerChannel) {
  ReplayTransport* replay = nullptr;
  auto transport = replay_fixture("normal.txt");
  replay = transport.get();
  ProbeOutcome outcome = probe_dcmi_transport(std::move(transport), "ipmi0");
  ASSERT_EQ(outcome.sensors.size(), 1u);
  ASSERT_EQ(outcome.reports.size(), 1u);
  const ProbeReport& report = outcome.reports[0];
  EXPECT_EQ(report.backend, "ipmi-dcmi");
  EXPECT_EQ(report.status, ProbeReport::Status::kPresent);
  EXPECT_TRUE(contains(report.detail,
                       "ipmi-dcmi/ipmi0: node power 412 W now (min 180 W, max "
                       "655 W, average 398 W over the BMC's 1 s statistics period)"))
      << report.detail;

  Sensor& sensor = *outcome.sensors[0];
  EXPECT_EQ(sensor.backend(), "ipmi-dcmi");
  EXPECT_DOUBLE_EQ(sensor.min_interval_s(), 0.5);
  ASSERT_EQ(sensor.channels().size(), 1u);
  const ChannelInfo& channel = sensor.channels()[0];
  EXPECT_EQ(channel.id, "ipmi-dcmi/ipmi0");
  EXPECT_EQ(channel.domain, Domain::kNode);
  EXPECT_EQ(channel.quantity, Quantity::kInstantPower);
  EXPECT_DOUBLE_EQ(channel.scale, 1.0);
  EXPECT_EQ(channel.raw_unit, "W");
  EXPECT_DOUBLE_EQ(channel.update_period_s, 1.0);
  EXPECT_EQ(channel.wrap_modulus, 0u);
  EXPECT_TRUE(contains(channel.provenance,
                       "DCMI Get Power Reading (NetFn 0x2C, cmd 0x02, mode "
                       "0x01)"))
      << channel.provenance;
  EXPECT_TRUE(contains(channel.provenance, "normal.txt")) << channel.provenance;
  EXPECT_TRUE(contains(channel.note, "platform-defined")) << channel.note;
  EXPECT_TRUE(contains(channel.note, "1 W resolution")) << channel.note;

  // The probe asked once, with the short timeout; reads use the longer one.
  ASSERT_EQ(replay->timeouts().size(), 1u);
  EXPECT_EQ(replay->timeouts()[0], kDcmiProbeTimeout);
  EXPECT_LT(kDcmiProbeTimeout, kDcmiReadTimeout);
  EXPECT_EQ(read_once(sensor).raw, 415u);
  EXPECT_EQ(replay->timeouts()[1], kDcmiReadTimeout);
  for (const auto& request : replay->requests()) {
    EXPECT_EQ(request.netfn, 0x2C);
    EXPECT_EQ(request.cmd, 0x02);
    EXPECT_EQ(request.data, (Bytes{0xDC, 0x01, 0x00, 0x00}));
  }
}

TEST(DcmiSensor, ReplayedWattsBecomeTimedReadings) {
  auto sensor = sensor_over(replay_fixture("normal.txt"));
  ASSERT_NE(sensor, nullptr);
  EXPECT_EQ(sensor->first_reading().current_w, 412);
  const Reading first = read_once(*sensor);
  const Reading second = read_once(*sensor);
  EXPECT_EQ(first.status, Status::kOk);
  EXPECT_EQ(first.raw, 415u);
  EXPECT_EQ(second.status, Status::kOk);
  EXPECT_EQ(second.raw, 420u);
  EXPECT_GT(first.t_ns, 0);
  EXPECT_GE(first.half_width_ns, 0);
  EXPECT_GE(second.t_ns, first.t_ns);
  EXPECT_TRUE(sensor->last_problem().empty());

  // The script is over: the next read fails, visibly.
  const Reading third = read_once(*sensor);
  EXPECT_EQ(third.status, Status::kUnavailable);
  EXPECT_EQ(third.raw, 0u);
  EXPECT_TRUE(contains(sensor->last_problem(), "the script ended")) << sensor->last_problem();
}

TEST(DcmiSensor, WattsAreIntegratedByTheTrapezoidRule) {
  auto sensor = sensor_over(replay_fixture("normal.txt"));
  ASSERT_NE(sensor, nullptr);
  ChannelAccumulator accumulator(sensor->channels()[0], {});
  // 412 W was the probe's; 415 W and 420 W come from reads, put on a 1 s grid here.
  Reading readings[2] = {read_once(*sensor), read_once(*sensor)};
  readings[0].t_ns = 0;
  readings[1].t_ns = 2'000'000'000;
  ASSERT_TRUE(accumulator.update(readings[0]));
  ASSERT_TRUE(accumulator.update(readings[1]));
  EXPECT_DOUBLE_EQ(accumulator.energy_j(), (415.0 + 420.0) / 2.0 * 2.0);
  EXPECT_DOUBLE_EQ(accumulator.stats().peak_power_w, 420.0);
}

TEST(DcmiSensor, ConstantPowerThroughTheSamplerGivesPowerTimesTime) {
  auto sensor = sensor_over(replay_fixture("constant_250w.txt"));
  ASSERT_NE(sensor, nullptr);
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{.interval_s = 0.005});
  constexpr int kRounds = 20;
  for (int i = 0; i < kRounds; ++i) {
    sampler.sample_once();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  sampler.finish();
  const ChannelStats& stats = sampler.stats(0);
  EXPECT_EQ(stats.samples, static_cast<std::uint64_t>(kRounds));
  EXPECT_EQ(stats.unavailable, 0u);
  EXPECT_EQ(stats.segments, 1);
  const double seconds = static_cast<double>(stats.last_t_ns - stats.first_t_ns) * 1e-9;
  EXPECT_GT(seconds, 0.09);  // 19 gaps of at least 5 ms
  EXPECT_NEAR(stats.energy_j, 250.0 * seconds, 1e-9 * 250.0 * seconds);
  EXPECT_DOUBLE_EQ(stats.peak_power_w, 250.0);
  ASSERT_FALSE(sampler.series()[0].energy_j.empty());
  EXPECT_DOUBLE_EQ(sampler.series()[0].energy_j.back(), stats.energy_j);
}

// ---- bad answers ---------------------------------------------------------------------------

TEST(DcmiSensor, EveryBadAnswerIsUnavailableWithItsReason) {
  auto sensor = sensor_over(replay_fixture("flaky.txt"));
  ASSERT_NE(sensor, nullptr);
  struct Expected {
    Status status;
    std::uint64_t raw;
    const char* problem;
  };
  const Expected expected[] = {
      {Status::kUnavailable, 0, "within 1000 ms (timed out)"},
      {Status::kOk, 415, ""},
      {Status::kUnavailable, 0, "KCS interface reported an error"},
      {Status::kUnavailable, 0, "answered 0xC3 (timeout while processing command)"},
      {Status::kUnavailable, 0, "response of 6 bytes, expected 19 (too short)"},
      {Status::kUnavailable, 0, "power measurement inactive (state byte 0x00, bit 6 clear)"},
      {Status::kUnavailable, 0, "the BMC reports 0 W"},
      {Status::kOk, 420, ""},
  };
  ChannelAccumulator accumulator(sensor->channels()[0], {});
  for (const auto& e : expected) {
    const Reading reading = read_once(*sensor);
    EXPECT_EQ(reading.status, e.status) << e.problem;
    EXPECT_EQ(reading.raw, e.raw) << e.problem;
    EXPECT_TRUE(contains(sensor->last_problem(), e.problem)) << sensor->last_problem();
    if (e.status != Status::kOk) {
      EXPECT_TRUE(contains(sensor->last_problem(), "replay ")) << sensor->last_problem();
    }
    accumulator.update(reading);
  }
  EXPECT_EQ(accumulator.stats().samples, 2u);
  EXPECT_EQ(accumulator.stats().unavailable, 6u);
  EXPECT_FALSE(accumulator.stats().lost);
}

TEST(DcmiSensor, EveryErrorCompletionCodeDuringARunIsUnavailable) {
  std::vector<ReplayStep> steps = {ReplayStep::response(response(300))};
  for (int code = 1; code <= 0xFF; ++code) {
    steps.push_back(ReplayStep::response({static_cast<std::uint8_t>(code)}));
  }
  auto sensor = sensor_over(replay_steps(std::move(steps)));
  ASSERT_NE(sensor, nullptr);
  for (int code = 1; code <= 0xFF; ++code) {
    const Reading reading = read_once(*sensor);
    EXPECT_EQ(reading.status, Status::kUnavailable) << code;
    EXPECT_TRUE(contains(sensor->last_problem(), fmt::format("answered 0x{:02X}", code)))
        << sensor->last_problem();
  }
}

TEST(DcmiSensor, LongAndForeignResponsesAreUnavailable) {
  Bytes long_response = response(300);
  long_response.push_back(0x00);
  Bytes foreign = response(300);
  foreign[1] = 0x00;
  auto sensor =
      sensor_over(replay_steps({ReplayStep::response(response(300)),
                                ReplayStep::response(long_response), ReplayStep::response(foreign),
                                ReplayStep::response({}), ReplayStep::response(response(301))}));
  ASSERT_NE(sensor, nullptr);
  EXPECT_EQ(read_once(*sensor).status, Status::kUnavailable);
  EXPECT_TRUE(contains(sensor->last_problem(), "too long")) << sensor->last_problem();
  EXPECT_EQ(read_once(*sensor).status, Status::kUnavailable);
  EXPECT_TRUE(contains(sensor->last_problem(), "group extension id 0x00"));
  EXPECT_EQ(read_once(*sensor).status, Status::kUnavailable);
  EXPECT_TRUE(contains(sensor->last_problem(), "empty response"));
  const Reading back = read_once(*sensor);
  EXPECT_EQ(back.status, Status::kOk);
  EXPECT_EQ(back.raw, 301u);
}

TEST(DcmiSensor, TransportThatStartsFailingIsLostForGood) {
  ReplayTransport* replay = nullptr;
  auto sensor = sensor_over(replay_fixture("goes_lost.txt"), &replay);
  ASSERT_NE(sensor, nullptr);
  EXPECT_EQ(read_once(*sensor).status, Status::kOk);
  EXPECT_EQ(read_once(*sensor).status, Status::kOk);
  const Reading gone = read_once(*sensor);
  EXPECT_EQ(gone.status, Status::kLost);
  EXPECT_TRUE(contains(sensor->last_problem(), "gone")) << sensor->last_problem();
  const std::size_t asked = replay->requests().size();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(read_once(*sensor).status, Status::kLost);
  EXPECT_EQ(replay->requests().size(), asked);  // a lost device is not asked again
}

TEST(DcmiSensor, LostMeterKeepsTheEnergyItMeasuredAndSaysSo) {
  auto sensor = sensor_over(replay_fixture("goes_lost.txt"));
  ASSERT_NE(sensor, nullptr);
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{.interval_s = 0.005});
  for (int i = 0; i < 5; ++i) {
    sampler.sample_once();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  sampler.finish();
  const ChannelStats& stats = sampler.stats(0);
  EXPECT_TRUE(stats.lost);
  EXPECT_EQ(stats.samples, 2u);
  const double seconds = static_cast<double>(stats.last_t_ns - stats.first_t_ns) * 1e-9;
  EXPECT_NEAR(stats.energy_j, (415.0 + 420.0) / 2.0 * seconds, 1e-9);
}

// ---- the probe over a replay ---------------------------------------------------------------

class ForwardingTransport final : public IpmiTransport {
 public:
  explicit ForwardingTransport(IpmiTransport& target) : target_(target) {}
  Result<std::vector<std::uint8_t>> send(const IpmiRequest& request,
                                         std::chrono::milliseconds timeout) override {
    return target_.send(request, timeout);
  }
  const std::string& describe() const override { return target_.describe(); }

 private:
  IpmiTransport& target_;
};

ProbeOutcome probe_steps(std::vector<ReplayStep> steps) {
  return probe_dcmi_transport(replay_steps(std::move(steps)), "ipmi0");
}

void expect_refused(const ProbeOutcome& outcome, ProbeReport::Status status,
                    const std::string& detail) {
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].backend, "ipmi-dcmi");
  EXPECT_EQ(outcome.reports[0].status, status);
  EXPECT_TRUE(contains(outcome.reports[0].detail, detail)) << outcome.reports[0].detail;
}

TEST(DcmiProbe, BmcWithoutDcmiGivesNoSensor) {
  expect_refused(probe_dcmi_transport(replay_fixture("no_dcmi.txt"), "ipmi0"),
                 ProbeReport::Status::kError,
                 "answered 0xC1 (invalid command): this BMC does not implement DCMI");
}

TEST(DcmiProbe, EveryErrorCompletionCodeGivesNoSensor) {
  for (const int code : {0xC0, 0xC3, 0xCC, 0xD4, 0xD5, 0xD6, 0xFF, 0x80, 0x01}) {
    Bytes bytes = response(300);
    bytes[0] = static_cast<std::uint8_t>(code);
    expect_refused(probe_steps({ReplayStep::response(bytes)}), ProbeReport::Status::kError,
                   fmt::format("answered 0x{:02X} (", code));
  }
}

TEST(DcmiProbe, InactiveMeasurementGivesNoSensor) {
  expect_refused(probe_dcmi_transport(replay_fixture("inactive.txt"), "ipmi0"),
                 ProbeReport::Status::kError, "power measurement inactive");
}

TEST(DcmiProbe, MalformedFirstAnswerGivesNoSensor) {
  Bytes long_response = response(300);
  long_response.push_back(0);
  Bytes foreign = response(300);
  foreign[1] = 0xDB;
  expect_refused(probe_steps({ReplayStep::response({0x00, 0xDC, 0x2C})}),
                 ProbeReport::Status::kError, "too short");
  expect_refused(probe_steps({ReplayStep::response(long_response)}), ProbeReport::Status::kError,
                 "too long");
  expect_refused(probe_steps({ReplayStep::response(foreign)}), ProbeReport::Status::kError,
                 "group extension id 0xDB");
  expect_refused(probe_steps({ReplayStep::response({})}), ProbeReport::Status::kError,
                 "empty response");
}

TEST(DcmiProbe, SilentOrVanishingBmcGivesNoSensor) {
  // A failed probe destroys its transport: the replay lives here, behind a forwarder.
  ReplayTransport replay(ReplayScript{{ReplayStep::timeout()}, false}, "replay");
  expect_refused(probe_dcmi_transport(std::make_unique<ForwardingTransport>(replay), "ipmi0"),
                 ProbeReport::Status::kError, "no response from the BMC within 500 ms (timed out)");
  ASSERT_EQ(replay.timeouts().size(), 1u);
  EXPECT_EQ(replay.timeouts()[0], kDcmiProbeTimeout);
  expect_refused(probe_steps({ReplayStep::lost()}), ProbeReport::Status::kError, "gone");
  expect_refused(probe_steps({ReplayStep::fail("KCS error")}), ProbeReport::Status::kError,
                 "KCS error");
}

TEST(DcmiProbe, ZeroWattsAtProbeTimeIsSaid) {
  ProbeOutcome outcome = probe_steps({ReplayStep::response(response(0))});
  ASSERT_EQ(outcome.sensors.size(), 1u);
  EXPECT_TRUE(contains(outcome.reports.at(0).detail, "the BMC reports 0 W now"));
}

// ---- the probe on a device tree ------------------------------------------------------------

TEST(DcmiProbe, NoDeviceIsAbsentWithAHint) {
  test::TempTree dev;
  const ProbeOutcome outcome = probe_dcmi({.dev_root = dev.path()});
  expect_refused(outcome, ProbeReport::Status::kAbsent, "no IPMI device (none of ");
  EXPECT_TRUE(contains(outcome.reports[0].detail, (dev / "ipmi0").string()));
  EXPECT_TRUE(contains(outcome.reports[0].detail, (dev / "ipmi/0").string()));
  EXPECT_TRUE(contains(outcome.reports[0].detail, (dev / "ipmidev/0").string()));
  EXPECT_TRUE(contains(outcome.reports[0].hint, "ipmi_devintf")) << outcome.reports[0].hint;
}

TEST(DcmiProbe, RegularFileInPlaceOfTheDeviceIsAClearError) {
  for (const char* name : {"ipmi0", "ipmi/0", "ipmidev/0"}) {
    test::TempTree dev;
    test::write_file(dev / name, "");
    const ProbeOutcome outcome = probe_dcmi({.dev_root = dev.path()});
    expect_refused(outcome, ProbeReport::Status::kError, "not an IPMI device");
    EXPECT_TRUE(contains(outcome.reports[0].detail, (dev / name).string() + ": "))
        << outcome.reports[0].detail;
    EXPECT_TRUE(contains(outcome.reports[0].detail, "ENOTTY")) << outcome.reports[0].detail;
  }
}

TEST(DcmiProbe, KernelNameIsPreferredToUdevNames) {
  test::TempTree dev;
  test::write_file(dev / "ipmi0", "");
  test::write_file(dev / "ipmidev/0", "");
  const ProbeOutcome outcome = probe_dcmi({.dev_root = dev.path()});
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_TRUE(contains(outcome.reports[0].detail, (dev / "ipmi0").string() + ": "));
}

// Runs probe_dcmi as uid 65534 in a child, where file modes apply. Returns status and hint.
struct ChildOutcome {
  std::string skip;  // why the child could not run as someone else; empty when it did
  int status = -1;
  std::string hint;
};

ChildOutcome probe_dcmi_as_nobody(const ProbeContext& context) {
  ChildOutcome result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {"pipe2 failed", -1, {}};
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {"fork failed", -1, {}};
  }
  constexpr int kCannotDrop = 99;
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
      ::_exit(kCannotDrop);
    }
    const ProbeOutcome outcome = probe_dcmi(context);
    if (outcome.reports.size() != 1) ::_exit(98);
    const std::string& hint = outcome.reports[0].hint;
    const ssize_t written = ::write(fds[1], hint.data(), hint.size());
    (void)written;
    ::_exit(static_cast<int>(outcome.reports[0].status));
  }
  ::close(fds[1]);
  char buffer[1024];
  for (;;) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.hint.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus)) return {"", -2, "the child probe crashed"};
  if (WEXITSTATUS(wstatus) == kCannotDrop) {
    return {"cannot drop root privileges to uid 65534 here", -1, {}};
  }
  result.status = WEXITSTATUS(wstatus);
  return result;
}

TEST(DcmiProbe, UnreadableDeviceIsPermissionDeniedWithAHint) {
  test::TempTree dev;
  test::write_file(dev / "ipmi0", "");
  dev.make_world_readable();
  ASSERT_EQ(::chmod((dev / "ipmi0").c_str(), 0), 0);

  int status = -1;
  std::string hint;
  if (::geteuid() != 0) {
    const ProbeOutcome outcome = probe_dcmi({.dev_root = dev.path()});
    ASSERT_EQ(outcome.reports.size(), 1u);
    EXPECT_TRUE(outcome.sensors.empty());
    EXPECT_TRUE(contains(outcome.reports[0].detail, "EACCES")) << outcome.reports[0].detail;
    status = static_cast<int>(outcome.reports[0].status);
    hint = outcome.reports[0].hint;
  } else {
    // Root opens a mode-000 file regardless: the probe has to run as someone else.
    const ChildOutcome child = probe_dcmi_as_nobody({.dev_root = dev.path()});
    if (!child.skip.empty()) GTEST_SKIP() << "running as root and " << child.skip;
    status = child.status;
    hint = child.hint;
  }
  EXPECT_EQ(status, static_cast<int>(ProbeReport::Status::kPermissionDenied)) << hint;
  EXPECT_TRUE(contains(hint, "run jouletrace as root")) << hint;
  EXPECT_TRUE(contains(hint, "udev rule")) << hint;
}

}  // namespace
}  // namespace jt
