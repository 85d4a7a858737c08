// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace job` and `jobs` against golden files: a job on two nodes, one with its extern
// step (the whole allocation) and one without, phases on both, an idle GPU, and the runtime
// estimate. The records are built by hand, as the nodes' agents would write them.
#include <gtest/gtest.h>

#include "report/job_report.hpp"
#include "store/job_summary.hpp"
#include "support/golden_support.hpp"

namespace jt {
namespace {

using test::expect_fits;
using test::expect_golden;

constexpr std::int64_t kBeginMs = 1'796'000'000'000;  // 2026-11-30 00:53:20 UTC

store::Figure counter(double joules, double uncertainty) {
  return {joules, uncertainty, uncertainty / 2.0, Method::kCounter};
}

store::StepRecord step(const std::string& node, const std::string& id, double from_s, double to_s,
                       double package_w, double gpu_w) {
  store::StepRecord r;
  r.key = {"hpc", "4242", id, node};
  r.uid = 1501;
  r.user = "alice";
  r.begin_unix_ms = kBeginMs + static_cast<std::int64_t>(from_s * 1000);
  r.end_unix_ms = kBeginMs + static_cast<std::int64_t>(to_s * 1000);
  r.scope = id == "extern"  ? store::StepScope::kAllocation
            : id == "batch" ? store::StepScope::kBatch
                            : store::StepScope::kStep;
  r.detail = "phases";
  const double seconds = to_s - from_s;
  r.components = {
      {"powercap/intel-rapl:0", "package", counter(package_w * seconds, 1.0), seconds, true},
      {"nvml/GPU-0", "gpu", counter(gpu_w * seconds, 2.0), seconds, true}};
  r.total = counter((package_w + gpu_w) * seconds, 2.5);
  r.attributed = r.total;
  r.attribution_rule = "exclusive: the job holds every CPU and GPU of the node";
  r.idle_gpu = {0.0, 0.0, 0.0, Method::kNone};
  r.estimate = {(250.0 + 700.0) * seconds, 0.0, 0.0, Method::kModel};
  return r;
}

std::vector<store::StepRecord> two_node_job() {
  store::StepRecord alloc = step("node-a", "extern", 0, 100, 120, 300);
  store::StepRecord batch = step("node-a", "batch", 1, 99, 120, 300);
  batch.phases = {{"train", 3, 60.0, 6000, counter(25200.0, 3.0)},
                  {"infer", 1, 20.0, 1000, counter(8400.0, 1.5)}};
  // node-b ran step 0 only and has no extern record (no PrologFlags=Contain there).
  store::StepRecord remote = step("node-b", "0", 10, 90, 110, 80);
  remote.idle_gpu = counter(80.0 * 80, 2.0);
  remote.phases = {{"train", 1, 60.0, 6000, counter(11400.0, 2.0)}};
  return {alloc, batch, remote};
}

TEST(GoldenJob, TextShowsNodesStepsPhasesAndTheEstimate) {
  const store::JobReport report = store::summarise_job(two_node_job());
  const std::string text = job_text(report);
  expect_fits(text);
  expect_golden("job_two_nodes.txt", text);
}

TEST(GoldenJob, JsonCarriesEveryRecord) {
  const store::JobReport report = store::summarise_job(two_node_job());
  expect_golden("job_two_nodes.json", job_json(report).dump(2) + "\n");
}

// `job --carbon-intensity 400 --price 0.30/EUR --pue 1.2`: the charged energy and each phase
// as kWh x 1.2 x 400 g and x 0.30 EUR, beside the figures of the plain report.
TEST(GoldenJob, CarbonAndCostOfTheChargedEnergyAndEachPhase) {
  store::JobReport report = store::summarise_job(two_node_job());
  CarbonFactors factors;
  factors.pue = {1.2, "option"};
  factors.intensity = CarbonFactor{400.0, "option"};
  factors.price = CarbonFactor{0.30, "option"};
  factors.currency = "EUR";
  store::add_carbon(report, factors);
  ASSERT_TRUE(report.charged.energy_j);
  const double kwh = *report.charged.energy_j / 3.6e6;
  ASSERT_TRUE(report.carbon->charged.co2e_g);
  EXPECT_NEAR(*report.carbon->charged.co2e_g, kwh * 1.2 * 400.0, 1e-9);
  EXPECT_NEAR(*report.carbon->charged.cost, kwh * 1.2 * 0.30, 1e-12);
  ASSERT_EQ(report.carbon->phases.size(), report.phases.size());
  const double train_kwh = *report.phases[0].energy.energy_j / 3.6e6;
  EXPECT_NEAR(*report.carbon->phases[0].co2e_g, train_kwh * 1.2 * 400.0, 1e-9);
  const std::string text = job_text(report);
  expect_fits(text);
  expect_golden("job_carbon.txt", text);
  expect_golden("job_carbon.json", job_json(report).dump(2) + "\n");
}

TEST(GoldenJob, AdminCommentIsOneCompactLine) {
  const store::JobReport report = store::summarise_job(two_node_job());
  const std::string line = admin_comment(report);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  expect_golden("job_admin_comment.txt", line + "\n");
}

TEST(GoldenJob, JobsListsOneLinePerJob) {
  std::vector<store::JobSummary> jobs{store::summary_of_job(two_node_job())};
  store::StepRecord other = step("node-a", "extern", 200, 260, 100, 50);
  other.key.job_id = "4243";
  other.total.energy_j.reset();  // a node that measured nothing: unknown, never 0 J
  jobs.push_back(store::summary_of_job({other}));
  const std::string text = jobs_text(jobs);
  expect_fits(text);
  expect_golden("jobs_list.txt", text);
  expect_golden("jobs_list.json", jobs_json(jobs).dump(2) + "\n");
}

// `jobs --carbon-intensity 400`: each job's CO2e in JSON, the list's under the text; a job whose
// energy is unknown makes the list's unknown, never a sum that leaves it out.
TEST(GoldenJob, JobsWithCarbonFactors) {
  std::vector<store::JobSummary> jobs{store::summary_of_job(two_node_job())};
  CarbonFactors factors;
  factors.intensity = CarbonFactor{400.0, "option"};
  store::JobsCarbon carbon = store::carbon_of_jobs(jobs, factors);
  ASSERT_TRUE(carbon.jobs[0].co2e_g);
  EXPECT_NEAR(*carbon.jobs[0].co2e_g, *jobs[0].total.energy_j / 3.6e6 * 400.0, 1e-9);
  EXPECT_NEAR(*carbon.all.co2e_g, *carbon.jobs[0].co2e_g, 1e-12);
  store::StepRecord other = step("node-a", "extern", 200, 260, 100, 50);
  other.key.job_id = "4243";
  other.total.energy_j.reset();
  jobs.push_back(store::summary_of_job({other}));
  carbon = store::carbon_of_jobs(jobs, factors);
  EXPECT_FALSE(carbon.jobs[1].co2e_g);
  EXPECT_FALSE(carbon.all.co2e_g);
  const std::string text = jobs_text(jobs, &carbon);
  expect_fits(text);
  expect_golden("jobs_carbon.txt", text);
  expect_golden("jobs_carbon.json", jobs_json(jobs, &carbon).dump(2) + "\n");
}

}  // namespace
}  // namespace jt
