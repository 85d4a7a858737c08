// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "study/comparison.hpp"

// The index a study writes beside its result files (schemas/study.schema.json): which file holds
// which configuration. `jouletrace report` and `compare` accept it in place of the files.
namespace jt::study {

struct StudyIndexEntry {
  std::string label;
  std::string entry;
  std::string configuration;
  // Relative to the index's directory as written; resolved against it when decoded.
  std::filesystem::path file;
  std::optional<int> runs;  // runs that started and completed; absent in hand-written indexes
};

struct StudyIndex {
  std::string name;
  std::string hostname;
  std::string started_at;
  std::string study_file;
  // False while the study runs or after it was interrupted; absent (true) in hand-written ones.
  bool complete = true;
  std::vector<StudyIndexEntry> results;
};

inline constexpr const char* kStudySchema = "jouletrace.study";
inline constexpr int kStudySchemaVersion = 1;

// Decodes a parsed index read from `origin`; errors name the file and the field.
Result<StudyIndex> decode_study_index(const nlohmann::json& document,
                                      const std::filesystem::path& origin);

// Result files named on the command line (FILE, LABEL=FILE or a study index), each read; every
// bad one gives its own error, in the order given. Configurations labelled by their study (an
// index, a result's `study.label`) that share a label with another from a different host are
// told apart as LABEL@HOST: the same study run on several nodes.
struct ReadResults {
  std::vector<LabelledResult> results;
  std::vector<Error> errors;
};
ReadResults read_results(const std::vector<std::string>& arguments);

}  // namespace jt::study
