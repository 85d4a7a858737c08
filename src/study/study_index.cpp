// SPDX-License-Identifier: BSD-3-Clause
#include "study/study_index.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "core/json_reader.hpp"
#include "core/sysfs_file.hpp"

namespace jt::study {

namespace {

Error invalid(const std::string& origin, const std::string& problem) {
  return Error{ErrorKind::kInvalidData, fmt::format("{}: {}", origin, problem),
               "a study index is the jouletrace.study file (version 1) a study writes "
               "(schemas/study.schema.json)"};
}

void check_schema(const JsonReader& top) {
  const JsonReader version = top.member("version");
  if (version.as_integer() != kStudySchemaVersion && version.ok()) {
    version.fail(fmt::format("is not {} (the version this jouletrace reads)", kStudySchemaVersion));
  }
}

StudyIndexEntry read_entry(const JsonReader& e, const std::filesystem::path& directory) {
  StudyIndexEntry entry;
  entry.label = e.as_object().string("label");
  entry.entry = e.string("entry");
  entry.configuration = e.string("configuration");
  const JsonReader file = e.member("file");
  const std::string relative = file.as_string();
  if (file.ok() && relative.empty()) file.fail("is empty");
  entry.file = directory / relative;
  if (const auto runs = e.optional_member("runs")) {
    entry.runs = static_cast<int>(runs->as_integer(0, 1'000'000));
  }
  return entry;
}

std::optional<nlohmann::json> read_json(const std::string& path, std::vector<Error>& errors) {
  auto text = read_text_file(path);
  if (!text) {
    errors.push_back(text.error());
    return std::nullopt;
  }
  auto document = parse_json(*text, path);
  if (!document) {
    errors.push_back(document.error());
    return std::nullopt;
  }
  return *std::move(document);
}

bool is_study_index(const nlohmann::json& document) {
  return document.is_object() && document.contains("schema") && document["schema"] == kStudySchema;
}

void add_index(const nlohmann::json& document, const std::string& path, ReadResults& out) {
  auto index = decode_study_index(document, path);
  if (!index) {
    out.errors.push_back(index.error());
    return;
  }
  for (const StudyIndexEntry& entry : index->results) {
    auto result = read_result_document(entry.file);
    if (!result) {
      out.errors.push_back(result.error());
      continue;
    }
    out.results.push_back({entry.label, entry.file.string(), *std::move(result)});
  }
}

}  // namespace

Result<StudyIndex> decode_study_index(const nlohmann::json& document,
                                      const std::filesystem::path& origin) {
  const JsonReader top(document, "");
  StudyIndex out;
  const JsonReader schema = top.as_object().member("schema");
  if (schema.as_string() != kStudySchema && schema.ok()) {
    schema.fail(fmt::format("is not {}", kStudySchema));
  }
  check_schema(top);
  out.name = top.string("name");
  out.hostname = top.string("hostname");
  out.started_at = top.string("started_at");
  out.study_file = top.string("study_file");
  if (const auto complete = top.optional_member("complete")) out.complete = complete->as_bool();
  const std::filesystem::path directory = origin.parent_path();
  for (const JsonReader& e : top.array("results")) out.results.push_back(read_entry(e, directory));
  if (!top.ok()) return std::unexpected(invalid(origin.string(), top.problem()));
  if (out.results.empty()) return std::unexpected(invalid(origin.string(), "results is empty"));
  return out;
}

namespace {

// The same study on several nodes: its labels repeat, so each takes its host.
void label_by_host(ReadResults& read, const std::vector<bool>& labelled_by_study) {
  std::map<std::string, std::set<std::string>> hosts;
  for (const LabelledResult& r : read.results) {
    hosts[r.label].insert(r.document.runs.empty() ? "" : r.document.runs.front().hostname);
  }
  for (std::size_t i = 0; i < read.results.size(); ++i) {
    LabelledResult& r = read.results[i];
    if (!labelled_by_study[i] || hosts[r.label].size() < 2 || r.document.runs.empty()) continue;
    r.label += "@" + r.document.runs.front().hostname;
  }
}

}  // namespace

ReadResults read_results(const std::vector<std::string>& arguments) {
  ReadResults out;
  std::vector<bool> labelled_by_study;
  for (const std::string& argument : arguments) {
    const ResultArgument named = parse_result_argument(argument);
    const auto document = read_json(named.path, out.errors);
    if (!document) continue;
    if (is_study_index(*document)) {
      add_index(*document, named.path, out);
      labelled_by_study.resize(out.results.size(), true);
      continue;
    }
    auto result = decode_result_document(*document, named.path);
    if (!result) {
      out.errors.push_back(result.error());
      continue;
    }
    // A study's result file carries its configuration's label; LABEL=FILE overrides it.
    const bool by_study = !named.labelled && result->label;
    const std::string label = by_study ? *result->label : named.label;
    out.results.push_back({label, named.path, *std::move(result)});
    labelled_by_study.push_back(by_study);
  }
  label_by_host(out, labelled_by_study);
  return out;
}

}  // namespace jt::study
