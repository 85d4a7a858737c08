// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/runtime_estimate.hpp"

namespace jt {

nlohmann::json to_json(const RuntimeEstimate& estimate);
// One paragraph: the estimate, its devices and ratings, and the comparison with the measurement.
std::string format_runtime_estimate(const RuntimeEstimate& estimate);

}  // namespace jt
