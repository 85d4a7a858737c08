// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/result.hpp"
#include "sensors/sensor.hpp"

namespace jt::agent_wire {

// The node agent's socket protocol (docs/AGENT.md, "Protocol"): one JSON object per line each
// way, every request and answer carrying the version.
inline constexpr int kProtocolVersion = 1;
inline constexpr const char* kDefaultSocket = "/run/jouletrace/agent.sock";
inline constexpr const char* kSocketEnvironment = "JOULETRACE_AGENT";
// Longer request lines are refused and the connection closed: nothing legitimate is this big.
inline constexpr std::size_t kMaxRequestBytes = std::size_t{64} * 1024;

// A channel as the agent describes it: everything ChannelInfo says of it.
nlohmann::json channel_to_json(const ChannelInfo& channel);
Result<ChannelInfo> channel_from_json(const nlohmann::json& value);

// The socket a client uses: --agent, else $JOULETRACE_AGENT, else the default.
std::string socket_path(const std::string& option);

}  // namespace jt::agent_wire
