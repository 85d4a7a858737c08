// SPDX-License-Identifier: BSD-3-Clause
// The job summary rule (docs/STORE.md "The summary rule"). Expected figures are worked out here
// from the inputs: independent uncertainties in quadrature, systematic parts linearly.
#include "store/job_summary.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "store_test_support.hpp"

namespace jt::store {
namespace {

using testing::figure;

StepRecord record(const std::string& step, const std::string& node, StepScope scope,
                  std::int64_t begin_ms, std::int64_t end_ms, Figure total) {
  StepRecord r;
  r.key = {.cluster = "alps", .job_id = "7", .step_id = step, .node = node};
  r.uid = 1000;
  r.user = "alice";
  r.scope = scope;
  r.begin_unix_ms = begin_ms;
  r.end_unix_ms = end_ms;
  r.total = total;
  r.idle_gpu = figure(0.0, 0.0, 0.0, Method::kNone);
  r.estimate = figure(2 * *total.energy_j, *total.energy_j, *total.energy_j, Method::kModel);
  return r;
}

TEST(JobSummary, TakesEachNodesAllocationRecordAndSumsTheUncertaintyByTheRule) {
  // Node a: the extern step (1000 J, +/- 30 of which 10 systematic) holds steps 0 and batch.
  // Node b: its extern step (2000 J, +/- 50 of which 20 systematic).
  const std::vector<StepRecord> records = {
      record("extern", "a", StepScope::kAllocation, 0, 100, figure(1000, 30, 10)),
      record("batch", "a", StepScope::kBatch, 10, 90, figure(800, 25, 8)),
      record("0", "a", StepScope::kStep, 20, 50, figure(300, 9, 3)),
      record("extern", "b", StepScope::kAllocation, 5, 120, figure(2000, 50, 20)),
  };
  const JobSummary s = summary_of_job(records);
  EXPECT_DOUBLE_EQ(*s.total.energy_j, 1000.0 + 2000.0);
  const double independent =
      std::sqrt((30.0 - 10.0) * (30.0 - 10.0) + (50.0 - 20.0) * (50.0 - 20.0));
  EXPECT_NEAR(s.total.uncertainty_j, independent + 10.0 + 20.0, 1e-9);
  EXPECT_NEAR(s.total.systematic_j, 30.0, 1e-9);
  EXPECT_EQ(s.total.method, Method::kCounter);
  EXPECT_TRUE(s.whole);
  EXPECT_EQ(s.nodes, 2);
  EXPECT_EQ(s.steps, 3);  // extern, batch, 0
  EXPECT_EQ(s.begin_unix_ms, 0);
  EXPECT_EQ(s.end_unix_ms, 120);
  // The estimate of the chosen records only: 2 x 1000 + 2 x 2000.
  EXPECT_DOUBLE_EQ(*s.estimate.energy_j, 6000.0);
  EXPECT_EQ(s.estimate.method, Method::kModel);
  EXPECT_DOUBLE_EQ(*s.idle_gpu.energy_j, 0.0);
}

TEST(JobSummary, WithoutAnAllocationRecordTakesTheOutermostStepsAndWarns) {
  // Steps 0 and 1 side by side, step 2 inside step 1, and two equal steps 3 and 4.
  const std::vector<StepRecord> records = {
      record("0", "a", StepScope::kStep, 0, 10, figure(100, 4, 1)),
      record("1", "a", StepScope::kStep, 20, 40, figure(200, 6, 2)),
      record("2", "a", StepScope::kStep, 25, 30, figure(50, 3, 1)),
      record("3", "a", StepScope::kStep, 50, 60, figure(70, 5, 0)),
      record("4", "a", StepScope::kStep, 50, 60, figure(70, 5, 0)),
  };
  const JobReport report = summarise_job(records);
  EXPECT_FALSE(report.summary.whole);
  ASSERT_EQ(report.nodes.size(), 1u);
  EXPECT_EQ(report.nodes[0].step_ids, (std::vector<std::string>{"0", "1", "3"}));
  EXPECT_DOUBLE_EQ(*report.summary.total.energy_j, 100.0 + 200.0 + 70.0);
  const double independent = std::sqrt(3.0 * 3.0 + 4.0 * 4.0 + 5.0 * 5.0);
  EXPECT_NEAR(report.summary.total.uncertainty_j, independent + 1.0 + 2.0, 1e-9);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("node a has no allocation record"), std::string::npos);
  EXPECT_NE(report.warnings[0].find("PrologFlags=Contain"), std::string::npos);
}

TEST(JobSummary, AnUnknownPartMakesTheSumUnknown) {
  std::vector<StepRecord> records = {
      record("extern", "a", StepScope::kAllocation, 0, 100, figure(1000, 30, 10)),
      record("extern", "b", StepScope::kAllocation, 0, 100, figure(2000, 50, 20)),
  };
  records[1].total.energy_j.reset();
  const JobSummary s = summary_of_job(records);
  EXPECT_FALSE(s.total.energy_j.has_value());
  EXPECT_TRUE(s.estimate.energy_j.has_value());
}

TEST(JobSummary, MergesPhasesByNameAndDomainsOfTheChosenRecords) {
  std::vector<StepRecord> records = {
      record("extern", "a", StepScope::kAllocation, 0, 100, figure(1000, 30, 10)),
      record("0", "a", StepScope::kStep, 10, 90, figure(900, 20, 5)),
      record("extern", "b", StepScope::kAllocation, 0, 100, figure(2000, 50, 20)),
  };
  records[0].components = {
      {.id = "p0", .domain = "package", .energy = figure(400, 8, 4), .in_total = true},
      {.id = "g0", .domain = "gpu", .energy = figure(600, 12, 6), .in_total = true},
      {.id = "c0", .domain = "core", .energy = figure(300, 5, 2), .in_total = false}};
  records[1].components = {
      {.id = "p0", .domain = "package", .energy = figure(390, 8, 4), .in_total = true}};
  records[2].components = {
      {.id = "p1", .domain = "package", .energy = figure(500, 9, 3), .in_total = true}};
  records[1].phases = {
      {.name = "train", .count = 2, .duration_s = 40, .items = 100, .energy = figure(700, 14, 7)}};
  records[2].phases = {
      {.name = "train", .count = 1, .duration_s = 30, .items = 50, .energy = figure(800, 16, 8)},
      {.name = "eval", .count = 1, .duration_s = 5, .items = 10, .energy = figure(60, 2, 1)}};
  const JobReport report = summarise_job(records);
  ASSERT_EQ(report.domains.size(), 2u);  // core is not in the total; step 0 is not chosen
  EXPECT_EQ(report.domains[0].domain, "gpu");
  EXPECT_DOUBLE_EQ(*report.domains[0].energy.energy_j, 600.0);
  EXPECT_EQ(report.domains[1].domain, "package");
  EXPECT_DOUBLE_EQ(*report.domains[1].energy.energy_j, 400.0 + 500.0);
  EXPECT_NEAR(report.domains[1].energy.uncertainty_j, std::hypot(4.0, 6.0) + 4.0 + 3.0, 1e-9);
  ASSERT_EQ(report.phases.size(), 2u);
  EXPECT_EQ(report.phases[0].name, "train");
  EXPECT_EQ(report.phases[0].count, 3u);
  EXPECT_EQ(report.phases[0].items, 150u);
  EXPECT_DOUBLE_EQ(report.phases[0].duration_s, 70.0);
  EXPECT_DOUBLE_EQ(*report.phases[0].energy.energy_j, 1500.0);
  EXPECT_NEAR(report.phases[0].energy.uncertainty_j, std::hypot(7.0, 8.0) + 7.0 + 8.0, 1e-9);
  EXPECT_EQ(report.phases[1].name, "eval");
  ASSERT_EQ(report.steps.size(), 3u);
  EXPECT_EQ(report.steps[0].key.node, "a");
  EXPECT_EQ(report.steps[2].key.node, "b");
}

TEST(JobSummary, MethodsThatDisagreeAreMixed) {
  const std::vector<StepRecord> records = {
      record("extern", "a", StepScope::kAllocation, 0, 100, figure(1000, 30, 10)),
      record("extern", "b", StepScope::kAllocation, 0, 100,
             figure(2000, 50, 20, Method::kPowerIntegrated)),
  };
  EXPECT_EQ(summary_of_job(records).total.method, Method::kMixed);
}

}  // namespace
}  // namespace jt::store
