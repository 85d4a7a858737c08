// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace compare` (README.md, "Use"): reads result files, hands them to the study layer
// and its table to a reporter.
#include <fmt/format.h>

#include "arguments.hpp"
#include "core/atomic_file.hpp"
#include "report/compare_report.hpp"
#include "study/comparison.hpp"
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
  std::vector<study::LabelledResult> results;
  bool all_read = true;
  for (const std::string& argument : arguments) {
    const study::ResultArgument named = study::parse_result_argument(argument);
    auto document = study::read_result_document(named.path);
    if (!document) {
      print_error(document.error());
      all_read = false;
      continue;
    }
    results.push_back({named.label, named.path, std::move(*document)});
  }
  if (!all_read) return std::nullopt;
  return results;
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
