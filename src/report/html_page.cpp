// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "report/html_parts.hpp"
#include "report/text_format.hpp"

namespace jt::html {

const study::StatedRun& first_complete_run(const study::ResultDocument& document) {
  const auto it = std::find_if(document.runs.begin(), document.runs.end(),
                               [](const study::StatedRun& r) { return r.started && r.complete; });
  return it != document.runs.end() ? *it : document.runs.front();
}

std::string escape(std::string_view text) {
  std::string out;
  for (char c : terminal_safe(text)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_lines(std::string_view text) {
  std::string out;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    out += escape(text.substr(start, end - start));
    if (end < text.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

Unit power_unit(double largest_w) {
  if (largest_w >= 1e6) return {1e-6, "MW"};
  if (largest_w >= 1e3) return {1e-3, "kW"};
  return {1.0, "W"};
}

Unit energy_unit(double largest_j) {
  if (largest_j >= 1e9) return {1e-9, "GJ"};
  if (largest_j >= 1e6) return {1e-6, "MJ"};
  if (largest_j >= 1e3) return {1e-3, "kJ"};
  return {1.0, "J"};
}

Unit time_unit(double largest_s) {
  if (largest_s >= 3.0 * 3600.0) return {1.0 / 3600.0, "h"};
  if (largest_s >= 600.0) return {1.0 / 60.0, "min"};
  return {1.0, "s"};
}

std::string power_text(const std::optional<double>& watts) {
  if (!watts) return "unknown";
  const Unit u = power_unit(std::abs(*watts));
  return fmt::format("{:.1f} {}", *watts * u.factor, u.name);
}

std::string kwh_text(double joules) { return fmt::format("{:.3g} kWh", joules / 3.6e6); }

std::string figure_text(const study::StatedFigure& figure) {
  if (!figure.energy_j) return "unknown";
  std::string text = fmt::format("{} ({})", energy_pm_text(figure.energy_j, figure.uncertainty_j),
                                 to_string(figure.method));
  // Below 0.01 kWh the kWh figure says nothing the joules do not.
  if (*figure.energy_j >= 3.6e4) text += " = " + kwh_text(*figure.energy_j);
  return text;
}

std::vector<double> ticks(double largest, int target) {
  if (!(largest > 0.0)) largest = 1.0;
  const double rough = largest / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= rough) break;
  }
  std::vector<double> out;
  for (int i = 0; out.empty() || out.back() < largest; ++i) out.push_back(step * i);
  return out;
}

std::string tick_text(double value) {
  if (std::abs(value) < 1e-12) return "0";
  return fmt::format("{:.4g}", value);
}

std::string colour(std::size_t index) {
  // Okabe and Ito (2008), "Color Universal Design" (docs/REPORT.md).
  constexpr std::array<const char*, 8> kPalette = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                   "#56B4E9", "#D55E00", "#F0E442", "#000000"};
  return kPalette[index % kPalette.size()];
}

std::string dash(std::size_t index) {
  constexpr std::array<const char*, 4> kDashes = {"", "8 4", "2 3", "10 3 2 3"};
  return kDashes[index % kDashes.size()];
}

std::vector<std::string> short_labels(const std::vector<std::string>& domains) {
  std::map<std::string, int> count;
  for (const auto& d : domains) ++count[d];
  std::map<std::string, int> seen;
  std::vector<std::string> out;
  for (const auto& d : domains) {
    const int n = seen[d]++;
    out.push_back(count[d] > 1 ? fmt::format("{} {}", d, n) : d);
  }
  return out;
}

namespace {

// Screen: a column of readable width. Print: black text, charts kept whole, no page colour.
constexpr std::string_view kStyle = R"(
:root { color-scheme: light; }
body { font-family: system-ui, sans-serif; line-height: 1.45; color: #111; background: #fff;
       max-width: 62rem; margin: 1rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #bbb; padding: 0.15rem 0.5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font-family: system-ui, sans-serif; font-size: 12px; fill: #111; }
pre { font-size: 0.8rem; overflow-x: auto; background: #f6f6f6; padding: 0.5rem; }
.swatch { display: inline-block; width: 1.6em; height: 0.8em; border: 1px solid #333;
          vertical-align: middle; }
.note { color: #444; font-size: 0.9rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  figure, table { break-inside: avoid; }
  pre { background: none; border: 1px solid #999; white-space: pre-wrap; }
  details > summary { list-style: none; }
}
)";

}  // namespace

std::string page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"jouletrace report\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      escape(title), kStyle, body);
}

}  // namespace jt::html
