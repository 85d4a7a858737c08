// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace compare` (README.md, "Use"): reads result files, hands them to the study layer
// and its table to a reporter.
#include <fmt/format.h>

#include "arguments.hpp"
#include "core/atomic_file.hpp"
#include "report/compare_report.hpp"
#include "study/comparison.hpp"
#include "study/study_index.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

void print_error(const Error& e) {
  fmt::print(stderr, "jouletrace compare: {}\n", e.message);
  if (!e.hint.empty()) fmt::print(stderr, "  {}\n", e.hint);
}

// Every file is read, so that each bad one gets its own message; empty when any was bad.
std::optional<std::vector<study::LabelledResult>> read_results(
    const std::vector<std::string>& arguments) {
  study::ReadResults read = study::read_results(arguments);
  for (const Error& e : read.errors) print_error(e);
  if (!read.errors.empty()) return std::nullopt;
  return std::move(read.results);
}

std::string render(const study::Comparison& comparison, const CompareOptions& options) {
  if (options.json) return compare_json(comparison).dump(2) + "\n";
  if (options.csv) return compare_csv(comparison);
  return compare_text(comparison);
}

}  // namespace

int compare_verb(const CompareOptions& options) {
  const auto results = read_results(options.results);
  if (!results) return kExitOwnFailure;
  std::optional<std::string> reference;
  if (!options.reference.empty()) reference = options.reference;
  const auto comparison = study::compare_results(*results, reference);
  if (!comparison) {
    print_error(comparison.error());
    return kExitOwnFailure;
  }
  const std::string text = render(*comparison, options);
  if (options.output.empty() || options.output == "-") {
    fmt::print("{}", text);
    return 0;
  }
  if (auto written = write_file_atomically(options.output, text); !written) {
    print_error(written.error());
    return kExitOwnFailure;
  }
  return 0;
}

}  // namespace jt::cli
