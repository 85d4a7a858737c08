// SPDX-License-Identifier: BSD-3-Clause
// The step record's JSON codec and its strict decoder (docs/STORE.md "Record format").
#include "store/job_record.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/job_store.hpp"
#include "store_test_support.hpp"

namespace jt::store {
namespace {

using testing::figure;
using testing::sample_record;

StepRecord a_record() {
  return sample_record("42", "extern", "n1", StepScope::kAllocation, 1000, 61000, 1000.0);
}

TEST(StepRecordJson, RoundTripKeepsEveryField) {
  const StepRecord record = a_record();
  const auto decoded = decode_step_record(to_json(record).dump());
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(to_json(*decoded), to_json(record));
  EXPECT_EQ(decoded->key, record.key);
  EXPECT_EQ(decoded->scope, StepScope::kAllocation);
  EXPECT_EQ(decoded->phases.at(0).items, 64u);
  EXPECT_DOUBLE_EQ(*decoded->coverage, 0.875);
}

TEST(StepRecordJson, UnknownEnergyIsNullNotZeroAndReadsBackUnknown) {
  StepRecord record = a_record();
  record.total.energy_j.reset();
  record.coverage.reset();
  const nlohmann::json json = to_json(record);
  EXPECT_TRUE(json["total"]["energy_j"].is_null());
  EXPECT_TRUE(json["coverage"].is_null());
  const auto decoded = decode_step_record(json);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_FALSE(decoded->total.energy_j.has_value());
  EXPECT_FALSE(decoded->coverage.has_value());
}

TEST(StepRecordJson, WritesMethodsAndScopesByName) {
  const nlohmann::json json = to_json(a_record());
  EXPECT_EQ(json["format"], 1);
  EXPECT_EQ(json["scope"], "allocation");
  EXPECT_EQ(json["estimate"]["method"], "model");
  EXPECT_EQ(json["total"]["method"], "counter");
  EXPECT_EQ(step_scope_from_string("batch"), StepScope::kBatch);
  EXPECT_EQ(step_scope_from_string("step"), StepScope::kStep);
  EXPECT_FALSE(step_scope_from_string("Step").has_value());
}

// Each malformed document must be refused with kInvalidData and a message naming the field.
struct Malformed {
  const char* what;
  std::function<void(nlohmann::json&)> change;
  const char* field;
};

TEST(StepRecordDecoder, RejectsMalformedRecordsNamingTheField) {
  const std::string long_text(4097, 'x');
  const std::vector<Malformed> cases = {
      {"missing user", [](nlohmann::json& j) { j.erase("user"); }, "user"},
      {"uid of the wrong type", [](nlohmann::json& j) { j["uid"] = "1000"; }, "uid"},
      {"negative uid", [](nlohmann::json& j) { j["uid"] = -1; }, "uid"},
      {"another format", [](nlohmann::json& j) { j["format"] = 2; }, "format"},
      {"unknown method", [](nlohmann::json& j) { j["total"]["method"] = "guess"; }, "method"},
      {"unknown scope", [](nlohmann::json& j) { j["scope"] = "job"; }, "scope"},
      {"negative uncertainty", [](nlohmann::json& j) { j["total"]["uncertainty_j"] = -1.0; },
       "uncertainty_j"},
      {"energy as text", [](nlohmann::json& j) { j["total"]["energy_j"] = "1"; }, "energy_j"},
      {"missing energy", [](nlohmann::json& j) { j["idle_gpu"].erase("energy_j"); }, "energy_j"},
      {"oversized string", [&](nlohmann::json& j) { j["cgroup"] = long_text; }, "cgroup"},
      {"oversized warning", [&](nlohmann::json& j) { j["warnings"] = {long_text}; }, "warnings[0]"},
      {"oversized array",
       [](nlohmann::json& j) { j["warnings"] = std::vector<std::string>(4097, "w"); }, "warnings"},
      {"components not an array", [](nlohmann::json& j) { j["components"] = 1; }, "components"},
      {"phase count fractional", [](nlohmann::json& j) { j["phases"][0]["count"] = 1.5; }, "count"},
      {"end before begin", [](nlohmann::json& j) { j["end_unix_ms"] = 0; }, "end_unix_ms"},
      {"gpu share above one", [](nlohmann::json& j) { j["gpus_measured"][0]["share"] = 2; },
       "share"},
  };
  for (const Malformed& c : cases) {
    nlohmann::json json = to_json(a_record());
    c.change(json);
    const auto decoded = decode_step_record(json);
    ASSERT_FALSE(decoded.has_value()) << c.what;
    EXPECT_EQ(decoded.error().kind, ErrorKind::kInvalidData) << c.what;
    EXPECT_NE(decoded.error().message.find(c.field), std::string::npos)
        << c.what << ": " << decoded.error().message;
  }
}

TEST(StepRecordDecoder, RejectsTextThatIsNotARecord) {
  for (const char* text : {"", "{", "[]", "null", "42", "{\"format\":1}",
                           "{\"format\":1,\"total\":{\"energy_j\":1e999}}"}) {
    const auto decoded = decode_step_record(std::string_view(text));
    ASSERT_FALSE(decoded.has_value()) << text;
    EXPECT_EQ(decoded.error().kind, ErrorKind::kInvalidData) << text;
  }
}

TEST(StepRecordDecoder, RejectsAnInfiniteEnergy) {
  std::string text = to_json(a_record()).dump();
  const std::string energy = "\"energy_j\":1000.0";
  const auto at = text.find(energy);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, energy.size(), "\"energy_j\":1e999");
  EXPECT_FALSE(decode_step_record(std::string_view(text)).has_value());
}

TEST(FigureConversion, KeepsTheSystematicPartApart) {
  Measurement m;
  m.energy_j = 500.0;
  m.method = Method::kPowerIntegrated;
  m.uncertainty.quantisation_j = 3.0;
  m.uncertainty.timing_j = 4.0;
  m.uncertainty.calibration_j = 10.0;
  m.uncertainty.total_j = 15.0;  // sqrt(3^2 + 4^2) + 10
  const Figure f = figure_of(m);
  EXPECT_EQ(f.energy_j, 500.0);
  EXPECT_DOUBLE_EQ(f.uncertainty_j, 15.0);
  EXPECT_DOUBLE_EQ(f.systematic_j, 10.0);
  EXPECT_EQ(f.method, Method::kPowerIntegrated);
  const Measurement back = measurement_of(f);
  EXPECT_DOUBLE_EQ(back.uncertainty.calibration_j, 10.0);
  EXPECT_DOUBLE_EQ(back.uncertainty.total_j, 15.0);
  EXPECT_DOUBLE_EQ(budget_total(back.uncertainty), 15.0);
}

// The credentials file holds a password: refused unless root alone can read it.
TEST(PostgresCredentials, RefusesAFileOthersCanRead) {
  const auto path =
      std::filesystem::temp_directory_path() / ("jt-credentials-" + std::to_string(::getpid()));
  std::ofstream(path) << "host=127.0.0.1 user=jt password=hunter2-secret\n";
  ::chmod(path.c_str(), 0644);
  const StoreConfig config{.kind = StoreConfig::Kind::kPostgresql, .credentials_file = path};
  auto opened = open_job_store(config);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().kind, ErrorKind::kPermissionDenied);
  EXPECT_EQ(opened.error().message.find("hunter2"), std::string::npos);
  EXPECT_NE(opened.error().hint.find("0600"), std::string::npos);
  if (::getuid() == 0) {
    ::chmod(path.c_str(), 0600);
    ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
    opened = open_job_store(config);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().kind, ErrorKind::kPermissionDenied);
    EXPECT_NE(opened.error().message.find("owned by root"), std::string::npos);
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace jt::store
