#include "sensors/backends.hpp"

namespace jt {
ProbeOutcome probe_redfish(const ProbeContext&) { return {}; }
}  // namespace jt
