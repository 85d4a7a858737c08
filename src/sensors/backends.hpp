// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include "sensors/sensor.hpp"

namespace jt {

// The probes of the backends on the node itself; each returns its sensors and one report per
// thing it looked for. The BMC backends are in sensors/bmc_backends.hpp.
ProbeOutcome probe_powercap(const ProbeContext& context);
ProbeOutcome probe_msr(const ProbeContext& context);
ProbeOutcome probe_hwmon(const ProbeContext& context);
ProbeOutcome probe_nvml(const ProbeContext& context);
ProbeOutcome probe_amd_smi(const ProbeContext& context);
ProbeOutcome probe_rocm_smi(const ProbeContext& context);
ProbeOutcome probe_level_zero(const ProbeContext& context);

}  // namespace jt
