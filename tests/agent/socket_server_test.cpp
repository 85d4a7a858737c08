// SPDX-License-Identifier: BSD-3-Clause
// The agent's event loop against clients that misbehave in ways the e2e tests cannot provoke in
// seconds: one that asks and never reads is dropped once its unread answers pass the cap, while
// another client is still answered.
#include "agent/socket_server.hpp"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "agent/agent_test_support.hpp"
#include "support/test_support.hpp"

namespace jt::agent {
namespace {

int connect_to(const std::filesystem::path& path) { return jt::test::connect_unix(path, 5); }

std::string answer_to(int fd, const std::string& line) {
  const std::string out = line + "\n";
  if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) return {};
  std::string answer;
  char c = 0;
  while (::recv(fd, &c, 1, 0) == 1 && c != '\n') answer += c;
  return answer;
}

TEST(SocketServer, AClientThatNeverReadsIsDroppedAndOthersAreStillServed) {
  const jt::test::TempTree dir;
  ChannelInfo channel;
  channel.id = "powercap/intel-rapl:0";
  channel.domain = Domain::kPackage;
  channel.note = std::string(4000, 'n');  // a long inventory answer fills the cap sooner
  AgentState state{"node-1", {channel}, History({channel.id}, HistoryOptions{}),
                   {},       {},        std::vector<ChannelHealth>(1),
                   {},       0.1,       "/nonexistent-proc",
                   {}};
  AgentService service(state);
  ServerLimits limits;
  limits.max_pending_output = std::size_t{256} * 1024;
  limits.requests_per_s = 1e6;
  limits.request_burst = 1e6;
  auto server = SocketServer::listen(dir / "agent.sock", limits);
  ASSERT_TRUE(server) << server.error().message;
  const int stop = ::eventfd(0, EFD_CLOEXEC);
  std::thread loop([&] {
    (*server)->run(
        service, [](std::int64_t) {}, 50'000'000, stop);
  });

  const int hoarder = connect_to(dir / "agent.sock");
  ASSERT_GE(hoarder, 0);
  int small = 4096;
  ::setsockopt(hoarder, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  // Far more answers than the cap (each over 4 KB) plus what the kernel buffers, never read.
  std::string asks;
  for (int i = 0; i < 2000; ++i)
    asks += R"({"v":1,"op":"inventory"})"
            "\n";
  std::size_t sent = 0;
  while (sent < asks.size()) {
    const ssize_t n = ::send(hoarder, asks.data() + sent, asks.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the agent closed it: what this test waits for
    sent += static_cast<std::size_t>(n);
  }
  const int other = connect_to(dir / "agent.sock");
  ASSERT_GE(other, 0);
  EXPECT_NE(answer_to(other, R"({"v":1,"op":"hello"})").find(R"("ok":true)"), std::string::npos);
  // The hoarder was dropped: reading what was sent ends at the closed connection.
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    char buffer[65536];
    const ssize_t n = ::recv(hoarder, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) closed = true;
    if (n < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(closed);
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(stop, &one, sizeof one);
  loop.join();
  EXPECT_GE((*server)->counters().dropped, 1U);
  ::close(hoarder);
  ::close(other);
  ::close(stop);
}

}  // namespace
}  // namespace jt::agent
