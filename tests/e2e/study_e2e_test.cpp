// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace study` end to end: the real binary runs a declared matrix on a fixture node whose
// counters a live writer advances at known power; every run's energy is checked against that
// power times the test's own bounds on the run's span, and the idle check against the powers
// the test set before and during the study.
#include <gtest/gtest.h>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::read_json;

constexpr double kTickS = 0.001;
constexpr double kSlackS = 0.010;  // a late first or last read on a loaded 2-core machine
constexpr double kPackagesW = 80.0;
// A power measured over a window of `window_s`: each end may be off by the writer's tick and a
// late read (kSlackS), so the mean power by that energy over the window.
double window_bound_w(double watts, double window_s) {
  return watts * (2 * kTickS + kSlackS) / window_s;
}

struct StudyNode {
  test::TempTree tree{"sysfs/intel-2s"};
  std::unique_ptr<test::BackgroundProcess> writer;

  StudyNode() { std::filesystem::remove_all(tree / "class/hwmon"); }
  void power(double package0_w, double package1_w) {
    writer.reset();
    writer = test::start_live_writer(
        tree,
        {"--channel",
         test::powercap_energy_file(tree, "intel-rapl:0") + ":" + std::to_string(package0_w),
         "--channel",
         test::powercap_energy_file(tree, "intel-rapl:1") + ":" + std::to_string(package1_w)});
  }
  test::TimedRun study(const json& plan, const std::vector<std::string>& options = {}) {
    test::write_file(tree / "study.json", plan.dump());
    auto args = test::jouletrace_args(tree, "study");
    args.insert(args.end(), options.begin(), options.end());
    args.push_back((tree / "study.json").string());
    test::ProcessOptions env;
    env.env["JOULETRACE_PROFILE"] = (tree / "no-profile.json").string();
    return test::run_timed(args, env);
  }
  // The one node directory below the result directory.
  fs::path results() const {
    for (const auto& entry : fs::directory_iterator(tree / "results")) {
      if (entry.is_directory()) return entry.path();
    }
    return {};
  }
};

// Two configurations of one command, each run twice: the configuration's variable reaches its
// runs only, the phases are recorded, and each run used the packages' power over its span.
TEST(StudyE2e, EveryRunOfTheMatrixUsedTheKnownPowerOverItsSpan) {
  StudyNode node;
  node.power(50.0, 30.0);
  const std::string mark = test::jouletrace_binary() + " mark";
  const std::string script = "test \"$WHICH\" = \"$EXPECT\" && " + mark + " begin train && " +
                             "sleep $PAUSE && " + mark + " items 7 train && " + mark + " end train";
  const json plan = {
      {"name", "e2e"},
      {"repetitions", 2},
      {"cooldown_s", 0.2},
      {"output", (node.tree / "results").string()},
      {"idle_check", {{"window_s", 0.3}, {"timeout_s", 5}}},
      {"entries",
       {{{"name", "work"},
         {"command", {"sh", "-c", script}},
         {"phases", {"train", "infer"}},
         {"configurations",
          {{{"name", "short"}, {"env", {{"WHICH", "a"}, {"EXPECT", "a"}, {"PAUSE", "0.3"}}}},
           {{"name", "long"}, {"env", {{"EXPECT", ""}, {"PAUSE", "0.6"}}}}}}}}}};
  const test::TimedRun run = node.study(plan, {"-q"});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const fs::path dir = node.results();
  ASSERT_FALSE(dir.empty());

  const json index = read_json(dir / "study.json");
  EXPECT_EQ(index["schema"], "jouletrace.study");
  EXPECT_EQ(index["complete"], true);
  ASSERT_EQ(index["results"].size(), 2u) << index.dump(2);
  const struct {
    const char* label;
    const char* file;
    double pause_s;
  } cells[] = {{"work/short", "work@short.json", 0.3}, {"work/long", "work@long.json", 0.6}};
  for (std::size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(index["results"][c]["label"], cells[c].label);
    EXPECT_EQ(index["results"][c]["file"], cells[c].file);
    EXPECT_EQ(index["results"][c]["runs"], 2);
    const json result = read_json(dir / cells[c].file);
    EXPECT_EQ(result["schema"], "jouletrace.repeat");
    EXPECT_EQ(result["study"]["label"], cells[c].label);
    ASSERT_EQ(result["runs"].size(), 2u) << result.dump(2);
    for (const json& r : result["runs"]) {
      // The command checked its variables (the second cell must not see the first's WHICH).
      EXPECT_EQ(r["exit_code"], 0) << r.dump(2);
      const double energy = r["total_energy_j"];
      const double duration = r["duration_s"];
      // Each run took at least its pause and at most the whole study.
      EXPECT_GE(duration, cells[c].pause_s);
      EXPECT_LE(duration, run.elapsed_s);
      EXPECT_NEAR(energy, kPackagesW * duration, kPackagesW * (2 * kTickS + kSlackS) + 1e-6);
      ASSERT_EQ(r["phases"].size(), 1u);
      EXPECT_EQ(r["phases"][0]["name"], "train");
      EXPECT_EQ(r["phases"][0]["items"], 7);
    }
    // Each run was preceded by an idle check against the power before the study: the same.
    ASSERT_EQ(result["study"]["idle_checks"].size(), 2u);
    for (const json& check : result["study"]["idle_checks"]) {
      EXPECT_EQ(check["idle"], true) << check.dump(2);
      EXPECT_NEAR(check["power_w"].get<double>(), kPackagesW, window_bound_w(kPackagesW, 0.3))
          << check.dump(2);
      EXPECT_NEAR(check["baseline_w"].get<double>(), kPackagesW, window_bound_w(kPackagesW, 0.3))
          << check.dump(2);
    }
    // `infer` was declared and never marked.
    const std::string warnings = result["study"]["warnings"].dump();
    EXPECT_NE(warnings.find("phase 'infer' was not marked"), std::string::npos) << warnings;
    EXPECT_FALSE(result["node"]["node"].is_null()) << result["node"].dump(2);
  }
  // The index stands for its result files in `compare` and `report`.
  const fs::path compared = node.tree / "compare.json";
  const auto compare = test::run_process({test::jouletrace_binary(), "compare", "--json", "-o",
                                          compared.string(), (dir / "study.json").string()});
  ASSERT_EQ(compare.exit_code, 0) << compare.err;
  const json table = read_json(compared)["configurations"];
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0]["label"], "work/short");
  EXPECT_EQ(table[1]["label"], "work/long");
  EXPECT_EQ(table[0]["runs"], 2);
  const fs::path page = node.tree / "study.html";
  const auto report = test::run_process({test::jouletrace_binary(), "report",
                                         (dir / "study.json").string(), "--html", page.string()});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(test::read_file(page).find("work/long"), std::string::npos);
}

// A node left hotter than its calibrated idle power: each run waits for the time-out, is
// measured anyway, and its file says so.
TEST(StudyE2e, ANodeThatStaysBusyIsMeasuredWithAWarning) {
  StudyNode node;
  node.power(10.0, 10.0);
  const std::string profile = (node.tree / "profile.json").string();
  auto calibrate = test::jouletrace_args(node.tree, "calibrate");
  for (const char* word : {"--settle", "0s", "--duration", "400ms", "--profile"}) {
    calibrate.push_back(word);
  }
  calibrate.push_back(profile);
  const auto calibrated = test::run_process(calibrate);
  ASSERT_EQ(calibrated.exit_code, 0) << calibrated.err;
  node.power(50.0, 30.0);
  const json plan = {{"repetitions", 1},
                     {"cooldown_s", 0},
                     {"output", (node.tree / "results").string()},
                     {"idle_check", {{"window_s", 0.2}, {"timeout_s", 0.5}, {"margin_w", 1}}},
                     {"entries", {{{"name", "nap"}, {"command", {"sleep", "0.2"}}}}}};
  const test::TimedRun run = node.study(plan, {"--profile", profile});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  EXPECT_NE(run.result.err.find("was not idle"), std::string::npos) << run.result.err;
  const json result = read_json(node.results() / "nap.json");
  const json& check = result["study"]["idle_checks"][0];
  EXPECT_EQ(check["idle"], false) << check.dump(2);
  EXPECT_GE(check["windows"].get<int>(), 2);  // waited: 0.5 s of 0.2-s windows
  EXPECT_GE(check["waited_s"].get<double>(), 0.5);
  EXPECT_NEAR(check["power_w"].get<double>(), 80.0, window_bound_w(80.0, 0.2));
  EXPECT_NEAR(check["baseline_w"].get<double>(), 20.0, window_bound_w(20.0, 0.4));
  EXPECT_NE(result["study"]["baseline_source"].get<std::string>().find("calibrated"),
            std::string::npos);
  EXPECT_EQ(result["runs"][0]["exit_code"], 0);
}

// A mixed node whose GPU (fake NVML, 200 W, never busy) idles while the CPUs work.
struct MixedNode : StudyNode {
  MixedNode() {
    power(50.0, 30.0);
    test::write_file(tree / "nvml.conf",
                     "gpu uuid=GPU-aaaa name=FakeH100 power_w=200 energy=1 util=0\n");
  }
  test::TimedRun study_with_gpu(const json& entries) {
    const json plan = {{"repetitions", 2},
                       {"cooldown_s", 0},
                       {"output", (tree / "results").string()},
                       {"idle_check", {{"window_s", 0.2}, {"timeout_s", 2}}},
                       {"entries", entries}};
    test::write_file(tree / "study.json", plan.dump());
    auto args = test::jouletrace_args(tree, "study", test::fake_nvml_library());
    args.push_back("-q");
    args.push_back((tree / "study.json").string());
    return test::run_timed(args, {.env = {{"JT_FAKE_NVML_CONFIG", (tree / "nvml.conf").string()},
                                          {"JOULETRACE_PROFILE", (tree / "none.json").string()}}});
  }
};

// Every run's idle-GPU energy is the GPU's power over the run, and `compare` of the result file
// says the same.
TEST(StudyE2e, AnIdleGpuBesideTheCpuWorkIsTheWasteOfEveryRun) {
  MixedNode node;
  const auto run = node.study_with_gpu({{{"name", "cpu"}, {"command", {"sleep", "0.4"}}}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const fs::path dir = node.results();
  const json cpu = read_json(dir / "cpu.json");
  ASSERT_EQ(cpu["runs"].size(), 2u);
  for (const json& r : cpu["runs"]) {
    const json& waste = r["idle_waste"][0];
    EXPECT_EQ(waste["window"], "run");
    const double duration = r["duration_s"];
    // The fake's 1 mJ unit and a read's own time (12 ms at most on a loaded machine).
    EXPECT_NEAR(waste["idle_gpu_energy_j"].get<double>(), 200.0 * duration, 200.0 * 0.012)
        << waste.dump(2);
    EXPECT_EQ(waste["idle_gpu_method"], "counter");
  }
  const fs::path out = node.tree / "compare.json";
  const auto compared = test::run_process({test::jouletrace_binary(), "compare", "--json", "-o",
                                           out.string(), (dir / "cpu.json").string()});
  ASSERT_EQ(compared.exit_code, 0) << compared.err;
  const json table = read_json(out)["configurations"][0];
  EXPECT_NEAR(table["idle_gpu"]["mean_j"].get<double>(),
              200.0 * table["duration"]["mean_s"].get<double>(), 200.0 * 0.012)
      << table.dump(2);
}

// The bundled 3D U-Net, where LibTorch built it, as a study entry: its phases and items.
TEST(StudyE2e, TheBundledUnetIsAStudyEntryWithItsPhases) {
  const fs::path workload =
      fs::path(test::jouletrace_binary()).parent_path() / "jouletrace-workload";
  if (!fs::exists(workload)) GTEST_SKIP() << "jouletrace-workload is not built (no LibTorch)";
  MixedNode node;
  const auto run = node.study_with_gpu(
      {{{"name", "unet3d"},
        {"workload", "unet3d"},
        {"args",
         {"--steps", "2", "--volume-size", "16", "--patch-size", "16", "--train-volumes", "2",
          "--test-volumes", "1", "--threads", "1", "--batch-size", "1"}},
        {"phases", {"train", "infer"}}}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const json unet = read_json(node.results() / "unet3d.json");
  ASSERT_EQ(unet["runs"].size(), 2u) << unet["study"].dump(2);
  for (const json& r : unet["runs"]) {
    ASSERT_EQ(r["phase_totals"].size(), 2u) << r["phase_totals"].dump(2);
    EXPECT_EQ(r["phase_totals"][0]["name"], "train");
    EXPECT_EQ(r["phase_totals"][0]["items"], 2);  // steps x batch size
    EXPECT_EQ(r["phase_totals"][1]["name"], "infer");
    EXPECT_EQ(r["phase_totals"][1]["items"], 1);  // the held-out volumes
  }
  EXPECT_EQ(unet["study"]["warnings"].size(), 0u) << unet["study"].dump(2);
}

// A configuration whose command fails ends there; the study goes on with the next and says at
// the end, with exit status 1, which did not complete.
TEST(StudyE2e, AFailingConfigurationEndsAloneAndTheStudySaysSo) {
  StudyNode node;
  node.power(50.0, 30.0);
  const json plan = {{"repetitions", 2},
                     {"cooldown_s", 0},
                     {"idle_check", false},
                     {"output", (node.tree / "results").string()},
                     {"entries",
                      {{{"name", "fails"}, {"command", {"sh", "-c", "exit 3"}}},
                       {{"name", "works"}, {"command", {"sleep", "0.1"}}}}}};
  const test::TimedRun run = node.study(plan, {"-q"});
  EXPECT_EQ(run.result.exit_code, 1) << run.result.err;
  EXPECT_NE(run.result.err.find("not every run completed in fails"), std::string::npos)
      << run.result.err;
  const fs::path dir = node.results();
  const json fails = read_json(dir / "fails.json");
  ASSERT_EQ(fails["runs"].size(), 1u);
  EXPECT_EQ(fails["runs"][0]["exit_code"], 3);
  EXPECT_NE(fails["study"]["warnings"].dump().find("exited with 3"), std::string::npos);
  EXPECT_EQ(fails["study"]["idle_checks"][0]["performed"], false);
  EXPECT_EQ(read_json(dir / "works.json")["runs"].size(), 2u);
  const json index = read_json(dir / "study.json");
  ASSERT_EQ(index["results"].size(), 2u);
  // Runs that started and completed, as `compare` counts them: the failed one too.
  EXPECT_EQ(index["results"][0]["runs"], 1);
  EXPECT_EQ(index["results"][1]["runs"], 2);
}

TEST(StudyCli, ABadStudyRunsNothingAndNamesTheMistake) {
  StudyNode node;
  const json plan = {{"entries", {{{"name", "a"}, {"comand", {"true"}}}}}};
  const test::TimedRun run = node.study(plan);
  EXPECT_EQ(run.result.exit_code, 125);
  EXPECT_NE(run.result.err.find("comand"), std::string::npos) << run.result.err;
  EXPECT_FALSE(fs::exists(node.tree / "results"));

  // --dry-run lists the matrix and runs nothing.
  const json good = {{"output", (node.tree / "results").string()},
                     {"entries",
                      {{{"name", "a"},
                        {"command", {"touch", (node.tree / "ran").string()}},
                        {"configurations", {{{"name", "x"}}, {{"name", "y"}}}}}}}};
  const test::TimedRun dry = node.study(good, {"--dry-run", "--repetitions", "4"});
  ASSERT_EQ(dry.result.exit_code, 0) << dry.result.err;
  EXPECT_NE(dry.result.out.find("a/x x4"), std::string::npos) << dry.result.out;
  EXPECT_NE(dry.result.out.find("a/y x4"), std::string::npos) << dry.result.out;
  EXPECT_FALSE(fs::exists(node.tree / "ran"));
}

}  // namespace
}  // namespace jt
