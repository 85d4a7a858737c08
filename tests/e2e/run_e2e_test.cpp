// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace run` end to end: the real binary on fixture trees whose counters a live writer
// advances at known power, so every energy can be checked against power x time, the time from
// the test's own clock (test::RunClock), never from the report.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

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
  const auto run = test::run_timed(args);
  const auto& result = run.result;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(tree_ / "report.json");
  const test::RunClock clock = run.clock(1.0);  // `sleep 1`
  EXPECT_TRUE(test::duration_within(report["duration_s"], clock));
  const std::vector<std::pair<std::string, double>> expected = {{"powercap/intel-rapl:0", 50},
                                                                {"powercap/intel-rapl:1", 30},
                                                                {"powercap/intel-rapl:0:1", 5},
                                                                {"powercap/intel-rapl:1:1", 4},
                                                                {"powercap/intel-rapl:0:0", 20}};
  for (const auto& [id, watts] : expected) {
    const auto* c = component(report, id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_TRUE(test::energy_within(c->at("energy_j"), watts, clock, bound_j(watts))) << id;
    EXPECT_EQ(c->at("method"), "counter");
    EXPECT_GT(c->at("samples").get<int>(), 5);
    EXPECT_NEAR(c->at("avg_power_w").get<double>(), watts, watts * 0.02) << id;
  }
  // Cores sit inside their package: the total is packages + DRAM, nothing twice (with the core
  // counted too it would be 109 W; the parts' ratio is that of the writer's powers, whatever
  // the span).
  EXPECT_TRUE(test::energy_within(report["total_energy_j"], 50 + 30 + 5 + 4, clock, bound_j(89)));
  const double package_0 = component(report, "powercap/intel-rapl:0")->at("energy_j");
  const double package_1 = component(report, "powercap/intel-rapl:1")->at("energy_j");
  EXPECT_NEAR(package_0 / 50, package_1 / 30, 2 * (2 * kTickS + kSlackS));
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
  const auto run = test::run_timed(args);
  const auto& result = run.result;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  const auto* pkg = component(report, "powercap/intel-rapl:0");
  ASSERT_NE(pkg, nullptr);
  // At least 75 J over a 10 J range: 7 wraps or more (from the 9 J start).
  EXPECT_GE(pkg->at("wraps").get<int>(), 7);
  EXPECT_EQ(pkg->at("segments"), 1);
  // A wrap lost or invented is 10 J, 0.2 s at 50 W: beyond the bounds' slack at both ends.
  EXPECT_TRUE(test::energy_within(pkg->at("energy_j"), 50, run.clock(1.5), bound_j(50)));
  EXPECT_TRUE(test::power_within(pkg->at("avg_power_w"), 50, run.clock(1.5), bound_j(50)));
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
  const auto run = test::run_timed(args);
  const auto& result = run.result;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  const auto* c = component(report, "powercap/intel-rapl:0");
  ASSERT_NE(c, nullptr);
  EXPECT_GE(c->at("skipped_reads").get<int>(), 3);
  EXPECT_EQ(c->at("segments"), 1);
  EXPECT_TRUE(test::energy_within(c->at("energy_j"), 50, run.clock(1.9), bound_j(50)));
  EXPECT_TRUE(test::power_within(c->at("avg_power_w"), 50, run.clock(1.9), bound_j(50)));
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
  const auto run = test::run_timed(args);
  const auto& result = run.result;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  EXPECT_DOUBLE_EQ(report["interval_s"].get<double>(), 0.001);
  EXPECT_GT(report["sampling_rounds"].get<int>(), 100);
  const auto* c = component(report, "powercap/intel-rapl:0");
  ASSERT_NE(c, nullptr);
  const test::RunClock clock = run.clock(0.5);  // `sleep 0.5`
  EXPECT_TRUE(test::energy_within(c->at("energy_j"), 80, clock, bound_j(80)));
  EXPECT_TRUE(test::power_within(c->at("avg_power_w"), 80, clock, bound_j(80)));
  // The series, row by row: the header, then for the package (the only zone that moves) rows of
  // exactly the documented columns whose energy and time grow at the writer's 80 W. Its last
  // row is the run's end: 80 W for the test's span.
  const std::string series = test::read_file(csv);
  const std::string header = "time_s,component,domain,method,energy_j,power_w\n";
  ASSERT_EQ(series.substr(0, header.size()), header);
  std::istringstream lines(series.substr(header.size()));
  const std::string prefix = ",powercap/intel-rapl:0,package,counter,";
  int rows = 0;
  double first_t = -1.0, first_e = 0.0, last_t = -1.0, last_e = 0.0;
  for (std::string line; std::getline(lines, line);) {
    const auto at = line.find(prefix);
    if (at == std::string::npos) continue;
    const double t = std::stod(line.substr(0, at));
    const std::string rest = line.substr(at + prefix.size());
    const double e = std::stod(rest.substr(0, rest.find(',')));
    EXPECT_GT(t, last_t) << line;
    EXPECT_GE(e, last_e) << line;
    if (rows++ == 0) {
      first_t = t;
      first_e = e;
    }
    last_t = t;
    last_e = e;
  }
  EXPECT_GT(rows, 20);  // one point per 10 ms at most (timeline spacing) over >= 0.5 s
  EXPECT_DOUBLE_EQ(first_e, 0.0) << first_t;
  EXPECT_TRUE(test::duration_within(last_t - first_t, clock));
  EXPECT_TRUE(test::energy_within(last_e, 80, clock, bound_j(80)));
}

TEST_F(LiveNode, NodeMeterBecomesTheTotal) {
  start_writer({"--channel", zone("intel-rapl:0") + ":50"});
  auto args = test::jouletrace_args(tree_, "run");
  const auto out = (tree_ / "node.json").string();
  for (const auto& a : {std::string("--output"), out, std::string("--"), std::string("sleep"),
                        std::string("0.5")}) {
    args.push_back(a);
  }
  const auto run = test::run_timed(args);
  const auto& result = run.result;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  ASSERT_EQ(report["total_cover"].size(), 1u);
  EXPECT_EQ(report["total_cover"][0], "hwmon/power_meter/power1");
  EXPECT_EQ(report["total_method"], "power-integrated");
  const double watts = 412.0;  // the fixture's power1_average
  EXPECT_TRUE(test::energy_within(report["total_energy_j"], watts, run.clock(0.5), bound_j(watts)));
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
  const auto run = test::run_timed(args);
  const auto& result = run.result;
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
  // The phases' ends are the times `jouletrace mark` wrote (the markers, an input to the
  // energy): each must hold the sleep the script did inside it, within the test's own clock.
  const double origin_ns = report["monotonic_start_ns"];
  const double slept_s[] = {0.5, 0.7, 0.1};
  // Fixed tolerance: the writer's tick and lateness at both ends (bound_j at the highest power),
  // plus a power step inside the 5 ms read interval at either end (60 W x 5 ms each).
  const double tolerance_j = bound_j(80) + 2 * 60 * 0.005;
  double train_expected_j = 0.0;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& phase = report["phases"][i];
    const double start_s = phase["start_s"];
    const double end_s = phase["end_s"];
    EXPECT_GE(start_s, 0.0) << phase.dump(2);
    EXPECT_TRUE(test::duration_within(end_s - start_s, run.clock(slept_s[i]))) << phase.dump(2);
    EXPECT_LE(end_s, run.elapsed_s) << phase.dump(2);
    const double expected = scheduled_j(origin_ns + start_s * 1e9, origin_ns + end_s * 1e9);
    if (i == 1) train_expected_j = expected;
    EXPECT_NEAR(phase["energy_j"].get<double>(), expected, tolerance_j) << phase.dump(2);
    EXPECT_EQ(phase["method"], "counter");
  }
  const auto& train = report["phases"][1];
  EXPECT_EQ(train["name"], "train");
  EXPECT_EQ(train["items"], 64);
  EXPECT_NEAR(train["energy_per_item_j"].get<double>(), train_expected_j / 64, tolerance_j / 64);
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
  // The busy shell ends by exec'ing `cat` on its own /proc/PID/schedstat, whose first field is
  // the CPU time the process has run so far in ns (the kernel's sum_exec_runtime, which is also
  // what getrusage adds up for a reaped child). The command's CPU time is at least that, and
  // more only by the rest of `cat` (loading, one write and its exit: a few ms of CPU; 5.1 ms was
  // seen on a loaded 2-core machine, hence 20 ms). It is also at most what the test's own
  // RUSAGE_CHILDREN grew by: `jouletrace` and everything it reaped.
  const auto run = test::run_timed(
      args({"/bin/sh", "-c",
            "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exec cat /proc/$$/schedstat"}));
  const auto& result = run.result;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const double ran_s = std::stod(result.out) * 1e-9;
  ASSERT_GT(ran_s, 0.05) << result.out;
  constexpr double kCatTailS = 0.02;
  const double min_cpu_s = ran_s;
  const double max_cpu_s = std::min(ran_s + kCatTailS, run.children_cpu_s);
  const auto report = read_json(tree_ / "r.json");
  EXPECT_EQ(report["total_method"], "model");
  const auto* model = component(report, "model/cpu");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->at("method"), "model");
  const double cpu_s = report["cpu_model"]["cpu_time_s"];
  // getrusage gives microseconds: 1 us of rounding below.
  EXPECT_GE(cpu_s, min_cpu_s - 1e-6) << result.out;
  EXPECT_LE(cpu_s, max_cpu_s) << result.out << run.children_cpu_s;
  // 7 W per busy core: the documented default (README.md, "default 7 W"), the test's copy.
  constexpr double kWattsPerCore = 7.0;
  EXPECT_GE(model->at("energy_j").get<double>(), kWattsPerCore * (min_cpu_s - 1e-6)) << result.out;
  EXPECT_LE(model->at("energy_j").get<double>(), kWattsPerCore * max_cpu_s) << result.out;
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
