// SPDX-License-Identifier: BSD-3-Clause
#include "report/reporter.hpp"

namespace jt {

namespace {

class TextReporter final : public Reporter {
 public:
  explicit TextReporter(const SummaryOptions& options) : options_(options) {}
  std::string render(const RunReport& report) const override {
    return format_summary(report, options_);
  }
  std::string render(const RepeatSummary& repeat) const override {
    return format_repeat_summary(repeat, options_);
  }

 private:
  SummaryOptions options_;
};

class JsonReporter final : public Reporter {
 public:
  std::string render(const RunReport& report) const override {
    return indented_json(to_json(report));
  }
  std::string render(const RepeatSummary& repeat) const override {
    return indented_json(to_json(repeat));
  }
};

}  // namespace

std::unique_ptr<Reporter> text_reporter(const SummaryOptions& options) {
  return std::make_unique<TextReporter>(options);
}

std::unique_ptr<Reporter> json_reporter() { return std::make_unique<JsonReporter>(); }

std::string indented_json(const nlohmann::json& document) {
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace jt
