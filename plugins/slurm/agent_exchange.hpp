// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace jt::slurm {

// One request and its answer on a fresh connection to the agent (docs/AGENT.md), all within
// `timeout_ms`: connect, send the line, read one answer line. Success only for {"ok":true};
// an error answer becomes an Error with the agent's code and message.
Result<void> exchange_with_agent(const std::string& socket_path, std::string_view request,
                                 int timeout_ms);

}  // namespace jt::slurm
