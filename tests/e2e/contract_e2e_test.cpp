// SPDX-License-Identifier: BSD-3-Clause
// The run contract (README "The run contract"), clause by clause, on the real binary: the
// command runs as if jouletrace were not there, and no number is lost or invented.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

namespace fs = std::filesystem;
using test::contains;
using test::read_json;

// ---------------------------------------------------------------------------------------------
// Options end where the command begins.

class Contract : public ::testing::Test {
 protected:
  std::vector<std::string> run_args(std::vector<std::string> tail) const {
    auto a = test::jouletrace_args(tree_, "run");
    a.insert(a.end(), tail.begin(), tail.end());
    return a;
  }
  test::TempTree tree_{"sysfs/no-sensors"};
};

TEST_F(Contract, AMistypedOptionRunsNothing) {
  const std::string ran = (tree_ / "ran").string();
  const auto result = test::run_process(run_args({"--ouptut", "r.json", "--", "touch", ran}));
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_TRUE(contains(result.err, "unknown option '--ouptut' (did you mean --output?)"))
      << result.err;
  EXPECT_FALSE(fs::exists(ran));
  const auto other = test::run_process(run_args({"--foo", "bar", "--", "touch", ran}));
  EXPECT_EQ(other.exit_code, 125);
  EXPECT_FALSE(fs::exists(ran));
}

TEST_F(Contract, OptionsEndAtTheCommandWithoutDoubleDash) {
  const auto result =
      test::run_process(run_args({"-q", test::argv_dump_binary(), "-i", "5ms", "x"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, std::string("-i\0"
                                    "5ms\0x\0",
                                    9));
  EXPECT_TRUE(result.err.empty()) << result.err;
}

// Property, through the real binary: generated argv full of option-like words, spaces, empty
// strings and UTF-8 reach the command byte for byte, with and without `--`.
TEST_F(Contract, EveryByteOfTheArgvReachesTheCommand) {
  std::mt19937 random(6122026);
  const std::vector<std::string> pieces = {"-",  "--",  "-q",       "-i", "5ms", "--output",
                                           "",   " ",   "a b",      "-o", "-v",  "--csv=x",
                                           "\t", "'\"", "\xc3\xa9", "$X", "-qv", "\xe2\x82\xac"};
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<std::string> words;
    for (int i = 0; i < 6; ++i) words.push_back(pieces[random() % pieces.size()]);
    std::string expected;
    for (const auto& w : words) expected += w + std::string(1, '\0');
    std::vector<std::string> tail = {"-q"};
    if (trial % 2 == 0) tail.push_back("--");
    tail.push_back(test::argv_dump_binary());
    tail.insert(tail.end(), words.begin(), words.end());
    const auto result = test::run_process(run_args(tail));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, expected) << "trial " << trial;
  }
}

TEST(ContractVerbs, UnknownCommandIsNamed) {
  const auto result = test::run_process({test::jouletrace_binary(), "bogus"});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_TRUE(contains(result.err, "unknown command 'bogus'")) << result.err;
}

// ---------------------------------------------------------------------------------------------
// Input is checked before the command starts.

TEST_F(Contract, BadFilesNamedOnTheCommandLineStopTheRunBeforeItStarts) {
  const std::string ran = (tree_ / "ran").string();
  test::write_file(tree_ / "bad.json", "{\"schema\": ");
  const fs::path redfish = tree_ / "redfish.json";
  test::write_file(redfish, "{\"url\": 5}");
  fs::permissions(redfish, fs::perms::owner_read | fs::perms::owner_write);
  struct Case {
    std::vector<std::string> options;
    std::string message;
  };
  const Case cases[] = {
      {{"--profile", (tree_ / "bad.json").string()}, "--profile"},
      {{"--profile", (tree_ / "absent.json").string()}, "--profile"},
      {{"--tdp-file", (tree_ / "bad.json").string()}, "--tdp-file"},
      {{"--redfish-config", redfish.string()}, "--redfish-config"},
      {{"--model-watts-per-core", "-3"}, "--model-watts-per-core -3 is out of range"},
      {{"-i", "5"}, "a duration needs a unit"},
  };
  for (const auto& c : cases) {
    auto tail = c.options;
    for (const std::string& s : {std::string("--"), std::string("touch"), ran}) tail.push_back(s);
    const auto result = test::run_process(run_args(tail));
    EXPECT_EQ(result.exit_code, 125) << c.message << ": " << result.err;
    EXPECT_TRUE(contains(result.err, c.message)) << result.err;
    EXPECT_FALSE(fs::exists(ran)) << c.message;
  }
}

// ---------------------------------------------------------------------------------------------
// A command that cannot start, and processes a command leaves behind.

TEST_F(Contract, ACommandThatCannotStartIsOneLineEvenQuietAndSaidInTheJson) {
  const auto out = (tree_ / "r.json").string();
  const auto result =
      test::run_process(run_args({"-q", "-o", out, "--", "no-such-command-jouletrace"}));
  EXPECT_EQ(result.exit_code, 127);
  EXPECT_EQ(result.err,
            "jouletrace: could not run 'no-such-command-jouletrace': No such file or directory\n");
  const auto report = read_json(out);
  EXPECT_EQ(report["started"], false);
  EXPECT_EQ(report["launch_error"], "No such file or directory");
  const auto loud = test::run_process(run_args({"--", "no-such-command-jouletrace"}));
  EXPECT_EQ(loud.exit_code, 127);
  EXPECT_FALSE(contains(loud.err, "component")) << loud.err;  // no table for what never ran
  test::write_file(tree_ / "not-executable", "#!/bin/sh\n");
  const auto denied =
      test::run_process(run_args({"-q", "--", (tree_ / "not-executable").string()}));
  EXPECT_EQ(denied.exit_code, 126);
  EXPECT_TRUE(contains(denied.err, "Permission denied")) << denied.err;
}

TEST_F(Contract, ProcessesLeftRunningAreNamedAndWaitedForOnRequest) {
  const auto out = (tree_ / "r.json").string();
  auto start = std::chrono::steady_clock::now();
  const auto left = test::run_process(
      run_args({"-o", out, "--", "sh", "-c", "sleep 1.5 >/dev/null 2>&1 & exit 0"}));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(left.exit_code, 0) << left.err;
  EXPECT_LT(took, 1.2);
  EXPECT_TRUE(contains(left.err, "the command left 1 process running")) << left.err;
  auto report = read_json(out);
  ASSERT_EQ(report["left_running"].size(), 1U);
  EXPECT_EQ(report["left_running"][0]["name"], "sleep");
  EXPECT_GT(report["left_running"][0]["pid"].get<int>(), 0);

  start = std::chrono::steady_clock::now();
  const auto waited = test::run_process(
      run_args({"--wait-all", "-o", out, "--", "sh", "-c", "sleep 1.5 >/dev/null 2>&1 & exit 0"}));
  took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_GE(took, 1.5);
  report = read_json(out);
  EXPECT_TRUE(report["left_running"].empty());
  EXPECT_GE(report["waited_for_others_s"].get<double>(), 1.3);
  EXPECT_GE(report["duration_s"].get<double>(), 1.5);
}

// ---------------------------------------------------------------------------------------------
// The JSON report to stdout; the summary stays on stderr.

TEST_F(Contract, JsonToStandardOutput) {
  const auto result = test::run_process(run_args({"-o", "-", "--", "true"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["schema"], "jouletrace.run");
  EXPECT_EQ(report["version"], 1);
  EXPECT_EQ(report["complete"], true);
  EXPECT_TRUE(contains(result.err, "exited with code 0")) << result.err;
}

// ---------------------------------------------------------------------------------------------
// Signals: the command gets each signal once.

struct Delivery {
  int signal = 0;
  int code = 0;
  int sender = 0;
};

std::vector<Delivery> deliveries(const fs::path& log) {
  std::vector<Delivery> out;
  std::istringstream lines(test::read_file(log));
  for (Delivery d; lines >> d.signal >> d.code >> d.sender;) out.push_back(d);
  return out;
}

// jouletrace run in a terminal of its own (a pseudo-terminal whose foreground process group it
// leads), as a user's shell would start it; the test types into the terminal.
class Terminal {
 public:
  // Some containers have no /dev/ptmx: the terminal tests are then skipped, saying so.
  static bool available() {
    const int fd = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (fd < 0) return false;
    ::close(fd);
    return true;
  }
  explicit Terminal(const std::vector<std::string>& argv) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) std::abort();
    const std::string slave_name = ::ptsname(master_);
    std::vector<char*> args;
    std::vector<std::string> copy = argv;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      const int slave = ::open(slave_name.c_str(), O_RDWR);
      ::ioctl(slave, TIOCSCTTY, 0);
      ::dup2(slave, 0);
      ::dup2(slave, 1);
      ::dup2(slave, 2);
      ::close(master_);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    reader_ = std::thread([this] {
      char buffer[4096];
      pollfd ready{master_, POLLIN, 0};
      while (!stop_.load()) {
        if (::poll(&ready, 1, 50) <= 0) continue;
        const ssize_t n = ::read(master_, buffer, sizeof buffer);
        if (n <= 0) break;  // EIO once every process of the terminal has closed it
        std::lock_guard lock(mutex_);
        output_.append(buffer, static_cast<std::size_t>(n));
      }
    });
  }
  ~Terminal() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    ::close(master_);
  }
  void type(const std::string& keys) {
    [[maybe_unused]] auto n = ::write(master_, keys.data(), keys.size());
  }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  }
  std::string output() {
    std::lock_guard lock(mutex_);
    return output_;
  }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::atomic<bool> stop_{false};
  std::thread reader_;
  std::mutex mutex_;
  std::string output_;
};

class Signals : public Contract {
 protected:
  std::vector<std::string> counted(std::vector<std::string> counter_options = {}) {
    std::vector<std::string> a =
        run_args({"-q", "--", test::signal_counter_binary(), ready_.string(), log_.string()});
    a.insert(a.end(), counter_options.begin(), counter_options.end());
    return a;
  }
  fs::path ready_ = tree_ / "ready";
  fs::path log_ = tree_ / "signals.log";
};

TEST_F(Signals, CtrlCFromTheTerminalReachesTheCommandOnce) {
  if (!Terminal::available()) GTEST_SKIP() << "no pseudo-terminal (/dev/ptmx) here";
  Terminal terminal(counted());
  ASSERT_TRUE(test::wait_for_file(ready_)) << terminal.output();
  terminal.type("\x03");
  EXPECT_EQ(terminal.wait(), 0) << terminal.output();
  const auto got = deliveries(log_);
  ASSERT_EQ(got.size(), 1U) << terminal.output();
  EXPECT_EQ(got[0].signal, SIGINT);
  EXPECT_EQ(got[0].code, SI_KERNEL);  // from the terminal, not from jouletrace
}

// Signals as senders send them: the command counts each delivery.
class Senders : public Signals {
 protected:
  // Runs the counted command under `jouletrace run` under signal_sender, with Slurm's
  // cgroup.conf (next to $SLURM_CONF) holding `cgroup_conf`.
  std::vector<Delivery> send(const std::string& as, const std::string& how,
                             const std::string& cgroup_conf = "") {
    test::write_file(tree_ / "slurm" / "slurm.conf", "ClusterName=test\n");
    if (!cgroup_conf.empty()) test::write_file(tree_ / "slurm" / "cgroup.conf", cgroup_conf);
    std::vector<std::string> argv = {test::signal_sender_binary(), as,  ready_.string(),
                                     std::to_string(SIGTERM),      how, "--"};
    const auto run = counted();
    argv.insert(argv.end(), run.begin(), run.end());
    const auto result = test::run_process(
        argv, {.env = {{"SLURM_CONF", (tree_ / "slurm" / "slurm.conf").string()}}});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return deliveries(log_);
  }
};

// scancel, a time limit, srun's Ctrl-C with Slurm's default proctrack/cgroup: the step daemon
// signals only the step's tasks, jouletrace here, which forwards the signal once.
TEST_F(Senders, SlurmSignallingOnlyTheTaskIsForwardedOnce) {
  const auto got = send("slurmstepd", "child");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].signal, SIGTERM);
}

// With SignalChildrenProcesses=yes the step daemon signals every process of the step, the
// command included: jouletrace does not send it again.
TEST_F(Senders, SlurmSignallingEveryProcessReachesTheCommandOnce) {
  const auto got =
      send("slurmstepd", "all", "CgroupPlugin=autodetect\nSignalChildrenProcesses=Yes # all\n");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].signal, SIGTERM);
}

// A user's `kill PID`, a supervisor's terminate(): jouletrace alone gets it and forwards it.
TEST_F(Senders, ASignalToJouletraceAloneIsForwardedOnce) {
  const auto got = send("supervisor", "child");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].signal, SIGTERM);
}

// `timeout`, a shell's `kill %1`: the whole process group jouletrace leads. Outside a terminal
// the command has a group of its own, so it gets the signal once, from jouletrace.
TEST_F(Senders, ASignalToJouletracesProcessGroupReachesTheCommandOnce) {
  const auto got = send("timeout", "group");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].signal, SIGTERM);
}

// A command that ignores Ctrl-C: jouletrace says what it waits for, and two Ctrl-C within a
// second end the command with SIGKILL (as srun does); the report is still written.
TEST_F(Signals, RepeatedCtrlCSaysWhatItWaitsForAndTwoQuickOnesKill) {
  const auto out = (tree_ / "r.json").string();
  auto argv = counted({"--ignore", "--max", "20"});
  argv.insert(argv.begin() + 2, {"-o", out});
  if (!Terminal::available()) GTEST_SKIP() << "no pseudo-terminal (/dev/ptmx) here";
  Terminal terminal(argv);
  ASSERT_TRUE(test::wait_for_file(ready_)) << terminal.output();
  terminal.type("\x03");
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  terminal.type("\x03");
  for (int i = 0; i < 100 && !contains(terminal.output(), "still running"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(contains(terminal.output(),
                       "which got Ctrl-C and is still running; press Ctrl-C "
                       "twice within a second to kill it"))
      << terminal.output();
  terminal.type("\x03");
  EXPECT_EQ(terminal.wait(), 128 + SIGKILL) << terminal.output();
  EXPECT_TRUE(contains(terminal.output(), "with SIGKILL")) << terminal.output();
  // Each Ctrl-C once, from the terminal, never forwarded on top. The third races the SIGKILL it
  // triggers: the command may die before it logs it.
  const auto got = deliveries(log_);
  EXPECT_GE(got.size(), 2U);
  EXPECT_LE(got.size(), 3U);
  for (const auto& d : got) EXPECT_EQ(d.signal, SIGINT);
  const auto report = read_json(out);
  EXPECT_EQ(report["killed_after_interrupts"], true);
  EXPECT_EQ(report["signal"], SIGKILL);
}

// ---------------------------------------------------------------------------------------------
// Nothing measured is lost, nothing unknown is invented.

class LiveRun : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(tree_ / "class/hwmon");  // no node meter: the package is the total
    writer_ = test::start_live_writer(
        tree_, {"--channel", test::powercap_energy_file(tree_, "intel-rapl:0") + ":50"});
  }
  test::TempTree tree_{"sysfs/intel-2s"};
  std::unique_ptr<test::BackgroundProcess> writer_;
};

// A time limit's SIGKILL (or the OOM killer's) to jouletrace and its command: the JSON
// checkpoint and the streamed CSV keep all but the last seconds. Expected energies come from
// the writer's 50 W and the test's own clock.
TEST_F(LiveRun, SigkillKeepsTheCheckpointAndTheStreamedSeries) {
  const fs::path json = tree_ / "r.json";
  const fs::path csv = tree_ / "r.csv";
  const fs::path pid_file = tree_ / "pid";
  auto a = test::jouletrace_args(tree_, "run");
  for (const std::string& s :
       {std::string("--checkpoint"), std::string("1s"), std::string("-o"), json.string(),
        std::string("--csv"), csv.string(), std::string("-q"), std::string("--"), std::string("sh"),
        std::string("-c"),
        "echo $$ > " + pid_file.string() + ".tmp && mv " + pid_file.string() + ".tmp " +
            pid_file.string() + " && exec sleep 60"}) {
    a.push_back(s);
  }
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  test::BackgroundProcess run(a);
  ASSERT_TRUE(test::wait_for_file(pid_file));
  const auto command_started = Clock::now();  // the run began before this
  std::this_thread::sleep_for(std::chrono::milliseconds(4000));
  const auto killed = Clock::now();
  ::kill(std::stoi(test::read_file(pid_file)), SIGKILL);
  run.signal(SIGKILL);
  EXPECT_EQ(run.wait(), 128 + SIGKILL);
  const double at_most_s = std::chrono::duration<double>(killed - t0).count();
  const double at_least_s = std::chrono::duration<double>(killed - command_started).count();

  const auto report = read_json(json);
  EXPECT_EQ(report["complete"], false);
  EXPECT_TRUE(report["exit_code"].is_null());  // not known yet when it was written
  const auto* pkg = test::component(report, "powercap/intel-rapl:0");
  ASSERT_NE(pkg, nullptr);
  // Checkpoints come every second; half a second more for writing one on a loaded machine.
  EXPECT_GE(pkg->at("energy_j").get<double>(), 50.0 * (at_least_s - 1.5));
  EXPECT_LE(pkg->at("energy_j").get<double>(), 50.0 * at_most_s + 1.0);

  // The series: rows up to a few seconds before the kill, each at the writer's power.
  std::istringstream rows(test::read_file(csv));
  std::string line;
  std::getline(rows, line);
  EXPECT_EQ(line, "time_s,component,domain,method,energy_j,power_w");
  double last_t = 0.0;
  int rows_with_power = 0;
  while (std::getline(rows, line)) {
    std::vector<std::string> cells;
    std::stringstream split(line);
    for (std::string cell; std::getline(split, cell, ',');) cells.push_back(cell);
    if (cells.size() < 6 || cells[1] != "powercap/intel-rapl:0") continue;
    last_t = std::stod(cells[0]);
    const double power = std::stod(cells[5]);
    EXPECT_NEAR(power, 50.0, 10.0) << line;  // one 100 ms step may be off by a 1 ms tick
    ++rows_with_power;
  }
  EXPECT_GT(rows_with_power, 5);
  // Rows settle for a second (and two polls) and are flushed every second.
  EXPECT_GE(last_t, at_least_s - 3.0);
}

TEST_F(LiveRun, RepeatedRunsKeepEachReportWithMeanAndDeviation) {
  const fs::path json = tree_ / "r.json";
  const fs::path csv = tree_ / "r.csv";
  auto a = test::jouletrace_args(tree_, "run");
  for (const std::string& s : {std::string("--repeat"), std::string("3"), std::string("-o"),
                               json.string(), std::string("--csv"), csv.string(), std::string("--"),
                               std::string("sleep"), std::string("0.3")}) {
    a.push_back(s);
  }
  const auto result = test::run_process(a);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(json);
  EXPECT_EQ(report["schema"], "jouletrace.repeat");
  EXPECT_EQ(report["version"], 1);
  EXPECT_EQ(report["runs"][0]["schema"], "jouletrace.run");
  ASSERT_EQ(report["runs"].size(), 3U);
  std::vector<double> energies;
  for (const auto& r : report["runs"]) {
    const double e = test::component(r, "powercap/intel-rapl:0")->at("energy_j");
    EXPECT_GE(e, 50.0 * 0.3 - 0.5);  // sleep 0.3 at the writer's 50 W
    EXPECT_LE(e, 50.0 * 0.6);
    energies.push_back(e);
  }
  const double mean = (energies[0] + energies[1] + energies[2]) / 3.0;
  double squares = 0.0;
  for (double e : energies) squares += (e - mean) * (e - mean);
  const nlohmann::json* stats = nullptr;
  for (const auto& c : report["statistics"]["components"]) {
    if (c["name"] == "powercap/intel-rapl:0") stats = &c;
  }
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->at("runs"), 3);
  EXPECT_NEAR(stats->at("mean_j").get<double>(), mean, 1e-9);
  EXPECT_NEAR(stats->at("stddev_j").get<double>(), std::sqrt(squares / 2.0), 1e-9);
  EXPECT_EQ(stats->at("method"), "counter");
  EXPECT_TRUE(contains(result.err, "over 3 of 3 runs")) << result.err;
  // One series for the three runs, timed from the first run's start: every run's samples in it.
  std::istringstream rows(test::read_file(csv));
  int package_rows = 0;
  double last_t = -1.0;
  for (std::string line; std::getline(rows, line);) {
    if (!contains(line, ",powercap/intel-rapl:0,")) continue;
    const double t = std::stod(line.substr(0, line.find(',')));
    EXPECT_GT(t, last_t) << line;
    last_t = t;
    ++package_rows;
  }
  EXPECT_GE(package_rows, 3 * 3);  // at least 3 samples of each 0.3 s run at 100 ms
  EXPECT_GE(last_t, 3 * 0.3);

  // A run that fails ends the series, and its code is jouletrace's.
  a.back() = "exit 4";
  a[a.size() - 2] = "-c";
  a.insert(a.end() - 2, "sh");
  const auto failing = test::run_process(a);
  EXPECT_EQ(failing.exit_code, 4);
  EXPECT_EQ(read_json(json)["runs"].size(), 1U);
}

// With a node meter as the total (the fixture's ACPI meter, polled about once a second), the
// phases come from the parts inside it, and the whole run over the same parts is given: the
// phases add up to that, not to more than the run.
TEST(PhaseCover, PhasesAndTheRunTheyAreComparedWithShareOneCover) {
  test::TempTree tree("sysfs/intel-2s");
  const auto writer = test::start_live_writer(
      tree, {"--channel", test::powercap_energy_file(tree, "intel-rapl:0") + ":50", "--channel",
             test::powercap_energy_file(tree, "intel-rapl:1") + ":30"});
  const std::string jt = test::jouletrace_binary();
  const std::string script = jt + " mark begin a; sleep 0.4; " + jt + " mark end a; " + jt +
                             " mark begin b; sleep 0.4; " + jt + " mark end b";
  auto args = test::jouletrace_args(tree, "run");
  const auto out = (tree / "r.json").string();
  for (const std::string& s :
       {std::string("-o"), out, std::string("--"), std::string("sh"), std::string("-c"), script}) {
    args.push_back(s);
  }
  const auto run = test::run_timed(args);
  const auto& result = run.result;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  ASSERT_EQ(report["total_cover"].size(), 1U);
  EXPECT_EQ(report["total_cover"][0], "hwmon/power_meter/power1");
  std::set<std::string> cover;
  for (const auto& id : report["phase_cover"]) cover.insert(id);
  EXPECT_FALSE(cover.contains("hwmon/power_meter/power1"));
  EXPECT_TRUE(cover.contains("powercap/intel-rapl:0"));
  EXPECT_TRUE(cover.contains("powercap/intel-rapl:1"));
  double phases_j = 0.0;
  for (const auto& p : report["phases"]) {
    // 80 W in the packages for at least the 0.4 s each phase slept.
    EXPECT_GE(p["energy_j"].get<double>(), 80.0 * 0.4 - 1.0) << p.dump(2);
    EXPECT_EQ(p["method"], "counter");
    phases_j += p["energy_j"].get<double>();
  }
  // The whole run over the same parts: 80 W from the script's 0.8 s of sleep to the test's
  // elapsed time (the writer's 1 ms tick and 10 ms of lateness at each end).
  const double slack_j = 80.0 * (2 * 0.001 + 0.010);
  const auto& whole = report["phase_cover_run"];
  EXPECT_EQ(whole["method"], "counter");
  EXPECT_TRUE(test::energy_within(whole["energy_j"], 80.0, run.clock(0.8), slack_j));
  // Disjoint phases inside the run add up to no more than it (a tick and a late read at the
  // phases' outer ends).
  EXPECT_LE(phases_j, whole["energy_j"].get<double>() + 2 * slack_j);
  EXPECT_TRUE(contains(result.err, "phases, from the parts inside the node meter")) << result.err;
  EXPECT_TRUE(contains(result.err, "(whole run)")) << result.err;
}

TEST(UnknownIsNull, AGpuLostAfterOneReadingIsUnknownNeverZero) {
  test::TempTree tree("sysfs/no-sensors");
  test::write_file(tree / "nvml.conf",
                   "gpu uuid=GPU-aaaa name=FakeA100 power_w=200 "
                   "lost_after_reads=2\n");
  auto a = test::jouletrace_args(tree, "run", test::fake_nvml_library());
  const auto out = (tree / "r.json").string();
  for (const std::string& s :
       {std::string("-o"), out, std::string("--"), std::string("sleep"), std::string("0.3")}) {
    a.push_back(s);
  }
  const auto result =
      test::run_process(a, {.env = {{"JT_FAKE_NVML_CONFIG", (tree / "nvml.conf").string()}}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(out);
  const auto* gpu = test::component(report, "nvml/GPU-aaaa");
  ASSERT_NE(gpu, nullptr);
  EXPECT_TRUE(gpu->at("energy_j").is_null()) << gpu->dump(2);
  EXPECT_TRUE(gpu->at("uncertainty_j").is_null());
  EXPECT_EQ(gpu->at("method"), "none");
  EXPECT_EQ(gpu->at("in_total"), false);
  bool said = false;
  for (const auto& w : report["warnings"]) {
    const std::string text = w;
    EXPECT_FALSE(contains(text, "counted up to then")) << text;  // nothing was
    said = said || contains(text, "nvml/GPU-aaaa: only one usable reading");
  }
  EXPECT_TRUE(said) << report["warnings"].dump(2);
  EXPECT_TRUE(contains(result.err, "unknown")) << result.err;
}

}  // namespace
}  // namespace jt
