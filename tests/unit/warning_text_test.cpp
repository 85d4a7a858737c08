// SPDX-License-Identifier: BSD-3-Clause
// The reporter's words for every warning code, each against the sentence written out by hand,
// and the JSON beside them.
#include "report/warning_text.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "report/idle_waste_text.hpp"
#include "report/text_format.hpp"
#include "support/test_support.hpp"
#include "support/warning_support.hpp"

namespace jt {
namespace {

struct Case {
  Warning warning;
  std::string text;
};

// Channel readings, containers, node meters and the total.
const std::vector<Case>& ledger_cases() {
  static const std::vector<Case> cases = {
      {{"no-usable-reading", "pkg1", {{"failed_reads", 5}, {"skipped_reads", 2}}, {}},
       "pkg1: no usable reading during the run (5 failed, 2 skipped); its energy is unknown and "
       "left out of the total"},
      {{"one-usable-reading", "gpu0", {{"lost_at_s", 1.25}}, {}},
       "gpu0: only one usable reading before the device was lost 1.250 s into the run; its "
       "energy is unknown and left out of the total"},
      {{"device-lost", "gpu0", {{"lost_at_s", 3.5}}, {{"error", "No such device"}}},
       "gpu0: device lost 3.500 s into the run (No such device); energy counted up to then only"},
      {{"counter-reset", "gpu0", {{"outages", 2}, {"gap_s", 0.25}}, {}},
       "gpu0: counter reset or outage 2 time(s); 0.250 s not measured"},
      {{"failed-reads", "gpu0", {{"failed_reads", 8}}, {{"error", "No such process"}}},
       "gpu0: 8 read(s) failed (last: No such process)"},
      {{"last-reading-unconfirmed", "pkg0", {}, {}},
       "pkg0: the last reading could not be confirmed and was left out"},
      {{"skipped-readings", "pkg0", {{"skipped_reads", 3}}, {}},
       "pkg0: 3 torn, empty or implausible reading(s) skipped"},
      {{"extrapolated-ends",
        "pkg0",
        {{"extrapolated_start_s", 1.0},
         {"extrapolated_end_s", 0.1},
         {"extrapolation_j", 110.0},
         {"failed_or_torn_reads", 1}},
        {}},
       "pkg0: no reading covered the first 1.000 s and the last 0.100 s of the run (reads failed "
       "or were torn); that time is extrapolated at the power of the adjacent readings (+/- "
       "110.000 J)"},
      {{"partial-coverage",
        "gpu0",
        {{"read_s", 0.2},
         {"duration_s", 1.0},
         {"uncounted_start_s", 0.0},
         {"uncounted_end_s", 0.8}},
        {}},
       "gpu0: readings cover 0.200 s of the 1.000 s run (first 0.000 s after the start, last "
       "0.800 s before the end); energy outside them is not counted"},
      {{"container-below-parts",
        "psys",
        {{"energy_j", 0.0}, {"parts_j", 2750.0}},
        {{"held_against", "parts"}, {"parts", "pkg0, dram0"}}},
       "psys read 0.0 J, less than the 2750.0 J of the parts it contains (pkg0, dram0): it cannot "
       "be right (a counter that stopped, a meter too coarse for the run, or not what it is "
       "named); the total uses the parts"},
      {{"container-lost", "psys", {{"lost_at_s", 5.1}}, {{"parts", "pkg0"}}},
       "psys was lost 5.100 s into the run: its parts (pkg0), read on, count instead"},
      {{"node-meter-zero", "redfish/1", {}, {}},
       "redfish/1 read 0 J over the run: too coarse for it, or stuck; it is left out of the total"},
      {{"two-node-meters",
        "bmc",
        {{"energy_j", 600.0}, {"other_energy_j", 500.0}},
        {{"other", "acpi"}, {"method", "counter"}}},
       "two node meters: bmc measured 600.0 J and acpi 500.0 J; the total uses bmc (counter)"},
      {{"meter-readings-disagree",
        "redfish/energy",
        {{"energy_j", 1200.0}, {"other_energy_j", 1500.0}},
        {{"other", "redfish/power"}, {"device", "chassis 1"}}},
       "redfish/energy and redfish/power, two readings of chassis 1, disagree beyond their "
       "uncertainty: 1200.0 J and 1500.0 J; the total uses redfish/energy, the more precise over "
       "this run"},
      {{"no-total", "run", {}, {}},
       "no component could be measured or estimated: there is no total"},
      {{"model-only-total", "run", {}, {}},
       "no energy sensor could be read: the total is a model estimate of the CPU only (GPUs, DRAM "
       "and the rest of the node are not in it)"},
      {{"parts-exceed-node-meter", "bmc", {{"parts_j", 2000.0}, {"node_j", 1250.0}}, {}},
       "the measured parts (2000.0 J) exceed the node meter bmc (1250.0 J) by more than their "
       "uncertainty: the meter may not see every part (DCMI often leaves GPUs out), or parts "
       "overlap"},
  };
  return cases;
}

// Windows, the runtime estimate and idle baselines.
const std::vector<Case>& window_and_profile_cases() {
  static const std::vector<Case> cases = {
      {{"window-outside-readings", "p", {}, {}},
       "p: the window reaches outside the channel's readings; energy there is not counted"},
      {{"short-window",
        "window",
        {{"duration_s", 0.5},
         {"update_period_s", 0.1},
         {"energy_j", 150.0},
         {"uncertainty_j", 60.0}},
        {{"channel", "gpu"}}},
       "0.5000 s is shorter than 10 update periods of gpu (0.1 s): 150.000 J +/- 60.000 J"},
      {{"coarse-sampling",
        "window",
        {{"uncertainty_j", 20.0},
         {"uncertainty_pct", 1000.0},
         {"interval_s", 0.1},
         {"duration_s", 0.02}},
        {}},
       "uncertain: +/- 20.000 J (1000 %) because the 0.1 s sampling interval is coarse for a "
       "0.0200 s window; a shorter --interval narrows it"},
      {{"phase-without-cpu", "train", {}, {}},
       "no CPU sensor: the phase's energy leaves the CPU out (the run's CPU estimate is not split "
       "by phase)"},
      {{"estimate-inputs-invalid", "runtime-estimate", {{"runtime_s", -1.0}, {"pue", 0.5}}, {}},
       "no runtime-based estimate: runtime -1 s and PUE 0.5 must be finite, runtime >= 0, PUE >= "
       "1"},
      {{"profile-unusable", "node-profile", {}, {{"text", "node profile /p not used: bad"}}},
       "node profile /p not used: bad"},
      {{"no-baselines", "node-profile", {}, {}},
       "the node profile has no idle baselines (run `jouletrace calibrate`): energy is not split "
       "into idle and dynamic"},
      {{"baselines-other-node",
        "node-profile",
        {},
        {{"calibrated_on", "node17"}, {"hostname", "node42"}}},
       "the idle baselines were measured on 'node17', not on this node ('node42'): the "
       "idle/dynamic split may not describe this hardware"},
      {{"baselines-old",
        "node-profile",
        {{"age_s", 7912500.0}},
        {{"calibrated_at", "2025-03-01T10:05:00Z"}}},
       "the idle baselines are 92 days old (calibrated 2025-03-01T10:05:00Z): firmware, drivers or "
       "cooling may have changed since; consider recalibrating"},
      {{"dynamic-below-zero", "pkg0", {{"dynamic_j", -1.0}, {"tolerance_j", 2.5}}, {}},
       "pkg0: dynamic energy -1.000 J is below zero but within the uncertainty (±2.500 J): the "
       "device stayed at its idle power"},
      {{"baseline-stale",
        "gpu0",
        {{"avg_power_w", 30.0}, {"idle_power_w", 55.0}, {"dynamic_j", -250.0}},
        {}},
       "gpu0: measured 30.000 W on average, below its idle baseline of 55.000 W beyond the "
       "uncertainty: the baseline looks stale (recalibrate); dynamic energy -250.000 J is "
       "reported as computed"},
      {{"channels-changed",
        "node-profile",
        {},
        {{"without_baseline", "pkg1, pkg2"}, {"not_measured", "gpu0"}}},
       "the channels changed since calibration: no baseline for pkg1, pkg2; not measured now: "
       "gpu0 (recalibrate to cover them)"},
      {{"no-baseline", "pkg1", {}, {{"reason", "lost"}}},
       "pkg1: no idle baseline (the channel was lost during calibration)"},
      {{"negative-idle-power", "pkg1", {{"idle_power_w", -0.5}}, {}},
       "pkg1: negative idle power -0.500 W; no baseline kept"},
      {{"calibration-drift", "gpu0", {{"first_half_w", 40.0}, {"second_half_w", 80.0}}, {}},
       "gpu0: power moved from 40.00 W to 80.00 W between the halves of the calibration: the node "
       "was not steady (still cooling down, or something ran); a longer --settle helps"},
      {{"busy-during-calibration", "gpu0", {{"max_activity_pct", 35.0}}, {}},
       "gpu0: the device was busy during calibration (up to 35 % utilisation): its baseline is "
       "above its idle power"},
  };
  return cases;
}

// GPU ownership and the attribution split.
const std::vector<Case>& attribution_cases() {
  static const std::string mig = "MIG-GPU-c0ffee00/1/0";
  static const std::vector<Case> cases = {
      {{"cgroup", "/slurm/job_42", {}, {{"text", "the job's CPUs changed during the run"}}},
       "the job's CPUs changed during the run"},
      {{"visibility-entry-invalid", "CUDA_VISIBLE_DEVICES", {}, {{"entry", "-1"}}},
       "CUDA_VISIBLE_DEVICES entry '-1' is not a GPU index, UUID or MIG id; as in CUDA, it and "
       "every entry after it select no GPU"},
      {{"coverage-part-missing", "pkg9", {}, {}},
       "node coverage names pkg9, which the run does not have"},
      {{"visibility-index-unmatched", "CUDA_VISIBLE_DEVICES", {{"index", 7}}, {}},
       "CUDA_VISIBLE_DEVICES entry 7 names no measured GPU"},
      {{"visibility-uuid-unmatched",
        "CUDA_VISIBLE_DEVICES",
        {{"gpus_without_uuid", 4}},
        {{"entry", "GPU-ffff"}}},
       "CUDA_VISIBLE_DEVICES entry GPU-ffff matches no measured GPU (some GPUs were measured "
       "without a UUID)"},
      {{"visibility-uuid-ambiguous",
        "CUDA_VISIBLE_DEVICES",
        {{"matches", 2}},
        {{"entry", "GPU-8932"}}},
       "CUDA_VISIBLE_DEVICES entry GPU-8932 matches 2 GPUs; none is counted as the job's"},
      {{"mig-size-invalid", mig, {{"fraction", 1.5}}, {}},
       "MIG instance MIG-GPU-c0ffee00/1/0: size 1.5 is not a fraction in (0, 1]; ignored"},
      {{"mig-parent-unknown", mig, {}, {}},
       "MIG instance MIG-GPU-c0ffee00/1/0: its parent GPU is unknown, so none of its energy is "
       "attributed"},
      {{"mig-parent-not-measured", mig, {}, {{"parent", "GPU-c0ffee00"}}},
       "MIG instance MIG-GPU-c0ffee00/1/0: parent GPU GPU-c0ffee00 is not among the measured GPUs"},
      {{"mig-size-unknown", mig, {}, {{"parent", "GPU-c0ffee00"}}},
       "MIG instance MIG-GPU-c0ffee00/1/0 on GPU-c0ffee00: its size is unknown, so none of the "
       "parent's energy is attributed"},
      {{"mig-shares-over-whole", "nvml/GPU-c0ffee00", {{"share_pct", 8.0 / 7.0 * 100.0}}, {}},
       "the MIG instances on nvml/GPU-c0ffee00 add up to 114.3 % of the GPU; counted as the whole "
       "GPU"},
      {{"cpus-over-online", "attribution", {{"allocated_cpus", 40}, {"online_cpus", 32}}, {}},
       "the job holds 40 CPUs but only 32 are online; CPU share clamped to 100 %"},
      {{"cpu-time-over-node",
        "attribution",
        {{"job_cpu_s", 600.0}, {"node_busy_cpu_s", 480.0}},
        {}},
       "the job's CPU time (600.00 s) exceeds the node's busy CPU time (480.00 s), which includes "
       "it; CPU-time share clamped to 100 %"},
      {{"node-busy-time-missing", "attribution", {{"job_cpu_s", 2.0}}, {}},
       "the job used 2.000 s of CPU time but the node recorded no busy time; CPU-time share set to "
       "100 %"},
      {{"no-busy-cpu-time", "attribution", {}, {}},
       "the node recorded no busy CPU time during the run (shorter than a USER_HZ tick?); dynamic "
       "CPU energy split by the CPU share instead"},
      {{"exclusive-but-shared",
        "attribution",
        {{"cpus_allowed", 8},
         {"cpus_online", 32},
         {"gpus_owned:CUDA_VISIBLE_DEVICES", 2},
         {"gpus_measured:CUDA_VISIBLE_DEVICES", 4}},
        {{"gpu_variables", "CUDA_VISIBLE_DEVICES"}}},
       "exclusive attribution was requested but the job may use 8 of 32 online CPUs and "
       "CUDA_VISIBLE_DEVICES gives it 2 of 4 measured GPUs: other jobs' energy on this node is "
       "charged to this one"},
      {{"cpu-sharing-unknown", "attribution", {}, {{"reason", "cgroup v1 only"}}},
       "could not tell whether other jobs share the CPUs (cgroup v1 only); attributed as "
       "exclusive"},
      {{"cpu-time-unknown", "attribution", {}, {}},
       "the job's CPU time is unknown (no cgroup data): CPU, DRAM and rest-of-node energy is left "
       "unattributed"},
      {{"split-clamped", "pkg0", {{"charged_j", -568.75}, {"energy_j", 400.0}}, {}},
       "pkg0: the split gave -568.750 J of 400.000 J (idle baseline above the measured energy?); "
       "clamped"},
      {{"overhead-negative", "rest-of-node", {{"excess_j", 100.0}}, {}},
       "the measured parts exceed the node meter by 100.000 J; no overhead attributed"},
      {{"nothing-to-attribute", "attribution", {}, {}},
       "no measured component: nothing to attribute"},
      {{"attribution-total-mismatch",
        "attribution",
        {{"components_j", 2400.0}, {"total_j", 2500.0}},
        {}},
       "the attributed components add up to 2400.000 J but the run's total is 2500.000 J"},
  };
  return cases;
}

std::vector<Case> all_cases() {
  std::vector<Case> all;
  for (const auto* cases : {&ledger_cases(), &window_and_profile_cases(), &attribution_cases()}) {
    all.insert(all.end(), cases->begin(), cases->end());
  }
  return all;
}

TEST(WarningText, EveryCodeInItsOwnWords) {
  for (const auto& c : all_cases()) EXPECT_EQ(render(c.warning), c.text) << c.warning.code;
}

TEST(WarningText, EveryCodeTheRendererKnowsIsTestedOnce) {
  std::multiset<std::string> tested;
  for (const auto& c : all_cases()) tested.insert(c.warning.code);
  const std::vector<std::string> codes = warning_codes();
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), codes.size())
      << "a code twice in the renderer's table";
  for (const auto& code : codes) EXPECT_EQ(tested.count(code), 1u) << code;
  EXPECT_EQ(tested.size(), codes.size());
}

// docs/WARNINGS.md is where a reader looks a code up: each has its row there.
TEST(WarningText, EveryCodeIsDocumented) {
  std::ifstream in(JT_WARNINGS_DOC);
  ASSERT_TRUE(in) << JT_WARNINGS_DOC;
  std::stringstream doc;
  doc << in.rdbuf();
  for (const auto& code : warning_codes()) {
    EXPECT_NE(doc.str().find("| `" + code + "` |"), std::string::npos) << code;
  }
}

TEST(WarningText, VariantsOfOneCode) {
  EXPECT_EQ(render(Warning{"one-usable-reading", "pkg0", {}, {}}),
            "pkg0: only one usable reading; its energy is unknown and left out of the total");
  EXPECT_EQ(render(Warning{"device-lost", "gpu0", {{"lost_at_s", 3.5}}, {}}),
            "gpu0: device lost 3.500 s into the run; energy counted up to then only");
  EXPECT_EQ(render(Warning{"failed-reads", "gpu0", {{"failed_reads", 1}}, {}}),
            "gpu0: 1 read(s) failed");
  EXPECT_EQ(
      render(Warning{
          "extrapolated-ends",
          "gpu0",
          {{"extrapolated_end_s", 0.1}, {"extrapolation_j", 30.0}, {"failed_or_torn_reads", 0}},
          {}}),
      "gpu0: no reading covered the last 0.100 s of the run; that time is extrapolated at "
      "the power of the adjacent readings (+/- 30.000 J)");
  const std::string node_meter =
      "bmc read 0.0 J, less than the 500.0 J of the CPUs and memory inside it (pkg0): ";
  EXPECT_EQ(render(Warning{"container-below-parts",
                           "bmc",
                           {{"energy_j", 0.0}, {"parts_j", 500.0}},
                           {{"held_against", "cpus-and-memory"}, {"parts", "pkg0"}}})
                .substr(0, node_meter.size()),
            node_meter);
  EXPECT_EQ(render(Warning{"channels-changed", "node-profile", {}, {{"not_measured", "gpu0"}}}),
            "the channels changed since calibration: not measured now: gpu0 (recalibrate to cover "
            "them)");
  EXPECT_EQ(render(Warning{"no-baseline", "pkg1", {}, {{"reason", "too-few-readings"}}}),
            "pkg1: no idle baseline (the channel gave too few readings)");
  EXPECT_EQ(render(Warning{"visibility-uuid-unmatched",
                           "CUDA_VISIBLE_DEVICES",
                           {{"gpus_without_uuid", 0}},
                           {{"entry", "GPU-ffff"}}}),
            "CUDA_VISIBLE_DEVICES entry GPU-ffff matches no measured GPU");
  EXPECT_EQ(
      render(Warning{
          "exclusive-but-shared", "attribution", {{"cpus_allowed", 8}, {"cpus_online", 32}}, {}}),
      "exclusive attribution was requested but the job may use 8 of 32 online CPUs: other "
      "jobs' energy on this node is charged to this one");
}

TEST(WarningText, AnUnknownCodeKeepsEverythingItCarries) {
  EXPECT_EQ(render(Warning{"from-the-future", "gpu0", {{"b_j", 1.5}, {"a_s", 2}}, {{"why", "x"}}}),
            "from-the-future: gpu0 a_s=2 b_j=1.5 why=x");
}

TEST(WarningText, JsonHasTheSentencesAndBesideThemTheData) {
  const std::vector<Warning> warnings = {
      {"device-lost", "gpu0", {{"lost_at_s", 3.5}}, {{"error", "No such device"}}},
      {"estimate-inputs-invalid",
       "runtime-estimate",
       {{"runtime_s", std::numeric_limits<double>::quiet_NaN()}, {"pue", 1.0}},
       {}}};
  nlohmann::json out = nlohmann::json::object();
  put_warnings(out, warnings);
  EXPECT_EQ(out.at("warnings"),
            nlohmann::json::array(
                {"gpu0: device lost 3.500 s into the run (No such device); energy counted up to "
                 "then only",
                 "no runtime-based estimate: runtime nan s and PUE 1 must be finite, runtime >= 0, "
                 "PUE >= 1"}));
  const auto expected = nlohmann::json::parse(R"([
    {"code": "device-lost", "subject": "gpu0", "figures": {"lost_at_s": 3.5},
     "details": {"error": "No such device"}},
    {"code": "estimate-inputs-invalid", "subject": "runtime-estimate",
     "figures": {"runtime_s": null, "pue": 1.0}, "details": {}}
  ])");
  EXPECT_EQ(out.at("warning_details"), expected);
}

IdleWaste idle_gpus_of(int gpus, int used, double idle_j, double window_j) {
  IdleWaste w;
  w.gpus = gpus;
  w.gpus_used = used;
  for (int i = used; i < gpus; ++i) w.idle_gpus.push_back({"gpu" + std::to_string(i), "", {}, 0});
  w.idle_gpu_energy.energy_j = idle_j;
  w.window_energy.energy_j = window_j;
  w.idle_gpu_share = idle_j / window_j;
  return w;
}

TEST(IdleWasteText, GpusThenCpusInWords) {
  EXPECT_EQ(
      idle_waste_summary(idle_gpus_of(4, 1, 180.0, 640.0)),
      std::vector<std::string>{"4 GPUs, 1 used: 180.0 J (28 % of 640.0 J) spent by 3 idle GPUs"});
  IdleWaste cpu = idle_gpus_of(1, 1, 0.0, 400.0);
  cpu.gpus_unknown = 0;
  cpu.cpu_idle_while_gpus_worked = true;
  cpu.cpu_busy_fraction = 0.5 / 64;
  cpu.cpu_cores = 64;
  cpu.cpu_energy.energy_j = 100.0;
  cpu.cpu_share = 0.25;
  EXPECT_EQ(idle_waste_summary(cpu),
            (std::vector<std::string>{"1 GPU, 1 used",
                                      "CPU cores 0.8 % busy (0.5 of 64 cores) while GPUs worked: "
                                      "CPU packages and DRAM drew 100.0 J (25 % of 400.0 J)"}));
}

TEST(IdleWasteText, UnknownUtilisationAndUnknownEnergies) {
  IdleWaste w;
  w.gpus = 2;
  w.gpus_unknown = 1;
  w.idle_gpus.push_back({"gpu1", "", {}, 0});
  EXPECT_EQ(idle_waste_summary(w),
            std::vector<std::string>{
                "2 GPUs, 0 used: unknown (an unknown share of unknown) spent by 1 idle GPU; 1 "
                "without utilisation readings, neither counted idle nor used"});
  EXPECT_TRUE(idle_waste_summary(IdleWaste{}).empty());
}

TEST(TextFormat, RoundedEnergiesAcrossScales) {
  EXPECT_EQ(rounded_energy_text(3.44), "3.4 J");
  EXPECT_EQ(rounded_energy_text(2400.0), "2.40 kJ");
  EXPECT_EQ(rounded_energy_text(612e3), "612 kJ");
  EXPECT_EQ(rounded_energy_text(1.2e6), "1.20 MJ");
  EXPECT_EQ(rounded_energy_text(3.5e9), "3.50 GJ");
}

}  // namespace
}  // namespace jt
