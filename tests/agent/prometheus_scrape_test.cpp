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

std::string prometheus_config(int exporter_port) {
  return "global:\n"
         "  scrape_interval: 1s\n"
         "  scrape_timeout: 1s\n"
         "  evaluation_interval: 1s\n"
         "scrape_configs:\n"
         "  - job_name: jouletrace\n"
         "    static_configs:\n"
         "      - targets: ['127.0.0.1:" +
         std::to_string(exporter_port) + "']\n";
}

// The rise of the counter per second over the samples Prometheus holds, when they span enough.
std::optional<double> observed_power_w(const std::string& api_answer) {
  const auto answer = nlohmann::json::parse(api_answer, nullptr, false);
  if (answer.is_discarded() || answer.value("status", "") != "success") return std::nullopt;
  const auto& series = answer["data"]["result"];
  if (!series.is_array() || series.size() != 1) return std::nullopt;
  const auto& values = series[0]["values"];
  if (values.size() < 2) return std::nullopt;
  const double first_t = values.front()[0].get<double>();
  const double last_t = values.back()[0].get<double>();
  if (last_t - first_t < kMinSpanS) return std::nullopt;
  const double rise_j = std::stod(values.back()[1].get<std::string>()) -
                        std::stod(values.front()[1].get<std::string>());
  return rise_j / (last_t - first_t);
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

  // Declared before the server, so the server is stopped (SIGTERM, then SIGKILL) before its
  // storage is removed.
  const jt::test::TempTree dir;
  jt::test::write_file(dir / "prometheus.yml", prometheus_config((*exporter)->port()));
  const int server_port = jt::test::free_loopback_port();
  ASSERT_GT(server_port, 0);
  jt::test::BackgroundProcess server(
      {JT_PROMETHEUS, "--config.file=" + (dir / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir / "tsdb").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(server_port), "--log.level=warn"},
      dir / "prometheus.out", dir / "prometheus.err");

  const std::string query = "http://127.0.0.1:" + std::to_string(server_port) +
                            "/api/v1/query?query=jouletrace_energy_joules_total%5B30s%5D";
  std::optional<double> power_w;
  std::string last_answer;
  while (Clock::now() - start < kTestDeadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (const int exit_code = server.wait(0.0); exit_code >= 0) {
      FAIL() << "prometheus exited with " << exit_code << ": "
             << jt::test::read_file(dir / "prometheus.err");
    }
    const auto answer = jt::test::http_get(query);
    last_answer = answer.status == 200 ? answer.body : answer.error + answer.body;
    power_w = observed_power_w(answer.body);
    if (power_w && std::abs(*power_w - kFixturePowerW) <= kTolerance * kFixturePowerW) break;
  }
  ASSERT_TRUE(power_w.has_value())
      << "no " << kMinSpanS << " s of samples in time; last answer: " << last_answer << "\n"
      << jt::test::read_file(dir / "prometheus.err");
  EXPECT_NEAR(*power_w, kFixturePowerW, kTolerance * kFixturePowerW) << last_answer;
}

}  // namespace
}  // namespace jt::agent
