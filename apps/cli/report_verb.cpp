// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace report` (README.md, "Use"; docs/REPORT.md): reads result files or a study index,
// hands them to the study layer and the page to the HTML reporter, writes it atomically.
#include <fmt/format.h>

#include "arguments.hpp"
#include "core/atomic_file.hpp"
#include "report/html_report.hpp"
#include "study/comparison.hpp"
#include "study/study_index.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

void print_error(const Error& e) {
  fmt::print(stderr, "jouletrace report: {}\n", e.message);
  if (!e.hint.empty()) fmt::print(stderr, "  {}\n", e.hint);
}

}  // namespace

int report_verb(const ReportOptions& options) {
  const study::ReadResults read = study::read_results(options.results);
  for (const Error& e : read.errors) print_error(e);
  if (!read.errors.empty()) return kExitOwnFailure;
  std::optional<std::string> reference;
  if (!options.reference.empty()) reference = options.reference;
  const auto comparison = study::compare_results(read.results, reference);
  if (!comparison) {
    print_error(comparison.error());
    return kExitOwnFailure;
  }
  const std::string page = read.results.size() == 1
                               ? html_run_page(read.results.front(), *comparison)
                               : html_study_page(read.results, *comparison);
  if (auto written = write_file_atomically(options.html, page); !written) {
    print_error(written.error());
    return kExitOwnFailure;
  }
  return 0;
}

}  // namespace jt::cli
