// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/warning.hpp"

namespace jt {

// A warning in words: the sentence the reports print for its code, with its figures at the
// precision each is read at. A code this table lacks (a newer ledger's) is still shown, as its
// code, subject, figures and details, never dropped.
std::string render(const Warning& warning);
std::vector<std::string> render(const std::vector<Warning>& warnings);

// Every code render() has words for (docs/WARNINGS.md lists each, with its figures).
std::vector<std::string> warning_codes();

// {code, subject, figures, details}; a figure no parser could read back is null.
nlohmann::json to_json(const Warning& warning);
// Sets `warnings` (the sentences) and, in the same order, `warning_details` (the data).
void put_warnings(nlohmann::json& out, const std::vector<Warning>& warnings);

}  // namespace jt
