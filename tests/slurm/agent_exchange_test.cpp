// SPDX-License-Identifier: BSD-3-Clause
// The plugin's one exchange with the agent (plugins/slurm/agent_exchange.hpp) against a stand-in
// server: it must succeed only on {"ok":true}, and never take longer than its timeout.
#include "agent_exchange.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "line_server.hpp"

namespace jt::slurm {
namespace {

std::string socket_path(const char* name) {
  return "/tmp/jt-slurm-test-" + std::to_string(::getpid()) + "-" + name + ".sock";
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

TEST(SlurmAgentExchange, AnOkAnswerIsSuccessAndTheRequestArrivesWhole) {
  const std::string path = socket_path("ok");
  jt::test::LineServer server(path, "{\"v\":1,\"ok\":true}\n");
  ASSERT_TRUE(server.ok());
  auto answered = exchange_with_agent(path, "{\"v\":1,\"op\":\"step_end\"}\n", 1000);
  EXPECT_TRUE(answered.has_value()) << answered.error().message;
  ASSERT_EQ(server.lines().size(), 1U);
  EXPECT_EQ(server.lines()[0], "{\"v\":1,\"op\":\"step_end\"}");
}

TEST(SlurmAgentExchange, AnErrorAnswerNamesTheAgentsCode) {
  const std::string path = socket_path("refused");
  jt::test::LineServer server(
      path, "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"forbidden\",\"message\":\"not root\"}}\n");
  ASSERT_TRUE(server.ok());
  auto answered = exchange_with_agent(path, "{}\n", 1000);
  ASSERT_FALSE(answered.has_value());
  EXPECT_NE(answered.error().message.find("forbidden: not root"), std::string::npos);
}

TEST(SlurmAgentExchange, MalformedAnswersAreErrorsNotExceptions) {
  for (const char* answer : {"{\"ok\":1}\n", "[true]\n", "{\"ok\":false,\"error\":7}\n", "x\n"}) {
    const std::string path = socket_path("malformed");
    jt::test::LineServer server(path, answer);
    ASSERT_TRUE(server.ok());
    Result<void> answered;
    EXPECT_NO_THROW(answered = exchange_with_agent(path, "{}\n", 1000));
    EXPECT_FALSE(answered.has_value()) << answer;
  }
}

TEST(SlurmAgentExchange, NoAgentFailsAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  auto answered = exchange_with_agent(socket_path("absent"), "{}\n", 1000);
  ASSERT_FALSE(answered.has_value());
  EXPECT_EQ(answered.error().kind, ErrorKind::kUnreachable);
  EXPECT_LT(elapsed_ms(start), 50.0);
}

TEST(SlurmAgentExchange, ASilentAgentCostsTheTimeoutAndNoMore) {
  const std::string path = socket_path("silent");
  jt::test::LineServer server(path, "");
  ASSERT_TRUE(server.ok());
  const auto start = std::chrono::steady_clock::now();
  auto answered = exchange_with_agent(path, "{}\n", 80);
  const double took_ms = elapsed_ms(start);
  ASSERT_FALSE(answered.has_value());
  EXPECT_EQ(answered.error().kind, ErrorKind::kTimeout);
  EXPECT_GE(took_ms, 75.0);
  EXPECT_LT(took_ms, 80.0 + 60.0);  // a loaded 2-core machine may wake us late
}

}  // namespace
}  // namespace jt::slurm
