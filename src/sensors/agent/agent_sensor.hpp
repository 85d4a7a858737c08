// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include "sensors/sensor.hpp"

namespace jt {

// The node agent as a backend (docs/AGENT.md, "Clients"): the channels this user cannot read
// directly (RAPL, MSRs, the BMC, all root-only) served by the agent, at the resolution its
// access policy allows. Probed after every other backend, so that what a user can read
// directly is read directly, and the agent only fills in.
ProbeOutcome probe_agent(const ProbeContext& context);

}  // namespace jt
