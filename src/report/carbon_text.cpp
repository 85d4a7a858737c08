// SPDX-License-Identifier: BSD-3-Clause
#include "report/carbon_text.hpp"

#include <fmt/format.h>

#include <cmath>

#include "report/json_figures.hpp"
#include "report/text_format.hpp"

namespace jt {

namespace {

constexpr const char* kUncertaintyNote =
    "the uncertainty is the energy's, scaled by PUE and the factor; the uncertainty of the grid "
    "intensity and of the price themselves is not modelled";

nlohmann::json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json factor_value(const std::optional<CarbonFactor>& factor) {
  return factor ? finite(factor->value) : nlohmann::json(nullptr);
}

nlohmann::json factor_origin(const std::optional<CarbonFactor>& factor) {
  return factor ? nlohmann::json(factor->origin) : nlohmann::json(nullptr);
}

nlohmann::json region_json(const CarbonFactors& factors) {
  if (!factors.region_entry) return nullptr;
  const CarbonRegion& r = *factors.region_entry;
  return {{"code", r.code},
          {"name", r.name},
          {"intensity_g_per_kwh", r.intensity_g_per_kwh},
          {"year", r.year},
          {"publisher", r.source.publisher},
          {"source", r.source.url}};
}

}  // namespace

nlohmann::json to_json(const CarbonFactors& factors, const CarbonFigure& figure) {
  using nlohmann::json;
  const auto known_or_null = [](const std::optional<double>& value, double uncertainty) {
    return value ? finite(uncertainty) : json(nullptr);
  };
  return {{"region", region_json(factors)},
          {"pue", factors.pue.value},
          {"pue_from", factors.pue.origin},
          {"intensity_g_per_kwh", factor_value(factors.intensity)},
          {"intensity_from", factor_origin(factors.intensity)},
          {"price_per_kwh", factor_value(factors.price)},
          {"price_from", factor_origin(factors.price)},
          {"currency", text_or_null(factors.currency)},
          {"co2e_g", optional_number(figure.co2e_g)},
          {"co2e_uncertainty_g", known_or_null(figure.co2e_g, figure.co2e_uncertainty_g)},
          {"co2e_method", figure.co2e_method},
          {"cost", optional_number(figure.cost)},
          {"cost_uncertainty", known_or_null(figure.cost, figure.cost_uncertainty)},
          {"cost_method", figure.cost_method},
          {"uncertainty_note", kUncertaintyNote}};
}

void put_carbon(nlohmann::json& object, const CarbonFigure& figure) {
  object["co2e_g"] = optional_number(figure.co2e_g);
  object["co2e_uncertainty_g"] =
      figure.co2e_g ? finite(figure.co2e_uncertainty_g) : nlohmann::json(nullptr);
  object["co2e_method"] = figure.co2e_method;
  object["cost"] = optional_number(figure.cost);
  object["cost_uncertainty"] =
      figure.cost ? finite(figure.cost_uncertainty) : nlohmann::json(nullptr);
  object["cost_method"] = figure.cost_method;
}

bool carbon_configured(const CarbonFactors& factors) {
  return factors.intensity || factors.price || factors.region_entry;
}

std::string co2e_text(double grams) {
  if (std::abs(grams) >= 1e6) return fmt::format("{:.3f} t", grams / 1e6);
  if (std::abs(grams) >= 1e3) return fmt::format("{:.3f} kg", grams / 1e3);
  return fmt::format("{:.3f} g", grams);
}

std::string cost_text(double amount) {
  if (amount != 0.0 && std::abs(amount) < 0.01) return fmt::format("{:.3g}", amount);
  return fmt::format("{:.4f}", amount);
}

std::string format_carbon(const CarbonFactors& factors, const CarbonFigure& figure) {
  if (!carbon_configured(factors)) return {};
  std::string text;
  if (figure.co2e_g) {
    text += fmt::format("CO2e: {} +/- {} ({})\n", co2e_text(*figure.co2e_g),
                        co2e_text(figure.co2e_uncertainty_g), figure.co2e_method);
  } else {
    text += "CO2e: " + figure.co2e_method + "\n";
  }
  if (figure.cost) {
    const std::string unit = figure.currency.empty() ? "" : " " + figure.currency;
    text += fmt::format("cost: {}{} +/- {}{} ({})\n", cost_text(*figure.cost), unit,
                        cost_text(figure.cost_uncertainty), unit, figure.cost_method);
  } else {
    text += "cost: " + figure.cost_method + "\n";
  }
  return text;
}

std::string format_phase_carbon(const CarbonFactors& factors,
                                const std::vector<std::pair<std::string, CarbonFigure>>& phases) {
  if (!carbon_configured(factors) || phases.empty()) return {};
  std::string co2e;
  std::string cost;
  for (const auto& [name, figure] : phases) {
    const std::string phase = terminal_safe(name);
    co2e += fmt::format(
        "{}{} {}", co2e.empty() ? "" : ", ", phase,
        figure.co2e_g ? co2e_text(*figure.co2e_g) + " +/- " + co2e_text(figure.co2e_uncertainty_g)
                      : "unknown");
    if (figure.cost) {
      cost += fmt::format("{}{} {} +/- {}", cost.empty() ? "" : ", ", phase,
                          cost_text(*figure.cost), cost_text(figure.cost_uncertainty));
    }
  }
  std::string out = "CO2e per phase: " + co2e + "\n";
  if (!cost.empty()) {
    out += fmt::format("cost per phase{}: {}\n",
                       factors.currency.empty() ? "" : " (" + factors.currency + ")", cost);
  }
  return out;
}

}  // namespace jt
