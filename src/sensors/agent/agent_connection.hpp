// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/result.hpp"
#include "core/unique_fd.hpp"

namespace jt::agent_wire {

// One connection to the node agent (docs/AGENT.md, "Protocol"), blocking with timeouts: the
// agent backend uses it in a sampler lane of its own, `jouletrace job` and `jobs` for one call.
class AgentConnection {
 public:
  static Result<AgentConnection> open(const std::string& path);
  // One request, one answer; `wait_s` bounds how long the agent may take.
  Result<nlohmann::json> call(nlohmann::json request, double wait_s);

 private:
  Result<void> connect();
  std::unexpected<Error> broken(const char* what);

  std::string path_;
  UniqueFd fd_;
  std::string buffer_;
};

}  // namespace jt::agent_wire
