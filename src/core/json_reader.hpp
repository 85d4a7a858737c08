// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

// The one way jouletrace reads JSON: parse_json for the text, then JsonReader for files it or
// its users write (strict: anything missing, of another type or out of range is a problem that
// names the value), or the tolerant lookups for answers whose shape varies by vendor (a BMC's).
namespace jt {

// Parses JSON text; never throws. The message names `origin` (a file, "the service root") and
// the byte where parsing stopped, but never quotes the text: it may hold a password.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view origin);

// What kind of value this is, for messages: "null", "a string", "an integer", "an array", ...
// Never the value itself, which may be a secret.
std::string describe_json_type(const nlohmann::json& value);

// Reads one value of a JSON document strictly. Each value is reached through a path
// ("profile.node.gpus[1].uuid") that names it in messages. The first problem is kept; reads go on
// after it but add no other, and give empty values where theirs is unusable, so that a caller
// reads a whole record and checks ok() once. Readers made from one another share that problem.
// A reader refers to its value: the document must outlive it.
class JsonReader {
 public:
  // `name` names the value in messages ("profile"); empty for a document's top level, whose
  // members are then named by their key alone ("url", "devices[0].kind").
  JsonReader(const nlohmann::json& value, std::string name);

  // A member of an object; a missing one is a problem (and reads as null).
  JsonReader member(std::string_view key) const;
  // nullopt when the member is absent. A null member is present: callers that take null for
  // "none" check is_null().
  std::optional<JsonReader> optional_member(std::string_view key) const;

  bool is_null() const { return value_->is_null(); }
  // The value as a type; one of another type is a problem. Numbers must be finite.
  std::string as_string() const;
  double as_number(double min = std::numeric_limits<double>::lowest(),
                   double max = std::numeric_limits<double>::max()) const;
  // JSON integers only: 2.0 is not one.
  std::int64_t as_integer(std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                          std::int64_t max = std::numeric_limits<std::int64_t>::max()) const;
  bool as_bool() const;
  // This reader, after checking that its value is an object.
  JsonReader as_object() const;
  // A reader per element, named "<path>[i]"; none when the value is not an array.
  std::vector<JsonReader> as_array() const;

  // Shorthands for a required member.
  std::string string(std::string_view key) const { return member(key).as_string(); }
  double number(std::string_view key, double min = std::numeric_limits<double>::lowest(),
                double max = std::numeric_limits<double>::max()) const {
    return member(key).as_number(min, max);
  }
  std::int64_t integer(std::string_view key,
                       std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                       std::int64_t max = std::numeric_limits<std::int64_t>::max()) const {
    return member(key).as_integer(min, max);
  }
  bool boolean(std::string_view key) const { return member(key).as_bool(); }
  JsonReader object(std::string_view key) const { return member(key).as_object(); }
  std::vector<JsonReader> array(std::string_view key) const { return member(key).as_array(); }
  std::vector<std::string> strings(std::string_view key) const;

  // Any member whose key is not in `known` is a problem: for files where a misspelt key must
  // not be silently ignored (its value would fall back to a default).
  void reject_unknown_keys(std::span<const std::string_view> known) const;

  // Records a problem the caller found in this value: "<path> <what>" ("devices[0].kind is 'x',
  // not cpu or gpu"), or `what` alone at an unnamed top level.
  void fail(std::string_view what) const;
  bool ok() const { return problem_->empty(); }
  // The first problem; empty while ok().
  const std::string& problem() const { return *problem_; }
  // The value's name in messages; empty at an unnamed top level.
  const std::string& path() const { return path_; }
  // The value itself, for checks of the caller's own.
  const nlohmann::json& value() const { return *value_; }

 private:
  JsonReader(const nlohmann::json& value, std::string path, std::shared_ptr<std::string> problem);
  JsonReader child(const nlohmann::json& value, std::string path) const;
  std::string member_path(std::string_view key) const;
  // "<path> is a string, not <expected>"; "the top level ..." when unnamed.
  void wrong_type(std::string_view expected) const;

  const nlohmann::json* value_;
  std::string path_;
  std::shared_ptr<std::string> problem_;
};

// Tolerant lookups, for documents whose shape varies by vendor (BMC answers): a member that is
// absent or of another type is simply not there, never a problem.
// The member `key` of `object`; nullptr when absent or when `object` is not an object.
const nlohmann::json* find_member(const nlohmann::json& object, std::string_view key);
// The member's text; empty unless it is a string.
std::string string_member(const nlohmann::json& object, std::string_view key);
// The member's number; nullopt unless it is a finite number.
std::optional<double> finite_member(const nlohmann::json& object, std::string_view key);

}  // namespace jt
