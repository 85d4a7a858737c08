// SPDX-License-Identifier: BSD-3-Clause
// The real `jouletrace agent` as root on a live fixture tree whose energy files are root-only
// (mode 0400, as the kernel makes them), and its clients as two unprivileged users. Expected
// energies come from the fixture writer's known powers and the clocks of the test and of the
// measured command, never from the agent's own figures.
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "agent/agent_test_support.hpp"
#ifdef JT_MOCK_BMC
#include "fakes/mock_bmc/mock_bmc_client.hpp"
#endif
#include "core/clock.hpp"
#include "support/test_support.hpp"

namespace jt::test {
namespace {

using nlohmann::json;
constexpr double kPackage0W = 120.0;
constexpr double kPackage1W = 80.0;
constexpr uid_t kAlice = 1501;
constexpr uid_t kBob = 1502;

// A connection to the agent from this process, or from a child that became `uid` first.
int connect_to(const std::filesystem::path& socket) { return connect_unix(socket, 15); }

std::string converse(int fd, const std::vector<std::string>& lines) {
  std::string answers;
  for (const auto& line : lines) {
    const std::string out = line + "\n";
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) break;
    char c = 0;
    while (::recv(fd, &c, 1, 0) == 1) {
      answers += c;
      if (c == '\n') break;
    }
  }
  return answers;
}

// Each request's answer, asked as `uid` (a forked child that drops to it before connecting).
std::vector<json> ask_as(uid_t uid, const std::filesystem::path& socket,
                         const std::vector<json>& requests, std::vector<gid_t> groups = {}) {
  std::vector<std::string> lines;
  for (json r : requests) {
    r["v"] = 1;
    lines.push_back(r.dump());
  }
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    if (uid != 0 && (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(uid) != 0 ||
                     ::setuid(uid) != 0)) {
      ::_exit(2);
    }
    const int fd = connect_to(socket);
    const std::string answers = fd < 0 ? std::string() : converse(fd, lines);
    [[maybe_unused]] auto written = ::write(pipe_fds[1], answers.data(), answers.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  ::waitpid(pid, nullptr, 0);
  std::vector<json> answers;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    answers.push_back(json::parse(text.substr(start, nl - start), nullptr, false));
  }
  return answers;
}

json ask_one(uid_t uid, const std::filesystem::path& socket, const json& request) {
  const auto answers = ask_as(uid, socket, {request});
  return answers.empty() ? json{{"no_answer", true}} : answers.front();
}

class AgentE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "the agent's access tests need root (setuid to test users)";
    tree_.make_world_readable();
    // Every energy_uj root-only, as the kernel makes them.
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(tree_ / "class/powercap")) {
      if (entry.path().filename() == "energy_uj") {
        std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_read);
      }
    }
    writer_ = start_live_writer(
        tree_,
        {"--channel",
         powercap_energy_file(tree_, "intel-rapl:0") + ":" + std::to_string(kPackage0W),
         "--channel",
         powercap_energy_file(tree_, "intel-rapl:1") + ":" + std::to_string(kPackage1W)},
        120);
    // Only the test's users count as users: a CI runner's own account must not share the node.
    // Operators: members of group 4242 (a number: no such group need exist on the machine).
    write_file(tree_ / "agent.json",
               R"({"first_user_uid": 1500, "presence_scan_s": 0.2, "operators_group": 4242})");
    start_agent();
  }

  // `meters`: how the agent finds its GPUs and BMC (default: none of either).
  void start_agent(std::vector<std::string> meters = {"--nvml-library", "/nonexistent/nvml.so",
                                                      "--no-bmc"}) {
    std::vector<std::string> argv{
        jouletrace_binary(), "agent",
        "--sysfs-root",      tree_.path().string(),
        "--dev-root",        (tree_ / "dev").string(),
        "--socket",          socket().string(),
        "--state-dir",       (tree_ / "state").string(),
        "--config",          (tree_ / "agent.json").string(),
        "--metrics-listen",  "127.0.0.1:" + std::to_string(metrics_port_)};
    argv.insert(argv.end(), meters.begin(), meters.end());
    agent_ = std::make_unique<BackgroundProcess>(argv, tree_ / "agent.out", tree_ / "agent.err");
    // Ready once it answers with a history.
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const json hello = ask_one(0, socket(), {{"op", "hello"}});
      if (hello.value("ok", false) && !hello["history"].is_null()) return;
    }
    FAIL() << "the agent did not get ready: " << read_file(tree_ / "agent.err");
  }

  std::filesystem::path socket() const { return tree_ / "agent.sock"; }
  std::map<std::string, std::string> agent_env() const {
    return {{"JOULETRACE_AGENT", socket().string()}};
  }

  TempTree tree_{"sysfs/intel-2s"};
  std::unique_ptr<BackgroundProcess> writer_;
  int metrics_port_ = free_loopback_port();
  std::unique_ptr<BackgroundProcess> agent_;
};

const json* component_of(const json& report, const std::string& id) {
  for (const auto& c : report["components"]) {
    if (c["id"] == id) return &c;
  }
  return nullptr;
}

TEST_F(AgentE2e, AUsersRunGetsCounterEnergyThroughTheAgent) {
  const auto out = tree_ / "out";
  std::filesystem::create_directories(out);
  std::filesystem::permissions(out, std::filesystem::perms::all);
  ProcessOptions as_alice;
  as_alice.run_as_uid = kAlice;
  as_alice.env = agent_env();
  const auto run =
      run_process({jouletrace_binary(), "run", "--sysfs-root", tree_.path().string(), "--dev-root",
                   (tree_ / "dev").string(), "--nvml-library", "/nonexistent/nvml.so", "--no-bmc",
                   "-o", (out / "run.json").string(), "--", "/bin/sleep", "3"},
                  as_alice);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(read_file(out / "run.json"));
  const json* package = component_of(report, "powercap/intel-rapl:0");
  ASSERT_NE(package, nullptr) << report.dump(1);
  EXPECT_EQ((*package)["method"], "counter");
  EXPECT_NE((*package)["provenance"].get<std::string>().find("agent"), std::string::npos);
  // The sleep bounds the run from below; the fork, exec and reap around it add milliseconds,
  // far less than the 0.1 s allowed above it.
  const double energy = (*package)["energy_j"].get<double>();
  EXPECT_GE(energy, kPackage0W * 3.0 * 0.99) << run.err;
  EXPECT_LE(energy, kPackage0W * 3.1 * 1.01) << run.err;
  const json* other = component_of(report, "powercap/intel-rapl:1");
  ASSERT_NE(other, nullptr);
  EXPECT_NEAR((*other)["energy_j"].get<double>() / energy, kPackage1W / kPackage0W, 0.01);
  EXPECT_NE(run.err.find("served by the node agent"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("permission denied"), std::string::npos) << run.err;

  // The control: without the agent the same user gets no RAPL, and is told why.
  const auto direct =
      run_process({jouletrace_binary(), "run", "--no-agent", "--sysfs-root", tree_.path().string(),
                   "--dev-root", (tree_ / "dev").string(), "--nvml-library", "/nonexistent/nvml.so",
                   "--no-bmc", "-o", (out / "direct.json").string(), "--", "/bin/true"},
                  as_alice);
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_EQ(component_of(json::parse(read_file(out / "direct.json")), "powercap/intel-rapl:0"),
            nullptr);
  EXPECT_NE(direct.err.find("permission denied"), std::string::npos) << direct.err;
}

TEST_F(AgentE2e, AnotherUsersJobsAndTimesAreRefused) {
  ASSERT_TRUE(ask_one(0, socket(), {{"op", "job_begin"}, {"job_id", "42"}, {"uid", kAlice}})["ok"]);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(ask_one(0, socket(), {{"op", "job_end"}, {"job_id", "42"}})["ok"]);
  EXPECT_EQ(ask_one(kBob, socket(), {{"op", "job"}, {"job_id", "42"}})["error"]["code"],
            "not_found");
  EXPECT_EQ(ask_one(kAlice, socket(),
                    {{"op", "job_begin"}, {"job_id", "43"}, {"uid", kAlice}})["error"]["code"],
            "denied");
  const json mine = ask_one(kAlice, socket(), {{"op", "job"}, {"job_id", "42"}});
  ASSERT_TRUE(mine.value("ok", false)) << mine.dump();
  // An operator (uid 1600, in group 4242 by its supplementary groups) sees Alice's job.
  const auto operator_answers =
      ask_as(1600, socket(), {{{"op", "job"}, {"job_id", "42"}}}, {gid_t{4242}});
  ASSERT_EQ(operator_answers.size(), 1U);
  EXPECT_TRUE(operator_answers[0].value("ok", false)) << operator_answers[0].dump();
  // Bob had no process on the node a minute ago.
  const std::int64_t now = monotonic_ns();
  const json before = ask_one(
      kBob, socket(),
      {{"op", "energy"}, {"from_ns", now - 60'000'000'000}, {"to_ns", now - 50'000'000'000}});
  EXPECT_EQ(before["error"]["code"], "denied") << before.dump();
}

// A Slurm step as the SPANK plugin registers it (root's step_begin/step_end), its phase marked
// from a shell script with `jouletrace mark` through the agent's marker channel, and its record
// read back from the job store with `jouletrace job` and `jobs` by its owner; another user finds
// nothing. Expected energies: the fixture's powers times the test's own clock around each event.
TEST_F(AgentE2e, AStepsRecordReachesItsOwnerThroughTheJobStore) {
  // The fixture's node meter (an ACPI power meter, µW) is the node's total; a phase is cut from
  // the parts inside it, the two packages, since a meter averaged over a second cannot resolve
  // one (docs/ARCHITECTURE.md §4.4).
  const double node_w = std::stod(read_file(tree_ / "class/hwmon/hwmon0/power1_average")) / 1e6;
  constexpr double kPartsW = kPackage0W + kPackage1W;
  const auto step_request = [](const char* op, const char* step) {
    json r{{"op", op}, {"job_id", "77"}, {"step_id", step}};
    if (std::string(op) == "step_begin") {
      r.update({{"uid", kAlice},
                {"gid", kAlice},
                {"user", "alice"},
                {"cluster", "test"},
                {"detail", "phases"}});
    }
    return r;
  };
  const std::int64_t begin_before = monotonic_ns();
  ASSERT_TRUE(ask_one(0, socket(), step_request("step_begin", "extern"))["ok"]);
  ASSERT_TRUE(ask_one(0, socket(), step_request("step_begin", "0"))["ok"]);
  const std::int64_t begin_after = monotonic_ns();
  ProcessOptions as_alice;
  as_alice.run_as_uid = kAlice;
  as_alice.env = agent_env();
  as_alice.env["JOULETRACE_MARKERS"] = "agent:77.0";
  const std::int64_t mark_before = monotonic_ns();
  ASSERT_EQ(run_process({jouletrace_binary(), "mark", "begin", "train"}, as_alice).exit_code, 0);
  const std::int64_t mark_between = monotonic_ns();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const std::int64_t end_mark_before = monotonic_ns();
  const auto marked = run_process({jouletrace_binary(), "mark", "end", "train"}, as_alice);
  ASSERT_EQ(marked.exit_code, 0) << marked.err;
  const std::int64_t mark_after = monotonic_ns();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const std::int64_t end_before = monotonic_ns();
  ASSERT_TRUE(ask_one(0, socket(), step_request("step_end", "0"))["ok"]);
  ASSERT_TRUE(ask_one(0, socket(), step_request("step_end", "extern"))["ok"]);
  const std::int64_t end_after = monotonic_ns();

  as_alice.env.erase("JOULETRACE_MARKERS");
  ProcessResult job;
  for (int i = 0; i < 60; ++i) {  // the records are made once the history reaches the end
    job = run_process({jouletrace_binary(), "job", "77", "--json"}, as_alice);
    if (job.exit_code == 0 && json::parse(job.out)["steps"].size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(job.exit_code, 0) << job.err << read_file(tree_ / "agent.err");
  const json report = json::parse(job.out);
  ASSERT_EQ(report["steps"].size(), 2U) << job.out;
  const double total = report["job"]["total"]["energy_j"].get<double>();
  EXPECT_GE(total, node_w * ns_to_s(end_before - begin_after) * 0.99) << job.out;
  EXPECT_LE(total, node_w * ns_to_s(end_after - begin_before) * 1.01) << job.out;
  EXPECT_TRUE(report["job"]["whole"].get<bool>());
  ASSERT_EQ(report["phases"].size(), 1U) << job.out;
  const double train = report["phases"][0]["energy"]["energy_j"].get<double>();
  EXPECT_GE(train, kPartsW * ns_to_s(end_mark_before - mark_between) * 0.99) << job.out;
  EXPECT_LE(train, kPartsW * ns_to_s(mark_after - mark_before) * 1.01) << job.out;

  const auto listed = run_process({jouletrace_binary(), "jobs"}, as_alice);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("77 "), std::string::npos) << listed.out;
  ProcessOptions as_bob;
  as_bob.run_as_uid = kBob;
  as_bob.env = agent_env();
  const auto refused = run_process({jouletrace_binary(), "job", "77"}, as_bob);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("no job 77"), std::string::npos) << refused.err;
  EXPECT_EQ(run_process({jouletrace_binary(), "jobs"}, as_bob).out.find("77 "), std::string::npos);
  // The line the epilog puts in AdminComment: complete once the allocation record is there.
  ProcessOptions as_root;
  as_root.env = agent_env();
  const auto comment = run_process({jouletrace_binary(), "job", "77", "--admin-comment"}, as_root);
  ASSERT_EQ(comment.exit_code, 0) << comment.err;
  const json line = json::parse(comment.out);
  EXPECT_EQ(line["jouletrace"], 1);
  EXPECT_NEAR(line["energy_j"].get<double>(), total, 1e-6);
}

TEST_F(AgentE2e, TheResolutionFloorRisesWhileAnotherUserHasWork) {
  BackgroundProcess alice_works(
      {"/usr/bin/setpriv", "--reuid=1501", "--regid=1501", "--clear-groups", "/bin/sleep", "30"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const json alone = ask_one(kAlice, socket(), {{"op", "hello"}});
  EXPECT_DOUBLE_EQ(alone["you"]["floor_s"].get<double>(), 0.1) << alone.dump();
  BackgroundProcess bob_sleeps(
      {"/usr/bin/setpriv", "--reuid=1502", "--regid=1502", "--clear-groups", "/bin/sleep", "30"});
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // a few presence scans
  const auto answers =
      ask_as(kAlice, socket(), {{{"op", "hello"}}, {{"op", "read"}}, {{"op", "read"}}});
  ASSERT_EQ(answers.size(), 3U);
  EXPECT_DOUBLE_EQ(answers[0]["you"]["floor_s"].get<double>(), 1.0) << answers[0].dump();
  EXPECT_FALSE(answers[0]["you"]["exclusive"].get<bool>());
  for (std::size_t i = 1; i < 3; ++i) {
    ASSERT_TRUE(answers[i].value("ok", false)) << answers[i].dump();
    EXPECT_EQ(answers[i]["t_ns"].get<std::int64_t>() % 1'000'000'000, 0) << answers[i].dump();
  }
  const std::int64_t now = monotonic_ns();
  const json energy =
      ask_one(kAlice, socket(),
              {{"op", "energy"}, {"from_ns", now - 1'300'000'000}, {"to_ns", now - 900'000'000}});
  ASSERT_TRUE(energy.value("ok", false)) << energy.dump();
  EXPECT_GE(energy["resolution_s"].get<double>(), 1.0);
}

TEST_F(AgentE2e, MisbehavingClientsStallNeitherSamplingNorOthers) {
  // Garbage is answered and the connection stays usable.
  const int fd = connect_to(socket());
  ASSERT_GE(fd, 0);
  const std::string answers = converse(fd, {"this is not json", R"({"v":1,"op":"hello"})"});
  EXPECT_NE(answers.find("bad_request"), std::string::npos) << answers;
  EXPECT_NE(answers.find("\"ok\":true"), std::string::npos) << answers;
  // A line without end is cut off and its connection closed.
  const std::string huge(200 * 1024, 'x');
  [[maybe_unused]] auto sent = ::send(fd, huge.data(), huge.size(), MSG_NOSIGNAL);
  char c = 0;
  std::string rest;
  while (::recv(fd, &c, 1, 0) == 1) rest += c;
  EXPECT_NE(rest.find("too_large"), std::string::npos) << rest;
  ::close(fd);
  // 1000 connections, many held at once: the excess is refused, none hangs.
  std::vector<int> held;
  int refused = 0;
  for (int i = 0; i < 1000; ++i) {
    const int f = connect_to(socket());
    if (f < 0) {
      ++refused;
      continue;
    }
    held.push_back(f);
    if (held.size() >= 300) {
      for (int h : held) ::close(h);
      held.clear();
    }
  }
  for (int h : held) ::close(h);
  // A flood of requests meets the rate limit; the agent still answers others at once.
  std::vector<std::string> flood(400, R"({"v":1,"op":"inventory"})");
  const int flooder = connect_to(socket());
  std::string flooded;
  for (const auto& line : flood) flooded += line + "\n";
  [[maybe_unused]] auto flood_sent = ::send(flooder, flooded.data(), flooded.size(), MSG_NOSIGNAL);
  const auto t0 = std::chrono::steady_clock::now();
  const json hello = ask_one(kBob, socket(), {{"op", "hello"}});
  const double took_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(flooder);
  ASSERT_TRUE(hello.value("ok", false)) << hello.dump();
  EXPECT_LT(took_s, 1.0);
  // Sampling went on throughout: the history reaches within seconds of now.
  const std::int64_t latest = hello["history"]["to_ns"].get<std::int64_t>();
  EXPECT_GT(latest, monotonic_ns() - 4'000'000'000);
  EXPECT_EQ(agent_->wait(0.0), -1) << "the agent exited: " << read_file(tree_ / "agent.err");
}

TEST_F(AgentE2e, AKilledAgentStillServesItsHistoryAndReportsTheGap) {
  std::this_thread::sleep_for(std::chrono::seconds(6));
  const std::int64_t before_kill = monotonic_ns();
  agent_->signal(SIGKILL);
  agent_->wait(5.0);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  start_agent();
  // The restart is known once the new agent has its first readings.
  json hello;
  for (int i = 0; i < 50 && hello["restarts"].empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    hello = ask_one(0, socket(), {{"op", "hello"}});
  }
  ASSERT_EQ(hello["restarts"].size(), 1U) << hello.dump();
  const auto restart = hello["restarts"][0];
  EXPECT_LE(restart["from_ns"].get<std::int64_t>(), before_kill);
  EXPECT_GE(restart["to_ns"].get<std::int64_t>(), before_kill + 2'000'000'000);
  // Two seconds measured by the agent that is gone, well before the rows it had no time to journal.
  const json old = ask_one(0, socket(),
                           {{"op", "energy"},
                            {"from_ns", before_kill - 5'000'000'000},
                            {"to_ns", before_kill - 3'000'000'000}});
  ASSERT_TRUE(old.value("ok", false)) << old.dump();
  const json* package = component_of(old, "powercap/intel-rapl:0");
  ASSERT_NE(package, nullptr);
  const double span_s =
      static_cast<double>(old["to_ns"].get<std::int64_t>() - old["from_ns"].get<std::int64_t>()) /
      1e9;
  EXPECT_NEAR((*package)["energy_j"].get<double>(), kPackage0W * span_s,
              kPackage0W * span_s * 0.01);
}

TEST_F(AgentE2e, AVanishingZoneLeavesTheOthersServed) {
  std::filesystem::remove(powercap_energy_file(tree_, "intel-rapl:1"));
  std::this_thread::sleep_for(std::chrono::seconds(8));  // past the stale limit
  const json read = ask_one(0, socket(), {{"op", "read"}});
  ASSERT_TRUE(read.value("ok", false)) << read.dump() << read_file(tree_ / "agent.err");
  EXPECT_EQ(read["values"][0]["status"], "ok");
  EXPECT_EQ(agent_->wait(0.0), -1) << read_file(tree_ / "agent.err");
  const auto metrics = http_get("http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics");
  EXPECT_NE(metrics.body.find("jouletrace_sensor_up{node="), std::string::npos);
}

TEST_F(AgentE2e, ARealPrometheusSeesTheCountersRiseAtTheFixturePower) {
  if (!std::filesystem::exists(JT_PROMETHEUS)) GTEST_SKIP() << JT_PROMETHEUS << " is not installed";
  const RealPrometheus server(JT_PROMETHEUS, metrics_port_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(25);
  std::optional<double> power_w;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_EQ(server.exited(), -1) << server.log();
    const auto energy = server.query(
        "jouletrace_energy_joules_total%7Bdevice%3D%22powercap%2Fintel-rapl%3A0%22%7D%5B30s%5D");
    const auto stamps = server.query("jouletrace_snapshot_timestamp_seconds%5B30s%5D");
    last = energy.body + energy.error + stamps.body;
    // Both series come from the same scrapes of the same snapshots: the energy's rise over the
    // snapshots' own time is the power, whatever the scrape and publish jitter.
    const auto joules = series_rise(energy.body);
    const auto seconds = series_rise(stamps.body);
    if (joules && seconds && seconds->value >= 5.0) {
      power_w = joules->value / seconds->value;
      break;
    }
  }
  ASSERT_TRUE(power_w.has_value()) << last << server.log();
  EXPECT_NEAR(*power_w, kPackage0W, 0.01 * kPackage0W) << last;
}

// The library in a user's own process (self mode, here through Python) gets its windows' RAPL
// energy from the agent without being told, timed by the process's own clock.
TEST_F(AgentE2e, SelfModeWindowsOfAUserProcessUseTheAgent) {
  if (!std::filesystem::exists(std::filesystem::path(JT_PYTHON_DIR) / "jouletrace")) {
    GTEST_SKIP() << "the Python module is not built";
  }
  const std::string script =
      "import json, time, jouletrace\n"
      "jouletrace.init(sysfs_root='" +
      tree_.path().string() + "', dev_root='" + (tree_ / "dev").string() +
      "', nvml_library='/nonexistent/nvml.so')\n"
      "t0 = time.monotonic()\n"
      "with jouletrace.phase('train') as p:\n"
      "    time.sleep(2)\n"
      "elapsed = time.monotonic() - t0\n"
      "c = p.measurement.component('powercap/intel-rapl:0')\n"
      "print(json.dumps({'energy_j': c.energy_j, 'method': c.method,\n"
      "                  'provenance': c.provenance, 'elapsed_s': elapsed}))\n";
  ProcessOptions as_alice;
  as_alice.run_as_uid = kAlice;
  as_alice.env = agent_env();
  as_alice.env["PYTHONPATH"] = JT_PYTHON_DIR;
  const auto run = run_process({"/usr/bin/python3", "-c", script}, as_alice);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json out = json::parse(run.out);
  EXPECT_EQ(out["method"], "counter");
  EXPECT_NE(out["provenance"].get<std::string>().find("agent"), std::string::npos);
  // The window lies inside the span the script timed, and lasts at least the sleep.
  const double energy = out["energy_j"].get<double>();
  EXPECT_GE(energy, kPackage0W * 2.0 * 0.99) << run.out << run.err;
  EXPECT_LE(energy, kPackage0W * out["elapsed_s"].get<double>() * 1.01) << run.out << run.err;
}

#ifdef JT_MOCK_BMC
// A GPU that is lost and a BMC that stops answering leave the agent serving everything else.
TEST_F(AgentE2e, ALostGpuAndADeadBmcLeaveTheRestServed) {
  agent_->signal(SIGTERM);
  agent_->wait(10.0);
  write_file(tree_ / "nvml.conf",
             "gpu uuid=GPU-stays power_w=200\ngpu uuid=GPU-lost power_w=300 lost_after_reads=20\n");
  ::setenv("JT_FAKE_NVML_CONFIG", (tree_ / "nvml.conf").c_str(), 1);
  const MockBmc bmc(tree_.path(), "ok");
  const auto config = write_redfish_config(tree_ / "bmc.json", {{"url", bmc.url()}});
  start_agent({"--nvml-library", fake_nvml_library(), "--redfish-config", config.string()});
  ::unsetenv("JT_FAKE_NVML_CONFIG");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  bmc.set_mode("timeout");
  std::this_thread::sleep_for(std::chrono::seconds(8));  // past the stale limit
  const json inventory = ask_one(0, socket(), {{"op", "inventory"}});
  const json read = ask_one(0, socket(), {{"op", "read"}});
  ASSERT_TRUE(read.value("ok", false)) << read.dump() << read_file(tree_ / "agent.err");
  std::map<std::string, std::string> status;
  for (std::size_t i = 0; i < inventory["channels"].size(); ++i) {
    status[inventory["channels"][i]["id"]] = read["values"][i]["status"];
  }
  EXPECT_EQ(status["powercap/intel-rapl:0"], "ok");
  EXPECT_EQ(status["nvml/GPU-stays"], "ok");
  EXPECT_NE(status["nvml/GPU-lost"], "ok") << read.dump();
  // The history is still within seconds of now: neither held it back.
  const json hello = ask_one(0, socket(), {{"op", "hello"}});
  EXPECT_GT(hello["history"]["to_ns"].get<std::int64_t>(), monotonic_ns() - 4'000'000'000);
  const auto metrics = http_get("http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics");
  EXPECT_NE(metrics.body.find("jouletrace_sensor_up{node="), std::string::npos);
  EXPECT_EQ(agent_->wait(0.0), -1) << read_file(tree_ / "agent.err");
}
#endif

}  // namespace
}  // namespace jt::test
