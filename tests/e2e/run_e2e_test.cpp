// `jouletrace run` end to end: the real binary on fixture trees whose counters a live writer
// advances at known power, so every energy can be checked against power x time.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

namespace fs = std::filesystem;
using test::component;
using test::read_json;

constexpr double kTickS = 0.001;
// Scheduling slack on a loaded 2-core CI machine: the writer or the first/last read may be
// this late. The bound is still a few ms of energy, far below any real error.
constexpr double kSlackS = 0.010;

double bound_j(double watts) { return watts * (2 * kTickS + kSlackS) + 1e-6; }

class LiveNode : public ::testing::Test {
 protected:
  void start_writer(const std::vector<std::string>& args) {
    writer_ = test::start_live_writer(tree_, args);
  }
  std::string zone(const std::string& name) const {
    return test::powercap_energy_file(tree_, name);
  }
  void TearDown() override { writer_.reset(); }

  test::TempTree tree_{"sysfs/intel-2s"};
  std::unique_ptr<test::BackgroundProcess> writer_;
};

TEST_F(LiveNode, EnergyMatchesKnownPowerPerComponent) {
  fs::remove_all(tree_ / "class/hwmon");  // no node meter: the total is the sum of parts
  start_writer({"--channel", zone("intel-rapl:0") + ":50", "--channel",
                zone("intel-rapl:1") + ":30", "--channel", zone("intel-rapl:0:1") + ":5",
                "--channel", zone("intel-rapl:1:1") + ":4", "--channel",
                zone("intel-rapl:0:0") + ":20"});
  auto args = test::jouletrace_args(tree_, "run");
  for (const char* a : {"--output", "OUT", "--", "sleep", "1"}) args.push_back(a);
  args[args.size() - 4] = (tree_ / "report.json").string();
  const auto result = test::run_process(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(tree_ / "report.json");
  const double t = report["duration_s"];
  EXPECT_GT(t, 0.99);
  const std::vector<std::pair<std::string, double>> expected = {{"powercap/intel-rapl:0", 50},
                                                                {"powercap/intel-rapl:1", 30},
                                                                {"powercap/intel-rapl:0:1", 5},
                                                                {"powercap/intel-rapl:1:1", 4},
                                                                {"powercap/intel-rapl:0:0", 20}};
  for (const auto& [id, watts] : expected) {
    const auto* c = component(report, id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_NEAR(c->at("energy_j").get<double>(), watts * t, bound_j(watts)) << id;
    EXPECT_EQ(c->at("method"), "counter");
    EXPECT_GT(c->at("samples").get<int>(), 5);
    EXPECT_NEAR(c->at("avg_power_w").get<double>(), watts, watts * 0.02) << id;
  }
  // Cores sit inside their package: the total is packages + DRAM, nothing twice.
  EXPECT_NEAR(report["total_energy_j"].get<double>(), (50 + 30 + 5 + 4) * t, bound_j(89));
  EXPECT_EQ(report["total_method"], "counter");
  EXPECT_EQ(report["total_cover"].size(), 4u);
  EXPECT_EQ(component(report, "powercap/intel-rapl:0:0")->at("in_total"), false);
  EXPECT_NE(result.err.find("total:"), std::string::npos);
}

TEST_F(LiveNode, CounterWrapPastMaxEnergyRangeIsUnwrapped) {
  fs::remove_all(tree_ / "class/hwmon");
  // A 10 J range at 50 W wraps every 0.2 s; with 100 W worst case the poll must be <= 50 ms.
  test::write_file(tree_ / "class/powercap/intel-rapl:0/max_energy_range_uj", "10000000\n");
  test::write_file(tree_ / "class/powercap/intel-rapl:0/constraint_0_max_power_uw", "100000000\n");
  test::write_file(tree_ / "class/powercap/intel-rapl:0/energy_uj", "9000000\n");
  start_writer({"--channel", zone("intel-rapl:0") + ":50:10000000"});
  auto args = test::jouletrace_args(tree_, "run");
  const auto out = (tree_ / "wrap.json").string();
  for (const auto& a : {std::string("--output"), out, std::string("--"), std::string("sleep"),
                        std::string("1.5")}) {
    args.push_back(a);
  }
  const auto result = test::run_process(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  const double t = report["duration_s"];
  const auto* pkg = component(report, "powercap/intel-rapl:0");
  ASSERT_NE(pkg, nullptr);
  EXPECT_GE(pkg->at("wraps").get<int>(), 6);
  EXPECT_EQ(pkg->at("segments"), 1);
  EXPECT_NEAR(pkg->at("energy_j").get<double>(), 50 * t, bound_j(50));
  EXPECT_LE(report["interval_s"].get<double>(), 0.0501);
  EXPECT_TRUE(report.contains("interval_note"));
}

TEST_F(LiveNode, TornEmptyAndGarbageReadsAreSkippedWithoutLosingEnergy) {
  fs::remove_all(tree_ / "class/hwmon");
  const std::string pkg = zone("intel-rapl:0");
  // The glitches come late enough that a slow start (a loaded CI machine, a sanitizer build)
  // never probes the zone while it shows one: this test is about sampling.
  start_writer({"--channel", pkg + ":50", "--glitch", pkg + ":0.8:empty:30", "--glitch",
                pkg + ":1.1:garbage:30", "--glitch", pkg + ":1.4:torn:30"});
  auto args = test::jouletrace_args(tree_, "run");
  const auto out = (tree_ / "glitch.json").string();
  for (const auto& a : {std::string("--interval"), std::string("5ms"), std::string("--output"), out,
                        std::string("--"), std::string("sleep"), std::string("1.9")}) {
    args.push_back(a);
  }
  const auto result = test::run_process(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  const auto* c = component(report, "powercap/intel-rapl:0");
  ASSERT_NE(c, nullptr);
  EXPECT_GE(c->at("skipped_reads").get<int>(), 3);
  EXPECT_EQ(c->at("segments"), 1);
  EXPECT_NEAR(c->at("energy_j").get<double>(), 50 * report["duration_s"].get<double>(),
              bound_j(50));
  EXPECT_NE(result.err.find("skipped"), std::string::npos);
}

TEST_F(LiveNode, OneMillisecondIntervalWorks) {
  fs::remove_all(tree_ / "class/hwmon");
  start_writer({"--channel", zone("intel-rapl:0") + ":80"});
  auto args = test::jouletrace_args(tree_, "run");
  const auto out = (tree_ / "fast.json").string();
  const auto csv = (tree_ / "fast.csv").string();
  for (const auto& a :
       {std::string("--interval"), std::string("1ms"), std::string("--output"), out,
        std::string("--csv"), csv, std::string("--"), std::string("sleep"), std::string("0.5")}) {
    args.push_back(a);
  }
  const auto result = test::run_process(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  EXPECT_DOUBLE_EQ(report["interval_s"].get<double>(), 0.001);
  EXPECT_GT(report["sampling_rounds"].get<int>(), 100);
  const auto* c = component(report, "powercap/intel-rapl:0");
  EXPECT_NEAR(c->at("energy_j").get<double>(), 80 * report["duration_s"].get<double>(),
              bound_j(80));
  const std::string series = test::read_file(csv);
  EXPECT_EQ(series.rfind("time_s,component,domain,method,energy_j,power_w\n", 0), 0u);
  EXPECT_NE(series.find(",powercap/intel-rapl:0,package,counter,"), std::string::npos);
}

TEST_F(LiveNode, NodeMeterBecomesTheTotal) {
  start_writer({"--channel", zone("intel-rapl:0") + ":50"});
  auto args = test::jouletrace_args(tree_, "run");
  const auto out = (tree_ / "node.json").string();
  for (const auto& a : {std::string("--output"), out, std::string("--"), std::string("sleep"),
                        std::string("0.5")}) {
    args.push_back(a);
  }
  const auto result = test::run_process(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  ASSERT_EQ(report["total_cover"].size(), 1u);
  EXPECT_EQ(report["total_cover"][0], "hwmon/power_meter/power1");
  EXPECT_EQ(report["total_method"], "power-integrated");
  const double watts = 412.0;  // the fixture's power1_average
  EXPECT_NEAR(report["total_energy_j"].get<double>(), watts * report["duration_s"].get<double>(),
              bound_j(watts));
}

// Power steps at known times, phases marked from a shell script with `jouletrace mark`: each
// phase must get the integral of the schedule over its own interval.
TEST_F(LiveNode, ShellMarkedPhasesGetTheEnergyOfTheirPowerSteps) {
  fs::remove_all(tree_ / "class/hwmon");
  const std::string pkg = zone("intel-rapl:0");
  start_writer({"--channel", pkg + ":20", "--schedule", pkg + ":0=20,0.9=80,1.5=30"});
  const double writer_start_ns = std::stod(test::read_file(tree_ / "writer.ready"));
  const std::string jt = test::jouletrace_binary();
  const std::string script = jt + " mark begin warmup; sleep 0.5; " + jt +
                             " mark end warmup; " +  //
                             jt + " mark begin train; sleep 0.7; " + jt + " mark items 64 train; " +
                             jt + " mark end train; " + jt + " mark begin never-ended; sleep 0.1";
  auto args = test::jouletrace_args(tree_, "run");
  const auto out = (tree_ / "phases.json").string();
  for (const auto& a : {std::string("--interval"), std::string("5ms"), std::string("--output"), out,
                        std::string("--"), std::string("/bin/sh"), std::string("-c"), script}) {
    args.push_back(a);
  }
  const auto result = test::run_process(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  ASSERT_EQ(report["phases"].size(), 3u) << report["phases"].dump(2);

  // Energy of the schedule between two monotonic times.
  auto scheduled_j = [&](double from_ns, double to_ns) {
    const std::vector<std::pair<double, double>> steps = {{0.0, 20}, {0.9, 80}, {1.5, 30}};
    double e = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const double a = writer_start_ns + steps[i].first * 1e9;
      const double b = i + 1 < steps.size() ? writer_start_ns + steps[i + 1].first * 1e9 : 1e30;
      const double lo = std::max(a, from_ns);
      const double hi = std::min(b, to_ns);
      if (hi > lo) e += steps[i].second * (hi - lo) * 1e-9;
    }
    return e;
  };
  const double origin_ns = report["monotonic_start_ns"];
  for (const auto& phase : report["phases"]) {
    const double from = origin_ns + phase["start_s"].get<double>() * 1e9;
    const double to = origin_ns + phase["end_s"].get<double>() * 1e9;
    const double expected = scheduled_j(from, to);
    EXPECT_NEAR(phase["energy_j"].get<double>(), expected,
                phase["uncertainty_j"].get<double>() + bound_j(80))
        << phase.dump(2);
    EXPECT_EQ(phase["method"], "counter");
  }
  const auto& train = report["phases"][1];
  EXPECT_EQ(train["name"], "train");
  EXPECT_EQ(train["items"], 64);
  EXPECT_NEAR(train["energy_per_item_j"].get<double>(), train["energy_j"].get<double>() / 64, 1e-9);
  EXPECT_TRUE(report["phases"][0]["energy_per_item_j"].is_null());
  EXPECT_EQ(report["phases"][2]["closed_at_end"], true);
  EXPECT_NE(result.err.find("train"), std::string::npos);
  EXPECT_NE(result.err.find("J/item"), std::string::npos);
}

TEST(MarkVerb, OutsideARunItWarnsAndDoesNotFail) {
  const auto result = test::run_process({test::jouletrace_binary(), "mark", "begin", "x"},
                                        {.unset_env = {"JOULETRACE_MARKERS"}});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.err.find("not under `jouletrace run`"), std::string::npos);
}

TEST(MarkVerb, RejectsBadUsage) {
  EXPECT_EQ(test::run_process({test::jouletrace_binary(), "mark", "pause", "x"}).exit_code, 125);
  EXPECT_EQ(test::run_process({test::jouletrace_binary(), "mark", "items", "many", "x"}).exit_code,
            125);
}

class RunProcess : public ::testing::Test {
 protected:
  test::TempTree tree_{"sysfs/no-sensors"};
  std::vector<std::string> args(std::vector<std::string> tail) {
    auto a = test::jouletrace_args(tree_, "run");
    a.push_back("--output");
    a.push_back((tree_ / "r.json").string());
    a.push_back("--");
    a.insert(a.end(), tail.begin(), tail.end());
    return a;
  }
};

TEST_F(RunProcess, ExitCodeIsTheCommands) {
  const auto result = test::run_process(args({"/bin/sh", "-c", "exit 3"}));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(read_json(tree_ / "r.json")["exit_code"], 3);
}

TEST_F(RunProcess, KilledCommandGives128PlusSignalAndAReport) {
  const auto result = test::run_process(args({"/bin/sh", "-c", "kill -KILL $$"}));
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
  const auto report = read_json(tree_ / "r.json");
  EXPECT_EQ(report["signal"], SIGKILL);
  EXPECT_EQ(report["exit_code"], 128 + SIGKILL);
  EXPECT_NE(result.err.find("killed by signal 9"), std::string::npos);
}

TEST_F(RunProcess, MissingCommandIs127WithAReport) {
  const auto result = test::run_process(args({"no-such-command-jouletrace"}));
  EXPECT_EQ(result.exit_code, 127);
  const auto report = read_json(tree_ / "r.json");
  EXPECT_TRUE(report.contains("launch_error"));
  EXPECT_NE(result.err.find("could not run"), std::string::npos);
}

TEST_F(RunProcess, ArgumentsAfterTheCommandAreTheCommands) {
  const auto result = test::run_process(args({"/bin/echo", "--output", "-q", "x y"}));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "--output -q x y\n");
}

TEST_F(RunProcess, SigtermToJouletraceIsForwardedAndTheReportWritten) {
  const std::string marker = (tree_ / "started").string();
  test::BackgroundProcess run(args({"/bin/sh", "-c", "touch " + marker + "; exec sleep 30"}),
                              tree_ / "out", tree_ / "err");
  ASSERT_TRUE(test::wait_for_file(marker));
  run.signal(SIGTERM);
  EXPECT_EQ(run.wait(10.0), 128 + SIGTERM);
  const auto report = read_json(tree_ / "r.json");
  EXPECT_EQ(report["signal"], SIGTERM);
  EXPECT_LT(report["duration_s"].get<double>(), 10.0);
}

TEST_F(RunProcess, WithoutSensorsTheCpuIsEstimatedAndLabelledModel) {
  const auto result = test::run_process(
      args({"/bin/sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(tree_ / "r.json");
  EXPECT_EQ(report["total_method"], "model");
  const auto* model = component(report, "model/cpu");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->at("method"), "model");
  const double cpu_s = report["cpu_model"]["cpu_time_s"];
  EXPECT_GT(cpu_s, 0.05);
  EXPECT_NEAR(model->at("energy_j").get<double>(), cpu_s * 7.0, 1e-9);
  // Each missing sensor is named, on one line; -v gives each its reason.
  for (const char* backend : {"powercap", "msr", "nvml"}) {
    EXPECT_TRUE(test::contains(result.err, std::string(" ") + backend)) << backend;
  }
  EXPECT_TRUE(test::contains(result.err, "also probed: ")) << result.err;
  EXPECT_NE(result.err.find("model"), std::string::npos);
  auto verbose = args({"/bin/true"});
  verbose.insert(verbose.begin() + 2, "-v");
  const auto detailed = test::run_process(verbose);
  for (const char* backend : {"powercap", "msr", "nvml"}) {
    EXPECT_TRUE(test::contains(detailed.err, std::string(backend) + ": absent")) << detailed.err;
  }
}

TEST_F(RunProcess, CpuTimeOfEarlierChildrenIsNotCharged) {
  // `sh -c 'busy; exec jouletrace run ...'`: the shell's reaped children stay in
  // RUSAGE_CHILDREN across the exec and must not be charged to the measured command.
  auto a = args({"/bin/sleep", "0.1"});
  std::string command = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done & wait; exec";
  for (const auto& arg : a) command += " '" + arg + "'";
  const auto result = test::run_process({"/bin/sh", "-c", command});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_LT(read_json(tree_ / "r.json")["cpu_model"]["cpu_time_s"].get<double>(), 0.05);
}

// Hours of measurement that could not be saved are found out before the command starts (the
// fault tests cover a target that stops taking writes during the run).
TEST_F(RunProcess, OutputIntoAMissingDirectoryIsAnErrorBeforeTheCommandRuns) {
  const std::string ran = (tree_ / "ran").string();
  for (const char* option : {"--output", "--csv"}) {
    auto a = test::jouletrace_args(tree_, "run");
    for (const std::string& s : {std::string(option), std::string("/nonexistent-dir/r.x"),
                                 std::string("--"), std::string("touch"), ran}) {
      a.push_back(s);
    }
    const auto result = test::run_process(a);
    EXPECT_EQ(result.exit_code, 125) << option;
    EXPECT_TRUE(test::contains(result.err, "the directory /nonexistent-dir does not exist"))
        << result.err;
    EXPECT_FALSE(std::filesystem::exists(ran)) << option;
  }
}

// A directory that goes away while the command runs: the report is saved elsewhere and said
// so, and the exit code is still the command's.
TEST_F(RunProcess, OutputDirectoryRemovedDuringTheRunIsRescued) {
  const fs::path dir = tree_ / "out";
  fs::create_directories(dir);
  auto a = test::jouletrace_args(tree_, "run");
  for (const std::string& s :
       {std::string("--output"), (dir / "r.json").string(), std::string("--"),
        std::string("/bin/sh"), std::string("-c"), "rm -rf '" + dir.string() + "'; exit 4"}) {
    a.push_back(s);
  }
  const auto result = test::run_process(a);
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_NE(result.err.find("could not write the JSON report"), std::string::npos) << result.err;
  const auto pos = result.err.find("saved to ");
  ASSERT_NE(pos, std::string::npos) << result.err;
  const std::string rescued =
      result.err.substr(pos + 9, result.err.find(" instead", pos) - pos - 9);
  EXPECT_EQ(read_json(rescued)["exit_code"], 4);
  fs::remove(rescued);
}

TEST_F(RunProcess, SigintToJouletraceIsForwardedLikeAUserSendsIt) {
  const std::string marker = (tree_ / "started").string();
  test::BackgroundProcess run(args({"/bin/sh", "-c", "touch " + marker + "; exec sleep 30"}),
                              tree_ / "out", tree_ / "err");
  ASSERT_TRUE(test::wait_for_file(marker));
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(10.0), 128 + SIGINT);
  EXPECT_EQ(read_json(tree_ / "r.json")["signal"], SIGINT);
}

TEST_F(RunProcess, ChildIgnoringSigtermKeepsRunningAndIsMeasuredToItsEnd) {
  const std::string marker = (tree_ / "started").string();
  test::BackgroundProcess run(
      args({"/bin/sh", "-c", "trap '' TERM; touch " + marker + "; sleep 1; exit 5"}), tree_ / "out",
      tree_ / "err");
  ASSERT_TRUE(test::wait_for_file(marker));
  run.signal(SIGTERM);  // forwarded; the command ignores it
  EXPECT_EQ(run.wait(10.0), 5);
  const auto report = read_json(tree_ / "r.json");
  EXPECT_EQ(report["exit_code"], 5);
  EXPECT_TRUE(report["signal"].is_null());
  EXPECT_GT(report["duration_s"].get<double>(), 0.9);
}

TEST_F(RunProcess, ManyMarkersAreAllCountedWithoutStallingTheCommand) {
  // 20000 phases written straight into the channel as fast as awk can: the command must not
  // block on a full pipe, and every phase must arrive.
  const std::string writer =
      "fd=${JOULETRACE_MARKERS#fd:}; awk 'BEGIN { for (i = 1; i <= 20000; i++) "
      "printf \"JT1 B %d 1 %d step\\nJT1 N %d 1 %d 2 step\\nJT1 E %d 1 %d step\\n\", "
      "i * 10, i, i * 10 + 1, i, i * 10 + 5, i }' >&$fd";
  const auto result = test::run_process(args({"/bin/sh", "-c", writer}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(tree_ / "r.json");
  EXPECT_EQ(report["phases"].size(), 20000u);
  EXPECT_EQ(report["markers"]["malformed"], 0);
  std::uint64_t items = 0;
  for (const auto& p : report["phases"]) items += p["items"].get<std::uint64_t>();
  EXPECT_EQ(items, 40000u);
  ASSERT_EQ(report["phase_totals"].size(), 1u);
  EXPECT_EQ(report["phase_totals"][0]["count"], 20000);
  EXPECT_EQ(report["phase_totals"][0]["items"], 40000);
  EXPECT_NE(result.err.find("20000 phases, per name"), std::string::npos);
  EXPECT_LT(result.err.size(), 20000u);  // a summary, not 20000 rows
}

TEST_F(RunProcess, MalformedMarkersAreCountedAndIgnored) {
  const auto result = test::run_process(args(
      {"/bin/sh", "-c",
       "fd=${JOULETRACE_MARKERS#fd:}; printf 'hello\\nJT1 E 5 1 3 nothing\\nJT1 B x\\n' >&$fd"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(tree_ / "r.json");
  EXPECT_EQ(report["markers"]["malformed"], 2);
  EXPECT_EQ(report["markers"]["unmatched"], 1);
  EXPECT_TRUE(report["phases"].empty());
  EXPECT_NE(result.err.find("markers: 2 malformed and 1 unmatched"), std::string::npos);
}

TEST_F(RunProcess, CommandLineThatIsNotUtf8StillGivesAReport) {
  const auto result = test::run_process(args({"/bin/echo", "caf\xe9"}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(tree_ / "r.json");
  EXPECT_EQ(report["command"][0], "/bin/echo");
}

TEST_F(RunProcess, BadIntervalIsRejected) {
  auto a = test::jouletrace_args(tree_, "run");
  for (const char* s : {"--interval", "fast", "--", "/bin/true"}) a.push_back(s);
  const auto result = test::run_process(a);
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("--interval"), std::string::npos);
  a[a.size() - 3] = "nan";
  EXPECT_EQ(test::run_process(a).exit_code, 125);
}

}  // namespace
}  // namespace jt
