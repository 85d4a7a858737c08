// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/measurement.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace jt {

const char* to_string(Method method) {
  switch (method) {
    case Method::kCounter: return "counter";
    case Method::kPowerIntegrated: return "power-integrated";
    case Method::kModel: return "model";
    case Method::kMixed: return "mixed";
    case Method::kNone: return "none";
  }
  return "unknown";
}

Method combined(Method a, Method b) {
  if (a == Method::kNone) return b;
  if (b == Method::kNone || a == b) return a;
  return Method::kMixed;
}

double budget_total(const UncertaintyBudget& u) {
  return std::hypot(std::hypot(u.quantisation_j, u.update_period_j, u.timing_j),
                    u.extrapolation_j) +
         u.calibration_j;
}

UncertaintyBudget combined_budget(const std::vector<const UncertaintyBudget*>& parts) {
  UncertaintyBudget sum;
  double quantisation = 0.0;
  double update_period = 0.0;
  double timing = 0.0;
  double extrapolation = 0.0;
  sum.calibration_known = !parts.empty();
  for (const UncertaintyBudget* u : parts) {
    quantisation += u->quantisation_j * u->quantisation_j;
    update_period += u->update_period_j * u->update_period_j;
    timing += u->timing_j * u->timing_j;
    extrapolation += u->extrapolation_j * u->extrapolation_j;
    sum.calibration_j += u->calibration_j;
    sum.calibration_known = sum.calibration_known && u->calibration_known;
  }
  sum.quantisation_j = std::sqrt(quantisation);
  sum.update_period_j = std::sqrt(update_period);
  sum.timing_j = std::sqrt(timing);
  sum.extrapolation_j = std::sqrt(extrapolation);
  sum.total_j = budget_total(sum);
  return sum;
}

UncertaintyBudget scaled_budget(const UncertaintyBudget& budget, double factor) {
  const double f = std::abs(factor);
  UncertaintyBudget out = budget;
  out.quantisation_j *= f;
  out.update_period_j *= f;
  out.timing_j *= f;
  out.calibration_j *= f;
  out.extrapolation_j *= f;
  out.total_j *= f;
  return out;
}

UncertaintyBudget assumed_budget(double uncertainty_j) {
  UncertaintyBudget u;
  u.calibration_j = uncertainty_j;
  u.calibration_known = true;
  u.total_j = uncertainty_j;
  return u;
}

Measurement sum_of(const std::vector<const Measurement*>& parts, std::string provenance) {
  Measurement sum;
  sum.provenance = std::move(provenance);
  if (parts.empty()) return sum;
  double total = 0.0;
  double covered_s = std::numeric_limits<double>::infinity();
  std::vector<const UncertaintyBudget*> budgets;
  for (const Measurement* part : parts) {
    sum.method = combined(sum.method, part->method);
    sum.samples += part->samples;
    if (!part->energy_j) return Measurement{.method = Method::kNone, .provenance = sum.provenance};
    total += *part->energy_j;
    covered_s = std::min(covered_s, part->covered_s);
    budgets.push_back(&part->uncertainty);
  }
  sum.energy_j = total;
  sum.uncertainty = combined_budget(budgets);
  sum.covered_s = covered_s;
  return sum;
}

Measurement sum_of(const std::vector<Measurement>& parts, std::string provenance) {
  std::vector<const Measurement*> pointers;
  pointers.reserve(parts.size());
  for (const auto& part : parts) pointers.push_back(&part);
  return sum_of(pointers, std::move(provenance));
}

Measurement difference(const Measurement& whole, const Measurement& part, std::string provenance) {
  Measurement out;
  out.provenance = std::move(provenance);
  out.method = combined(whole.method, part.method);
  out.samples = whole.samples + part.samples;
  if (!whole.energy_j || !part.energy_j) return out;
  out.energy_j = *whole.energy_j - *part.energy_j;
  out.uncertainty = combined_budget({&whole.uncertainty, &part.uncertainty});
  out.covered_s = std::min(whole.covered_s, part.covered_s);
  return out;
}

Measurement scaled(const Measurement& whole, double factor, bool modelled_split,
                   std::string provenance) {
  Measurement out = whole;
  out.provenance = std::move(provenance);
  if (modelled_split && whole.energy_j) out.method = Method::kModel;
  if (!whole.energy_j) return out;
  out.energy_j = *whole.energy_j * factor;
  out.uncertainty = scaled_budget(whole.uncertainty, factor);
  return out;
}

std::optional<double> energy_per_item(const std::optional<double>& energy_j, std::uint64_t items) {
  if (!energy_j || items == 0) return std::nullopt;
  return *energy_j / static_cast<double>(items);
}

Measurement exact_zero(std::string provenance) {
  return Measurement{.energy_j = 0.0, .provenance = std::move(provenance)};
}

}  // namespace jt
