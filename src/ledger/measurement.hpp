// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jt {

// How a figure was obtained (docs/ACCURACY.md). kMixed: figures obtained in different ways
// added up. kNone: nothing was measured, so the energy is unknown (never 0), or zero by
// construction (no idle GPU when every GPU worked).
enum class Method { kCounter, kPowerIntegrated, kModel, kMixed, kNone };
const char* to_string(Method method);
// The method of two figures taken together: kNone adds nothing, disagreement is kMixed.
Method combined(Method a, Method b);

// The parts of an energy's uncertainty (docs/ACCURACY.md), in joules. Independent terms add in
// quadrature, the calibration term (systematic) linearly: total = sqrt(q^2 + u^2 + t^2 + e^2) + c.
struct UncertaintyBudget {
  double quantisation_j = 0.0;     // one least significant bit per endpoint (x duration for power)
  double update_period_j = 0.0;    // each endpoint may be stale or interpolated
  double timing_j = 0.0;           // average power x the time the endpoint reads took
  double calibration_j = 0.0;      // the sensor type's calibration error x the energy
  bool calibration_known = false;  // false: no published figure for this sensor type
  // Energy extrapolated over an end of a run that the readings missed: as large as itself.
  double extrapolation_j = 0.0;
  double total_j = 0.0;
};
// The independent terms in quadrature plus the calibration term.
double budget_total(const UncertaintyBudget& budget);
// The budget of a sum or difference of figures: each independent term in quadrature across
// the parts, the calibration terms linearly (one sensor type errs the same way everywhere).
UncertaintyBudget combined_budget(const std::vector<const UncertaintyBudget*>& parts);
// A fraction of a figure (a job's share): every term scales with it.
UncertaintyBudget scaled_budget(const UncertaintyBudget& budget, double factor);
// A stated assumption (a model's +/- 50 %): systematic, published by us, not calibrated.
UncertaintyBudget assumed_budget(double uncertainty_j);

// One figure of the ledger: a component over a run, a phase, a total, a job's share, the rest
// of a node. Every figure a report prints is one of these, so each carries how it was
// obtained and how uncertain it is; an unknown energy is empty, never 0.
struct Measurement {
  std::optional<double> energy_j;
  UncertaintyBudget uncertainty;  // uncertainty.total_j is the +/- a report prints
  Method method = Method::kNone;
  std::uint64_t samples = 0;  // readings the figure rests on (summed over its parts)
  double covered_s = 0.0;     // the time its readings cover, extrapolated ends included
  std::string provenance;     // the sensor's file or API, or the rule that derived the figure

  bool known() const { return energy_j.has_value(); }
  double uncertainty_j() const { return uncertainty.total_j; }
};

// Figures added up: unknown when any part is (or there is none); budgets combined; methods
// combined; readings counted; the time covered is the least any part covers.
Measurement sum_of(const std::vector<const Measurement*>& parts, std::string provenance = {});
Measurement sum_of(const std::vector<Measurement>& parts, std::string provenance = {});
// `whole` minus `part` (a node meter minus what it contains): unknown when either is.
Measurement difference(const Measurement& whole, const Measurement& part, std::string provenance);
// `factor` of a figure. A split that is itself a model (a MIG slice's size) makes it "model".
Measurement scaled(const Measurement& whole, double factor, bool modelled_split,
                   std::string provenance);
// Energy per item of work (a sample, a batch): unknown when the energy is or no item was counted.
std::optional<double> energy_per_item(const std::optional<double>& energy_j, std::uint64_t items);

// A figure that is exactly zero by construction (no GPU idle when every GPU worked).
Measurement exact_zero(std::string provenance);

}  // namespace jt
