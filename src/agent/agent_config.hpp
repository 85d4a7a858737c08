// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <string>

#include "agent/access.hpp"
#include "agent/history.hpp"
#include "agent/socket_server.hpp"
#include "core/result.hpp"
#include "store/job_store.hpp"

namespace jt::agent {

// The agent's settings file (--config, docs/AGENT.md "Configuration"): every key optional,
// unknown keys refused so that a misspelt one cannot fall back to a default unnoticed.
struct AgentConfig {
  AccessPolicy policy;
  HistoryOptions history;
  ServerLimits limits;
  // Where step records go (docs/SLURM.md, "Job store"): kind sqlite with an empty path is the
  // default, STATE_DIR/jobs.sqlite; `enabled` false keeps none.
  store::StoreConfig store;
  bool store_enabled = true;
};

// Reads `path`; an empty path gives the defaults. `interval_s` is the sampling interval, the
// finest step of the history and the floor for a user who has the node alone.
Result<AgentConfig> read_agent_config(const std::filesystem::path& path, double interval_s);

}  // namespace jt::agent
