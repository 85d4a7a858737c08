// SPDX-License-Identifier: BSD-3-Clause
// The Slurm plugin's cost per step launch (docs/PERFORMANCE.md, "Slurm plugin"): the two
// exchanges slurmstepd makes through the plugin (step_begin at the step's start, step_end at its
// end), timed by calling the plugin's exchange directly, against
//   absent  - no socket at the path (no agent on the node),
//   ok      - a stand-in agent on a thread that answers {"ok":true} at once,
//   agent   - a real socket given as argv[1] (e.g. `jouletrace agent --socket X`),
//   silent  - an agent that accepts and never answers (costs the timeout, and no more).
//
//   slurm_step_cost [REAL_AGENT_SOCKET]
//
// Prints per case the median and the 99th percentile of begin+end, in milliseconds.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "agent_exchange.hpp"
#include "line_server.hpp"
#include "spank_step.hpp"

namespace {

constexpr int kTimeoutMs = 50;  // the plugin's default timeout_ms

double step_launch_ms(const std::string& socket, const jt::slurm::StepDescription& step) {
  const auto start = std::chrono::steady_clock::now();
  (void)jt::slurm::exchange_with_agent(socket, jt::slurm::step_begin_request(step), kTimeoutMs);
  (void)jt::slurm::exchange_with_agent(
      socket, jt::slurm::step_end_request(step.job_id, step.step_id), kTimeoutMs);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

void report(const char* name, const std::string& socket, int repetitions) {
  jt::slurm::StepDescription step{"bench",
                                  "4242",
                                  "0",
                                  1501,
                                  1501,
                                  "alice",
                                  "/sys/fs/cgroup/x",
                                  "0-3",
                                  "0,1",
                                  jt::slurm::Detail::kPhases};
  std::vector<double> ms;
  for (int i = 0; i < repetitions; ++i) ms.push_back(step_launch_ms(socket, step));
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1))];
  };
  std::printf("%-7s n=%4d  median %8.3f ms  p99 %8.3f ms  max %8.3f ms\n", name, repetitions,
              at(0.5), at(0.99), ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string base = "/tmp/jt-slurm-bench-" + std::to_string(::getpid());
  report("absent", base + "-absent.sock", 1000);
  {
    jt::test::LineServer server(base + "-ok.sock", "{\"v\":1,\"ok\":true}\n");
    if (server.ok()) report("ok", base + "-ok.sock", 1000);
  }
  if (argc > 1) report("agent", argv[1], 1000);
  {
    jt::test::LineServer server(base + "-silent.sock", "");
    if (server.ok()) report("silent", base + "-silent.sock", 10);
  }
  return 0;
}
