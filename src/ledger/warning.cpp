// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/warning.hpp"

#include <algorithm>

namespace jt {

std::optional<double> figure(const Warning& warning, const std::string& name) {
  const auto it = warning.figures.find(name);
  if (it == warning.figures.end()) return std::nullopt;
  return it->second;
}

std::string detail(const Warning& warning, const std::string& name) {
  const auto it = warning.details.find(name);
  return it == warning.details.end() ? std::string() : it->second;
}

bool has_warning(const std::vector<Warning>& warnings, const std::string& code,
                 const std::optional<std::string>& subject) {
  return std::any_of(warnings.begin(), warnings.end(), [&](const Warning& w) {
    return w.code == code && (!subject || w.subject == *subject);
  });
}

Warning text_warning(std::string code, std::string subject, std::string text) {
  return Warning{std::move(code), std::move(subject), {}, {{"text", std::move(text)}}};
}

}  // namespace jt
