// SPDX-License-Identifier: BSD-3-Clause
// JOULETRACE_MARKERS=agent:<job>.<step> (docs/MARKERS.md, "Under a Slurm step"): a stand-in agent
// on a UNIX socket receives the request line, then the records of the library and of
// `jouletrace mark`, timestamped within the test's own clock readings; without an agent the
// process says so once and measures by itself.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api/api_test_support.hpp"
#include "core/clock.hpp"
#include "jouletrace/jouletrace.h"
#include "support/test_support.hpp"

namespace jt {
namespace {

// Reads each connection to its end, answering ok after the first line as the agent does.
class StreamAgent {
 public:
  explicit StreamAgent(std::string path) : path_(std::move(path)) {
    ::unlink(path_.c_str());
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
        ::listen(listener_, 8) == 0) {
      thread_ = std::thread([this] { serve(); });
    }
  }
  ~StreamAgent() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
    ::unlink(path_.c_str());
  }
  bool listening() const { return thread_.joinable(); }
  // The connections that ended, each as the bytes received.
  std::vector<std::string> streams() {
    std::lock_guard lock(mutex_);
    return streams_;
  }

 private:
  void serve() {
    while (!stop_.load()) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0) continue;
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) read_to_end(client);
    }
  }
  void read_to_end(int client) {
    std::string received;
    bool answered = false;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(client, buffer, sizeof buffer);
      if (n <= 0) break;
      received.append(buffer, static_cast<std::size_t>(n));
      if (!answered && received.find('\n') != std::string::npos) {
        const std::string ok = "{\"v\":1,\"ok\":true}\n";
        (void)::send(client, ok.data(), ok.size(), MSG_NOSIGNAL);
        answered = true;
      }
    }
    ::close(client);
    std::lock_guard lock(mutex_);
    streams_.push_back(received);
  }

  std::string path_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> streams_;
};

std::string first_line(const std::string& stream) { return stream.substr(0, stream.find('\n')); }
std::string after_first_line(const std::string& stream) {
  return stream.substr(stream.find('\n') + 1);
}

// Waits for `count` finished connections: the agent reads on its own thread.
std::vector<std::string> wait_for_streams(StreamAgent& agent, std::size_t count) {
  for (int i = 0; i < 200 && agent.streams().size() < count; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return agent.streams();
}

class AgentMarkers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (jt_current_mode() != JT_MODE_UNINITIALIZED) jt_shutdown();
    socket_ = "/tmp/jt-agent-markers-" + std::to_string(::getpid()) + ".sock";
    ::setenv("JOULETRACE_AGENT", socket_.c_str(), 1);
    ::setenv("JOULETRACE_MARKERS", "agent:123_4.0", 1);
  }
  void TearDown() override {
    if (jt_current_mode() != JT_MODE_UNINITIALIZED) jt_shutdown();
    ::unsetenv("JOULETRACE_AGENT");
    ::unsetenv("JOULETRACE_MARKERS");
  }
  std::string socket_;
};

const nlohmann::json kExpectedRequest = {
    {"v", 1}, {"op", "markers"}, {"job_id", "123_4"}, {"step_id", "0"}};

TEST_F(AgentMarkers, TheLibrarySendsTheRequestThenItsRecords) {
  StreamAgent agent(socket_);
  ASSERT_TRUE(agent.listening());
  ASSERT_EQ(jt_init(nullptr), JT_OK) << jt_last_error();
  EXPECT_EQ(jt_current_mode(), JT_MODE_PARENT);
  jt_window w = 0;
  const std::int64_t t0 = monotonic_ns();
  ASSERT_EQ(jt_window_begin("epoch", &w), JT_OK);
  const std::int64_t t1 = monotonic_ns();
  ASSERT_EQ(jt_window_add_items(w, 8), JT_OK);
  ASSERT_EQ(jt_window_end(w, nullptr), JT_OK);
  const std::int64_t t2 = monotonic_ns();
  ASSERT_EQ(jt_shutdown(), JT_OK);

  const auto streams = wait_for_streams(agent, 1);
  ASSERT_EQ(streams.size(), 1U);
  EXPECT_EQ(nlohmann::json::parse(first_line(streams[0])), kExpectedRequest);
  const auto records = test::parse_stream(after_first_line(streams[0]));
  EXPECT_EQ(records.malformed, 0U);
  ASSERT_EQ(records.records.size(), 3U);
  EXPECT_EQ(records.records[0].kind, MarkerRecord::Kind::kBegin);
  EXPECT_EQ(records.records[0].name, "epoch");
  EXPECT_EQ(records.records[0].pid, ::getpid());
  EXPECT_GE(records.records[0].t_ns, t0);
  EXPECT_LE(records.records[0].t_ns, t1);
  EXPECT_EQ(records.records[1].count, 8U);
  EXPECT_EQ(records.records[2].kind, MarkerRecord::Kind::kEnd);
  EXPECT_LE(records.records[2].t_ns, t2);
}

TEST_F(AgentMarkers, JouletraceMarkSendsTheRequestAndOneRecord) {
  StreamAgent agent(socket_);
  ASSERT_TRUE(agent.listening());
  const std::int64_t before = monotonic_ns();
  const auto result = test::run_process({JT_BINARY, "mark", "begin", "load data"});
  const std::int64_t after = monotonic_ns();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto streams = wait_for_streams(agent, 1);
  ASSERT_EQ(streams.size(), 1U);
  EXPECT_EQ(nlohmann::json::parse(first_line(streams[0])), kExpectedRequest);
  const auto records = test::parse_stream(after_first_line(streams[0]));
  ASSERT_EQ(records.records.size(), 1U);
  EXPECT_EQ(records.records[0].kind, MarkerRecord::Kind::kBegin);
  EXPECT_EQ(records.records[0].name, "load data");
  EXPECT_EQ(records.records[0].window_id, 0U);
  EXPECT_GE(records.records[0].t_ns, before);
  EXPECT_LE(records.records[0].t_ns, after);
}

TEST_F(AgentMarkers, NoAgentGivesOneNoticeAndSelfMode) {
  test::TempTree tree("sysfs/no-sensors");
  const jt_options options = test::options_for(tree.path().string());
  ::testing::internal::CaptureStderr();
  const std::int64_t before = monotonic_ns();
  ASSERT_EQ(jt_init(&options), JT_OK) << jt_last_error();
  const std::int64_t took_ns = monotonic_ns() - before;
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(jt_current_mode(), JT_MODE_SELF);
  EXPECT_NE(said.find("JOULETRACE_MARKERS=agent:123_4.0"), std::string::npos) << said;
  EXPECT_NE(said.find("measuring in this process instead"), std::string::npos) << said;
  EXPECT_EQ(said.find("JOULETRACE_MARKERS"), said.rfind("JOULETRACE_MARKERS")) << said;
  EXPECT_LT(took_ns, 2'000'000'000);  // a refused connect does not wait
  jt_window w = 0;
  EXPECT_EQ(jt_window_begin("still works", &w), JT_OK);
  EXPECT_EQ(jt_window_end(w, nullptr), JT_OK);
}

TEST_F(AgentMarkers, MarkWithoutAnAgentSaysSoAndSucceeds) {
  const auto result = test::run_process({JT_BINARY, "mark", "begin", "lonely"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.err.find("marker 'lonely' not recorded"), std::string::npos) << result.err;
}

TEST_F(AgentMarkers, ATargetWithoutAStepIdFallsBackToSelf) {
  StreamAgent agent(socket_);
  ::setenv("JOULETRACE_MARKERS", "agent:123", 1);
  test::TempTree tree("sysfs/no-sensors");
  const jt_options options = test::options_for(tree.path().string());
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(jt_init(&options), JT_OK) << jt_last_error();
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(jt_current_mode(), JT_MODE_SELF);
  EXPECT_NE(said.find("agent:<job_id>.<step_id>"), std::string::npos) << said;
}

}  // namespace
}  // namespace jt
