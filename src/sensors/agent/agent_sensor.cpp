// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/agent/agent_sensor.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/unique_fd.hpp"
#include "sensors/agent/agent_connection.hpp"
#include "sensors/agent/agent_wire.hpp"

namespace jt {

namespace {

using agent_wire::AgentConnection;
using nlohmann::json;

constexpr const char* kStartHint =
    "an ordinary user gets RAPL and BMC energy through the node agent: an administrator starts "
    "`jouletrace agent` (see docs/AGENT.md)";

// The agent's channels as counters of their energy, in microjoules, named as the agent names
// them so that the ledger matches them with anything read directly.
// The value changes once per boundary of the floor and reaches the client a sampling round
// after it: that is how stale it may be, which the uncertainty budget counts.
ChannelInfo relayed(ChannelInfo channel, const std::string& socket, double floor_s,
                    double agent_interval_s) {
  channel.quantity = Quantity::kEnergyCounter;
  channel.scale = 1e-6;
  channel.raw_unit = "uJ";
  channel.resolution = 0.0;
  channel.wrap_modulus = 0;
  channel.update_period_s = std::max(channel.update_period_s, floor_s) + agent_interval_s;
  channel.provenance = fmt::format("agent {}: {}", socket, channel.provenance);
  return channel;
}

class AgentSensor final : public Sensor {
 public:
  AgentSensor(AgentConnection connection, std::vector<ChannelInfo> channels,
              std::vector<std::size_t> agent_index, double floor_s)
      : connection_(std::move(connection)),
        channels_(std::move(channels)),
        agent_index_(std::move(agent_index)),
        floor_s_(floor_s) {}

  std::string_view backend() const override { return "agent"; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  // Its own lane: an answer waits for the agent's history to reach the next boundary.
  double min_interval_s() const override { return floor_s_; }

  void read(std::span<Reading> out) override {
    const std::int64_t asked_ns = monotonic_ns();
    auto answer = connection_.call({{"op", "read"}, {"after_ns", last_t_ns_}}, floor_s_ + 6.0);
    if (!answer || !answer->value("ok", false) || !answer->contains("values")) {
      for (Reading& r : out) {
        r = Reading{};
        r.t_ns = asked_ns;
        r.status = Reading::Status::kUnavailable;
      }
      return;
    }
    const std::int64_t t = answer->value("t_ns", std::int64_t{0});
    const json& values = (*answer)["values"];
    for (std::size_t i = 0; i < out.size(); ++i) {
      Reading& r = out[i];
      r = Reading{};
      r.t_ns = t;
      const std::size_t at = agent_index_[i];
      const json& v = at < values.size() ? values[at] : json{};
      const std::string status = v.is_object() ? v.value("status", "") : "";
      if (status == "ok" || status == "gap") {
        r.status = Reading::Status::kOk;
        r.raw =
            static_cast<std::uint64_t>(std::llround(std::max(0.0, v.value("energy_j", 0.0)) * 1e6));
        r.after_gap = status == "gap";
      } else {
        r.status = status == "lost" ? Reading::Status::kLost : Reading::Status::kUnavailable;
      }
    }
    last_t_ns_ = t;
  }

 private:
  AgentConnection connection_;
  std::vector<ChannelInfo> channels_;
  std::vector<std::size_t> agent_index_;  // where each channel is in the agent's answer
  double floor_s_;
  std::int64_t last_t_ns_ = 0;
};

ProbeOutcome not_used(std::string detail, std::string hint = {},
                      ProbeReport::Status status = ProbeReport::Status::kNotUsed) {
  ProbeOutcome outcome;
  outcome.reports.push_back({"agent", status, std::move(detail), std::move(hint)});
  return outcome;
}

}  // namespace

namespace {

// The agent's channels this process does not read itself, relayed, with where each one is in
// the agent's answers; `direct` counts the others.
struct Relayed {
  std::vector<ChannelInfo> channels;
  std::vector<std::size_t> index;
  std::size_t direct = 0;
};

Relayed channels_to_relay(const json& listed, const ProbeContext& context, const std::string& path,
                          double floor_s, double agent_interval_s) {
  Relayed out;
  for (std::size_t i = 0; i < listed.size(); ++i) {
    auto channel = agent_wire::channel_from_json(listed[i]);
    if (!channel) continue;
    const bool read_directly = std::ranges::any_of(
        context.earlier_channels, [&](const ChannelInfo& c) { return c.id == channel->id; });
    if (read_directly) {
      ++out.direct;
      continue;
    }
    out.channels.push_back(relayed(std::move(*channel), path, floor_s, agent_interval_s));
    out.index.push_back(i);
  }
  return out;
}

}  // namespace

ProbeOutcome probe_agent(const ProbeContext& context) {
  if (!context.use_agent) return not_used("not asked (--no-agent)");
  const std::string path = agent_wire::socket_path(context.agent_socket);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return not_used(fmt::format("no agent at {}", path), kStartHint, ProbeReport::Status::kAbsent);
  }
  auto connection = AgentConnection::open(path);
  if (!connection) {
    return not_used(connection.error().message,
                    "is the agent running? (systemctl status jouletrace-agent)",
                    ProbeReport::Status::kError);
  }
  auto hello = connection->call({{"op", "hello"}}, 2.0);
  auto inventory = hello ? connection->call({{"op", "inventory"}}, 2.0) : hello;
  if (!inventory || !inventory->value("ok", false) || !hello->value("ok", false)) {
    const std::string why = inventory ? inventory->dump() : inventory.error().message;
    return not_used(fmt::format("the agent at {} did not answer as expected: {}", path, why), {},
                    ProbeReport::Status::kError);
  }
  const double floor_s = (*hello)["you"].value("floor_s", 1.0);
  Relayed relay = channels_to_relay((*inventory)["channels"], context, path, floor_s,
                                    (*hello)["agent"].value("interval_s", 0.1));
  if (relay.channels.empty()) {
    return not_used(fmt::format(
        "the agent at {} serves nothing this process does not read directly ({} channels)", path,
        relay.direct));
  }
  ProbeOutcome outcome;
  const bool alone = (*hello)["you"].value("exclusive", false);
  outcome.reports.push_back(
      {"agent",
       ProbeReport::Status::kPresent,
       fmt::format("{} channels from the agent at {} (resolution {:g} s, {}); {} read directly",
                   relay.channels.size(), path, floor_s, alone ? "node not shared" : "node shared",
                   relay.direct),
       {}});
  outcome.sensors.push_back(std::make_unique<AgentSensor>(
      std::move(*connection), std::move(relay.channels), std::move(relay.index), floor_s));
  return outcome;
}

}  // namespace jt
