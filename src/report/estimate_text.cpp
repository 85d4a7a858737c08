// SPDX-License-Identifier: BSD-3-Clause
#include "report/estimate_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/json_figures.hpp"
#include "report/warning_text.hpp"

namespace jt {

using nlohmann::json;

json to_json(const RuntimeEstimate& estimate) {
  json devices = json::array();
  for (const auto& d : estimate.devices) {
    json entry = {
        {"kind", to_string(d.device.kind)}, {"label", d.device.label}, {"model", d.device.model}};
    if (d.rated_power_w) {
      entry["rated_power_w"] = *d.rated_power_w;
      entry["rated_from"] = d.rated_from;
      entry["energy_j"] = optional_number(d.energy_j);
    } else {
      entry["rated_power_w"] = nullptr;
      entry["unknown_reason"] = d.unknown_reason;
      entry["energy_j"] = nullptr;
    }
    devices.push_back(std::move(entry));
  }
  json out = {{"method", "rated power x runtime x PUE"},
              {"runtime_s", estimate.runtime_s},
              {"pue", estimate.pue},
              {"tdp_file", estimate.tdp_origin},
              {"devices", devices},
              {"estimate_j", estimate.estimate_j},
              {"complete", estimate.complete},
              {"relative_error_note", estimate.relative_error_note}};
  put_warnings(out, estimate.warnings);
  if (estimate.measured) {
    json measured = {{"label", estimate.measured->label}};
    put(measured, "", estimate.measured->energy);
    out["measured"] = std::move(measured);
  } else {
    out["measured"] = nullptr;
  }
  out["relative_error"] = estimate.relative_error ? json(*estimate.relative_error) : json(nullptr);
  return out;
}

std::string format_runtime_estimate(const RuntimeEstimate& estimate) {
  // One headline next to the measurement, then one line per device; sources are in the JSON.
  const bool any_rated = std::any_of(estimate.devices.begin(), estimate.devices.end(),
                                     [](const DeviceEstimate& d) { return d.rated_power_w; });
  std::string text =
      any_rated
          ? fmt::format("runtime-based estimate (rated power x {:.3f} s x PUE {:g}): {:.1f} J{}",
                        estimate.runtime_s, estimate.pue, estimate.estimate_j,
                        estimate.complete ? "" : " (partial)")
          : std::string("runtime-based estimate: none, no device has a known rated power");
  if (estimate.relative_error) {
    text += fmt::format("; measured {:.1f} J ({}): the estimate is off by {:+.1f} %",
                        *estimate.measured->energy.energy_j, estimate.measured->label,
                        *estimate.relative_error * 100.0);
  } else if (any_rated && !estimate.relative_error_note.empty()) {
    text += "; " + estimate.relative_error_note;
  }
  text += "\n";
  for (const auto& d : estimate.devices) {
    if (d.rated_power_w) {
      text += fmt::format("  {} '{}': {:g} W ({})\n", d.device.label, d.device.model,
                          *d.rated_power_w, d.rated_from.substr(0, d.rated_from.find(": http")));
    } else {
      text += fmt::format("  {}: rated power unknown ({}), not counted\n", d.device.label,
                          d.unknown_reason);
    }
  }
  for (const auto& w : estimate.warnings) text += "  warning: " + render(w) + "\n";
  return text;
}

}  // namespace jt
