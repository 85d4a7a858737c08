#include <fmt/format.h>

#include <algorithm>

#include "report/attribution_text.hpp"
#include "report/estimate_text.hpp"
#include "report/run_report.hpp"

namespace jt {

namespace {

std::string quote_command(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& arg : command) {
    if (!out.empty()) out += ' ';
    const bool plain = !arg.empty() && arg.find_first_of(" \t'\"$\\") == std::string::npos;
    out += plain ? arg : "'" + arg + "'";
  }
  return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string energy_text(double joules) {
  if (joules >= 1e6) return fmt::format("{:.3f} MJ", joules * 1e-6);
  if (joules >= 1e4) return fmt::format("{:.2f} kJ", joules * 1e-3);
  return fmt::format("{:.3f} J", joules);
}

}  // namespace

std::string format_summary(const RunReport& report) {
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  const std::string command = quote_command(report.command);
  if (!report.launch_error.empty()) {
    line(fmt::format("jouletrace: could not start '{}': {}", command, report.launch_error));
  } else if (report.signal) {
    line(fmt::format("jouletrace: '{}' was killed by signal {} after {:.3f} s", command,
                     *report.signal, report.window.duration_s));
  } else {
    line(fmt::format("jouletrace: '{}' exited with code {} after {:.3f} s", command,
                     report.exit_code, report.window.duration_s));
  }

  std::size_t id_width = 9;
  std::size_t device_width = 6;
  for (const auto& c : report.window.components) {
    id_width = std::max(id_width, c.id.size());
    device_width = std::min<std::size_t>(std::max(device_width, c.device.size()), 32);
  }
  line(fmt::format("  {:<{}}  {:<7}  {:<{}}  {:>12}  {:>9}  {:>9}  {:>9}  {:<16}  {}", "component",
                   id_width, "domain", "device", device_width, "energy [J]", "+/- [J]", "avg [W]",
                   "peak [W]", "method", "in total"));
  for (const auto& c : report.window.components) {
    std::string device = c.device.substr(0, device_width);
    std::string total =
        c.in_total ? "yes" : (c.contained_in.empty() ? "no" : "in " + c.contained_in);
    std::string energy = c.samples < 2 && c.method != Method::kModel
                             ? std::string("unknown")
                             : fmt::format("{:.3f}", c.energy_j);
    const bool known = c.samples >= 2 || c.method == Method::kModel;
    std::string plus_minus = known ? fmt::format("{:.3f}", c.uncertainty.total_j) : "-";
    line(fmt::format("  {:<{}}  {:<7}  {:<{}}  {:>12}  {:>9}  {:>9.2f}  {:>9.2f}  {:<16}  {}", c.id,
                     id_width, to_string(c.domain), device, device_width, energy, plus_minus,
                     c.avg_power_w, c.peak_power_w, to_string(c.method), total));
  }
  for (const auto& c : report.window.components) {
    if (!c.idle_power_w) continue;
    line(fmt::format("  {}: idle {} (baseline {:.2f} W) + dynamic {}", c.id,
                     energy_text(c.idle_energy_j), *c.idle_power_w,
                     energy_text(c.dynamic_energy_j)));
  }
  if (report.window.total_cover.empty()) {
    line("  total: none (nothing could be measured or estimated)");
  } else {
    std::string cover;
    for (const auto& id : report.window.total_cover) cover += (cover.empty() ? "" : " + ") + id;
    line(fmt::format("  total: {} +/- {} ({}; {})", energy_text(report.window.total_energy_j),
                     energy_text(report.window.total_uncertainty_j), report.window.total_method,
                     cover));
  }
  if (const auto& cov = report.window.coverage) {
    std::string parts;
    for (const auto& id : cov->parts) parts += (parts.empty() ? "" : " + ") + id;
    line(fmt::format("  coverage: the measured parts ({}) are {:.1f} % of the node meter {}", parts,
                     100.0 * cov->coverage, cov->node_meter_id));
    line(
        fmt::format("  rest of node: {} +/- {} (fans, PSU losses, NICs, disks, anything "
                    "without a sensor; node meter {} minus parts {})",
                    energy_text(cov->rest_energy_j), energy_text(cov->rest_uncertainty_j),
                    cov->node_method.empty() ? "?" : cov->node_method,
                    cov->parts_method.empty() ? "?" : cov->parts_method));
  }
  if (report.runtime_estimate) {
    std::string estimate = format_runtime_estimate(*report.runtime_estimate);
    if (!estimate.empty() && estimate.back() == '\n') estimate.pop_back();
    line("  " + replace_all(estimate, "\n", "\n  "));
  } else if (!report.runtime_estimate_error.empty()) {
    line("  runtime-based estimate: none (" + report.runtime_estimate_error + ")");
  }
  if (report.attribution && report.attribution->mode == AttributionMode::kShared) {
    std::string attribution = format_attribution(*report.attribution);
    if (!attribution.empty() && attribution.back() == '\n') attribution.pop_back();
    line("  " + replace_all(attribution, "\n", "\n  "));
  } else if (report.attribution) {
    for (const auto& w : report.attribution->warnings) line("  attribution: " + w);
  } else if (!report.attribution_error.empty()) {
    line("  attribution: none (" + report.attribution_error + ")");
  }
  for (const auto& w : report.idle_waste) {
    for (const auto& text : w.summary) {
      line(fmt::format("  idle{}: {}", w.window == "run" ? "" : " in phase " + w.window, text));
    }
  }
  constexpr std::size_t kMaxPhaseRows = 20;
  if (!report.phases.empty() && report.phases.size() <= kMaxPhaseRows) {
    std::size_t name_width = 5;
    for (const auto& p : report.phases) name_width = std::max(name_width, p.phase.name.size());
    name_width = std::min<std::size_t>(name_width, 32);
    line(fmt::format("  {:<{}}  {:>9}  {:>9}  {:>12}  {:>10}  {:>10}  {:>14}  {}", "phase",
                     name_width, "start [s]", "end [s]", "energy [J]", "+/- [J]", "items",
                     "J per item", "method"));
    for (const auto& p : report.phases) {
      const double start = static_cast<double>(p.phase.start_ns - report.start_ns) * 1e-9;
      const double end = static_cast<double>(p.phase.end_ns - report.start_ns) * 1e-9;
      const std::string per_item =
          p.phase.items > 0
              ? fmt::format("{:.6g}", p.energy.energy_j / static_cast<double>(p.phase.items))
              : std::string("-");
      std::string flags;
      if (p.energy.short_window) flags += " (short: see warnings)";
      if (p.phase.closed_at_end) flags += " (still open at the end)";
      line(fmt::format("  {:<{}}  {:>9.3f}  {:>9.3f}  {:>12.3f}  {:>10.3f}  {:>10}  {:>14}  {}{}",
                       p.phase.name.substr(0, name_width), name_width, start, end,
                       p.energy.energy_j, p.energy.uncertainty_j, p.phase.items, per_item,
                       p.energy.method, flags));
    }
  } else if (!report.phases.empty()) {
    // Thousands of per-step phases do not make a table; their sums per name do.
    const auto totals = phase_totals(report.phases);
    line(fmt::format("  {} phases; per name:", report.phases.size()));
    line(fmt::format("  {:<24}  {:>8}  {:>14}  {:>12}  {:>14}", "phase", "count", "energy [J]",
                     "items", "J per item"));
    for (const auto& t : totals) {
      line(fmt::format("  {:<24}  {:>8}  {:>14.3f}  {:>12}  {:>14}", t.name.substr(0, 24), t.count,
                       t.energy_j, t.items,
                       t.items > 0
                           ? fmt::format("{:.6g}", t.energy_j / static_cast<double>(t.items))
                           : std::string("-")));
    }
  }
  if (report.malformed_markers > 0 || report.unmatched_markers > 0) {
    line(fmt::format("  markers: {} malformed and {} unmatched record(s) ignored",
                     report.malformed_markers, report.unmatched_markers));
  }
  std::size_t phase_warnings = 0;
  for (const auto& p : report.phases) {
    for (const auto& w : p.energy.warnings) {
      if (++phase_warnings <= kMaxPhaseRows) {
        line(fmt::format("  warning: phase {}: {}", p.phase.name, w));
      }
    }
  }
  if (phase_warnings > kMaxPhaseRows) {
    line(fmt::format("  ({} more phase warnings in the JSON report)",
                     phase_warnings - kMaxPhaseRows));
  }
  if (report.window.cpu_model) {
    line(fmt::format(
        "  model: CPU energy estimated as {:.3f} s CPU time x {:g} W per busy core ({})",
        report.window.cpu_model->cpu_time_s, report.window.cpu_model->watts_per_busy_core,
        report.window.cpu_model->assumption));
  }
  for (const auto& s : report.sensors) {
    if (s.status == ProbeReport::Status::kPresent) continue;
    line(fmt::format("  {}: {}: {}", s.backend, to_string(s.status), s.detail));
    if (!s.hint.empty()) line(fmt::format("    fix: {}", s.hint));
  }
  if (!report.interval_note.empty()) line("  note: " + report.interval_note);
  if (report.late_rounds > 0) {
    line(fmt::format("  note: {} of {} sampling rounds started late (busy machine)",
                     report.late_rounds, report.rounds));
  }
  for (const auto& w : report.window.warnings) line("  warning: " + w);
  return out;
}

}  // namespace jt
