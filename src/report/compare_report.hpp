// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "study/comparison.hpp"

// `jouletrace compare` (README.md, "Use"): the study table as text (100 columns), CSV (one row
// per configuration, phase and figure) and JSON (schema "jouletrace.compare", version 1:
// schemas/compare.schema.json). Unknown figures are "unknown", an empty cell and null.
namespace jt {

inline constexpr const char* kCompareSchema = "jouletrace.compare";
inline constexpr int kCompareSchemaVersion = 1;

std::string compare_text(const study::Comparison& comparison);
std::string compare_csv(const study::Comparison& comparison);
nlohmann::json compare_json(const study::Comparison& comparison);

}  // namespace jt
