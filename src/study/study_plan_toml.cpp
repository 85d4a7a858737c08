// SPDX-License-Identifier: BSD-3-Clause
// TOML study files (docs/STUDY.md) through toml++ (Debian libtomlplusplus-dev), header-only:
// the only translation unit that includes it. Its parser reports errors by value here, never
// by exception, and only this file sees that setting.
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_WINDOWS_COMPAT 0
#include <fmt/format.h>
#include <toml++/toml.h>

#include <sstream>

#include "core/json_reader.hpp"
#include "study/study_plan.hpp"

namespace jt::study {

Result<nlohmann::json> toml_as_json(const std::string& text, const std::string& origin) {
  toml::parse_result parsed = toml::parse(text, origin);
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{}:{}:{}: not valid TOML: {}", origin, error.source().begin.line,
                                  error.source().begin.column, error.description()));
  }
  // The same document as JSON (dates become strings, which the study decoder then refuses
  // wherever it expects a number), so that one strict decoder reads both formats.
  std::ostringstream json;
  json << toml::json_formatter{parsed.table()};
  return parse_json(json.str(), origin);
}

}  // namespace jt::study
