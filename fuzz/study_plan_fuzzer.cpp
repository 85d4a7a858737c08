// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the study file reader (`jouletrace study`, docs/STUDY.md): a study is written by hand,
// in TOML or JSON, and a malformed one must be refused with a message, never crash the verb.
//
// The first byte picks the format (even: JSON, odd: TOML); the rest is the file.
//
// Invariants:
// - No crash and no exception, whatever the bytes.
// - A rejected file gives an error with a message that names its origin.
// - An accepted plan has at least one entry, each with exactly one of a command and a workload,
//   and expands to one cell per entry and configuration, each with a command, a label, a file
//   name without '/', and at least one repetition.
#include <cstdint>
#include <string>

#include "core/json_reader.hpp"
#include "fuzz_check.hpp"
#include "study/study_plan.hpp"

namespace {

void check_plan(const jt::study::StudyPlan& plan) {
  JT_FUZZ_CHECK(!plan.entries.empty());
  std::size_t expected_cells = 0;
  for (const auto& entry : plan.entries) {
    JT_FUZZ_CHECK(entry.command.empty() != entry.workload.empty());
    expected_cells += entry.configurations.empty() ? 1 : entry.configurations.size();
  }
  const auto cells = jt::study::expand_study(plan, "/usr/bin/jouletrace-workload");
  JT_FUZZ_CHECK(cells.size() == expected_cells);
  for (const auto& cell : cells) {
    JT_FUZZ_CHECK(!cell.command.empty());
    JT_FUZZ_CHECK(!cell.label.empty());
    JT_FUZZ_CHECK(cell.file_name.find('/') == std::string::npos);
    JT_FUZZ_CHECK(cell.repetitions >= 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool toml = (data[0] & 1) != 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto document = toml ? jt::study::toml_as_json(text, "fuzz.toml") : jt::parse_json(text, "fuzz");
  if (!document) {
    JT_FUZZ_CHECK(!document.error().message.empty());
    return 0;
  }
  const auto plan = jt::study::decode_study_plan(*document, "fuzz");
  if (!plan) {
    JT_FUZZ_CHECK(plan.error().message.find("fuzz") != std::string::npos);
    return 0;
  }
  check_plan(*plan);
  return 0;
}
