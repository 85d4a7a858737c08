// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jt {

// Something the reader of a report should know, as data: the ledger says what happened and with
// which numbers, the reporter says it in words (src/report/warning_text.hpp). Every code, with
// its subject, figures and details, is listed in docs/WARNINGS.md.
struct Warning {
  std::string code;     // stable kebab-case identifier: "device-lost", "short-window", ...
  std::string subject;  // what it is about: a component id, a phase, "run", "attribution", ...
  std::map<std::string, double> figures;       // the numbers, by name, in J, s, W and %
  std::map<std::string, std::string> details;  // other words that vary: an errno text, ids

  bool operator==(const Warning&) const = default;
};

// A figure by name; nullopt when the warning carries none of that name.
std::optional<double> figure(const Warning& warning, const std::string& name);
// A detail by name; empty when the warning carries none of that name.
std::string detail(const Warning& warning, const std::string& name);
// Whether any of `warnings` has this code (and this subject, when one is given).
bool has_warning(const std::vector<Warning>& warnings, const std::string& code,
                 const std::optional<std::string>& subject = std::nullopt);

// A lower layer's sentence (the cgroup reader's, the CLI's), carried unchanged as the detail
// "text" under `code`: those layers keep their own words.
Warning text_warning(std::string code, std::string subject, std::string text);

}  // namespace jt
