// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

// `jouletrace study STUDY.toml|json` (docs/STUDY.md): the declared matrix of entries (any
// command, or a bundled workload) x configurations, each run `repetitions` times under
// measurement with a cool-down and an idle check before every run.
namespace jt::study {

using EnvironmentSetting = std::pair<std::string, std::string>;

struct StudyConfiguration {
  std::string name;
  std::vector<std::string> args;  // appended to the entry's command
  std::vector<EnvironmentSetting> env;
};

struct StudyEntry {
  std::string name;
  // Exactly one of the two: a bundled workload's name (run as `jouletrace-workload NAME`), or
  // a command line.
  std::string workload;
  std::vector<std::string> command;
  std::vector<std::string> args;  // after the command or workload, before a configuration's
  std::vector<EnvironmentSetting> env;
  // When given, each run should mark these phases; a run that marks none of them gets a
  // warning in its result file (a study whose phases silently vanish compares nothing).
  std::vector<std::string> phases;
  std::vector<StudyConfiguration> configurations;  // none given: one named "default"
  std::optional<int> repetitions;                  // overrides the study's
};

// Before each run the node must come back to idle: its power, measured over `window_s`, within
// `tolerance` (a fraction) plus `margin_w` of the baseline, waited for up to `timeout_s`.
struct IdleCheckSettings {
  bool enabled = true;
  double window_s = 3.0;
  double tolerance = 0.10;
  double margin_w = 5.0;
  double timeout_s = 300.0;
};

struct StudyPlan {
  std::string name;
  int repetitions = 3;
  double cooldown_s = 30.0;  // after each run, before the next idle check
  IdleCheckSettings idle_check;
  std::string output;  // result directory; empty: `study-results` beside the study file
  std::vector<StudyEntry> entries;
};

// Decodes a parsed study strictly: unknown keys are errors (a misspelt `repetition` must not
// fall back to the default), names, commands and settings are checked, the error names the
// value by its path ("entries[1].configurations[0].args[2] is an integer, not a string").
Result<StudyPlan> decode_study_plan(const nlohmann::json& document, const std::string& origin);
// Reads a study file: TOML when its name ends in `.toml`, else JSON.
Result<StudyPlan> read_study_plan(const std::filesystem::path& path);
// TOML text as the JSON value the decoder reads (tables are objects, arrays arrays; dates are
// strings, which the decoder refuses where it wants a number). In a translation unit of its
// own: toml++ is a large header.
Result<nlohmann::json> toml_as_json(const std::string& text, const std::string& origin);

// One cell of the matrix, ready to run.
struct StudyCell {
  std::string entry;
  std::string configuration;
  std::string label;  // "entry/configuration", or "entry" for a lone default configuration
  std::vector<std::string> command;
  std::vector<EnvironmentSetting> env;  // the entry's, then the configuration's
  std::vector<std::string> phases;
  int repetitions = 1;
  std::string file_name;  // of its result file: the label made safe for a path
};

// The cells in declaration order. `workload_program` is the `jouletrace-workload` to run for
// workload entries.
std::vector<StudyCell> expand_study(const StudyPlan& plan, const std::string& workload_program);

}  // namespace jt::study
