// SPDX-License-Identifier: BSD-3-Clause
#include "core/json_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace jt {

namespace {

using nlohmann::json;

// nlohmann's out_of_range.406: a number beyond a double ("1e999").
constexpr int kNumberOverflowId = 406;

// Where parsing stopped. nlohmann puts the end of text that ends too soon one byte past it.
std::string stop_position(std::size_t byte, std::size_t size) {
  if (size == 0) return "the text is empty";
  if (byte > size) return fmt::format("the text ends too soon, after {} bytes", size);
  return fmt::format("parse error at byte {} of {}", byte, size);
}

const json& null_json() {
  static const json kNull;
  return kNull;
}

}  // namespace

Result<json> parse_json(std::string_view text, std::string_view origin) {
  // Exceptions rather than allow_exceptions = false: only the exception says where parsing
  // stopped. They end here; no caller sees one.
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return make_error(ErrorKind::kInvalidData, fmt::format("malformed JSON in {} ({})", origin,
                                                           stop_position(e.byte, text.size())));
  } catch (const json::exception& e) {
    return make_error(
        ErrorKind::kInvalidData,
        fmt::format("malformed JSON in {} ({})", origin,
                    e.id == kNumberOverflowId ? "a number too large for a double" : "unreadable"));
  }
}

std::string describe_json_type(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a floating-point number";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::binary: return "binary data";
    case json::value_t::discarded: return "nothing";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// JsonReader

JsonReader::JsonReader(const json& value, std::string name)
    : JsonReader(value, std::move(name), std::make_shared<std::string>()) {}

JsonReader::JsonReader(const json& value, std::string path, std::shared_ptr<std::string> problem)
    : value_(&value), path_(std::move(path)), problem_(std::move(problem)) {}

JsonReader JsonReader::child(const json& value, std::string path) const {
  return JsonReader(value, std::move(path), problem_);
}

std::string JsonReader::member_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void JsonReader::fail(std::string_view what) const {
  if (!ok() || what.empty()) return;
  *problem_ = path_.empty() ? std::string(what) : fmt::format("{} {}", path_, what);
}

void JsonReader::wrong_type(std::string_view expected) const {
  const std::string_view subject = path_.empty() ? std::string_view("the top level") : path_;
  if (ok()) {
    *problem_ = fmt::format("{} is {}, not {}", subject, describe_json_type(*value_), expected);
  }
}

JsonReader JsonReader::member(std::string_view key) const {
  if (!value_->is_object()) {
    wrong_type("an object");
    return child(null_json(), member_path(key));
  }
  const auto it = value_->find(key);
  JsonReader found = child(it == value_->end() ? null_json() : *it, member_path(key));
  if (it == value_->end()) found.fail("is missing");
  return found;
}

std::optional<JsonReader> JsonReader::optional_member(std::string_view key) const {
  if (!value_->is_object()) {
    wrong_type("an object");
    return std::nullopt;
  }
  const auto it = value_->find(key);
  if (it == value_->end()) return std::nullopt;
  return child(*it, member_path(key));
}

std::string JsonReader::as_string() const {
  if (value_->is_string()) return value_->get<std::string>();
  wrong_type("a string");
  return {};
}

double JsonReader::as_number(double min, double max) const {
  if (!value_->is_number()) {
    wrong_type("a number");
    return 0.0;
  }
  const double number = value_->get<double>();
  if (!std::isfinite(number)) {
    fail(fmt::format("is {}, not a finite number", number));
    return 0.0;
  }
  if (number < min || number > max) {
    fail(fmt::format("is {} (allowed: {} to {})", number, min, max));
    return 0.0;
  }
  return number;
}

std::int64_t JsonReader::as_integer(std::int64_t min, std::int64_t max) const {
  if (!value_->is_number_integer()) {
    wrong_type("an integer");
    return 0;
  }
  // Above INT64_MAX only an unsigned value can be; every allowed range ends below it.
  const bool too_large = value_->is_number_unsigned() &&
                         value_->get<std::uint64_t>() >
                             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  const std::int64_t number = too_large ? 0 : value_->get<std::int64_t>();
  if (too_large || number < min || number > max) {
    fail(fmt::format("is {} (allowed: {} to {})", value_->dump(), min, max));
    return 0;
  }
  return number;
}

bool JsonReader::as_bool() const {
  if (value_->is_boolean()) return value_->get<bool>();
  wrong_type("true or false");
  return false;
}

JsonReader JsonReader::as_object() const {
  if (!value_->is_object()) wrong_type("an object");
  return *this;
}

std::vector<JsonReader> JsonReader::as_array() const {
  std::vector<JsonReader> elements;
  if (!value_->is_array()) {
    wrong_type("an array");
    return elements;
  }
  elements.reserve(value_->size());
  for (std::size_t i = 0; i < value_->size(); ++i) {
    elements.push_back(child((*value_)[i], fmt::format("{}[{}]", path_, i)));
  }
  return elements;
}

std::vector<std::string> JsonReader::strings(std::string_view key) const {
  std::vector<std::string> out;
  for (const JsonReader& element : array(key)) out.push_back(element.as_string());
  return out;
}

void JsonReader::reject_unknown_keys(std::span<const std::string_view> known) const {
  if (!value_->is_object()) {
    wrong_type("an object");
    return;
  }
  for (const auto& [key, value] : value_->items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    if (ok()) {
      *problem_ = path_.empty() ? fmt::format("unknown key \"{}\"", key)
                                : fmt::format("{} has an unknown key \"{}\"", path_, key);
    }
    return;
  }
}

// ---------------------------------------------------------------------------------------------
// Tolerant lookups

const json* find_member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string string_member(const json& object, std::string_view key) {
  const json* value = find_member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

std::optional<double> finite_member(const json& object, std::string_view key) {
  const json* value = find_member(object, key);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  const double number = value->get<double>();
  if (!std::isfinite(number)) return std::nullopt;
  return number;
}

}  // namespace jt
