// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/unique_fd.hpp"

namespace jt {

// JOULETRACE_MARKERS=agent:<job_id>.<step_id> (docs/MARKERS.md, "Under a Slurm step"): the
// markers of a Slurm step go to the node agent, which the SPANK plugin told about the step.
inline constexpr std::string_view kAgentMarkersPrefix = "agent:";

struct AgentMarkerTarget {
  std::string job_id;   // "123", or "123_4" for an array task
  std::string step_id;  // "0", "batch", "extern" ...: never contains a '.'
};

// Parses what follows "agent:". The split is at the last '.', since only the job id may hold
// other characters; both parts must be non-empty printable ASCII without spaces.
Result<AgentMarkerTarget> parse_agent_marker_target(std::string_view text);

// The first line on the connection: {"v":1,"op":"markers","job_id":...,"step_id":...}\n.
// After the agent's one answer every further line is a marker record (docs/AGENT.md).
std::string agent_markers_request(const AgentMarkerTarget& target);

// Connects a UNIX stream socket (close-on-exec) to `path`, waiting at most `timeout_ms` for an
// agent whose backlog is full; the descriptor returned blocks again. Never raises SIGPIPE.
Result<UniqueFd> connect_unix_stream(const std::string& path, int timeout_ms);

// Writes all of `data` within `timeout_ms` (MSG_NOSIGNAL: a closed peer is an error, not a
// signal to the calling program).
Result<void> send_within(int fd, std::string_view data, int timeout_ms);

// Reads and drops what the agent sent (its one answer), waiting at most `wait_ms` for it, then
// closes. Closing a UNIX socket with unread input resets the connection (ECONNRESET at the
// agent) instead of ending it cleanly, so the channel is closed through this.
void close_agent_marker_channel(UniqueFd& fd, int wait_ms);

// The agent's socket for markers: $JOULETRACE_AGENT, else /run/jouletrace/agent.sock.
std::string agent_socket_from_environment();

// Everything the library and `jouletrace mark` do before sending records: parse, connect, send
// the request line. The answer is never read; it waits in the socket buffer.
Result<UniqueFd> open_agent_marker_channel(std::string_view target_text, int timeout_ms);

}  // namespace jt
