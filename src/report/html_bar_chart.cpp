// SPDX-License-Identifier: BSD-3-Clause
// Horizontal bar charts of `jouletrace report --html`: energies and times as the reports state
// them, a whisker for their spread over repetitions, the figure written beside each bar.
#include <fmt/format.h>

#include <algorithm>

#include "report/html_parts.hpp"
#include "report/text_format.hpp"

namespace jt::html {

namespace {

constexpr double kWidth = 760.0;
constexpr double kLabelWidth = 130.0;
constexpr double kTextWidth = 250.0;
constexpr double kRowHeight = 26.0;
constexpr double kTop = 8.0;
constexpr double kBottom = 36.0;

std::optional<double> bar_end(const BarRow& row) {
  double sum = 0.0;
  for (const auto& s : row.segments) {
    if (!s) return std::nullopt;
    sum += *s;
  }
  return sum;
}

double largest(const BarChart& chart) {
  double out = 0.0;
  for (const BarRow& row : chart.rows) {
    if (const auto end = bar_end(row)) out = std::max(out, *end + row.spread.value_or(0.0));
  }
  return out;
}

struct Scale {
  double largest = 1.0;
  double x(double v) const {
    return kLabelWidth + (kWidth - kLabelWidth - kTextWidth) * v / largest;
  }
};

std::size_t colour_index(const BarChart& chart, std::size_t series) {
  if (series < chart.colours.size()) return chart.colours[series];
  return chart.series.size() > 1 ? series : 0;
}

std::string row_svg(const BarChart& chart, const BarRow& row, std::size_t i, const Scale& s) {
  const double y = kTop + kRowHeight * static_cast<double>(i);
  std::string out = fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                                kLabelWidth - 6, y + 17, escape(row.label));
  const auto end = bar_end(row);
  if (end) {
    double from = 0.0;
    for (std::size_t k = 0; k < row.segments.size(); ++k) {
      const double to = from + *row.segments[k];
      out += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"18\" fill=\"{}\"/>\n",
          s.x(from), y + 4, s.x(to) - s.x(from), colour(colour_index(chart, k)));
      from = to;
    }
    if (row.spread && *row.spread > 0.0) {
      out += fmt::format(
          "<path d=\"M{0:.1f} {2:.1f}H{1:.1f}M{0:.1f} {3:.1f}V{4:.1f}M{1:.1f} {3:.1f}V{4:.1f}\" "
          "stroke=\"#000\" stroke-width=\"1.5\"/>\n",
          s.x(std::max(0.0, *end - *row.spread)), s.x(*end + *row.spread), y + 13, y + 7, y + 19);
    }
  }
  const double text_x = end ? s.x(*end + row.spread.value_or(0.0)) + 6 : kLabelWidth + 4;
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", text_x, y + 17,
                     escape(row.short_text.empty() ? row.text : row.short_text));
  return out;
}

std::string axis(const Scale& s, const Unit& unit, double bottom) {
  std::string out = fmt::format(
      "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\"/>\n",
      kLabelWidth, kTop, bottom);
  for (double v : ticks(s.largest)) {
    out += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4} {5}</text>\n",
        s.x(v), kTop, bottom, bottom + 16, tick_text(v * unit.factor), unit.name);
  }
  return out;
}

std::string legend(const BarChart& chart) {
  if (chart.series.size() < 2) return "";
  std::string out = "<p class=\"note\">Segments, left to right:";
  for (std::size_t k = 0; k < chart.series.size(); ++k) {
    out += fmt::format(" <span class=\"swatch\" style=\"background:{}\"></span> {}{}",
                       colour(colour_index(chart, k)), escape(chart.series[k]),
                       k + 1 < chart.series.size() ? "," : "");
  }
  return out + "</p>\n";
}

// Each segment of a stacked bar, as the bar draws it; unknown ones say so.
std::string segment_cells(const BarChart& chart, const BarRow& row) {
  if (chart.series.size() < 2) return "";
  std::string out;
  for (const auto& segment : row.segments) {
    const std::string value = !segment                                 ? "unknown"
                              : chart.quantity == BarQuantity::kEnergy ? energy_text(*segment)
                                                                       : duration_text(*segment);
    out += fmt::format("<td class=\"n\">{}</td>", value);
  }
  return out;
}

std::string table(const BarChart& chart) {
  const bool details = std::any_of(chart.rows.begin(), chart.rows.end(),
                                   [](const BarRow& row) { return !row.detail.empty(); });
  std::string out = details ? "<table>\n<tr><th></th><th>what</th>" : "<table>\n<tr><th></th>";
  if (chart.series.size() > 1) {
    for (const auto& name : chart.series) out += "<th>" + escape(name) + "</th>";
  }
  out += "<th>figure</th></tr>\n";
  for (const BarRow& row : chart.rows) {
    out += fmt::format("<tr><td>{}</td>{}{}<td>{}</td></tr>\n", escape(row.label),
                       details ? "<td>" + escape(row.detail) + "</td>" : std::string(),
                       segment_cells(chart, row), escape(row.text));
  }
  return out + "</table>\n";
}

}  // namespace

std::string bar_chart(const BarChart& chart, const std::string& anchor) {
  const std::vector<double> axis_ticks = ticks(largest(chart));
  const Scale s{axis_ticks.back() > 0.0 ? axis_ticks.back() : 1.0};
  const Unit unit =
      chart.quantity == BarQuantity::kEnergy ? energy_unit(s.largest) : time_unit(s.largest);
  const double bottom = kTop + kRowHeight * static_cast<double>(chart.rows.size());
  std::string bars;
  for (std::size_t i = 0; i < chart.rows.size(); ++i) bars += row_svg(chart, chart.rows[i], i, s);
  return fmt::format(
      "<figure>\n<figcaption>{1}</figcaption>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {2} {3:.0f}\" width=\"{2}\" "
      "height=\"{3:.0f}\" role=\"img\" aria-labelledby=\"{0}-title {0}-desc\">\n"
      "<title id=\"{0}-title\">{1}</title>\n<desc id=\"{0}-desc\">{4}</desc>\n{5}{6}</svg>\n"
      "{7}{8}</figure>\n",
      anchor, escape(chart.caption), kWidth, bottom + kBottom, escape(chart.description),
      axis(s, unit, bottom), bars, legend(chart), table(chart));
}

}  // namespace jt::html
