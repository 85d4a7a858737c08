// SPDX-License-Identifier: BSD-3-Clause
// The study index and a study's result files: decoded strictly, files resolved against the
// index's directory, a study result's label used unless LABEL=FILE names another.
#include "study/study_index.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "unit/compare_test_support.hpp"

namespace jt {
namespace {

nlohmann::json index_document() {
  return {{"schema", "jouletrace.study"},
          {"version", 1},
          {"name", "s"},
          {"hostname", "h"},
          {"started_at", "2026-12-06T12:00:00Z"},
          {"study_file", "study.toml"},
          {"results",
           {{{"label", "cpu"},
             {"entry", "train"},
             {"configuration", "threads=4"},
             {"file", "cpu/result.json"}}}}};
}

// A study's result file: a repeat report with `study` and `node`.
nlohmann::json study_result(const std::string& label) {
  nlohmann::json document = test::repeat_document({{.package_j = 10.0,
                                                    .package_uncertainty_j = 0.1,
                                                    .total_j = 10.0,
                                                    .total_uncertainty_j = 0.1}});
  document["study"] = {{"name", "s"},
                       {"entry", "train"},
                       {"configuration", "threads=4"},
                       {"label", label},
                       {"repetitions", 1},
                       {"cooldown_s", 5.0},
                       {"idle_checks", nlohmann::json::array()}};
  document["node"] = {{"schema", "jouletrace.node-profile"}, {"version", 1}};
  return document;
}

TEST(StudyIndex, FilesAreResolvedAgainstTheIndexDirectory) {
  const auto index = study::decode_study_index(index_document(), "/data/study/index.json");
  ASSERT_TRUE(index) << index.error().message;
  ASSERT_EQ(index->results.size(), 1U);
  EXPECT_EQ(index->results[0].label, "cpu");
  EXPECT_EQ(index->results[0].file, std::filesystem::path("/data/study/cpu/result.json"));
}

TEST(StudyIndex, ABadFieldIsNamedWithTheFile) {
  nlohmann::json document = index_document();
  document["results"][0]["file"] = 3;
  const auto index = study::decode_study_index(document, "index.json");
  ASSERT_FALSE(index);
  EXPECT_NE(index.error().message.find("index.json"), std::string::npos);
  EXPECT_NE(index.error().message.find("results[0].file"), std::string::npos)
      << index.error().message;
  document = index_document();
  document["version"] = 2;
  EXPECT_FALSE(study::decode_study_index(document, "index.json"));
}

TEST(StudyIndex, AStudyResultIsLabelledByItsStudyLabel) {
  const auto document = study::decode_result_document(study_result("cpu, 4 threads"), "r.json");
  ASSERT_TRUE(document) << document.error().message;
  EXPECT_EQ(document->label, "cpu, 4 threads");
  const auto plain = study::decode_result_document(
      test::repeat_document({{.total_j = 1.0, .total_uncertainty_j = 0.1}}), "r.json");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->label);
}

TEST(StudyIndex, ReadResultsFollowsTheIndexAndKeepsAGivenLabel) {
  test::TempTree tree;
  std::filesystem::create_directories(tree / "cpu");
  test::write_file(tree / "cpu/result.json", study_result("from the study").dump());
  test::write_file(tree / "index.json", index_document().dump());
  auto read = study::read_results({(tree / "index.json").string()});
  ASSERT_TRUE(read.errors.empty()) << read.errors[0].message;
  ASSERT_EQ(read.results.size(), 1U);
  EXPECT_EQ(read.results[0].label, "cpu");  // the index's label
  read = study::read_results({(tree / "cpu/result.json").string()});
  ASSERT_EQ(read.results.size(), 1U);
  EXPECT_EQ(read.results[0].label, "from the study");
  read = study::read_results({"mine=" + (tree / "cpu/result.json").string()});
  ASSERT_EQ(read.results.size(), 1U);
  EXPECT_EQ(read.results[0].label, "mine");
}

// The same study on two nodes: both indexes label their configuration "cpu"; each becomes
// cpu@HOST. A label given on the command line is left as it is.
TEST(StudyIndex, TheSameStudyOnTwoNodesIsToldApartByHost) {
  test::TempTree tree;
  for (const char* host : {"cpu-node", "gpu-node"}) {
    std::filesystem::create_directories(tree / host / "cpu");
    nlohmann::json result = study_result("cpu");
    for (auto& run : result["runs"]) run["hostname"] = host;
    test::write_file(tree / host / "cpu/result.json", result.dump());
    test::write_file(tree / host / "index.json", index_document().dump());
  }
  auto read = study::read_results(
      {(tree / "cpu-node/index.json").string(), (tree / "gpu-node/index.json").string()});
  ASSERT_TRUE(read.errors.empty()) << read.errors[0].message;
  ASSERT_EQ(read.results.size(), 2U);
  EXPECT_EQ(read.results[0].label, "cpu@cpu-node");
  EXPECT_EQ(read.results[1].label, "cpu@gpu-node");
  // One node alone keeps the plain label.
  read = study::read_results({(tree / "gpu-node/index.json").string()});
  ASSERT_EQ(read.results.size(), 1U);
  EXPECT_EQ(read.results[0].label, "cpu");
}

TEST(StudyIndex, AMissingResultFileIsNamed) {
  test::TempTree tree;
  test::write_file(tree / "index.json", index_document().dump());
  const auto read = study::read_results({(tree / "index.json").string()});
  ASSERT_EQ(read.errors.size(), 1U);
  EXPECT_NE(read.errors[0].message.find("cpu/result.json"), std::string::npos)
      << read.errors[0].message;
}

TEST(PowerProfileDecoding, NullBucketsAreUnknownAndAShortSeriesIsRefused) {
  nlohmann::json run = test::run_document({.total_j = 1.0, .total_uncertainty_j = 0.1});
  run["power_profile"] = {{"buckets", 2},
                          {"bucket_s", 0.5},
                          {"method", "m"},
                          {"series",
                           {{{"id", "a"},
                             {"domain", "package"},
                             {"method", "counter"},
                             {"stacked", true},
                             {"contains_others", false},
                             {"power_w", {10.0, nullptr}},
                             {"uncertainty_w", {0.1, nullptr}}}}}};
  auto document = study::decode_result_document(run, "r.json");
  ASSERT_TRUE(document) << document.error().message;
  const auto& profile = document->runs[0].power_profile;
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->series[0].power_w[0], 10.0);
  EXPECT_FALSE(profile->series[0].power_w[1]);
  run["power_profile"]["series"][0]["power_w"] = {10.0};
  document = study::decode_result_document(run, "r.json");
  ASSERT_FALSE(document);
  EXPECT_NE(document.error().message.find("power_profile.series[0].power_w"), std::string::npos)
      << document.error().message;
}

}  // namespace
}  // namespace jt
