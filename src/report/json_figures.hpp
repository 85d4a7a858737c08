// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ledger/measurement.hpp"

namespace jt {

// A number no parser can read back (a division by a zero-length window) is unknown: null,
// never a zero that looks measured.
nlohmann::json finite(double value);
nlohmann::json optional_number(const std::optional<double>& value);
nlohmann::json to_json(const UncertaintyBudget& budget);

// Every figure is written the same way, as three fields: `<prefix>energy_j`,
// `<prefix>uncertainty_j` and `<prefix>method`; an unknown energy is null and so is its
// uncertainty.
void put(nlohmann::json& out, const std::string& prefix, const Measurement& m);
// The same under a name: `<name>_j`, `<name>_uncertainty_j`, `<name>_method`.
void put_named(nlohmann::json& out, const std::string& name, const Measurement& m);

}  // namespace jt
