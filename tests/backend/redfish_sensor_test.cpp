// SPDX-License-Identifier: BSD-3-Clause
// The Redfish backend against a loopback BMC (tests/fakes/mock_bmc): every scenario's probe
// result and message, readings checked against the mock's known power, failures mid-run,
// sessions, TLS and the config file checks.
#include "sensors/redfish/redfish_sensor.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "fakes/mock_bmc/mock_bmc_client.hpp"
#include "sensors/bmc_backends.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using redfish::RedfishSensor;

constexpr double kMockPowerW = 400.0;  // mock_bmc's default

using test::contains;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class RedfishBackend : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("JOULETRACE_REDFISH_CONFIG"); }

  // Probes with a config for `bmc` plus `fields`.
  ProbeOutcome probe(const test::MockBmc& bmc, json fields = json::object()) {
    fields["url"] = bmc.url();
    ProbeContext context;
    context.redfish_config = test::write_redfish_config(dir_ / "bmc.json", fields);
    return probe_redfish(context);
  }

  static const ProbeReport& only_report(const ProbeOutcome& outcome) {
    EXPECT_EQ(outcome.reports.size(), 1u);
    return outcome.reports.front();
  }

  static RedfishSensor& sensor_of(ProbeOutcome& outcome) {
    EXPECT_EQ(outcome.sensors.size(), 1u);
    return dynamic_cast<RedfishSensor&>(*outcome.sensors.front());
  }

  static Reading read_one(Sensor& sensor) {
    Reading reading;
    sensor.read({&reading, 1});
    return reading;
  }

  // Two reads `gap_s` apart; the energy counter's slope must be the mock's power.
  static void expect_energy_at_known_power(Sensor& sensor, double gap_s = 0.6) {
    using Clock = std::chrono::steady_clock;
    const auto before_first = Clock::now();
    const Reading first = read_one(sensor);
    const auto after_first = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(gap_s));
    const auto before_second = Clock::now();
    const Reading second = read_one(sensor);
    const auto after_second = Clock::now();
    ASSERT_EQ(first.status, Reading::Status::kOk);
    ASSERT_EQ(second.status, Reading::Status::kOk);
    const ChannelInfo& info = sensor.channels()[0];
    const double energy_j = static_cast<double>(second.raw - first.raw) * info.scale;
    // The mock evaluates E(t) while answering, so inside each read call as the test's own clock
    // brackets it (not the readings' timestamps): the time between the two values is at least
    // from the end of the first call to the start of the second, at most from the start of the
    // first to the end of the second. 2 ms more for the counter's unit and rounding.
    const double min_s = std::chrono::duration<double>(before_second - after_first).count();
    const double max_s = std::chrono::duration<double>(after_second - before_first).count();
    EXPECT_GE(energy_j, kMockPowerW * (min_s - 0.002)) << min_s << " to " << max_s << " s";
    EXPECT_LE(energy_j, kMockPowerW * (max_s + 0.002)) << min_s << " to " << max_s << " s";
  }

  test::TempTree dir_;
};

TEST_F(RedfishBackend, NoConfigIsAbsentWithAHint) {
  const auto outcome = probe_redfish(ProbeContext{});
  const auto& report = only_report(outcome);
  EXPECT_EQ(report.backend, "redfish");
  EXPECT_EQ(report.status, ProbeReport::Status::kAbsent);
  EXPECT_EQ(report.detail, "no Redfish BMC configured");
  EXPECT_TRUE(contains(report.hint, "--redfish-config")) << report.hint;
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST_F(RedfishBackend, OkScenarioPrefersTheEnvironmentEnergyCounter) {
  test::MockBmc bmc(dir_.path(), "ok");
  auto outcome = probe(bmc);
  const auto& report = only_report(outcome);
  ASSERT_EQ(report.status, ProbeReport::Status::kPresent) << report.detail << report.hint;
  EXPECT_TRUE(contains(report.detail, "EnvironmentMetrics EnergyJoules")) << report.detail;
  auto& sensor = sensor_of(outcome);
  EXPECT_EQ(sensor.backend(), "redfish");
  const ChannelInfo& info = sensor.channels()[0];
  EXPECT_EQ(info.id, "redfish/1");
  EXPECT_EQ(info.domain, Domain::kNode);
  EXPECT_EQ(info.device, "Computer System Chassis");
  EXPECT_EQ(info.quantity, Quantity::kEnergyCounter);
  EXPECT_EQ(info.raw_unit, "mJ");
  EXPECT_DOUBLE_EQ(info.scale, 1e-3);
  EXPECT_EQ(info.wrap_modulus, 0u);
  EXPECT_EQ(info.provenance,
            bmc.url() + "/redfish/v1/Chassis/1/EnvironmentMetrics EnergyJoules.Reading");
  EXPECT_DOUBLE_EQ(info.calibration_error, 0.02);  // Accuracy of its DataSourceUri sensor
  EXPECT_DOUBLE_EQ(sensor.min_interval_s(), 0.2);  // interval_s of the config
  expect_energy_at_known_power(sensor);
  // The counter starts where the mock's does: 1 MJ plus what accrued since it started.
  const Reading reading = read_one(sensor);
  EXPECT_GT(static_cast<double>(reading.raw) * 1e-3, 1.0e6);
}

TEST_F(RedfishBackend, ConfigFromTheEnvironment) {
  test::MockBmc bmc(dir_.path(), "ok");
  const auto path = test::write_redfish_config(dir_ / "env.json", {{"url", bmc.url()}});
  ::setenv("JOULETRACE_REDFISH_CONFIG", path.c_str(), 1);
  const auto outcome = probe_redfish(ProbeContext{});
  ::unsetenv("JOULETRACE_REDFISH_CONFIG");
  EXPECT_EQ(only_report(outcome).status, ProbeReport::Status::kPresent);
  EXPECT_EQ(outcome.sensors.size(), 1u);
}

TEST_F(RedfishBackend, LegacyOnlyPollsPowerConsumedWatts) {
  test::MockBmc bmc(dir_.path(), "legacy-only");
  auto outcome = probe(bmc);
  const auto& report = only_report(outcome);
  ASSERT_EQ(report.status, ProbeReport::Status::kPresent) << report.detail;
  auto& sensor = sensor_of(outcome);
  const ChannelInfo& info = sensor.channels()[0];
  EXPECT_EQ(info.quantity, Quantity::kInstantPower);
  EXPECT_EQ(info.raw_unit, "mW");
  EXPECT_EQ(info.max_power_w, 1600.0);  // PowerCapacityWatts
  EXPECT_TRUE(contains(info.provenance, "/redfish/v1/Chassis/1/Power PowerControl[0]"))
      << info.provenance;
  EXPECT_TRUE(contains(info.note, "polled and integrated")) << info.note;
  const Reading reading = read_one(sensor);
  ASSERT_EQ(reading.status, Reading::Status::kOk) << sensor.last_error();
  EXPECT_EQ(reading.raw, 400000u);
}

TEST_F(RedfishBackend, EnergySensorFromTheSensorsCollectionUsesItsLifetimeReading) {
  test::MockBmc bmc(dir_.path(), "energy-sensor");
  auto outcome = probe(bmc);
  const auto& report = only_report(outcome);
  ASSERT_EQ(report.status, ProbeReport::Status::kPresent) << report.detail;
  EXPECT_TRUE(contains(report.detail, "Sensor EnergyJoules")) << report.detail;
  EXPECT_TRUE(contains(report.detail, "sensor reset 2024-06-01T12:00:00Z")) << report.detail;
  auto& sensor = sensor_of(outcome);
  const ChannelInfo& info = sensor.channels()[0];
  EXPECT_EQ(info.quantity, Quantity::kEnergyCounter);
  EXPECT_EQ(info.provenance,
            bmc.url() + "/redfish/v1/Chassis/1/Sensors/NodeEnergy LifetimeReading");
  EXPECT_DOUBLE_EQ(info.calibration_error, 0.015);
  expect_energy_at_known_power(sensor);
  // LifetimeReading, not the Reading that restarted at the sensor's reset.
  EXPECT_GT(static_cast<double>(read_one(sensor).raw) * 1e-3, 1.0e6);
}

// A service that pages its Sensors collection (Members@odata.nextLink): the node's energy
// sensor on the fourth page is found, and the GPU's on the third is still not taken for it.
TEST_F(RedfishBackend, PagedCollectionsAreFollowedToTheEnd) {
  test::MockBmc bmc(dir_.path(), "paged");
  auto outcome = probe(bmc);
  const auto& report = only_report(outcome);
  ASSERT_EQ(report.status, ProbeReport::Status::kPresent) << report.detail;
  EXPECT_TRUE(contains(report.detail, "Sensor EnergyJoules")) << report.detail;
  auto& sensor = sensor_of(outcome);
  const ChannelInfo& info = sensor.channels()[0];
  EXPECT_EQ(info.quantity, Quantity::kEnergyCounter);
  EXPECT_TRUE(contains(info.provenance, "/redfish/v1/Chassis/1/Sensors/NodeEnergy"))
      << info.provenance;
  expect_energy_at_known_power(sensor);
}

TEST(RedfishJson, CollectionPageKeepsItsNextLinkAndRefusesAnotherHost) {
  const auto page = redfish::parse_collection_page(
      R"({"Members": [{"@odata.id": "/redfish/v1/Chassis/1/Sensors/A"}],
          "Members@odata.nextLink": "/redfish/v1/Chassis/1/Sensors?$skip=1"})");
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->members.size(), 1u);
  EXPECT_EQ(page->next_link, "/redfish/v1/Chassis/1/Sensors?$skip=1");
  EXPECT_FALSE(redfish::parse_collection_page(
      R"({"Members": [], "Members@odata.nextLink": "//evil.example/x"})"));
  EXPECT_TRUE(redfish::parse_collection_page(R"({"Members": []})")->next_link.empty());
}

TEST_F(RedfishBackend, EnergykWhIsAnEnergyCounterWithAResolutionNote) {
  test::MockBmc bmc(dir_.path(), "energy-kwh");
  auto outcome = probe(bmc);
  ASSERT_EQ(only_report(outcome).status, ProbeReport::Status::kPresent)
      << only_report(outcome).detail;
  auto& sensor = sensor_of(outcome);
  const ChannelInfo& info = sensor.channels()[0];
  EXPECT_EQ(info.quantity, Quantity::kEnergyCounter);
  EXPECT_TRUE(contains(info.provenance, "EnergykWh.Reading")) << info.provenance;
  // The mock computes its kWh to full precision: no coarse step is made up.
  EXPECT_EQ(info.resolution, 0.0);
  EXPECT_TRUE(contains(info.note, "more than 6 decimals")) << info.note;
  // PowerWatts of the same chassis is read beside it, for runs too short for a kWh step.
  ASSERT_EQ(sensor.channels().size(), 2u);
  EXPECT_EQ(sensor.channels()[1].id, info.id + "/power");
  EXPECT_EQ(sensor.channels()[1].quantity, Quantity::kInstantPower);
  expect_energy_at_known_power(sensor);
}

TEST_F(RedfishBackend, SeveralChassisFollowTheDiscoveryRuleOrTheConfig) {
  test::MockBmc bmc(dir_.path(), "multi-chassis");
  auto automatic = probe(bmc);
  const auto& report = only_report(automatic);
  ASSERT_EQ(report.status, ProbeReport::Status::kPresent) << report.detail;
  // The node's own chassis, although the shelf has the better (energy) source.
  EXPECT_EQ(sensor_of(automatic).channels()[0].id, "redfish/Node1");
  EXPECT_TRUE(contains(report.detail, "also metered: Shelf")) << report.detail;

  auto shelf = probe(bmc, {{"chassis", "Shelf"}});
  ASSERT_EQ(only_report(shelf).status, ProbeReport::Status::kPresent);
  const ChannelInfo& info = sensor_of(shelf).channels()[0];
  EXPECT_EQ(info.id, "redfish/Shelf");
  EXPECT_EQ(info.quantity, Quantity::kEnergyCounter);

  auto unknown = probe(bmc, {{"chassis", "Blade7"}});
  const auto& missing = only_report(unknown);
  EXPECT_EQ(missing.status, ProbeReport::Status::kError);
  EXPECT_TRUE(contains(missing.detail, "chassis \"Blade7\"")) << missing.detail;
  EXPECT_TRUE(contains(missing.detail, "Shelf, Node1")) << missing.detail;
  EXPECT_TRUE(contains(missing.hint, "\"auto\"")) << missing.hint;
  EXPECT_TRUE(unknown.sensors.empty());
}

TEST_F(RedfishBackend, AuthFailureIsPermissionDeniedForBasicAndSession) {
  test::MockBmc bmc(dir_.path(), "auth-failure");
  for (const char* auth : {"basic", "session"}) {
    const auto outcome = probe(bmc, {{"auth", auth}});
    const auto& report = only_report(outcome);
    EXPECT_EQ(report.status, ProbeReport::Status::kPermissionDenied) << auth;
    EXPECT_TRUE(contains(report.detail, "HTTP 401")) << report.detail;
    EXPECT_TRUE(contains(report.detail, "\"admin\"")) << report.detail;
    EXPECT_FALSE(contains(report.detail, "secret")) << report.detail;
    EXPECT_TRUE(contains(report.hint, "\"password\"")) << report.hint;
    EXPECT_TRUE(outcome.sensors.empty());
  }
}

TEST_F(RedfishBackend, WrongPasswordOnAWorkingBmcIsAnAuthFailure) {
  test::MockBmc bmc(dir_.path(), "ok");
  const auto outcome = probe(bmc, {{"password", "wrong"}});
  EXPECT_EQ(only_report(outcome).status, ProbeReport::Status::kPermissionDenied);
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST_F(RedfishBackend, TimeoutEndsWithinTheConfiguredTime) {
  test::MockBmc bmc(dir_.path(), "timeout");
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = probe(bmc);
  EXPECT_LT(seconds_since(start), 3.0);  // timeout_s is 1
  const auto& report = only_report(outcome);
  EXPECT_EQ(report.status, ProbeReport::Status::kError);
  EXPECT_TRUE(contains(report.detail, "timed out")) << report.detail;
  EXPECT_TRUE(contains(report.detail, "no answer within 1 s")) << report.detail;
  EXPECT_TRUE(contains(report.hint, "timeout_s")) << report.hint;
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST_F(RedfishBackend, MissingChassis) {
  test::MockBmc bmc(dir_.path(), "missing-chassis");
  const auto outcome = probe(bmc);
  const auto& report = only_report(outcome);
  EXPECT_EQ(report.status, ProbeReport::Status::kError);
  EXPECT_TRUE(contains(report.detail, "lists no chassis")) << report.detail;
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST_F(RedfishBackend, MalformedJson) {
  test::MockBmc bmc(dir_.path(), "malformed-json");
  const auto outcome = probe(bmc);
  const auto& report = only_report(outcome);
  EXPECT_EQ(report.status, ProbeReport::Status::kError);
  EXPECT_TRUE(contains(report.detail, "malformed JSON in the collection")) << report.detail;
  EXPECT_TRUE(contains(report.detail, "/redfish/v1/Chassis")) << report.detail;
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST_F(RedfishBackend, NoPowerOrEnergyProperty) {
  test::MockBmc bmc(dir_.path(), "no-meter");
  const auto outcome = probe(bmc);
  const auto& report = only_report(outcome);
  EXPECT_EQ(report.status, ProbeReport::Status::kError);
  EXPECT_TRUE(contains(report.detail, "no power or energy reading")) << report.detail;
  EXPECT_TRUE(contains(report.detail, "chassis 1 has no EnergyJoules")) << report.detail;
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST_F(RedfishBackend, SlowBmcStillReadsWithAWideBracket) {
  test::MockBmc bmc(dir_.path(), "slow", {"--delay-ms", "300"});
  auto outcome = probe(bmc);
  ASSERT_EQ(only_report(outcome).status, ProbeReport::Status::kPresent)
      << only_report(outcome).detail;
  auto& sensor = sensor_of(outcome);
  const Reading reading = read_one(sensor);
  ASSERT_EQ(reading.status, Reading::Status::kOk) << sensor.last_error();
  // The read took the BMC's 300 ms; its timestamp is the middle of it.
  EXPECT_GE(reading.half_width_ns, 140'000'000);
  expect_energy_at_known_power(sensor, 0.2);
}

TEST_F(RedfishBackend, UnreachableBmc) {
  int port = 0;
  {
    test::MockBmc gone(dir_.path(), "ok");
    port = gone.port();
  }  // stopped: nothing listens on its port any more
  ProbeContext context;
  context.redfish_config = test::write_redfish_config(
      dir_ / "bmc.json", {{"url", "http://127.0.0.1:" + std::to_string(port)}});
  const auto outcome = probe_redfish(context);
  const auto& report = only_report(outcome);
  EXPECT_EQ(report.status, ProbeReport::Status::kError);
  EXPECT_TRUE(contains(report.detail, "BMC unreachable")) << report.detail;
  EXPECT_TRUE(contains(report.hint, "\"url\"")) << report.hint;
}

TEST_F(RedfishBackend, FailuresMidRunAreUnavailableAndRecover) {
  test::MockBmc bmc(dir_.path(), "ok");
  auto outcome = probe(bmc);
  auto& sensor = sensor_of(outcome);
  ASSERT_EQ(read_one(sensor).status, Reading::Status::kOk);
  const std::vector<std::pair<std::string, std::string>> modes = {
      {"timeout", "no answer within 1 s"},
      {"malformed", "malformed JSON"},
      {"null", "EnergyJoules.Reading is null"},
      {"error500", "HTTP 500"},
      {"forbidden", "HTTP 403"}};
  for (const auto& [mode, message] : modes) {
    bmc.set_mode(mode);
    const auto start = std::chrono::steady_clock::now();
    const Reading reading = read_one(sensor);
    EXPECT_LT(seconds_since(start), 3.0) << mode;
    EXPECT_EQ(reading.status, Reading::Status::kUnavailable) << mode;
    EXPECT_EQ(reading.raw, 0u) << mode;
    EXPECT_TRUE(contains(sensor.last_error(), message)) << mode << ": " << sensor.last_error();
    bmc.set_mode("ok");
    EXPECT_EQ(read_one(sensor).status, Reading::Status::kOk) << "after " << mode;
    EXPECT_TRUE(sensor.last_error().empty());
  }
}

// BMCs answer a login's Location as another host's absolute URL (an internal address, a name behind
// NAT) or not at all: the session is still closed, on the configured BMC.
TEST_F(RedfishBackend, SessionIsClosedWhateverTheLoginsLocationSays) {
  for (const std::string mode : {"foreign-location", "no-location"}) {
    test::MockBmc bmc(dir_.path(), "ok");
    bmc.set_mode(mode);
    {
      auto outcome = probe(bmc, {{"auth", "session"}});
      ASSERT_EQ(only_report(outcome).status, ProbeReport::Status::kPresent)
          << mode << ": " << only_report(outcome).detail;
      EXPECT_EQ(read_one(sensor_of(outcome)).status, Reading::Status::kOk) << mode;
    }
    const json stats = bmc.stats();
    EXPECT_EQ(stats["logins"], 1) << mode;
    EXPECT_EQ(stats["logouts"], 1) << mode;
  }
}

TEST_F(RedfishBackend, SessionTokenIsReusedAndRenewedOnceAfterA401) {
  test::MockBmc bmc(dir_.path(), "ok");
  {
    auto outcome = probe(bmc, {{"auth", "session"}});
    ASSERT_EQ(only_report(outcome).status, ProbeReport::Status::kPresent)
        << only_report(outcome).detail;
    auto& sensor = sensor_of(outcome);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(read_one(sensor).status, Reading::Status::kOk);
    json stats = bmc.stats();
    EXPECT_EQ(stats["logins"], 1);  // discovery and every read on one session
    EXPECT_EQ(stats["basic_requests"], 0);
    EXPECT_GE(stats["token_requests"].get<int>(), 5);

    bmc.expire_sessions();  // the BMC forgets the session: 401, then one new login
    EXPECT_EQ(read_one(sensor).status, Reading::Status::kOk) << sensor.last_error();
    EXPECT_EQ(bmc.stats()["logins"], 2);
    EXPECT_EQ(sensor.client().logins(), 2);

    bmc.set_mode("unauthorized");  // the login itself is refused now: no loop, a clear error
    const Reading refused = read_one(sensor);
    EXPECT_EQ(refused.status, Reading::Status::kUnavailable);
    EXPECT_TRUE(contains(sensor.last_error(), "session login")) << sensor.last_error();
    EXPECT_TRUE(contains(sensor.last_error(), "HTTP 401")) << sensor.last_error();
    EXPECT_EQ(sensor.client().logins(), 3);
    bmc.set_mode("ok");
    EXPECT_EQ(read_one(sensor).status, Reading::Status::kOk) << sensor.last_error();
  }
  // The sensor's end closes its session on the BMC.
  EXPECT_EQ(bmc.stats()["logouts"], 1);
}

TEST_F(RedfishBackend, CredentialsRefusedThreeTimesInARowAreNotTriedAgain) {
  test::MockBmc bmc(dir_.path(), "ok");
  auto outcome = probe(bmc, {{"auth", "session"}});
  auto& sensor = sensor_of(outcome);
  ASSERT_EQ(read_one(sensor).status, Reading::Status::kOk);
  bmc.expire_sessions();
  bmc.set_mode("unauthorized");
  // BMCs lock out accounts and addresses that keep failing: a run polling every second must
  // stop asking.
  EXPECT_EQ(read_one(sensor).status, Reading::Status::kUnavailable);
  EXPECT_EQ(read_one(sensor).status, Reading::Status::kUnavailable);
  EXPECT_EQ(read_one(sensor).status, Reading::Status::kLost);
  const int logins = sensor.client().logins();
  bmc.set_mode("ok");
  EXPECT_EQ(read_one(sensor).status, Reading::Status::kLost);
  EXPECT_EQ(sensor.client().logins(), logins);
  EXPECT_TRUE(contains(sensor.last_error(), "not asked again")) << sensor.last_error();
}

TEST_F(RedfishBackend, BasicAuthSendsCredentialsWithEveryRequest) {
  test::MockBmc bmc(dir_.path(), "ok");
  auto outcome = probe(bmc);
  ASSERT_EQ(outcome.sensors.size(), 1u);
  read_one(*outcome.sensors.front());
  const json stats = bmc.stats();
  EXPECT_EQ(stats["logins"], 0);
  EXPECT_GE(stats["basic_requests"].get<int>(), 3);
}

TEST_F(RedfishBackend, ConfigReadableByOthersIsRefused) {
  test::MockBmc bmc(dir_.path(), "ok");
  ProbeContext context;
  context.redfish_config = test::write_redfish_config(dir_ / "bmc.json", {{"url", bmc.url()}});
  ::chmod(context.redfish_config.c_str(), 0644);
  const auto outcome = probe_redfish(context);
  const auto& report = only_report(outcome);
  EXPECT_EQ(report.status, ProbeReport::Status::kPermissionDenied);
  EXPECT_TRUE(contains(report.detail, "0644")) << report.detail;
  EXPECT_TRUE(contains(report.hint, "chmod 600")) << report.hint;
  EXPECT_TRUE(outcome.sensors.empty());
  EXPECT_EQ(bmc.stats()["requests"], 0);  // the password never left the machine
}

TEST_F(RedfishBackend, BadConfigIsAnError) {
  ProbeContext context;
  context.redfish_config = dir_ / "bad.json";
  test::write_file(context.redfish_config, R"({"url": "https://x", "username": "a"})");
  ::chmod(context.redfish_config.c_str(), 0600);
  const auto outcome = probe_redfish(context);
  const auto& report = only_report(outcome);
  EXPECT_EQ(report.status, ProbeReport::Status::kError);
  EXPECT_TRUE(contains(report.detail, ": password is missing")) << report.detail;
}

class RedfishTls : public RedfishBackend {
 protected:
  void SetUp() override {
    RedfishBackend::SetUp();
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "the openssl binary is not installed: TLS tests skipped";
    }
    cert_ = dir_ / "cert.pem";
    key_ = dir_ / "key.pem";
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
        key_.string() + "' -out '" + cert_.string() + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  std::unique_ptr<test::MockBmc> start() {
    return std::make_unique<test::MockBmc>(
        dir_.path(), "ok",
        std::vector<std::string>{"--tls-cert", cert_.string(), "--tls-key", key_.string()}, true);
  }
  fs::path cert_;
  fs::path key_;
};

TEST_F(RedfishTls, SelfSignedCertificateIsRejectedByDefault) {
  auto bmc = start();
  const auto outcome = probe(*bmc);
  const auto& report = only_report(outcome);
  EXPECT_EQ(report.status, ProbeReport::Status::kError);
  EXPECT_TRUE(contains(report.detail, "TLS failure")) << report.detail;
  EXPECT_TRUE(contains(report.hint, "ca_file")) << report.hint;
  EXPECT_TRUE(outcome.sensors.empty());
  EXPECT_EQ(bmc->stats()["basic_requests"], 0);  // no credentials to an unverified peer
}

TEST_F(RedfishTls, CertificateAcceptedWithItsCaFile) {
  auto bmc = start();
  auto outcome = probe(*bmc, {{"ca_file", cert_.string()}, {"auth", "session"}});
  const auto& report = only_report(outcome);
  ASSERT_EQ(report.status, ProbeReport::Status::kPresent) << report.detail;
  EXPECT_FALSE(contains(report.detail, "warning")) << report.detail;
  expect_energy_at_known_power(sensor_of(outcome), 0.3);
}

TEST_F(RedfishTls, VerificationOffWorksButIsRecordedAsAWarning) {
  auto bmc = start();
  auto outcome = probe(*bmc, {{"verify_tls", false}});
  const auto& report = only_report(outcome);
  ASSERT_EQ(report.status, ProbeReport::Status::kPresent) << report.detail;
  EXPECT_TRUE(contains(report.detail, "warning: TLS verification is off")) << report.detail;
  EXPECT_TRUE(contains(sensor_of(outcome).channels()[0].note, "TLS verification is off"));
}

}  // namespace
}  // namespace jt
