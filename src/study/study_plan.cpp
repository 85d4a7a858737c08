// SPDX-License-Identifier: BSD-3-Clause
#include "study/study_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "core/json_reader.hpp"
#include "core/sysfs_file.hpp"

namespace jt::study {

namespace {

constexpr const char* kStudyHint =
    "the study file's keys and their meaning are in docs/STUDY.md; `jouletrace study --help` "
    "shows an example";
constexpr int kMaxRepetitions = 1000;
constexpr double kMaxSeconds = 7 * 24 * 3600.0;

// A name becomes part of a file name and a label: letters, digits and `-_.+`, not starting
// with a dot.
bool usable_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '+';
  });
}

std::string read_name(const JsonReader& object) {
  const JsonReader name = object.member("name");
  std::string text = name.as_string();
  if (name.ok() && !usable_name(text)) {
    name.fail("must be 1 to 64 letters, digits, '-', '_', '.' or '+', not starting with '.'");
  }
  return text;
}

std::vector<std::string> optional_strings(const JsonReader& object, std::string_view key) {
  const auto member = object.optional_member(key);
  if (!member) return {};
  std::vector<std::string> out;
  for (const JsonReader& word : member->as_array()) out.push_back(word.as_string());
  if (!member->value().is_array()) member->fail("is not an array of strings");
  return out;
}

// `env = { OMP_NUM_THREADS = "8" }`: names as a shell would take them, values strings.
std::vector<EnvironmentSetting> read_env(const JsonReader& object) {
  const auto member = object.optional_member("env");
  if (!member) return {};
  const JsonReader table = member->as_object();
  std::vector<EnvironmentSetting> env;
  if (!table.value().is_object()) return env;
  for (const auto& [key, value] : table.value().items()) {
    const JsonReader setting = table.member(key);
    const std::string text = setting.as_string();
    const bool shell_name = !key.empty() && !(key.front() >= '0' && key.front() <= '9') &&
                            std::ranges::all_of(key, [](char c) {
                              return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                     (c >= '0' && c <= '9');
                            });
    if (!shell_name) setting.fail("is not a variable name (letters, digits, '_')");
    if (key.starts_with("JOULETRACE_MARKERS")) setting.fail("is jouletrace's own channel");
    env.emplace_back(key, text);
  }
  return env;
}

StudyConfiguration read_configuration(const JsonReader& object) {
  static constexpr std::array<std::string_view, 3> kKnown = {"name", "args", "env"};
  object.as_object().reject_unknown_keys(kKnown);
  return {read_name(object), optional_strings(object, "args"), read_env(object)};
}

void check_distinct_names(const JsonReader& list, const std::vector<std::string>& names) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!seen.insert(names[i]).second) {
      list.fail(fmt::format("name '{}' more than once", names[i]));
      return;
    }
  }
}

std::vector<StudyConfiguration> read_configurations(const JsonReader& entry) {
  const auto member = entry.optional_member("configurations");
  if (!member) return {};
  std::vector<StudyConfiguration> configurations;
  std::vector<std::string> names;
  for (const JsonReader& c : member->as_array()) {
    configurations.push_back(read_configuration(c));
    names.push_back(configurations.back().name);
  }
  if (member->value().is_array() && configurations.empty()) member->fail("is empty");
  check_distinct_names(*member, names);
  return configurations;
}

std::optional<int> read_repetitions(const JsonReader& object) {
  const auto member = object.optional_member("repetitions");
  if (!member) return std::nullopt;
  return static_cast<int>(member->as_integer(1, kMaxRepetitions));
}

StudyEntry read_entry(const JsonReader& object) {
  static constexpr std::array<std::string_view, 8> kKnown = {
      "name", "workload", "command", "args", "env", "phases", "configurations", "repetitions"};
  object.as_object().reject_unknown_keys(kKnown);
  StudyEntry entry;
  entry.name = read_name(object);
  if (const auto workload = object.optional_member("workload")) {
    entry.workload = workload->as_string();
    if (workload->ok() && !usable_name(entry.workload)) workload->fail("is not a workload name");
  }
  entry.command = optional_strings(object, "command");
  const bool has_command = object.optional_member("command").has_value();
  if (has_command == !entry.workload.empty()) {
    object.fail("needs exactly one of `command` (a command line) and `workload` (a bundled one)");
  } else if (has_command && entry.command.empty()) {
    object.member("command").fail("is empty");
  }
  entry.args = optional_strings(object, "args");
  entry.env = read_env(object);
  entry.phases = optional_strings(object, "phases");
  entry.configurations = read_configurations(object);
  entry.repetitions = read_repetitions(object);
  return entry;
}

IdleCheckSettings read_idle_check(const JsonReader& study) {
  IdleCheckSettings settings;
  const auto member = study.optional_member("idle_check");
  if (!member) return settings;
  if (member->value().is_boolean()) {
    settings.enabled = member->as_bool();
    return settings;
  }
  static constexpr std::array<std::string_view, 5> kKnown = {"window_s", "tolerance", "margin_w",
                                                             "timeout_s", "enabled"};
  const JsonReader table = member->as_object();
  table.reject_unknown_keys(kKnown);
  auto number = [&](std::string_view key, double& out, double min, double max) {
    if (const auto value = table.optional_member(key)) out = value->as_number(min, max);
  };
  number("window_s", settings.window_s, 0.1, 3600.0);
  number("tolerance", settings.tolerance, 0.0, 10.0);
  number("margin_w", settings.margin_w, 0.0, 1e6);
  number("timeout_s", settings.timeout_s, 0.0, kMaxSeconds);
  if (const auto enabled = table.optional_member("enabled")) settings.enabled = enabled->as_bool();
  return settings;
}

}  // namespace

Result<StudyPlan> decode_study_plan(const nlohmann::json& document, const std::string& origin) {
  const JsonReader top(document, "");
  static constexpr std::array<std::string_view, 6> kKnown = {
      "name", "repetitions", "cooldown_s", "idle_check", "output", "entries"};
  top.as_object().reject_unknown_keys(kKnown);
  StudyPlan plan;
  if (const auto name = top.optional_member("name")) plan.name = name->as_string();
  plan.repetitions = read_repetitions(top).value_or(plan.repetitions);
  if (const auto cooldown = top.optional_member("cooldown_s")) {
    plan.cooldown_s = cooldown->as_number(0.0, kMaxSeconds);
  }
  plan.idle_check = read_idle_check(top);
  if (const auto output = top.optional_member("output")) plan.output = output->as_string();
  std::vector<std::string> names;
  const JsonReader entries = top.member("entries");
  for (const JsonReader& e : entries.as_array()) {
    plan.entries.push_back(read_entry(e));
    names.push_back(plan.entries.back().name);
  }
  if (entries.value().is_array() && plan.entries.empty()) entries.fail("is empty");
  check_distinct_names(entries, names);
  if (!top.ok())
    return make_error(ErrorKind::kInvalidData, origin + ": " + top.problem(), kStudyHint);
  return plan;
}

Result<StudyPlan> read_study_plan(const std::filesystem::path& path) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  auto document = path.extension() == ".toml" ? toml_as_json(*text, path.string())
                                              : parse_json(*text, path.string());
  if (!document) {
    Error e = document.error();
    e.hint = kStudyHint;
    return std::unexpected(e);
  }
  auto plan = decode_study_plan(*document, path.string());
  if (plan && plan->output.empty()) {
    plan->output = (path.parent_path() / "study-results").string();
  }
  return plan;
}

std::vector<StudyCell> expand_study(const StudyPlan& plan, const std::string& workload_program) {
  std::vector<StudyCell> cells;
  const std::vector<StudyConfiguration> lone_default = {{"default", {}, {}}};
  for (const StudyEntry& entry : plan.entries) {
    const auto& configurations = entry.configurations.empty() ? lone_default : entry.configurations;
    for (const StudyConfiguration& configuration : configurations) {
      StudyCell cell;
      cell.entry = entry.name;
      cell.configuration = configuration.name;
      const bool lone = entry.configurations.empty();
      cell.label = lone ? entry.name : entry.name + "/" + configuration.name;
      // '@' is not allowed in names: two cells never share a file.
      cell.file_name = lone ? entry.name : entry.name + "@" + configuration.name;
      cell.file_name += ".json";
      cell.command = entry.workload.empty()
                         ? entry.command
                         : std::vector<std::string>{workload_program, entry.workload};
      cell.command.insert(cell.command.end(), entry.args.begin(), entry.args.end());
      cell.command.insert(cell.command.end(), configuration.args.begin(), configuration.args.end());
      cell.env = entry.env;
      cell.env.insert(cell.env.end(), configuration.env.begin(), configuration.env.end());
      cell.phases = entry.phases;
      cell.repetitions = entry.repetitions.value_or(plan.repetitions);
      cells.push_back(std::move(cell));
    }
  }
  return cells;
}

}  // namespace jt::study
