#pragma once

#include <string_view>

namespace jt {

// Text from sysfs, /proc, config and replay files: what is around a value is not part of it.
inline std::string_view trim(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\r\n";
  const auto first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

}  // namespace jt
