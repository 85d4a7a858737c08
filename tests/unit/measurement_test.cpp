// SPDX-License-Identifier: BSD-3-Clause
// The one way figures combine (src/ledger/measurement.hpp), against sums worked by hand.
#include "ledger/measurement.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace jt {
namespace {

Measurement part(double energy_j, UncertaintyBudget budget, Method method, std::uint64_t samples,
                 double covered_s) {
  budget.total_j = budget_total(budget);
  return Measurement{.energy_j = energy_j,
                     .uncertainty = budget,
                     .method = method,
                     .samples = samples,
                     .covered_s = covered_s,
                     .provenance = "test"};
}

TEST(Measurement, MethodsCombineToMixedOnlyWhenTheyDiffer) {
  EXPECT_EQ(combined(Method::kNone, Method::kCounter), Method::kCounter);
  EXPECT_EQ(combined(Method::kCounter, Method::kNone), Method::kCounter);
  EXPECT_EQ(combined(Method::kCounter, Method::kCounter), Method::kCounter);
  EXPECT_EQ(combined(Method::kCounter, Method::kModel), Method::kMixed);
  EXPECT_STREQ(to_string(Method::kMixed), "mixed");
}

TEST(Measurement, SumAddsIndependentTermsInQuadratureAndCalibrationLinearly) {
  // 3-4 and 5-12 right triangles: quantisation sqrt(9 + 16) = 5, timing sqrt(25 + 144) = 13.
  const Measurement a = part(
      100.0,
      {.quantisation_j = 3.0, .timing_j = 5.0, .calibration_j = 1.0, .calibration_known = true},
      Method::kCounter, 10, 2.0);
  const Measurement b = part(
      50.0,
      {.quantisation_j = 4.0, .timing_j = 12.0, .calibration_j = 2.0, .calibration_known = true},
      Method::kCounter, 7, 1.5);
  const Measurement sum = sum_of(std::vector<Measurement>{a, b}, "a + b");
  ASSERT_TRUE(sum.energy_j);
  EXPECT_DOUBLE_EQ(*sum.energy_j, 150.0);
  EXPECT_DOUBLE_EQ(sum.uncertainty.quantisation_j, 5.0);
  EXPECT_DOUBLE_EQ(sum.uncertainty.timing_j, 13.0);
  EXPECT_DOUBLE_EQ(sum.uncertainty.calibration_j, 3.0);
  EXPECT_DOUBLE_EQ(sum.uncertainty_j(), std::hypot(5.0, 13.0) + 3.0);
  EXPECT_TRUE(sum.uncertainty.calibration_known);
  EXPECT_EQ(sum.method, Method::kCounter);
  EXPECT_EQ(sum.samples, 17u);
  EXPECT_DOUBLE_EQ(sum.covered_s, 1.5);  // what every part covers
  EXPECT_EQ(sum.provenance, "a + b");
}

TEST(Measurement, AnUnknownPartMakesTheSumUnknownNeverSmaller) {
  Measurement unknown;
  unknown.method = Method::kNone;
  const Measurement known = part(10.0, {.quantisation_j = 1.0}, Method::kCounter, 3, 1.0);
  const Measurement sum = sum_of(std::vector<Measurement>{known, unknown});
  EXPECT_FALSE(sum.energy_j);
  EXPECT_EQ(sum.method, Method::kNone);
  EXPECT_FALSE(sum_of(std::vector<Measurement>{}).energy_j);  // nothing is not 0 J
}

TEST(Measurement, AnUncalibratedPartLeavesTheSumUncalibrated) {
  const Measurement a =
      part(1.0, {.calibration_j = 0.1, .calibration_known = true}, Method::kCounter, 2, 1.0);
  const Measurement b = part(1.0, {}, Method::kPowerIntegrated, 2, 1.0);
  const Measurement sum = sum_of(std::vector<Measurement>{a, b});
  EXPECT_FALSE(sum.uncertainty.calibration_known);
  EXPECT_EQ(sum.method, Method::kMixed);
}

TEST(Measurement, DifferenceCombinesBothSides) {
  const Measurement node = part(600.0, {.update_period_j = 6.0}, Method::kPowerIntegrated, 5, 1.0);
  const Measurement parts = part(420.0, {.update_period_j = 8.0}, Method::kCounter, 30, 0.9);
  const Measurement rest = difference(node, parts, "node - parts");
  ASSERT_TRUE(rest.energy_j);
  EXPECT_DOUBLE_EQ(*rest.energy_j, 180.0);
  EXPECT_DOUBLE_EQ(rest.uncertainty_j(), 10.0);
  EXPECT_EQ(rest.method, Method::kMixed);
  EXPECT_FALSE(difference(node, Measurement{}, "x").energy_j);
}

TEST(Measurement, AShareScalesEveryTermAndAModelledSplitSaysModel) {
  const Measurement gpu =
      part(1000.0, {.quantisation_j = 2.0, .calibration_j = 50.0, .calibration_known = true},
           Method::kCounter, 11, 1.0);
  const Measurement quarter = scaled(gpu, 0.25, false, "owned share");
  EXPECT_DOUBLE_EQ(*quarter.energy_j, 250.0);
  EXPECT_DOUBLE_EQ(quarter.uncertainty.quantisation_j, 0.5);
  EXPECT_DOUBLE_EQ(quarter.uncertainty.calibration_j, 12.5);
  EXPECT_DOUBLE_EQ(quarter.uncertainty_j(), 13.0);
  EXPECT_EQ(quarter.method, Method::kCounter);
  EXPECT_EQ(scaled(gpu, 0.25, true, "MIG slice").method, Method::kModel);
  EXPECT_FALSE(scaled(Measurement{}, 0.5, true, "x").energy_j);
}

TEST(Measurement, EnergyPerItemIsUnknownWithoutItemsOrEnergy) {
  EXPECT_DOUBLE_EQ(energy_per_item(10.0, 4).value(), 2.5);
  EXPECT_FALSE(energy_per_item(10.0, 0));
  EXPECT_FALSE(energy_per_item(std::nullopt, 4));
}

}  // namespace
}  // namespace jt
