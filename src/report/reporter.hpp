// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "report/run_report.hpp"

namespace jt {

// A way of writing an analysed run out: a pure serialiser (docs/ARCHITECTURE.md §1). The CLI
// chooses reporters and sends what they return where it was asked to; the agent and the
// Prometheus exporter will be reporters too. The CSV time series is not one: it is streamed
// while the run goes (format_timeline_rows).
class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual std::string render(const RunReport& report) const = 0;
  virtual std::string render(const RepeatSummary& repeat) const = 0;
};

// What a person reads: the summary (format_summary, format_repeat_summary).
std::unique_ptr<Reporter> text_reporter(const SummaryOptions& options);
// "jouletrace.run" and "jouletrace.repeat" documents (schemas/), indented, with bytes JSON
// cannot carry (a command line need not be UTF-8) replaced.
std::unique_ptr<Reporter> json_reporter();
// Any document jouletrace writes, as json_reporter writes its own (the study's files).
std::string indented_json(const nlohmann::json& document);

}  // namespace jt
