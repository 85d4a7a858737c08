// SPDX-License-Identifier: BSD-3-Clause
#include "arguments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace jt::cli {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean --output?)" when one of the verb's long options is a likely typo target.
std::string suggestion(const CLI::App& verb, std::string_view word) {
  std::string best;
  std::size_t best_distance = 3;  // more edits than this is not a typo
  for (const CLI::Option* option : verb.get_options()) {
    for (const auto& name : option->get_lnames()) {
      const std::size_t d = edit_distance(word, "--" + name);
      if (d < best_distance) {
        best_distance = d;
        best = "--" + name;
      }
    }
  }
  return best.empty() ? std::string() : fmt::format(" (did you mean {}?)", best);
}

std::unexpected<Error> unknown_option(const CLI::App& verb, std::string_view word) {
  return make_error(ErrorKind::kInvalidData,
                    fmt::format("unknown option '{}'{}", word, suggestion(verb, word)),
                    fmt::format("`jouletrace {} --help` lists the options; the command to "
                                "measure comes after them (or after --)",
                                verb.get_name()));
}

std::unexpected<Error> missing_value(std::string_view option) {
  return make_error(ErrorKind::kInvalidData, fmt::format("option {} needs a value", option));
}

bool takes_value(const CLI::Option& option) { return option.get_items_expected_max() > 0; }

// One word of short options ("-q", "-qv", "-i5ms", "-i"); how many words it used, or an error.
Result<std::size_t> take_short_options(const CLI::App& verb, std::span<const std::string> words,
                                       std::size_t at) {
  const std::string& word = words[at];
  for (std::size_t i = 1; i < word.size(); ++i) {
    const std::string name = {'-', word[i]};
    const CLI::Option* option = verb.get_option_no_throw(name);
    if (option == nullptr) return unknown_option(verb, i == 1 ? word : name);
    if (!takes_value(*option)) continue;
    if (i + 1 < word.size()) return 1;  // the rest of the word is the value: -i5ms
    if (at + 1 >= words.size()) return missing_value(name);
    return 2;
  }
  return 1;
}

Result<std::size_t> take_long_option(const CLI::App& verb, std::span<const std::string> words,
                                     std::size_t at) {
  const std::string& word = words[at];
  const std::size_t equals = word.find('=');
  const std::string name = word.substr(0, equals);
  const CLI::Option* option = verb.get_option_no_throw(name);
  if (option == nullptr) return unknown_option(verb, name);
  if (equals != std::string::npos || !takes_value(*option)) return 1;
  if (at + 1 >= words.size()) return missing_value(name);
  return 2;
}

std::optional<double> to_double(std::string_view text) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stop != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

Result<CommandLine> split_at_command(const CLI::App& verb, std::span<const std::string> words) {
  CommandLine line;
  std::size_t at = 0;
  while (at < words.size()) {
    const std::string& word = words[at];
    if (word == "--") {
      ++at;
      break;
    }
    if (word.size() < 2 || word[0] != '-') break;  // the command's name
    auto used =
        word[1] == '-' ? take_long_option(verb, words, at) : take_short_options(verb, words, at);
    if (!used) return std::unexpected(used.error());
    for (std::size_t k = 0; k < *used; ++k) line.options.push_back(words[at + k]);
    at += *used;
  }
  line.command.assign(words.begin() + static_cast<std::ptrdiff_t>(at), words.end());
  return line;
}

std::string format_duration(double seconds) {
  if (seconds >= 3600.0) return fmt::format("{:g} h", seconds / 3600.0);
  if (seconds >= 60.0) return fmt::format("{:g} min", seconds / 60.0);
  if (seconds >= 1.0 || seconds == 0.0) return fmt::format("{:g} s", seconds);
  if (seconds >= 1e-3) return fmt::format("{:g} ms", seconds * 1e3);
  return fmt::format("{:g} us", seconds * 1e6);
}

Result<double> parse_duration_s(std::string_view option, std::string_view text, double min_s,
                                double max_s) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"us", 1e-6}, {"ms", 1e-3}, {"min", 60.0}, {"s", 1.0}, {"h", 3600.0}};
  const std::size_t unit_at = text.find_first_not_of("0123456789.+-eE");
  const auto number = to_double(text.substr(0, unit_at));
  const std::string_view unit = unit_at == std::string_view::npos ? "" : text.substr(unit_at);
  const auto known = std::find_if(std::begin(kUnits), std::end(kUnits),
                                  [&](const auto& u) { return u.first == unit; });
  if (number && unit.empty()) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} '{}': a duration needs a unit, e.g. {}ms, {}s or {}min",
                                  option, text, text, text, text));
  }
  if (!number || known == std::end(kUnits)) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} '{}' is not a duration; write a number and a unit (us, ms, "
                                  "s, min, h), e.g. 100ms",
                                  option, text));
  }
  const double seconds = *number * known->second;
  if (seconds < min_s || seconds > max_s) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} '{}' is out of range: between {} and {}", option, text,
                                  format_duration(min_s), format_duration(max_s)));
  }
  return seconds;
}

Result<double> parse_number(std::string_view option, std::string_view text, double min, double max,
                            std::string_view unit) {
  const auto value = to_double(text);
  if (!value) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} '{}' is not a number", option, text));
  }
  if (*value < min || *value > max) {
    const std::string suffix = unit.empty() ? std::string() : " " + std::string(unit);
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} {} is out of range: between {:g}{} and {:g}{}", option, text,
                                  min, suffix, max, suffix));
  }
  return *value;
}

}  // namespace jt::cli
