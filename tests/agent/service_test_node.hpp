// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// The node the agent's protocol tests serve from: a package energy counter and a GPU power meter
// (channels 0 and 1), no presence, no jobs. Each test feeds the history the powers it checks.
#include "agent/agent_service.hpp"

namespace jt::agent::test {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kMs = 1'000'000;
constexpr double kPackageW = 120.0;  // what the tests feed channel 0
constexpr double kGpuW = 300.0;      // and channel 1
constexpr uid_t kAlice = 1501;
constexpr uid_t kBob = 1502;

inline ChannelInfo channel(const char* id, Domain domain, Quantity quantity) {
  ChannelInfo c;
  c.id = id;
  c.domain = domain;
  c.device = id;
  c.identity = identity_of(domain, 0);
  c.quantity = quantity;
  c.update_period_s = 0.001;
  return c;
}

inline AgentState package_and_gpu_node() {
  return AgentState{"node-1",
                    {channel("powercap/intel-rapl:0", Domain::kPackage, Quantity::kEnergyCounter),
                     channel("nvml/GPU-0", Domain::kGpu, Quantity::kInstantPower)},
                    History({"powercap/intel-rapl:0", "nvml/GPU-0"}, HistoryOptions{}),
                    {},
                    {},
                    std::vector<ChannelHealth>(2),
                    {},
                    0.1,
                    "/nonexistent-proc",
                    {}};
}

}  // namespace jt::agent::test
