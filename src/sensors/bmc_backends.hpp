// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <span>

#include "sensors/registry.hpp"

// The whole-node meters behind a BMC, in a library of their own (jouletrace_bmc) so that what
// runs inside a user's process (libjouletrace.so) never loads libcurl or OpenSSL.
namespace jt {

ProbeOutcome probe_redfish(const ProbeContext& context);
ProbeOutcome probe_dcmi(const ProbeContext& context);

// local_backends() followed by the BMC backends this build has (Redfish needs libcurl).
std::span<const Backend> node_backends();

// Runs every backend's option check; an option for a backend this build lacks is an error too.
Result<void> check_backend_options(const ProbeContext& context);

}  // namespace jt
