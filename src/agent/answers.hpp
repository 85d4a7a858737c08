// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "sensors/agent/agent_wire.hpp"

namespace jt::agent {

// The protocol's answers (docs/AGENT.md, "Protocol"): every one carries the version and "ok".
inline nlohmann::json failure(std::string_view code, std::string_view message,
                              std::string_view hint = {}) {
  nlohmann::json error{{"code", code}, {"message", message}};
  if (!hint.empty()) error["hint"] = hint;
  return {{"v", agent_wire::kProtocolVersion}, {"ok", false}, {"error", error}};
}

inline nlohmann::json success() { return {{"v", agent_wire::kProtocolVersion}, {"ok", true}}; }

}  // namespace jt::agent
