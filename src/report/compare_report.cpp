// SPDX-License-Identifier: BSD-3-Clause
#include "report/compare_report.hpp"

#include <fmt/format.h>

#include <cmath>

#include "report/carbon_text.hpp"
#include "report/json_figures.hpp"
#include "report/text_format.hpp"

namespace jt {

namespace {

using nlohmann::json;
using study::ConfigurationComparison;
using study::PhaseComparison;
using study::RatioToReference;

// ---- JSON ----

// A figure over the runs, as the repeat report writes its statistics: `mean_<unit>`,
// `stddev_<unit>`, `mean_uncertainty_<unit>` (no suffix for a fraction).
json figure_json(const RepeatedFigure& f, const std::string& unit) {
  const std::string suffix = unit.empty() ? "" : "_" + unit;
  return {{"runs", f.runs},
          {"mean" + suffix, optional_number(f.mean_j)},
          {"stddev" + suffix, optional_number(f.stddev_j)},
          {"mean_uncertainty" + suffix, f.mean_j ? finite(f.mean_uncertainty_j) : json(nullptr)},
          {"method", f.method}};
}

json ratio_json(const std::optional<RatioToReference>& r) {
  if (!r) return nullptr;
  return {{"time_ratio", optional_number(r->time)},
          {"energy_ratio", optional_number(r->energy)},
          {"energy_ratio_uncertainty", optional_number(r->energy_uncertainty)},
          {"energy_ratio_method", to_string(r->energy_method)}};
}

json phase_json(const PhaseComparison& p) {
  return {{"name", p.name},
          {"items", optional_number(p.items)},
          {"duration", figure_json(p.duration, "s")},
          {"energy", figure_json(p.energy, "j")},
          {"energy_per_item", figure_json(p.energy_per_item, "j")},
          {"idle_gpu", figure_json(p.idle_gpu, "j")},
          {"co2e", figure_json(p.co2e, "g")},
          {"vs_reference", ratio_json(p.vs_reference)}};
}

json configuration_json(const ConfigurationComparison& c) {
  json components = json::array();
  for (const auto& component : c.components) {
    json entry = figure_json(component.energy, "j");
    entry["id"] = component.energy.name;
    entry["domain"] = component.domain;
    components.push_back(std::move(entry));
  }
  json phases = json::array();
  for (const auto& p : c.phases) phases.push_back(phase_json(p));
  return {{"label", c.label},
          {"file", c.path},
          {"file_schema", c.schema},
          {"hostnames", c.hostnames},
          {"command", c.command},
          {"runs", c.runs},
          {"runs_left_out", c.runs_left_out},
          {"duration", figure_json(c.duration, "s")},
          {"total", figure_json(c.total, "j")},
          {"components", std::move(components)},
          {"estimate", figure_json(c.estimate, "j")},
          {"estimate_relative_error", figure_json(c.estimate_relative_error, "")},
          {"estimates_partial", c.estimates_partial},
          {"estimates_missing", c.estimates_missing},
          {"gpus", c.gpus},
          {"idle_gpu", figure_json(c.idle_gpu, "j")},
          {"vs_reference", ratio_json(c.vs_reference)},
          {"phases", std::move(phases)},
          {"co2e", figure_json(c.co2e, "g")},
          {"cost", figure_json(c.cost, "")},
          {"currency", c.currency.empty() ? json(nullptr) : json(c.currency)}};
}

// ---- CSV ----

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string csv_number(const std::optional<double>& value) {
  return value && std::isfinite(*value) ? fmt::format("{}", *value) : std::string();
}

struct CsvRow {
  std::string figure;
  std::string unit;
  std::optional<std::size_t> runs;
  std::optional<double> mean;
  std::optional<double> stddev;
  std::optional<double> uncertainty;
  std::string method;
};

CsvRow csv_row(std::string figure, std::string unit, const RepeatedFigure& f) {
  std::optional<double> uncertainty;
  if (f.mean_j) uncertainty = f.mean_uncertainty_j;
  return {std::move(figure), std::move(unit), f.runs, f.mean_j, f.stddev_j, uncertainty, f.method};
}

void add_ratio_rows(std::vector<CsvRow>& rows, const std::optional<RatioToReference>& r) {
  if (!r) return;
  rows.push_back({"time_ratio", "1", std::nullopt, r->time, std::nullopt,
                  r->time ? std::optional<double>(0.0) : std::nullopt, r->time ? "clock" : "none"});
  rows.push_back({"energy_ratio", "1", std::nullopt, r->energy, std::nullopt, r->energy_uncertainty,
                  to_string(r->energy_method)});
}

std::vector<CsvRow> run_rows(const ConfigurationComparison& c) {
  std::vector<CsvRow> rows = {csv_row("runtime", "s", c.duration), csv_row("energy", "J", c.total)};
  for (const auto& component : c.components) {
    rows.push_back(csv_row("energy:" + component.energy.name, "J", component.energy));
  }
  rows.push_back(csv_row("estimate", "J", c.estimate));
  rows.push_back(csv_row("estimate_relative_error", "1", c.estimate_relative_error));
  rows.push_back(csv_row("idle_gpu_energy", "J", c.idle_gpu));
  rows.push_back(csv_row("co2e", "g", c.co2e));
  rows.push_back(csv_row("cost", c.currency.empty() ? "currency" : c.currency, c.cost));
  add_ratio_rows(rows, c.vs_reference);
  return rows;
}

std::vector<CsvRow> phase_rows(const PhaseComparison& p) {
  std::vector<CsvRow> rows = {csv_row("runtime", "s", p.duration),
                              csv_row("energy", "J", p.energy),
                              {"items", "items", std::nullopt, p.items, std::nullopt, std::nullopt,
                               p.items ? "count" : "none"},
                              csv_row("energy_per_item", "J/item", p.energy_per_item),
                              csv_row("idle_gpu_energy", "J", p.idle_gpu),
                              csv_row("co2e", "g", p.co2e)};
  add_ratio_rows(rows, p.vs_reference);
  return rows;
}

void write_csv_rows(std::string& out, const std::string& label, const std::string& phase,
                    const std::vector<CsvRow>& rows) {
  for (const CsvRow& r : rows) {
    out +=
        fmt::format("{},{},{},{},{},{},{},{},{}\n", csv_field(label), csv_field(phase),
                    csv_field(r.figure), r.unit, r.runs ? std::to_string(*r.runs) : "",
                    csv_number(r.mean), csv_number(r.stddev), csv_number(r.uncertainty), r.method);
  }
}

// ---- text ----

// Column widths of the table; with their separators a row is 99 columns.
constexpr std::size_t kName = 16;
constexpr std::size_t kMethod = 16;

std::string or_dash(const std::optional<double>& value, std::string (*text)(double)) {
  return value ? text(*value) : std::string("-");
}

std::string energy_cell(double joules) { return energy_text(joules); }
std::string time_cell(double seconds) { return duration_text(seconds); }

// Small energies per item keep four significant digits ("0.03127 J"), which the energy scale's
// three decimals would round away.
std::string per_item_cell(double joules) {
  return std::abs(joules) < 10.0 ? fmt::format("{:.4g} J", joules) : energy_text(joules);
}

std::string uncertainty_cell(const RepeatedFigure& f) {
  if (!f.mean_j) return "";
  return std::isfinite(f.mean_uncertainty_j) ? energy_text(f.mean_uncertainty_j) : "unknown";
}

// A row whose last cells are empty ends at its last text, not in trailing spaces.
std::string line_of(std::string row) {
  row.erase(row.find_last_not_of(' ') + 1);
  return row + "\n";
}

std::string table_row(const std::string& name, const RepeatedFigure* duration,
                      const RepeatedFigure& energy, const RepeatedFigure* per_item) {
  const std::string runtime = duration && duration->mean_j ? time_cell(*duration->mean_j)
                              : duration                   ? "unknown"
                                                           : "";
  const std::string runtime_sd = duration ? or_dash(duration->stddev_j, time_cell) : "";
  const std::string item =
      per_item && per_item->mean_j ? per_item_cell(*per_item->mean_j) : std::string();
  return line_of(fmt::format("  {:<{}} {:>9} {:>8} {:>10} {:>10} {:>10}  {:<{}} {:>10}",
                             fit(terminal_safe(name), kName), kName, runtime, runtime_sd,
                             energy.mean_j ? energy_cell(*energy.mean_j) : "unknown",
                             energy.mean_j ? or_dash(energy.stddev_j, energy_cell) : "",
                             uncertainty_cell(energy), energy.method, kMethod, item));
}

// The part of a component's id after its backend ("intel-rapl:0" of "powercap/intel-rapl:0").
std::string short_component(const std::string& id) {
  const auto slash = id.find('/');
  return "  " + (slash == std::string::npos ? id : id.substr(slash + 1));
}

std::string spread_text(const RepeatedFigure& f, std::string (*text)(double),
                        std::string (*spread)(double)) {
  if (!f.mean_j) return "unknown";
  return text(*f.mean_j) + " sd " + or_dash(f.stddev_j, spread);
}

std::string signed_percent(double fraction) { return fmt::format("{:+.1f} %", fraction * 100.0); }
std::string percent(double fraction) { return fmt::format("{:.1f} %", fraction * 100.0); }

void append_wrapped(std::string& out, const std::string& line, std::size_t indent) {
  for (const auto& part : wrap(line, 100, indent, 2)) out += part + "\n";
}

void estimate_lines(std::string& out, const ConfigurationComparison& c) {
  std::string line = "runtime-based estimate (model, rated power x runtime x PUE): " +
                     spread_text(c.estimate, energy_cell, energy_cell) + ", error vs measured " +
                     spread_text(c.estimate_relative_error, signed_percent, percent);
  if (c.estimates_partial + c.estimates_missing > 0) {
    line += fmt::format(" (left out: {} partial, {} without an estimate, of {} run{})",
                        c.estimates_partial, c.estimates_missing, c.runs, c.runs == 1 ? "" : "s");
  }
  append_wrapped(out, line, 2);
}

std::string co2e_cell(double grams) { return co2e_text(grams); }
std::string cost_cell(double amount) { return cost_text(amount); }

// CO2e and cost as the reports stated them, with the first run's method; nothing when no run
// stated either (no factor was configured).
void carbon_lines(std::string& out, const ConfigurationComparison& c) {
  if (c.co2e.runs > 0) {
    append_wrapped(out,
                   fmt::format("CO2e: {} +/- {} ({})", spread_text(c.co2e, co2e_cell, co2e_cell),
                               co2e_cell(c.co2e.mean_uncertainty_j), c.co2e.method),
                   2);
  }
  if (c.cost.runs > 0) {
    const std::string unit = c.currency.empty() ? "" : " " + c.currency;
    append_wrapped(
        out,
        fmt::format("cost{}: {} +/- {} ({})", unit, spread_text(c.cost, cost_cell, cost_cell),
                    cost_cell(c.cost.mean_uncertainty_j), c.cost.method),
        2);
  }
  std::string per_phase;
  for (const PhaseComparison& p : c.phases) {
    if (p.co2e.runs == 0) continue;
    per_phase += fmt::format("{}{} {} +/- {}", per_phase.empty() ? "" : ", ", terminal_safe(p.name),
                             spread_text(p.co2e, co2e_cell, co2e_cell),
                             co2e_cell(p.co2e.mean_uncertainty_j));
  }
  if (!per_phase.empty()) append_wrapped(out, "CO2e per phase: " + per_phase, 2);
}

std::string idle_text(const RepeatedFigure& f) {
  if (!f.mean_j) return "unknown";
  return fmt::format("{} sd {} +/- {} ({})", energy_cell(*f.mean_j),
                     or_dash(f.stddev_j, energy_cell), uncertainty_cell(f), f.method);
}

void idle_lines(std::string& out, const ConfigurationComparison& c) {
  if (c.gpus == 0) {
    out += "  idle GPUs: no GPU measured\n";
    return;
  }
  append_wrapped(
      out, fmt::format("idle GPUs over the run ({} GPUs): {}", c.gpus, idle_text(c.idle_gpu)), 2);
  for (const auto& p : c.phases) {
    append_wrapped(
        out,
        fmt::format("idle GPUs in {}: {}", fit(terminal_safe(p.name), 40), idle_text(p.idle_gpu)),
        2);
  }
}

std::string configuration_headline(const ConfigurationComparison& c) {
  std::vector<std::string> hosts;
  for (const auto& h : c.hostnames) hosts.push_back(terminal_safe(h));
  std::string line =
      fmt::format("{}: {}, {} run{} on {}", terminal_safe(c.label), terminal_safe(c.path), c.runs,
                  c.runs == 1 ? "" : "s",
                  hosts.empty() ? "an unnamed host" : fmt::format("{}", fmt::join(hosts, ", ")));
  if (c.runs_left_out > 0)
    line += fmt::format(" ({} left out: not started or unfinished)", c.runs_left_out);
  if (!c.command.empty()) {
    std::vector<std::string> words;
    for (const auto& w : c.command) words.push_back(terminal_safe(w));
    line += fmt::format(": {}", fmt::join(words, " "));
  }
  return line;
}

void configuration_text(std::string& out, const ConfigurationComparison& c) {
  append_wrapped(out, configuration_headline(c), 0);
  out += fmt::format("  {:<{}} {:>9} {:>8} {:>10} {:>10} {:>10}  {:<{}} {:>10}\n", "", kName,
                     "runtime", "sd", "energy", "sd", "+/-", "method", kMethod, "J/item");
  out += table_row("whole run", &c.duration, c.total, nullptr);
  for (const auto& component : c.components) {
    out += table_row(short_component(component.energy.name), nullptr, component.energy, nullptr);
  }
  for (const auto& p : c.phases) {
    out += table_row("phase " + p.name, &p.duration, p.energy, &p.energy_per_item);
  }
  carbon_lines(out, c);
  estimate_lines(out, c);
  idle_lines(out, c);
}

std::string ratio_cell(const std::optional<double>& value) {
  return value ? fmt::format("{:.4g}", *value) : std::string("unknown");
}

void ratio_row(std::string& out, const std::string& label, const std::string& phase,
               const std::optional<RatioToReference>& r) {
  if (!r) return;
  out += fmt::format("  {:<18} {:<18} {:>8} {:>8} {:>8}  {}\n", fit(terminal_safe(label), 18),
                     fit(terminal_safe(phase), 18), ratio_cell(r->time), ratio_cell(r->energy),
                     r->energy_uncertainty ? fmt::format("{:.2g}", *r->energy_uncertainty) : "",
                     to_string(r->energy_method));
}

void ratio_text(std::string& out, const study::Comparison& comparison) {
  out += fmt::format("\nagainst {} (mean over mean; energy +/- from both means' uncertainties):\n",
                     terminal_safe(*comparison.reference));
  out += fmt::format("  {:<18} {:<18} {:>8} {:>8} {:>8}  {}\n", "configuration", "phase", "time",
                     "energy", "+/-", "method");
  for (const auto& c : comparison.configurations) {
    ratio_row(out, c.label, "whole run", c.vs_reference);
    for (const auto& p : c.phases) ratio_row(out, c.label, p.name, p.vs_reference);
  }
}

}  // namespace

std::string compare_text(const study::Comparison& comparison) {
  std::string out = fmt::format(
      "jouletrace compare: {} configuration{}; mean and sample standard deviation (sd) over each "
      "one's runs\n",
      comparison.configurations.size(), comparison.configurations.size() == 1 ? "" : "s");
  for (const auto& c : comparison.configurations) {
    out += "\n";
    configuration_text(out, c);
  }
  if (comparison.reference) ratio_text(out, comparison);
  return out;
}

json compare_json(const study::Comparison& comparison) {
  json configurations = json::array();
  for (const auto& c : comparison.configurations) configurations.push_back(configuration_json(c));
  return {{"schema", kCompareSchema},
          {"version", kCompareSchemaVersion},
          {"jouletrace_version", JOULETRACE_VERSION},
          {"reference", comparison.reference ? json(*comparison.reference) : json(nullptr)},
          {"configurations", std::move(configurations)}};
}

std::string compare_csv(const study::Comparison& comparison) {
  std::string out = "configuration,phase,figure,unit,runs,mean,stddev,uncertainty,method\n";
  for (const auto& c : comparison.configurations) {
    write_csv_rows(out, c.label, "", run_rows(c));
    for (const auto& p : c.phases) write_csv_rows(out, c.label, p.name, phase_rows(p));
  }
  return out;
}

}  // namespace jt
