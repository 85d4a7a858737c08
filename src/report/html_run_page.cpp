// SPDX-License-Identifier: BSD-3-Clause
// The run page of `jouletrace report --html`: one configuration's first complete run.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "report/carbon_text.hpp"
#include "report/compare_report.hpp"
#include "report/html_parts.hpp"
#include "report/html_report.hpp"
#include "report/text_format.hpp"

namespace jt {

namespace {

using study::StatedRun;

std::string row(std::string_view name, const std::string& value) {
  return fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", name, value);
}

std::string overview(const study::LabelledResult& result, const StatedRun& run) {
  std::string out = "<table>\n";
  out += row("file", html::escape(result.path));
  out += row("host", html::escape(run.hostname));
  out += row("started at", html::escape(run.started_at));
  out += row("command",
             "<code>" + html::escape(fmt::format("{}", fmt::join(run.command, " "))) + "</code>");
  out += row("runs in the file", std::to_string(result.document.runs.size()));
  out += row("duration", run.duration_s ? duration_text(*run.duration_s) + " (clock)" : "unknown");
  out += row("energy, whole node", html::escape(html::figure_text(run.total)));
  return out + "</table>\n";
}

std::string component_chart(const StatedRun& run) {
  html::BarChart chart{"Energy per component over the run",
                       "One bar per component the run measured; unknown ones are written "
                       "unknown, without a bar. Components inside others overlap them.",
                       html::BarQuantity::kEnergy,
                       {"energy"},
                       {}};
  std::vector<std::string> domains;
  for (const auto& c : run.components) domains.push_back(c.domain);
  const auto labels = html::short_labels(domains);
  for (std::size_t i = 0; i < run.components.size(); ++i) {
    const auto& c = run.components[i];
    chart.rows.push_back(
        {labels[i], {c.energy.energy_j}, std::nullopt, html::figure_text(c.energy), c.id});
  }
  return html::bar_chart(chart, "components");
}

// The parts a phase was cut from, in the order they first appear, as the chart's segments.
std::vector<std::string> phase_parts(const StatedRun& run) {
  std::vector<std::string> ids;
  for (const auto& p : run.phase_instances) {
    for (const auto& c : p.parts) {
      if (std::find(ids.begin(), ids.end(), c.id) == ids.end()) ids.push_back(c.id);
    }
  }
  return ids;
}

// A part keeps the colour the power chart gives it; one the profile lacks gets the next free.
std::vector<std::size_t> profile_colours(const StatedRun& run,
                                         const std::vector<std::string>& ids) {
  std::vector<std::size_t> colours;
  const std::size_t drawn = run.power_profile ? run.power_profile->series.size() : 0;
  std::size_t next = drawn;
  for (const auto& id : ids) {
    std::size_t index = next;
    for (std::size_t s = 0; s < drawn; ++s) {
      if (run.power_profile->series[s].id == id) index = s;
    }
    if (index == next) ++next;
    colours.push_back(index);
  }
  return colours;
}

std::string phase_chart(const StatedRun& run) {
  if (run.phase_instances.empty()) return "<p>No phase was marked in this run.</p>\n";
  html::BarChart chart{"Energy per phase and component",
                       "One bar per marked phase, stacked by the components it was cut from "
                       "(the parts that add up to the node without overlap).",
                       html::BarQuantity::kEnergy,
                       phase_parts(run),
                       {}};
  chart.colours = profile_colours(run, chart.series);
  for (const auto& p : run.phase_instances) {
    html::BarRow bar{fmt::format("{} @{:.1f} s", p.name, p.start_s),
                     {},
                     std::nullopt,
                     html::figure_text(p.energy)};
    for (const auto& id : chart.series) {
      const auto part =
          std::find_if(p.parts.begin(), p.parts.end(), [&](const auto& c) { return c.id == id; });
      bar.segments.push_back(part != p.parts.end() ? part->energy.energy_j : std::nullopt);
    }
    chart.rows.push_back(std::move(bar));
  }
  return html::bar_chart(chart, "phases");
}

std::string estimate_text(const study::StatedEstimate& e) {
  if (!e.made) return "unknown: " + e.error;
  std::string text = fmt::format("{} (model: rated power x runtime x PUE{})",
                                 energy_text(e.estimate_j), e.complete ? "" : ", incomplete");
  if (e.relative_error) {
    text += fmt::format("; relative error (estimate - measured) / measured = {:+.1f} %",
                        100.0 * *e.relative_error);
  } else {
    text += "; relative error unknown";
  }
  return text;
}

std::string estimate_chart(const StatedRun& run) {
  html::BarChart chart{"Measured energy against the runtime-based estimate",
                       "The measured energy of the run and the common estimate from rated power "
                       "and runtime, with the estimate's relative error.",
                       html::BarQuantity::kEnergy,
                       {"energy"},
                       {}};
  chart.rows.push_back(
      {"measured", {run.total.energy_j}, std::nullopt, html::figure_text(run.total)});
  const auto& e = run.estimate;
  std::string short_text = e.made ? energy_text(e.estimate_j) + " (model)" : "unknown";
  if (e.made) {
    short_text += e.relative_error ? fmt::format(", {:+.1f} %", 100.0 * *e.relative_error)
                                   : ", error unknown";
  }
  chart.rows.push_back({"estimated",
                        {e.made ? e.estimate_j : std::nullopt},
                        std::nullopt,
                        estimate_text(e),
                        "",
                        short_text});
  return html::bar_chart(chart, "estimate");
}

std::string idle_waste(const StatedRun& run) {
  std::string out = "<h2>Idle accelerators</h2>\n";
  if (run.gpus == 0 || !run.idle_gpu) return out + "<p>No GPU was measured in this run.</p>\n";
  out += fmt::format(
      "<p>{} GPU(s) measured. Energy of the GPUs that did no work (their idle power "
      "included):</p>\n<table>\n<tr><th>window</th><th>idle GPUs' energy</th></tr>\n",
      run.gpus);
  out += fmt::format("<tr><td>whole run</td><td>{}</td></tr>\n",
                     html::escape(html::figure_text(*run.idle_gpu)));
  for (const auto& p : run.phases) {
    if (!p.idle_gpu) continue;
    out += fmt::format("<tr><td>phase {}</td><td>{}</td></tr>\n", html::escape(p.name),
                       html::escape(html::figure_text(*p.idle_gpu)));
  }
  return out + "</table>\n";
}

std::string carbon(const StatedRun& run) {
  std::string out = "<h2>CO2e and cost</h2>\n";
  if (!run.carbon) return out + "<p>Unknown: this report states no CO2e or cost.</p>\n";
  const auto& c = *run.carbon;
  const std::string co2e =
      c.co2e_g ? fmt::format("{} +/- {}", co2e_text(*c.co2e_g), co2e_text(c.co2e_uncertainty_g))
               : "unknown";
  const std::string cost = c.cost ? fmt::format("{} +/- {} {}", cost_text(*c.cost),
                                                cost_text(c.cost_uncertainty), c.currency)
                                  : "unknown";
  out += "<table>\n<tr><th></th><th>figure</th><th>method</th></tr>\n";
  out += fmt::format("<tr><td>CO2e</td><td>{}</td><td>{}</td></tr>\n", html::escape(co2e),
                     html::escape(c.co2e_method));
  out += fmt::format("<tr><td>cost</td><td>{}</td><td>{}</td></tr>\n", html::escape(cost),
                     html::escape(c.cost_method));
  return out + "</table>\n";
}

std::string repetitions(const study::LabelledResult& result, const study::Comparison& comparison) {
  if (result.document.runs.size() < 2) return "";
  return "<h2>Over the runs</h2>\n<p>The file holds several runs; this page draws the first "
         "complete one. The table is <code>jouletrace compare</code>'s over all of them.</p>\n"
         "<pre>" +
         html::escape_lines(compare_text(comparison)) + "</pre>\n";
}

}  // namespace

std::string html_run_page(const study::LabelledResult& result,
                          const study::Comparison& comparison) {
  const StatedRun& run = html::first_complete_run(result.document);
  std::string body = fmt::format("<h1>jouletrace report: {}</h1>\n", html::escape(result.label));
  body += overview(result, run);
  body += "<h2>Power over time</h2>\n";
  body += html::power_chart(run, "Power per component over time", "power");
  body += "<h2>Energy</h2>\n" + component_chart(run) + phase_chart(run);
  body += "<h2>Measured and estimated</h2>\n" + estimate_chart(run);
  body += idle_waste(run) + carbon(run) + repetitions(result, comparison);
  return html::page("jouletrace report: " + result.label, body);
}

}  // namespace jt
