// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ledger/carbon.hpp"

namespace jt {

// The `carbon` object of a run report: the factors with where each came from, and the CO2e and
// cost figures with their uncertainties and methods (null when unknown).
nlohmann::json to_json(const CarbonFactors& factors, const CarbonFigure& figure);
// A phase's CO2e and cost, into `object` beside its energy: co2e_g, co2e_uncertainty_g,
// co2e_method, cost, cost_uncertainty, cost_method (the factors are the run's `carbon`).
void put_carbon(nlohmann::json& object, const CarbonFigure& figure);
// "CO2e per phase: train 12.3 g +/- 0.6 g, infer ..." and the cost likewise; empty when nothing
// is configured.
std::string format_phase_carbon(const CarbonFactors& factors,
                                const std::vector<std::pair<std::string, CarbonFigure>>& phases);
// Whether the user configured anything: with no factor the text says nothing about CO2e.
bool carbon_configured(const CarbonFactors& factors);
// "CO2e: 12.345 g +/- 0.600 g (method)" and the cost likewise, one line each, unknown ones
// with their hint; empty when nothing is configured.
std::string format_carbon(const CarbonFactors& factors, const CarbonFigure& figure);
// A mass in g, kg or t with three decimals.
std::string co2e_text(double grams);
// An amount of money: four decimals, or three significant digits below 0.01 (a short run costs
// millionths, which four decimals would show as 0).
std::string cost_text(double amount);

}  // namespace jt
