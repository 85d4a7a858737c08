// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace report --html` against golden pages, built from the golden run and repeat
// reports (tests/golden/gpu_node.json, repeat.json) as a study of two configurations; and the
// page's promises: every string from the input escaped, no external resource, unknown shown
// as unknown.
#include "report/html_report.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "study/study_index.hpp"
#include "support/golden_support.hpp"
#include "unit/compare_test_support.hpp"

namespace jt {
namespace {

using test::expect_golden;
using test::golden_path;

study::LabelledResult golden_result(const std::string& label, const std::string& file) {
  auto document = study::read_result_document(golden_path(file));
  EXPECT_TRUE(document) << document.error().message;
  return {label, "results/" + file, *document};
}

std::string run_page(const study::LabelledResult& result) {
  const auto comparison = study::compare_results({result}, std::nullopt);
  EXPECT_TRUE(comparison) << comparison.error().message;
  return html_run_page(result, *comparison);
}

std::string study_page() {
  const std::vector<study::LabelledResult> results = {golden_result("cpu", "repeat.json"),
                                                      golden_result("gpu", "gpu_node.json")};
  const auto comparison = study::compare_results(results, "cpu");
  EXPECT_TRUE(comparison) << comparison.error().message;
  return html_study_page(results, *comparison);
}

// Every URL in the page: only the SVG namespace may appear, and nothing that loads.
void expect_self_contained(const std::string& html) {
  const std::regex url(R"(https?://[^"' <>]*)");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), url); it != std::sregex_iterator();
       ++it) {
    EXPECT_EQ(it->str(), "http://www.w3.org/2000/svg");
  }
  for (const char* loads : {"<script", "@import", "url(", "<link", "<iframe"}) {
    EXPECT_EQ(html.find(loads), std::string::npos) << loads;
  }
  // Inside a tag (text from the input is escaped, so every '<' is the page's own markup).
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(<[^>]*\s(src|href|xlink:href)=)")));
}

TEST(GoldenHtml, RunPageOfTheGpuNode) {
  const std::string html = run_page(golden_result("gpu", "gpu_node.json"));
  expect_golden("report_run.html", html);
  expect_self_contained(html);
  // The idle GPU's series, the phases and the estimate's relative error are on the page.
  EXPECT_NE(html.find("Power per component over time"), std::string::npos);
  EXPECT_NE(html.find("phase train"), std::string::npos);
  EXPECT_NE(html.find("relative error"), std::string::npos);
}

TEST(GoldenHtml, StudyPageOfACpuAndAGpuConfiguration) {
  const std::string html = study_page();
  expect_golden("report_study.html", html);
  expect_self_contained(html);
  EXPECT_NE(html.find("Phase train"), std::string::npos);
}

TEST(HtmlReport, EveryStringFromTheInputIsEscaped) {
  test::RunSpec spec{.hostname = "<script>alert(1)</script>",
                     .package_j = 10.0,
                     .package_uncertainty_j = 0.1,
                     .total_j = 10.0,
                     .total_uncertainty_j = 0.1};
  spec.phases = {{"a<b & \"c\"", 1.0, 0, 5.0, 0.1}};
  auto document = study::decode_result_document(test::run_document(spec), "x.json");
  ASSERT_TRUE(document) << document.error().message;
  const std::string html = run_page({"<img src=x>", "x.json", *document});
  expect_self_contained(html);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x&gt;"), std::string::npos);
}

TEST(HtmlReport, AReportWithoutProfileOrCarbonSaysUnknown) {
  test::RunSpec spec{.package_j = 10.0, .package_uncertainty_j = 0.1, .total_j = std::nullopt};
  auto document = study::decode_result_document(test::run_document(spec), "x.json");
  ASSERT_TRUE(document) << document.error().message;
  const std::string html = run_page({"old", "x.json", *document});
  EXPECT_NE(html.find("unknown; this report has no power profile"), std::string::npos);
  EXPECT_NE(html.find("Unknown: this report states no CO2e or cost."), std::string::npos);
  EXPECT_NE(html.find("<td>unknown</td>"), std::string::npos);  // the total, never 0 J
  EXPECT_EQ(html.find(">0.000 J"), std::string::npos);
}

}  // namespace
}  // namespace jt
