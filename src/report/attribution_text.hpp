// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/attribution.hpp"

namespace jt {

// The attribution as a JSON object: policy, mode and why, the shares used, per component the
// measured and attributed energy with the rule applied, and the reconciling totals.
nlohmann::json to_json(const Attribution& attribution);

// A few lines for the run summary: the mode and why, the policy, the shares, the attributed and
// unattributed energy, and one line per component whose split is not all-or-nothing obvious.
std::string format_attribution(const Attribution& attribution);

}  // namespace jt
