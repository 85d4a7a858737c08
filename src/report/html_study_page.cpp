// SPDX-License-Identifier: BSD-3-Clause
// The study page of `jouletrace report --html`: several configurations side by side.
#include <fmt/format.h>

#include <algorithm>

#include "report/compare_report.hpp"
#include "report/html_parts.hpp"
#include "report/html_report.hpp"
#include "report/text_format.hpp"

namespace jt {

namespace {

using study::ConfigurationComparison;

// "2.450 kJ mean, sd 0.010 kJ over 3 runs (counter, each +/- 0.400 J)": the mean, its spread
// over the runs and the runs' own uncertainty, as compare states them.
std::string repeated_text(const RepeatedFigure& f, html::BarQuantity quantity) {
  if (!f.mean_j) return "unknown";
  const auto value = [&](double v) {
    return quantity == html::BarQuantity::kEnergy ? energy_text(v) : duration_text(v);
  };
  std::string text = fmt::format("{} mean over {} run(s)", value(*f.mean_j), f.runs);
  text += f.stddev_j ? fmt::format(", sd {}", value(*f.stddev_j)) : ", sd unknown (one run)";
  text += fmt::format(" ({}", f.method);
  if (quantity == html::BarQuantity::kEnergy) {
    text += fmt::format(", each +/- {}", value(f.mean_uncertainty_j));
  }
  return text + ")";
}

html::BarRow bar(const std::string& label, const RepeatedFigure& f, html::BarQuantity quantity) {
  const auto value = [&](double v) {
    return quantity == html::BarQuantity::kEnergy ? energy_text(v) : duration_text(v);
  };
  std::string short_text = f.mean_j ? value(*f.mean_j) : "unknown";
  if (f.mean_j && f.stddev_j) short_text += ", sd " + value(*f.stddev_j);
  return {label, {f.mean_j}, f.stddev_j, repeated_text(f, quantity), "", short_text};
}

std::vector<std::string> phase_names(const study::Comparison& comparison) {
  std::vector<std::string> names;
  for (const auto& c : comparison.configurations) {
    for (const auto& p : c.phases) {
      if (std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);
    }
  }
  return names;
}

// The phase of this name in a configuration; empty when it marked none.
const study::PhaseComparison* phase_of(const ConfigurationComparison& c, const std::string& name) {
  const auto it =
      std::find_if(c.phases.begin(), c.phases.end(), [&](const auto& p) { return p.name == name; });
  return it != c.phases.end() ? &*it : nullptr;
}

std::string charts_of(const study::Comparison& comparison, const std::string& name,
                      const std::string& anchor) {
  const bool run = name.empty();
  const std::string what = run ? std::string("the whole run") : "phase " + name;
  std::string out;
  for (const auto quantity : {html::BarQuantity::kEnergy, html::BarQuantity::kTime}) {
    const bool energy = quantity == html::BarQuantity::kEnergy;
    html::BarChart chart{fmt::format("{} of {}", energy ? "Energy" : "Time", what),
                         "One bar per configuration: the mean over its repetitions, the whisker "
                         "one standard deviation either side.",
                         quantity,
                         {energy ? "energy" : "time"},
                         {}};
    for (const auto& c : comparison.configurations) {
      const auto* p = run ? nullptr : phase_of(c, name);
      if (!run && p == nullptr) {
        chart.rows.push_back({c.label, {std::nullopt}, std::nullopt, "no such phase"});
        continue;
      }
      const RepeatedFigure& f =
          run ? (energy ? c.total : c.duration) : (energy ? p->energy : p->duration);
      chart.rows.push_back(bar(c.label, f, quantity));
    }
    out += html::bar_chart(chart, fmt::format("{}-{}", anchor, energy ? "energy" : "time"));
  }
  return out;
}

std::string configurations(const study::Comparison& comparison) {
  std::string out =
      "<table>\n<tr><th>configuration</th><th>file</th><th>hosts</th><th>runs compared</th>"
      "</tr>\n";
  for (const auto& c : comparison.configurations) {
    std::string hosts;
    for (const auto& h : c.hostnames) hosts += (hosts.empty() ? "" : ", ") + html::escape(h);
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n",
                       html::escape(c.label), html::escape(c.path), hosts, c.runs);
  }
  return out + "</table>\n";
}

}  // namespace

std::string html_study_page(const std::vector<study::LabelledResult>& results,
                            const study::Comparison& comparison) {
  std::string body = fmt::format("<h1>jouletrace study report: {} configurations</h1>\n",
                                 comparison.configurations.size());
  body += configurations(comparison);
  body +=
      "<h2>The study table</h2>\n<p class=\"note\">As <code>jouletrace compare</code> "
      "prints it.</p>\n<pre>" +
      html::escape_lines(compare_text(comparison)) + "</pre>\n";
  body += "<h2>The whole run</h2>\n" + charts_of(comparison, "", "run");
  const auto names = phase_names(comparison);
  for (std::size_t i = 0; i < names.size(); ++i) {
    body += fmt::format("<h2>Phase {}</h2>\n", html::escape(names[i]));
    body += charts_of(comparison, names[i], fmt::format("phase{}", i));
  }
  body += "<h2>Power over time, first complete run of each configuration</h2>\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    body += html::power_chart(html::first_complete_run(results[i].document),
                              "Power per component over time: " + results[i].label,
                              fmt::format("power{}", i));
  }
  return html::page("jouletrace study report", body);
}

}  // namespace jt
