#pragma once

#include "sensors/sensor.hpp"

namespace jt {

// One probe per backend; each returns its sensors and one report per thing it looked for.
ProbeOutcome probe_powercap(const ProbeContext& context);
ProbeOutcome probe_msr(const ProbeContext& context);
ProbeOutcome probe_hwmon(const ProbeContext& context);
ProbeOutcome probe_nvml(const ProbeContext& context);
ProbeOutcome probe_redfish(const ProbeContext& context);
ProbeOutcome probe_dcmi(const ProbeContext& context);

}  // namespace jt
