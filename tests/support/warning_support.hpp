// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/warning.hpp"
#include "report/warning_text.hpp"

namespace jt {

// How gtest shows a Warning in a failed assertion: its code, subject and sentence.
inline void PrintTo(const Warning& warning, std::ostream* os) {
  *os << warning.code << " [" << warning.subject << "] " << render(warning);
}

}  // namespace jt

namespace jt::test {

// The first warning with this code about `subject`; null when there is none.
inline const Warning* find_warning(const std::vector<Warning>& warnings, std::string_view code,
                                   std::string_view subject) {
  for (const auto& w : warnings) {
    if (w.code == code && w.subject == subject) return &w;
  }
  return nullptr;
}

// Every warning's code and subject, one a line: the message of a failed search.
inline std::string codes_of(const std::vector<Warning>& warnings) {
  std::string out;
  for (const auto& w : warnings) out += w.code + " [" + w.subject + "]\n";
  return out;
}

}  // namespace jt::test
