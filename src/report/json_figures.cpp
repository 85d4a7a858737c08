// SPDX-License-Identifier: BSD-3-Clause
#include "report/json_figures.hpp"

#include <cmath>

namespace jt {

nlohmann::json finite(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? finite(*value) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const UncertaintyBudget& u) {
  return {
      {"quantisation_j", finite(u.quantisation_j)},
      {"update_period_j", finite(u.update_period_j)},
      {"timing_j", finite(u.timing_j)},
      {"extrapolation_j", finite(u.extrapolation_j)},
      {"calibration_j", u.calibration_known ? finite(u.calibration_j) : nlohmann::json(nullptr)},
      {"total_j", finite(u.total_j)}};
}

namespace {
void put_fields(nlohmann::json& out, const std::string& energy, const std::string& uncertainty,
                const std::string& method, const Measurement& m) {
  out[energy] = optional_number(m.energy_j);
  out[uncertainty] = m.energy_j ? finite(m.uncertainty_j()) : nlohmann::json(nullptr);
  out[method] = to_string(m.method);
}
}  // namespace

void put(nlohmann::json& out, const std::string& prefix, const Measurement& m) {
  put_fields(out, prefix + "energy_j", prefix + "uncertainty_j", prefix + "method", m);
}

void put_named(nlohmann::json& out, const std::string& name, const Measurement& m) {
  put_fields(out, name + "_j", name + "_uncertainty_j", name + "_method", m);
}

}  // namespace jt
