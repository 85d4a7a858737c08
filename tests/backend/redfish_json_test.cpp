// SPDX-License-Identifier: BSD-3-Clause
// The Redfish backend's pure parts: config parsing and file checks, the resource parsers, the
// value extraction and unit conversion, and the discovery rule.
#include "sensors/redfish/redfish_json.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "sensors/redfish/redfish_config.hpp"
#include "sensors/redfish/redfish_sensor.hpp"
#include "support/test_support.hpp"

namespace jt::redfish {
namespace {

constexpr const char* kMinimal =
    R"({"url": "https://bmc.example", "username": "admin", "password": "pw"})";

TEST(RedfishConfig, MinimalConfigTakesDocumentedDefaults) {
  auto config = parse_config(kMinimal);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->url, "https://bmc.example");
  EXPECT_EQ(config->auth, AuthMethod::kBasic);
  EXPECT_TRUE(config->verify_tls);
  EXPECT_TRUE(config->ca_file.empty());
  EXPECT_EQ(config->timeout_s, Config::kDefaultTimeoutS);
  EXPECT_EQ(config->interval_s, Config::kDefaultIntervalS);
  EXPECT_EQ(config->chassis, "auto");
}

TEST(RedfishConfig, EveryFieldIsRead) {
  auto config = parse_config(R"({"url": "https://10.0.0.5:8443/redfish/v1/", "username": "u",
      "password": "p\"q", "auth": "session", "verify_tls": false, "ca_file": "/etc/bmc-ca.pem",
      "timeout_s": 2.5, "chassis": "System.Embedded.1", "interval_s": 10})");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->url, "https://10.0.0.5:8443");  // the service path is implied
  EXPECT_EQ(config->password, "p\"q");
  EXPECT_EQ(config->auth, AuthMethod::kSession);
  EXPECT_FALSE(config->verify_tls);
  EXPECT_EQ(config->ca_file, "/etc/bmc-ca.pem");
  EXPECT_EQ(config->timeout_s, 2.5);
  EXPECT_EQ(config->chassis, "System.Embedded.1");
  EXPECT_EQ(config->interval_s, 10.0);
}

TEST(RedfishConfig, SchemaAndVersionAreOptionalButChecked) {
  // Configs written before the format had a name have neither (kMinimal); both are accepted.
  auto config = parse_config(R"({"schema": "jouletrace.redfish-config", "version": 1,
      "url": "https://bmc.example", "username": "admin", "password": "pw"})");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->url, "https://bmc.example");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"schema": "jouletrace.run", "url": "https://x", "username": "a", "password": "b"})",
       R"(schema is "jouletrace.run", not "jouletrace.redfish-config" (version 1))"},
      {R"({"schema": 1, "url": "https://x", "username": "a", "password": "b"})",
       "schema is an integer, not a string"},
      {R"({"version": 2, "url": "https://x", "username": "a", "password": "b"})",
       "version is 2; this jouletrace reads jouletrace.redfish-config version 1"},
      {R"({"version": "1", "url": "https://x", "username": "a", "password": "b"})",
       "version is a string, not an integer"},
  };
  for (const auto& [text, expected] : cases) {
    auto bad = parse_config(text);
    ASSERT_FALSE(bad) << text;
    EXPECT_NE(bad.error().message.find(expected), std::string::npos)
        << text << " -> " << bad.error().message;
  }
}

TEST(RedfishConfig, BadConfigsSayWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"username": "a", "password": "b"})", "url is missing"},
      {R"({"url": "ftp://x", "username": "a", "password": "b"})", "url must start with https://"},
      {R"({"url": "https://x/other", "username": "a", "password": "b"})", "without a path"},
      {R"({"url": "https://u:p@x", "username": "a", "password": "b"})", "credentials"},
      {R"({"url": "https://", "username": "a", "password": "b"})", "no host"},
      {R"({"url": "https://x", "password": "b"})", "username is missing"},
      {R"({"url": "https://x", "username": "", "password": "b"})", "username is empty"},
      {R"({"url": "https://x", "username": "a"})", "password is missing"},
      // The type only: the value of a password field is never echoed.
      {R"({"url": "https://x", "username": "a", "password": 5})",
       "password is an integer, not a string"},
      {R"({"url": "https://x", "username": "a", "password": "b", "auth": "digest"})",
       "\"basic\" or \"session\""},
      {R"({"url": "https://x", "username": "a", "password": "b", "verify_tls": "no"})",
       "true or false"},
      {R"({"url": "https://x", "username": "a", "password": "b", "timeout_s": 0})",
       "timeout_s must be above 0"},
      {R"({"url": "https://x", "username": "a", "password": "b", "timeout_s": 1e9})",
       "timeout_s is 1000000000 (allowed: 0 to 300)"},
      {R"({"url": "https://x", "username": "a", "password": "b", "interval_s": 0.01})",
       "interval_s is 0.01 (allowed: 0.1 to 3600)"},
      {R"({"url": "https://x", "username": "a", "password": "b", "chassis": "a/b"})", "chassis Id"},
      {R"({"url": "https://x", "username": "a", "password": "b", "pasword": "c"})",
       "unknown key \"pasword\""},
      {R"([1, 2])", "the top level is an array, not an object"},
  };
  for (const auto& [text, expected] : cases) {
    auto config = parse_config(text);
    ASSERT_FALSE(config) << text;
    EXPECT_NE(config.error().message.find(expected), std::string::npos)
        << text << " -> " << config.error().message;
  }
}

TEST(RedfishConfig, MalformedJsonDoesNotEchoThePassword) {
  auto config = parse_config(R"({"url": "https://x", "username": "a", "password": "hunter2)");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("malformed JSON in the file (the text ends too soon"),
            std::string::npos)
      << config.error().message;
  EXPECT_EQ(config.error().message.find("hunter2"), std::string::npos) << config.error().message;
}

TEST(RedfishConfigFile, PrivateFileIsLoaded) {
  test::TempTree dir;
  const auto path = dir / "bmc.json";
  test::write_file(path, kMinimal);
  ::chmod(path.c_str(), 0600);
  auto config = load_config(path);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->source, path);
}

TEST(RedfishConfigFile, GroupOrOtherAccessIsRefusedWithAChmodHint) {
  test::TempTree dir;
  const auto path = dir / "bmc.json";
  test::write_file(path, kMinimal);
  for (const mode_t mode : {0644, 0640, 0604, 0620, 0602}) {
    ::chmod(path.c_str(), mode);
    auto config = load_config(path);
    ASSERT_FALSE(config) << std::oct << mode;
    EXPECT_EQ(config.error().kind, ErrorKind::kPermissionDenied);
    EXPECT_NE(config.error().message.find("group or others"), std::string::npos)
        << config.error().message;
    EXPECT_NE(config.error().hint.find("chmod 600"), std::string::npos) << config.error().hint;
  }
}

TEST(RedfishConfigFile, FileOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file to another user";
  test::TempTree dir;
  const auto path = dir / "bmc.json";
  test::write_file(path, kMinimal);
  ::chmod(path.c_str(), 0600);
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  auto config = load_config(path);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::kPermissionDenied);
  EXPECT_NE(config.error().message.find("owned by uid 65534"), std::string::npos)
      << config.error().message;
}

TEST(RedfishConfigFile, MissingAndBadFilesAreClearErrors) {
  test::TempTree dir;
  auto missing = load_config(dir / "nope.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find("nope.json"), std::string::npos);

  const auto path = dir / "bad.json";
  test::write_file(path, R"({"url": "https://x"})");
  ::chmod(path.c_str(), 0600);
  auto bad = load_config(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidData);
  EXPECT_NE(bad.error().message.find("bad Redfish config"), std::string::npos);
  EXPECT_NE(bad.error().message.find("username is missing"), std::string::npos);

  auto directory = load_config(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);
}

TEST(RedfishConfigFile, PathComesFromTheContextThenTheEnvironment) {
  ProbeContext context;
  ::unsetenv("JOULETRACE_REDFISH_CONFIG");
  EXPECT_FALSE(config_path(context));
  ::setenv("JOULETRACE_REDFISH_CONFIG", "/from/env.json", 1);
  EXPECT_EQ(config_path(context), std::filesystem::path("/from/env.json"));
  context.redfish_config = "/from/option.json";
  EXPECT_EQ(config_path(context), std::filesystem::path("/from/option.json"));
  ::unsetenv("JOULETRACE_REDFISH_CONFIG");
}

TEST(RedfishJson, ServiceRootLinksWithStandardFallbacks) {
  auto root = parse_service_root(R"({"Chassis": {"@odata.id": "/redfish/v1/Chassis"},
      "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}}})");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->chassis_path, "/redfish/v1/Chassis");
  auto bare = parse_service_root("{}");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->chassis_path, "/redfish/v1/Chassis");
  EXPECT_EQ(bare->sessions_path, "/redfish/v1/SessionService/Sessions");
  // A link to another host is not followed.
  auto foreign = parse_service_root(R"({"Chassis": {"@odata.id": "//evil.example/x"}})");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->chassis_path, "/redfish/v1/Chassis");
}

TEST(RedfishJson, CollectionMembersInOrder) {
  auto members = parse_collection(
      R"({"Members": [{"@odata.id": "/redfish/v1/Chassis/B"}, {"@odata.id": "/redfish/v1/Chassis/A"}]})");
  ASSERT_TRUE(members);
  EXPECT_EQ(*members, (std::vector<std::string>{"/redfish/v1/Chassis/B", "/redfish/v1/Chassis/A"}));
  EXPECT_TRUE(parse_collection(R"({"Members": []})")->empty());

  auto no_members = parse_collection(R"({"Name": "x"})");
  ASSERT_FALSE(no_members);
  EXPECT_NE(no_members.error().message.find("no Members array"), std::string::npos);
  EXPECT_FALSE(parse_collection(R"({"Members": [{"@odata.id": "relative"}]})"));
  EXPECT_FALSE(parse_collection(R"({"Members": [17]})"));

  auto cut = parse_collection(R"({"Members": [{"@odata.id": "/redfish/v1/Cha)");
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("malformed JSON in the collection"), std::string::npos)
      << cut.error().message;
}

TEST(RedfishJson, ChassisLinks) {
  auto chassis = parse_chassis(R"({"Id": "1", "Name": "Node", "ChassisType": "RackMount",
      "Power": {"@odata.id": "/redfish/v1/Chassis/1/Power"},
      "EnvironmentMetrics": {"@odata.id": "/redfish/v1/Chassis/1/EnvironmentMetrics"},
      "Sensors": {"@odata.id": "/redfish/v1/Chassis/1/Sensors"},
      "Links": {"ComputerSystems": [{"@odata.id": "/redfish/v1/Systems/1"}]}})");
  ASSERT_TRUE(chassis);
  EXPECT_EQ(chassis->id, "1");
  EXPECT_EQ(chassis->power_path, "/redfish/v1/Chassis/1/Power");
  EXPECT_EQ(chassis->environment_metrics_path, "/redfish/v1/Chassis/1/EnvironmentMetrics");
  EXPECT_EQ(chassis->sensors_path, "/redfish/v1/Chassis/1/Sensors");
  EXPECT_TRUE(chassis->houses_computer_system);
  auto shelf = parse_chassis(R"({"Id": "S", "Links": {"ComputerSystems": []}})");
  ASSERT_TRUE(shelf);
  EXPECT_FALSE(shelf->houses_computer_system);
  EXPECT_TRUE(shelf->power_path.empty());
}

TEST(RedfishJson, EnvironmentMetricsExcerpts) {
  auto metrics = parse_environment_metrics(R"({
      "EnergyJoules": {"Reading": 12345.5, "DataSourceUri": "/redfish/v1/Chassis/1/Sensors/E"},
      "EnergykWh": {"Reading": 1.5, "LifetimeReading": 20.25, "SensorResetTime": "2024-01-01T00:00:00Z"},
      "PowerWatts": {"Reading": null}})");
  ASSERT_TRUE(metrics);
  ASSERT_TRUE(metrics->energy_joules);
  EXPECT_EQ(metrics->energy_joules->reading, 12345.5);
  EXPECT_EQ(metrics->energy_joules->data_source_path, "/redfish/v1/Chassis/1/Sensors/E");
  ASSERT_TRUE(metrics->energy_kwh);
  EXPECT_EQ(metrics->energy_kwh->lifetime_reading, 20.25);
  EXPECT_EQ(metrics->energy_kwh->sensor_reset_time, "2024-01-01T00:00:00Z");
  ASSERT_TRUE(metrics->power_watts);
  EXPECT_FALSE(metrics->power_watts->reading);  // null: no reading now
}

TEST(RedfishJson, SensorResource) {
  auto sensor = parse_sensor(R"({"Id": "E", "ReadingType": "EnergyJoules", "ReadingUnits": "J",
      "Reading": 5, "LifetimeReading": 9, "Accuracy": 1.5, "Status": {"State": "Enabled"}})");
  ASSERT_TRUE(sensor);
  EXPECT_EQ(sensor->reading_type, "EnergyJoules");
  EXPECT_EQ(sensor->reading, 5.0);
  EXPECT_EQ(sensor->lifetime_reading, 9.0);
  EXPECT_EQ(sensor->accuracy_percent, 1.5);
  EXPECT_EQ(sensor->state, "Enabled");
  auto odd = parse_sensor(R"({"ReadingType": 3, "Reading": "12", "Accuracy": -4})");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->reading_type.empty());
  EXPECT_FALSE(odd->reading);
  EXPECT_FALSE(odd->accuracy_percent);
}

// Issue 10 item 11: the entry is chosen by what it measures, not by having a number now (Lenovo
// XCC's server entry was null at start and the CPU sub-system entry was taken for the node).
TEST(RedfishJson, LegacyPowerTakesTheWholeChassisEntryEvenWhenItIsNullNow) {
  auto power = parse_legacy_power(R"({"PowerControl": [
      {"MemberId": "1", "Name": "CPU Sub-system Power", "PhysicalContext": "CPUSubsystem",
       "PowerConsumedWatts": 111},
      {"MemberId": "0", "Name": "Server Power Control", "PhysicalContext": "Chassis",
       "PowerConsumedWatts": null, "PowerCapacityWatts": 1600},
      {"MemberId": "2", "Name": "Memory Sub-system Power", "PowerConsumedWatts": 12}]})");
  ASSERT_TRUE(power);
  ASSERT_EQ(power->entries.size(), 3u);
  ASSERT_EQ(power->whole_chassis, 1u);
  const auto& server = power->entries[1];
  EXPECT_EQ(server.member_id, "0");
  EXPECT_TRUE(server.has_consumed);
  EXPECT_FALSE(server.consumed_watts);
  EXPECT_EQ(server.capacity_watts, 1600.0);
  EXPECT_EQ(power->subsystem_names,
            (std::vector<std::string>{"CPU Sub-system Power", "Memory Sub-system Power"}));
  auto none = parse_legacy_power(R"({"PowerControl": [{"Name": "x"}]})");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->whole_chassis);
  auto only_parts = parse_legacy_power(R"({"PowerControl": [
      {"Name": "CPU Sub-system Power", "PowerConsumedWatts": 111}]})");
  ASSERT_TRUE(only_parts);
  EXPECT_FALSE(only_parts->whole_chassis);
}

TEST(RedfishJson, AverageOnlyPowerControlIsAMeterWithItsInterval) {
  // AMI MegaRAC as in gofish's redfish/power_test.go: no PowerConsumedWatts, a numeric MemberId.
  auto power = parse_legacy_power(R"({"PowerControl": [{"MemberId": 0,
      "Name": "Chassis Power Control", "PowerMetrics": {"AverageConsumedWatts": 148,
      "IntervalInMin": 0.083333333333333, "MaxConsumedWatts": 301, "MinConsumedWatts": 0}}]})");
  ASSERT_TRUE(power);
  ASSERT_EQ(power->whole_chassis, 0u);
  const auto& entry = power->entries[0];
  EXPECT_FALSE(entry.has_consumed);
  EXPECT_EQ(entry.member_id, "0");
  EXPECT_EQ(entry.average_watts, 148.0);
  EXPECT_NEAR(*entry.interval_min * 60.0, 5.0, 1e-9);
  ValueLocator locator{SourceKind::kLegacyPowerAverageWatts, false, 3, "0"};
  const auto value = extract_value(R"({"PowerControl": [{"MemberId": 0,
      "PowerMetrics": {"AverageConsumedWatts": 150}}]})",
                                   locator);
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, 150.0);  // found by MemberId, not by the stale index 3
}

TEST(RedfishJson, ALegacyEntryIsFollowedByItsMemberIdNeverByPositionAlone) {
  ValueLocator locator{SourceKind::kLegacyPowerConsumedWatts, false, 0, "0"};
  const auto moved = extract_value(R"({"PowerControl": [
      {"MemberId": "1", "PowerConsumedWatts": 111}, {"MemberId": "0", "PowerConsumedWatts": 420}]})",
                                   locator);
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, 420.0);
  const auto gone =
      extract_value(R"({"PowerControl": [{"MemberId": "1", "PowerConsumedWatts": 111}]})", locator);
  EXPECT_FALSE(gone);
}

TEST(RedfishJson, ExtractValueForEverySource) {
  const std::string em =
      R"({"EnergyJoules": {"Reading": 100.5}, "EnergykWh": {"Reading": 2, "LifetimeReading": 3},
          "PowerWatts": {"Reading": 450}})";
  EXPECT_EQ(*extract_value(em, {SourceKind::kEnvironmentEnergyJoules, false, 0}), 100.5);
  EXPECT_EQ(*extract_value(em, {SourceKind::kEnvironmentEnergykWh, false, 0}), 2.0);
  EXPECT_EQ(*extract_value(em, {SourceKind::kEnvironmentEnergykWh, true, 0}), 3.0);
  EXPECT_EQ(*extract_value(em, {SourceKind::kEnvironmentPowerWatts, false, 0}), 450.0);
  EXPECT_EQ(*extract_value(R"({"Reading": 7, "LifetimeReading": 70})",
                           {SourceKind::kSensorEnergyJoules, true, 0}),
            70.0);
  const std::string power = R"({"PowerControl": [{}, {"PowerConsumedWatts": 590}]})";
  EXPECT_EQ(*extract_value(power, {SourceKind::kLegacyPowerConsumedWatts, false, 1}), 590.0);

  auto out_of_range = extract_value(power, {SourceKind::kLegacyPowerConsumedWatts, false, 5});
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().message.find("PowerControl[5].PowerConsumedWatts"),
            std::string::npos);
  auto null = extract_value(R"({"PowerWatts": {"Reading": null}})",
                            {SourceKind::kEnvironmentPowerWatts, false, 0});
  ASSERT_FALSE(null);
  EXPECT_NE(null.error().message.find("PowerWatts.Reading is null"), std::string::npos);
  auto text = extract_value(R"({"Reading": "12"})", {SourceKind::kSensorEnergyJoules, false, 0});
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("not a number"), std::string::npos);
  auto missing = extract_value(R"({})", {SourceKind::kEnvironmentEnergyJoules, false, 0});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no EnergyJoules.Reading"), std::string::npos);
  auto cut =
      extract_value(R"({"EnergyJoules": {"Rea)", {SourceKind::kEnvironmentEnergyJoules, false, 0});
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("malformed JSON"), std::string::npos);
}

TEST(RedfishJson, RawUnitsKeepPrecision) {
  EXPECT_EQ(*to_raw(1234.5678, SourceKind::kEnvironmentEnergyJoules), 1234568u);  // mJ
  EXPECT_EQ(*to_raw(0.001, SourceKind::kEnvironmentEnergykWh), 3600000u);         // 3.6 kJ
  EXPECT_EQ(*to_raw(1234.567, SourceKind::kSensorEnergykWh), 4444441200000u);
  EXPECT_EQ(*to_raw(590.25, SourceKind::kLegacyPowerConsumedWatts), 590250u);  // mW
  EXPECT_EQ(*to_raw(0.0, SourceKind::kEnvironmentPowerWatts), 0u);
  auto negative = to_raw(-1.0, SourceKind::kEnvironmentPowerWatts);
  ASSERT_FALSE(negative);
  EXPECT_NE(negative.error().message.find("negative power"), std::string::npos);
  EXPECT_FALSE(to_raw(std::nan(""), SourceKind::kEnvironmentEnergyJoules));
  EXPECT_FALSE(to_raw(std::numeric_limits<double>::infinity(), SourceKind::kSensorEnergyJoules));
  EXPECT_FALSE(to_raw(1e30, SourceKind::kEnvironmentEnergykWh));
}

TEST(RedfishJson, ErrorBodiesAndHeaders) {
  EXPECT_EQ(error_message(R"({"error": {"message": "See ExtendedInfo",
      "@Message.ExtendedInfo": [{"MessageId": "Base.1.8.NoValidSession",
      "Message": "There is no valid session."}]}})"),
            "See ExtendedInfo: There is no valid session.");
  EXPECT_EQ(error_message("<html>busy</html>"), "");
  const std::vector<std::string> headers = {"HTTP/1.1 201 Created\r\n",
                                            "x-auth-token:  abc123 \r\n",
                                            "Location: /redfish/v1/SessionService/Sessions/7\r\n"};
  EXPECT_EQ(header_value(headers, "X-Auth-Token"), "abc123");
  EXPECT_EQ(header_value(headers, "location"), "/redfish/v1/SessionService/Sessions/7");
  EXPECT_FALSE(header_value(headers, "X-Auth"));
  EXPECT_EQ(last_segment("/redfish/v1/Chassis/System.Embedded.1/"), "System.Embedded.1");
}

Candidate candidate(std::string id, bool server, SourceKind kind, std::string type = "RackMount",
                    std::string contained_by = "") {
  Candidate c;
  c.chassis_id = std::move(id);
  c.houses_computer_system = server;
  c.locator.kind = kind;
  c.chassis_type = std::move(type);
  c.contained_by = std::move(contained_by);
  return c;
}

TEST(RedfishDiscoveryRule, TheServerChassisOverAShelfAndTheConfigOverBoth) {
  const std::vector<Candidate> shelf_and_node = {
      candidate("Shelf", false, SourceKind::kEnvironmentEnergyJoules, "Enclosure"),
      candidate("Node", true, SourceKind::kLegacyPowerConsumedWatts)};
  EXPECT_EQ(choose(shelf_and_node, "auto").index, 1u);  // the shelf would count other nodes too
  EXPECT_EQ(choose(shelf_and_node, "Shelf").index, 0u);
  EXPECT_FALSE(choose(shelf_and_node, "Other").index);
  EXPECT_FALSE(choose({}, "auto").index);
  EXPECT_TRUE(choose({}, "auto").ambiguity.empty());
}

// Issue 10 item 10, after DMTF's public-smartnic mockup: the SmartNIC's chassis (a Card, inside
// the server, linking its own SoC system) won over the server because it had an energy sensor.
TEST(RedfishDiscoveryRule, ACardInsideTheServerIsNeverTheNode) {
  const std::vector<Candidate> smartnic = {
      candidate("1U", true, SourceKind::kLegacyPowerConsumedWatts),
      candidate("Card1", true, SourceKind::kEnvironmentEnergyJoules, "Card", "1U")};
  EXPECT_EQ(choose(smartnic, "auto").index, 0u);
  // Even were its type unknown, a chassis inside a server is a part of it.
  const std::vector<Candidate> untyped = {
      candidate("Card1", true, SourceKind::kEnvironmentEnergyJoules, "", "1U"),
      candidate("1U", true, SourceKind::kLegacyPowerConsumedWatts)};
  EXPECT_EQ(choose(untyped, "auto").index, 1u);
  EXPECT_EQ(choose(smartnic, "Card1").index, 1u);  // asked for by name: taken
}

TEST(RedfishDiscoveryRule, SeveralPossibleNodesAreNamedNotGuessed) {
  const std::vector<Candidate> blades = {
      candidate("Blade1", true, SourceKind::kEnvironmentPowerWatts, "Blade", "Encl"),
      candidate("Blade2", true, SourceKind::kSensorEnergykWh, "Blade", "Encl")};
  const Choice blade = choose(blades, "auto");
  EXPECT_FALSE(blade.index);
  EXPECT_EQ(blade.ambiguity,
            "2 chassis could each be this node (Blade1, Blade2), each housing a computer system");
  const std::vector<Candidate> systemless = {
      candidate("A", false, SourceKind::kEnvironmentPowerWatts),
      candidate("B", false, SourceKind::kSensorEnergykWh)};
  EXPECT_EQ(choose(systemless, "auto").ambiguity,
            "2 chassis could each be this node (A, B), and none houses a computer system");
  const std::vector<Candidate> alone = {candidate("1", false, SourceKind::kEnvironmentPowerWatts)};
  EXPECT_EQ(choose(alone, "auto").index, 0u);
}

}  // namespace
}  // namespace jt::redfish
