#pragma once

#include "sensors/sensor.hpp"

namespace jt {

// Probes every backend from one explicit table (no static-initialisation registration) and
// applies the rules between them: MSR RAPL only when powercap gave nothing readable; hwmon
// duplicates of RAPL dropped.
ProbeOutcome probe_all(const ProbeContext& context);

}  // namespace jt
