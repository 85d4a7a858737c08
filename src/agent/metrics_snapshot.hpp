// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jt::agent {

// What the agent knows of one channel at one instant, as the Prometheus exporter publishes it.
// The exporter never reads a sensor: it serves the last snapshot the sampling side handed it
// (docs/AGENT.md, "Prometheus metrics").
struct ChannelMetrics {
  std::string component;  // the kind of device: cpu, memory, gpu, module, node, unknown
  std::string domain;     // package, core, dram, psys, gpu, node, ... (to_string(Domain))
  std::string device;     // the channel's stable id ("powercap/intel-rapl:0")
  std::string method;     // counter, power-integrated
  // Energy since the agent's history began (it continues across restarts through the
  // journal); empty while the channel has no reading yet.
  std::optional<double> energy_j_total;
  std::optional<double> power_w;  // over the last sampling interval; empty when unknown
  bool up = false;                // the last read succeeded and the device is not lost
  std::uint64_t read_errors = 0;  // failed or skipped reads
  std::uint64_t wraps = 0;
  std::uint64_t gaps = 0;  // stretches no reading covers (a restart of the agent counts)
};

// Energy of one job on this node, per component, as far as the agent has measured it.
struct JobMetrics {
  std::string job_id;
  std::string user;
  bool finished = false;  // finished jobs stay until one scrape has seen them
  struct Component {
    std::string component;  // as ChannelMetrics::device
    double energy_j = 0.0;
  };
  std::vector<Component> components;
};

struct MetricsSnapshot {
  std::string node;  // host name
  std::vector<ChannelMetrics> channels;
  std::vector<JobMetrics> jobs;
  double sampling_interval_s = 0.0;
  std::int64_t taken_at_unix_ms = 0;  // the instant the energies are of, on the wall clock
};

}  // namespace jt::agent
