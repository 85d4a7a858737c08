// SPDX-License-Identifier: BSD-3-Clause
// TOML study files (docs/STUDY.md) through toml++ (Debian libtomlplusplus-dev), header-only:
// the only translation unit that includes it. Its parser reports errors by value here, never
// by exception, and only this file sees that setting.
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_WINDOWS_COMPAT 0
#include <fmt/format.h>
#include <toml++/toml.h>

#include <optional>
#include <sstream>

#include "core/json_reader.hpp"
#include "study/study_plan.hpp"

namespace jt::study {

namespace {

// Debian 12's toml++ (3.3.0) reaches an unreachable point, undefined behaviour, on some
// non-ASCII characters (upstream issue marzer/tomlplusplus#295, fixed after 3.4); our fuzzer
// found it. So a TOML study is ASCII: TOML's \uXXXX escapes still write any character in a
// string, and a JSON study takes UTF-8 as it is.
std::optional<std::string> first_non_ascii(const std::string& text, const std::string& origin) {
  int line = 1;
  int column = 1;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return fmt::format(
          "{}:{}:{}: a non-ASCII character; in a TOML study write it as \\uXXXX inside a "
          "string, or use a JSON study (docs/STUDY.md)",
          origin, line, column);
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<nlohmann::json> toml_as_json(const std::string& text, const std::string& origin) {
  if (auto problem = first_non_ascii(text, origin)) {
    return make_error(ErrorKind::kInvalidData, *problem);
  }
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
