// SPDX-License-Identifier: BSD-3-Clause
// A real Prometheus server scrapes the exporter while a publisher thread advances a channel's
// energy at a known power; Prometheus must see the counter rise at that power.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "agent/agent_test_support.hpp"
#include "agent/metrics_exporter.hpp"
#include "support/test_support.hpp"

namespace jt::agent {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kFixturePowerW = 150.0;
constexpr auto kPublishEvery = std::chrono::milliseconds(100);
constexpr auto kTestDeadline = std::chrono::seconds(20);
// Prometheus's samples lag the publisher by up to one publish period; over this span that is
// at most 2.5 % of the rise, inside the tolerance.
constexpr double kMinSpanS = 4.0;
constexpr double kTolerance = 0.05;

MetricsSnapshot snapshot_at(Clock::time_point start) {
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  ChannelMetrics channel{.component = "node",
                         .domain = "node",
                         .device = "fixture/meter",
                         .method = "power-integrated",
                         .energy_j_total = kFixturePowerW * elapsed_s,
                         .power_w = kFixturePowerW,
                         .up = true};
  return MetricsSnapshot{.node = "fixture-node",
                         .channels = {channel},
                         .sampling_interval_s = 0.1,
                         .taken_at_unix_ms = 1'700'000'000'000};
}

TEST(PrometheusScrape, SeesTheEnergyCounterRiseAtTheFixturePower) {
  if (!std::filesystem::exists(JT_PROMETHEUS)) {
    GTEST_SKIP() << JT_PROMETHEUS << " is not installed (Debian: apt-get install prometheus)";
  }
  auto exporter = MetricsExporter::listen("127.0.0.1:0");
  ASSERT_TRUE(exporter.has_value()) << exporter.error().message;
  const Clock::time_point start = Clock::now();
  std::jthread publisher([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      (*exporter)->publish(snapshot_at(start));
      std::this_thread::sleep_for(kPublishEvery);
    }
  });

  const jt::test::RealPrometheus server(JT_PROMETHEUS, (*exporter)->port());
  std::optional<double> power_w;
  std::string last_answer;
  while (Clock::now() - start < kTestDeadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (const int exit_code = server.exited(); exit_code >= 0) {
      FAIL() << "prometheus exited with " << exit_code << ": " << server.log();
    }
    const auto answer = server.query("jouletrace_energy_joules_total%5B30s%5D");
    last_answer = answer.status == 200 ? answer.body : answer.error + answer.body;
    power_w = jt::test::rise_per_s(answer.body, kMinSpanS);
    if (power_w && std::abs(*power_w - kFixturePowerW) <= kTolerance * kFixturePowerW) break;
  }
  ASSERT_TRUE(power_w.has_value())
      << "no " << kMinSpanS << " s of samples in time; last answer: " << last_answer << "\n"
      << server.log();
  EXPECT_NEAR(*power_w, kFixturePowerW, kTolerance * kFixturePowerW) << last_answer;
}

}  // namespace
}  // namespace jt::agent
