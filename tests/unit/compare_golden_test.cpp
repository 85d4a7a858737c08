// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace compare` against golden files: a CPU node measured three times (a repeat file)
// and a GPU node once with an idle GPU, training and inference phases on both, the CPU node the
// reference. The documents are built by hand, as `run -o` and `run --repeat N -o` write them.
#include <gtest/gtest.h>

#include "report/carbon_text.hpp"
#include "report/compare_report.hpp"
#include "support/golden_support.hpp"
#include "unit/compare_test_support.hpp"

namespace jt {
namespace {

using test::expect_fits;
using test::expect_golden;
using test::RunSpec;

RunSpec cpu_node(double duration_s, double train_j, double infer_j) {
  RunSpec r{.hostname = "cpu-node-01",
            .duration_s = duration_s,
            .package_j = train_j + infer_j + 500.0,
            .package_uncertainty_j = 0.4,
            .total_j = train_j + infer_j + 500.0,
            .total_uncertainty_j = 0.4};
  r.phases = {{"train", duration_s * 0.8, 60000, train_j, 0.3},
              {"infer", duration_s * 0.15, 10000, infer_j, 0.1}};
  r.estimate_j = 2.0 * *r.total_j;
  return r;
}

// CO2e as `run --carbon-intensity 380 --price 0.25/EUR --pue 1.2` writes it.
CarbonFactors gpu_factors() {
  CarbonFactors factors;
  factors.pue = {1.2, "option"};
  factors.intensity = CarbonFactor{380.0, "option"};
  factors.price = CarbonFactor{0.25, "option"};
  factors.currency = "EUR";
  return factors;
}

RunSpec gpu_node() {
  RunSpec r{.hostname = "gpu-node-07",
            .duration_s = 95.0,
            .package_j = 11400.0,
            .package_uncertainty_j = 0.3,
            .gpu_j = 29450.0,
            .gpu_uncertainty_j = 2061.5,
            .total_j = 40850.0,
            .total_uncertainty_j = 2061.6,
            .method = "counter",
            .gpus = 2,
            .idle_gpu_j = 6840.0,
            .idle_gpu_uncertainty_j = 478.8};
  r.phases = {{"train", 76.0, 60000, 31200.0, 1700.0, 5472.0},
              {"infer", 14.0, 10000, 7100.0, 340.0, 1008.0}};
  r.estimate_j = 142500.0;
  r.estimate_complete = false;  // one GPU without a rated power
  Measurement total;
  total.energy_j = r.total_j;
  total.uncertainty.total_j = r.total_uncertainty_j;
  total.method = Method::kCounter;
  r.carbon = to_json(gpu_factors(), carbon_of(total, gpu_factors()));
  return r;
}

// The GPU node's report with each phase total's CO2e, as `run` writes it since it has them.
nlohmann::json gpu_report() {
  nlohmann::json report = test::run_document(gpu_node());
  for (auto& phase : report["phase_totals"]) {
    Measurement energy;
    energy.energy_j = phase["energy_j"].get<double>();
    energy.uncertainty.total_j = phase["uncertainty_j"].get<double>();
    energy.method = Method::kCounter;
    put_carbon(phase, carbon_of(energy, gpu_factors()));
  }
  return report;
}

study::Comparison study_table() {
  auto cpu =
      study::decode_result_document(test::repeat_document({cpu_node(3610.0, 251000.0, 46000.0),
                                                           cpu_node(3590.0, 249000.0, 45500.0),
                                                           cpu_node(3650.0, 253500.0, 46800.0)}),
                                    "cpu.json");
  auto gpu = study::decode_result_document(gpu_report(), "gpu.json");
  EXPECT_TRUE(cpu && gpu);
  auto comparison = study::compare_results(
      {{"cpu", "results/cpu.json", *cpu}, {"gpu", "results/gpu.json", *gpu}}, "cpu");
  EXPECT_TRUE(comparison);
  return *comparison;
}

TEST(GoldenCompare, TextShowsTheStudyTableAndTheRatios) {
  const std::string text = compare_text(study_table());
  expect_golden("compare.txt", text);
  expect_fits(text);
}

TEST(GoldenCompare, CsvHasOneRowPerConfigurationPhaseAndFigure) {
  expect_golden("compare.csv", compare_csv(study_table()));
}

TEST(GoldenCompare, JsonIsACompareDocument) {
  expect_golden("compare.json", compare_json(study_table()).dump(2) + "\n");
}

}  // namespace
}  // namespace jt
