// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// The pieces `jouletrace report --html` lays its page out with (docs/REPORT.md): escaping,
// units, axes, colours and the two kinds of chart. Layout only: every figure drawn is one the
// report states; what is done here is coordinates, unit scaling and labels.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "study/result_document.hpp"

namespace jt::html {

// The run a page draws: the file's first that started and completed (compare_results has
// checked that there is one), else its first.
const study::StatedRun& first_complete_run(const study::ResultDocument& document);

// Text from a report (names, hostnames, commands, labels) as HTML text or attribute: control
// characters and invalid UTF-8 as \xNN (as the terminal report shows them), then & < > " '.
std::string escape(std::string_view text);
// A block of lines (for <pre>): each line escaped, the line breaks kept.
std::string escape_lines(std::string_view text);

// A unit for an axis: values are multiplied by `factor` and shown with `name`.
struct Unit {
  double factor = 1.0;
  std::string name;
};
Unit power_unit(double largest_w);   // W, kW, MW
Unit energy_unit(double largest_j);  // J, kJ, MJ, GJ
Unit time_unit(double largest_s);    // s, min, h

// "1.23 kW"; unknown is "unknown".
std::string power_text(const std::optional<double>& watts);
// "2.450 kJ +/- 0.012 kJ (counter)", and "= 0.68 kWh" beside energies of 0.01 kWh or more.
std::string figure_text(const study::StatedFigure& figure);
std::string kwh_text(double joules);

// At most about `target` round tick values from 0 to at least `largest`.
std::vector<double> ticks(double largest, int target = 5);
// "2.5", "120", "0.25": a tick label without needless digits.
std::string tick_text(double value);

// The Okabe-Ito palette (readable with the common colour-vision deficiencies), black last.
std::string colour(std::size_t index);
// A dash pattern per line series, so that lines differ by more than colour; "" is solid.
std::string dash(std::size_t index);
// A short name for a chart label: its domain, numbered when several share it.
std::vector<std::string> short_labels(const std::vector<std::string>& domains);

// The power over time of one run: its stacked parts, its meters as lines, its phases as bands,
// and under it the legend and, in <details>, every bucket as a table. `anchor` makes the ids in
// the SVG unique on the page.
std::string power_chart(const study::StatedRun& run, const std::string& caption,
                        const std::string& anchor);

// A horizontal bar chart: one row per bar, each bar the stack of its segments (one per series),
// a whisker for the spread, a direct label with the figure's text.
struct BarRow {
  std::string label;
  std::vector<std::optional<double>> segments;  // unknown: the row shows "unknown", no bar
  std::optional<double> spread;                 // +/- around the bar's end; empty: none
  std::string text;                             // the figure as the table says it
  std::string detail;                           // the table's "what" column (a full id)
  std::string short_text;                       // beside the bar when `text` is long
};
enum class BarQuantity { kEnergy, kTime };
struct BarChart {
  std::string caption;
  std::string description;
  BarQuantity quantity = BarQuantity::kEnergy;
  std::vector<std::string> series;  // one name per segment; one series: no legend
  std::vector<BarRow> rows;
  // The palette index of each series (a component keeps its power chart's colour); empty: the
  // series' own index.
  std::vector<std::size_t> colours;
};
std::string bar_chart(const BarChart& chart, const std::string& anchor);

// The whole page around `body`: the style sheet (screen and print), no script, no external
// resource.
std::string page(const std::string& title, const std::string& body);

}  // namespace jt::html
