// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace compare`: result files decoded strictly, and the study table's figures against
// values computed here by hand from the documents' known energies and durations.
#include <gtest/gtest.h>

#include <cmath>

#include "study/comparison.hpp"
#include "support/test_support.hpp"
#include "unit/compare_test_support.hpp"

namespace jt {
namespace {

using nlohmann::json;
using test::PhaseSpec;
using test::RunSpec;

// The sample standard deviation, written out here independently of the code under test.
double sample_sd(const std::vector<double>& v) {
  double mean = 0.0;
  for (double x : v) mean += x / static_cast<double>(v.size());
  double squares = 0.0;
  for (double x : v) squares += (x - mean) * (x - mean);
  return std::sqrt(squares / static_cast<double>(v.size() - 1));
}

study::ResultDocument decoded(const json& document) {
  auto result = study::decode_result_document(document, "test.json");
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  return result ? *result : study::ResultDocument{};
}

study::Comparison compared(const std::vector<std::pair<std::string, json>>& documents,
                           const std::optional<std::string>& reference = std::nullopt) {
  std::vector<study::LabelledResult> results;
  for (const auto& [label, document] : documents) {
    results.push_back({label, label + ".json", decoded(document)});
  }
  auto comparison = study::compare_results(results, reference);
  EXPECT_TRUE(comparison.has_value()) << (comparison ? "" : comparison.error().message);
  return comparison ? *comparison : study::Comparison{};
}

RunSpec cpu_run(double duration_s, double total_j, double uncertainty_j) {
  return {.duration_s = duration_s,
          .package_j = total_j,
          .package_uncertainty_j = uncertainty_j,
          .total_j = total_j,
          .total_uncertainty_j = uncertainty_j};
}

TEST(CompareAggregation, MeanSpreadAndUncertaintyOverTheRunsOfARepeatFile) {
  RunSpec a = cpu_run(10.0, 1000.0, 10.0);
  RunSpec b = cpu_run(12.0, 1100.0, 20.0);
  RunSpec c = cpu_run(14.0, 1300.0, 30.0);
  const auto comparison = compared({{"cpu", test::repeat_document({a, b, c})}});
  ASSERT_EQ(comparison.configurations.size(), 1u);
  const auto& config = comparison.configurations[0];
  EXPECT_EQ(config.runs, 3u);
  EXPECT_EQ(config.schema, "jouletrace.repeat");
  EXPECT_DOUBLE_EQ(*config.duration.mean_j, 12.0);
  EXPECT_DOUBLE_EQ(*config.duration.stddev_j, 2.0);
  EXPECT_EQ(config.duration.method, "clock");
  EXPECT_DOUBLE_EQ(*config.total.mean_j, (1000.0 + 1100.0 + 1300.0) / 3.0);
  EXPECT_NEAR(*config.total.stddev_j, sample_sd({1000.0, 1100.0, 1300.0}), 1e-9);
  EXPECT_DOUBLE_EQ(config.total.mean_uncertainty_j, 20.0);
  EXPECT_EQ(config.total.method, "counter");
  ASSERT_EQ(config.components.size(), 1u);
  EXPECT_EQ(config.components[0].energy.name, "powercap/intel-rapl:0");
  EXPECT_EQ(config.components[0].domain, "package");
  EXPECT_NEAR(*config.components[0].energy.stddev_j, sample_sd({1000.0, 1100.0, 1300.0}), 1e-9);
}

TEST(CompareAggregation, OneRunHasNoSpread) {
  const auto comparison = compared({{"one", test::run_document(cpu_run(5.0, 400.0, 4.0))}});
  const auto& config = comparison.configurations[0];
  EXPECT_EQ(config.runs, 1u);
  EXPECT_DOUBLE_EQ(*config.total.mean_j, 400.0);
  EXPECT_FALSE(config.total.stddev_j);
  EXPECT_FALSE(config.duration.stddev_j);
}

TEST(CompareAggregation, AnUnknownEnergyIsLeftOutNeverTakenForZero) {
  RunSpec known = cpu_run(10.0, 1000.0, 10.0);
  RunSpec unknown = cpu_run(10.0, 1000.0, 10.0);
  unknown.total_j.reset();
  unknown.package_j.reset();
  const auto comparison = compared({{"cpu", test::repeat_document({known, unknown})}});
  const auto& config = comparison.configurations[0];
  EXPECT_EQ(config.runs, 2u);
  EXPECT_EQ(config.total.runs, 1u);
  EXPECT_DOUBLE_EQ(*config.total.mean_j, 1000.0);  // not (1000 + 0) / 2
  const auto none = compared({{"cpu", test::run_document(unknown)}});
  EXPECT_FALSE(none.configurations[0].total.mean_j);
  EXPECT_EQ(none.configurations[0].total.method, "none");
}

TEST(CompareAggregation, PhasesGiveEnergyPerItemWithTheUncertaintySharedOut) {
  RunSpec a = cpu_run(10.0, 1000.0, 10.0);
  a.phases = {{"train", 6.0, 600, 700.0, 7.0}, {"infer", 2.0, 0, 100.0, 2.0}};
  RunSpec b = cpu_run(10.0, 1000.0, 10.0);
  b.phases = {{"train", 8.0, 600, 900.0, 9.0}, {"infer", 2.0, 0, 120.0, 2.0}};
  const auto comparison = compared({{"cpu", test::repeat_document({a, b})}});
  const auto& phases = comparison.configurations[0].phases;
  ASSERT_EQ(phases.size(), 2u);
  const auto& train = phases[0];
  EXPECT_EQ(train.name, "train");
  EXPECT_DOUBLE_EQ(*train.duration.mean_j, 7.0);
  EXPECT_NEAR(*train.duration.stddev_j, sample_sd({6.0, 8.0}), 1e-12);
  EXPECT_DOUBLE_EQ(*train.energy.mean_j, 800.0);
  EXPECT_DOUBLE_EQ(train.energy.mean_uncertainty_j, 8.0);
  EXPECT_DOUBLE_EQ(*train.items, 600.0);
  EXPECT_DOUBLE_EQ(*train.energy_per_item.mean_j, (700.0 / 600 + 900.0 / 600) / 2);
  EXPECT_DOUBLE_EQ(train.energy_per_item.mean_uncertainty_j, (7.0 / 600 + 9.0 / 600) / 2);
  const auto& infer = phases[1];
  EXPECT_FALSE(infer.items);
  EXPECT_FALSE(infer.energy_per_item.mean_j);
  EXPECT_EQ(infer.energy_per_item.method, "none");
}

TEST(CompareAggregation, RatiosToTheReferencePerPhaseOfTheSameName) {
  RunSpec cpu = cpu_run(100.0, 20000.0, 40.0);
  cpu.phases = {{"train", 80.0, 1000, 16000.0, 30.0}, {"infer", 20.0, 100, 4000.0, 10.0}};
  RunSpec gpu = cpu_run(25.0, 8000.0, 20.0);
  gpu.phases = {{"train", 20.0, 1000, 6000.0, 12.0}, {"only-here", 5.0, 0, 2000.0, 5.0}};
  const auto comparison =
      compared({{"cpu", test::run_document(cpu)}, {"gpu", test::run_document(gpu)}}, "cpu");
  const auto& g = comparison.configurations[1];
  ASSERT_TRUE(g.vs_reference);
  EXPECT_DOUBLE_EQ(*g.vs_reference->time, 25.0 / 100.0);
  EXPECT_DOUBLE_EQ(*g.vs_reference->energy, 8000.0 / 20000.0);
  EXPECT_NEAR(*g.vs_reference->energy_uncertainty,
              0.4 * std::sqrt(std::pow(20.0 / 8000, 2) + std::pow(40.0 / 20000, 2)), 1e-12);
  EXPECT_EQ(g.vs_reference->energy_method, Method::kCounter);
  const auto& train = g.phases[0];
  ASSERT_TRUE(train.vs_reference);
  EXPECT_DOUBLE_EQ(*train.vs_reference->time, 20.0 / 80.0);
  EXPECT_DOUBLE_EQ(*train.vs_reference->energy, 6000.0 / 16000.0);
  EXPECT_FALSE(g.phases[1].vs_reference);  // the reference has no phase "only-here"
  // The reference is not divided by itself.
  EXPECT_FALSE(comparison.configurations[0].vs_reference);
  EXPECT_FALSE(comparison.configurations[0].phases[0].vs_reference);
}

TEST(CompareAggregation, EstimateAndItsErrorAreTheReportsOwnAndPartialOnesAreLeftOut) {
  RunSpec a = cpu_run(10.0, 1000.0, 10.0);
  a.estimate_j = 1500.0;
  RunSpec b = cpu_run(10.0, 1200.0, 10.0);
  b.estimate_j = 1500.0;
  RunSpec partial = cpu_run(10.0, 1000.0, 10.0);
  partial.estimate_j = 700.0;
  partial.estimate_complete = false;
  RunSpec none = cpu_run(10.0, 1000.0, 10.0);
  const auto comparison = compared({{"cpu", test::repeat_document({a, b, partial, none})}});
  const auto& config = comparison.configurations[0];
  EXPECT_EQ(config.estimate.runs, 2u);
  EXPECT_DOUBLE_EQ(*config.estimate.mean_j, 1500.0);
  EXPECT_EQ(config.estimate.method, "model");
  EXPECT_TRUE(std::isnan(config.estimate.mean_uncertainty_j));  // the report states none
  EXPECT_DOUBLE_EQ(*config.estimate_relative_error.mean_j, (0.5 + 0.25) / 2);
  EXPECT_EQ(config.estimates_partial, 1u);
  EXPECT_EQ(config.estimates_missing, 1u);
}

TEST(CompareAggregation, IdleGpuWasteOverTheRunAndPerPhase) {
  RunSpec a = cpu_run(10.0, 5000.0, 10.0);
  a.gpus = 2;
  a.idle_gpu_j = 700.0;
  a.idle_gpu_uncertainty_j = 14.0;
  a.phases = {{"train", 8.0, 0, 4000.0, 8.0, 560.0}};
  RunSpec b = a;
  b.idle_gpu_j = 900.0;
  b.idle_gpu_uncertainty_j = 18.0;
  const auto comparison = compared({{"gpu", test::repeat_document({a, b})}});
  const auto& config = comparison.configurations[0];
  EXPECT_EQ(config.gpus, 2);
  EXPECT_DOUBLE_EQ(*config.idle_gpu.mean_j, 800.0);
  EXPECT_NEAR(*config.idle_gpu.stddev_j, sample_sd({700.0, 900.0}), 1e-9);
  EXPECT_DOUBLE_EQ(config.idle_gpu.mean_uncertainty_j, 16.0);
  EXPECT_DOUBLE_EQ(*config.phases[0].idle_gpu.mean_j, 560.0);
  const auto cpu_only = compared({{"cpu", test::run_document(cpu_run(1.0, 10.0, 1.0))}});
  EXPECT_EQ(cpu_only.configurations[0].gpus, 0);
  EXPECT_FALSE(cpu_only.configurations[0].idle_gpu.mean_j);
}

// Each phase's CO2e as its report stated it: mean and spread over the runs; a report from before
// phases had it states none, which is not 0 g.
TEST(CompareAggregation, PhaseCo2eIsTheReportsOwnMeanAndSpread) {
  RunSpec a = cpu_run(10.0, 5000.0, 10.0);
  a.phases = {{"train", 8.0, 0, 4000.0, 8.0, std::nullopt}};
  json first = test::run_document(a);
  json second = first;
  first["phase_totals"][0]["co2e_g"] = 0.40;
  first["phase_totals"][0]["co2e_uncertainty_g"] = 0.01;
  first["phase_totals"][0]["co2e_method"] = "measured energy (counter) x 360 g/kWh (option)";
  second["phase_totals"][0]["co2e_g"] = 0.50;
  second["phase_totals"][0]["co2e_uncertainty_g"] = 0.03;
  second["phase_totals"][0]["co2e_method"] = "measured energy (counter) x 360 g/kWh (option)";
  json repeat = test::repeat_document({a, a});
  repeat["runs"] = json::array({first, second});
  const auto comparison = compared({{"cpu", repeat}});
  const auto& co2e = comparison.configurations[0].phases[0].co2e;
  EXPECT_EQ(co2e.runs, 2u);
  EXPECT_DOUBLE_EQ(*co2e.mean_j, 0.45);
  EXPECT_NEAR(*co2e.stddev_j, sample_sd({0.40, 0.50}), 1e-12);
  EXPECT_DOUBLE_EQ(co2e.mean_uncertainty_j, 0.02);
  EXPECT_EQ(co2e.method, "measured energy (counter) x 360 g/kWh (option)");
  const auto old = compared({{"old", test::run_document(a)}});
  EXPECT_EQ(old.configurations[0].phases[0].co2e.runs, 0u);
  EXPECT_FALSE(old.configurations[0].phases[0].co2e.mean_j);
}

TEST(CompareAggregation, UnfinishedRunsAreLeftOutAndCounted) {
  RunSpec done = cpu_run(10.0, 1000.0, 10.0);
  RunSpec checkpoint = cpu_run(3.0, 300.0, 10.0);
  checkpoint.complete = false;
  const auto comparison = compared({{"cpu", test::repeat_document({done, checkpoint})}});
  EXPECT_EQ(comparison.configurations[0].runs, 1u);
  EXPECT_EQ(comparison.configurations[0].runs_left_out, 1u);
  EXPECT_DOUBLE_EQ(*comparison.configurations[0].total.mean_j, 1000.0);
}

TEST(CompareArguments, LabelIsGivenOrTheFileNameWithoutJson) {
  EXPECT_EQ(study::parse_result_argument("gpu=out/a.json").label, "gpu");
  EXPECT_EQ(study::parse_result_argument("gpu=out/a.json").path, "out/a.json");
  EXPECT_EQ(study::parse_result_argument("results/cpu-node.json").label, "cpu-node");
  EXPECT_EQ(study::parse_result_argument("results/cpu-node.json").path, "results/cpu-node.json");
  // An '=' after a '/' is part of the path.
  EXPECT_EQ(study::parse_result_argument("out/a=b.json").label, "a=b");
  EXPECT_EQ(study::parse_result_argument("out/a=b.json").path, "out/a=b.json");
  EXPECT_EQ(study::parse_result_argument("run.txt").label, "run.txt");
}

std::string decode_error(const json& document) {
  auto result = study::decode_result_document(document, "bad.json");
  EXPECT_FALSE(result.has_value());
  return result ? "" : result.error().message;
}

TEST(CompareErrors, AWrongSchemaIsNamed) {
  json doc = test::run_document(cpu_run(1.0, 10.0, 1.0));
  doc["schema"] = "jouletrace.node-profile";
  const std::string message = decode_error(doc);
  EXPECT_NE(message.find("bad.json"), std::string::npos) << message;
  EXPECT_NE(message.find("jouletrace.node-profile"), std::string::npos) << message;
  EXPECT_NE(decode_error(json::array()).find("bad.json"), std::string::npos);
  doc["schema"] = "jouletrace.run";
  doc["version"] = 2;
  EXPECT_NE(decode_error(doc).find("version"), std::string::npos);
}

TEST(CompareErrors, AMissingOrMistypedFieldIsNamedByItsPath) {
  json doc = test::repeat_document({cpu_run(1.0, 10.0, 1.0), cpu_run(1.0, 10.0, 1.0)});
  doc["runs"][1].erase("duration_s");
  std::string message = decode_error(doc);
  EXPECT_NE(message.find("runs[1].duration_s"), std::string::npos) << message;
  doc = test::run_document(cpu_run(1.0, 10.0, 1.0));
  doc["components"][0]["energy_j"] = "10";
  message = decode_error(doc);
  EXPECT_NE(message.find("components[0].energy_j"), std::string::npos) << message;
  doc = test::run_document(cpu_run(1.0, 10.0, 1.0));
  doc["total_method"] = "guessed";
  EXPECT_NE(decode_error(doc).find("total_method"), std::string::npos);
  doc = test::run_document(cpu_run(1.0, 10.0, 1.0));
  doc["total_uncertainty_j"] = nullptr;  // beside a known energy
  EXPECT_NE(decode_error(doc).find("total_uncertainty_j"), std::string::npos);
}

TEST(CompareErrors, MissingAndMalformedFilesAreNamed) {
  test::TempTree dir;
  auto missing = study::read_result_document(dir / "missing.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing.json"), std::string::npos);
  test::write_file(dir / "broken.json", "{\"schema\": \"jouletrace.run\", ");
  auto broken = study::read_result_document(dir / "broken.json");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("broken.json"), std::string::npos);
  EXPECT_NE(broken.error().message.find("malformed JSON"), std::string::npos);
}

TEST(CompareErrors, DuplicateLabelUnknownReferenceAndNoCompletedRun) {
  const study::ResultDocument doc = decoded(test::run_document(cpu_run(1.0, 10.0, 1.0)));
  auto twice = study::compare_results({{"a", "x/a.json", doc}, {"a", "y/a.json", doc}}, {});
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("'a' is given twice"), std::string::npos);
  auto reference = study::compare_results({{"a", "a.json", doc}, {"b", "b.json", doc}}, "c");
  ASSERT_FALSE(reference);
  EXPECT_NE(reference.error().message.find("'c' names no configuration"), std::string::npos);
  EXPECT_NE(reference.error().hint.find("a, b"), std::string::npos);
  RunSpec unfinished = cpu_run(1.0, 10.0, 1.0);
  unfinished.complete = false;
  auto none =
      study::compare_results({{"u", "u.json", decoded(test::run_document(unfinished))}}, {});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("u.json"), std::string::npos);
  EXPECT_FALSE(study::compare_results({}, {}));
}

}  // namespace
}  // namespace jt
