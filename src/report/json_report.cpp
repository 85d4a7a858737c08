#include <algorithm>
#include <cmath>

#include "report/run_report.hpp"

namespace jt {

namespace {

// Keeps JSON free of numbers no parser can read back (a division by a zero-length window).
double finite(double v) { return std::isfinite(v) ? v : 0.0; }

}  // namespace

std::vector<PhaseTotal> phase_totals(const std::vector<PhaseReport>& phases) {
  std::vector<PhaseTotal> totals;
  for (const auto& p : phases) {
    auto it = std::find_if(totals.begin(), totals.end(),
                           [&](const PhaseTotal& t) { return t.name == p.phase.name; });
    if (it == totals.end()) {
      totals.push_back(PhaseTotal{p.phase.name, 0, 0.0, 0.0, 0.0, 0});
      it = totals.end() - 1;
    }
    ++it->count;
    it->energy_j += p.energy.energy_j;
    it->uncertainty_j = std::hypot(it->uncertainty_j, p.energy.uncertainty_j);
    it->duration_s += static_cast<double>(p.phase.end_ns - p.phase.start_ns) * 1e-9;
    it->items += p.phase.items;
  }
  return totals;
}

nlohmann::json to_json(const RunReport& report) {
  using nlohmann::json;
  json components = json::array();
  for (const auto& c : report.window.components) {
    json item = {
        {"id", c.id},
        {"domain", to_string(c.domain)},
        {"index", c.index},
        {"device", c.device},
        {"energy_j", finite(c.energy_j)},
        {"method", to_string(c.method)},
        {"samples", c.samples},
        {"avg_power_w", finite(c.avg_power_w)},
        {"peak_power_w", finite(c.peak_power_w)},
        {"skipped_reads", c.skipped_reads},
        {"failed_reads", c.failed_reads},
        {"wraps", c.wraps},
        {"segments", c.segments},
        {"gap_s", finite(c.gap_s)},
        {"covered_s", finite(c.covered_s)},
        {"lost", c.lost},
        {"in_total", c.in_total},
        {"provenance", c.provenance},
    };
    item["lost_at_s"] = c.lost ? json(finite(c.lost_at_s)) : json(nullptr);
    item["contained_in"] = c.contained_in.empty() ? json(nullptr) : json(c.contained_in);
    if (!c.note.empty()) item["note"] = c.note;
    components.push_back(std::move(item));
  }
  json sensors = json::array();
  for (const auto& s : report.sensors) {
    json item = {{"backend", s.backend}, {"status", to_string(s.status)}, {"detail", s.detail}};
    if (!s.hint.empty()) item["hint"] = s.hint;
    sensors.push_back(std::move(item));
  }
  json out = {
      {"schema", "jouletrace.run/1"},
      {"jouletrace_version", JOULETRACE_VERSION},
      {"hostname", report.hostname},
      {"started_at", report.started_at},
      {"command", report.command},
      {"duration_s", finite(report.window.duration_s)},
      {"monotonic_start_ns", report.start_ns},
      {"exit_code", report.exit_code},
      {"signal", report.signal ? json(*report.signal) : json(nullptr)},
      {"interval_s", report.interval_s},
      {"requested_interval_s", report.requested_interval_s},
      {"sampling_rounds", report.rounds},
      {"late_rounds", report.late_rounds},
      {"jouletrace_cpu_s", report.self_cpu_s},
      {"total_energy_j", finite(report.window.total_energy_j)},
      {"total_method", report.window.total_method},
      {"total_cover", report.window.total_cover},
      {"components", std::move(components)},
      {"sensors", std::move(sensors)},
      {"warnings", report.window.warnings},
  };
  if (!report.interval_note.empty()) out["interval_note"] = report.interval_note;
  if (!report.launch_error.empty()) out["launch_error"] = report.launch_error;
  json phases = json::array();
  for (const auto& p : report.phases) {
    json parts = json::array();
    for (const auto& c : p.energy.components) {
      parts.push_back({{"id", c.id},
                       {"domain", to_string(c.domain)},
                       {"method", to_string(c.method)},
                       {"energy_j", finite(c.energy_j)},
                       {"uncertainty_j", finite(c.uncertainty_j)},
                       {"in_total", c.in_total}});
    }
    const double duration_s = static_cast<double>(p.phase.end_ns - p.phase.start_ns) * 1e-9;
    phases.push_back({
        {"name", p.phase.name},
        {"start_s", static_cast<double>(p.phase.start_ns - report.start_ns) * 1e-9},
        {"end_s", static_cast<double>(p.phase.end_ns - report.start_ns) * 1e-9},
        {"duration_s", duration_s},
        {"energy_j", finite(p.energy.energy_j)},
        {"uncertainty_j", finite(p.energy.uncertainty_j)},
        {"method", p.energy.method},
        {"items", p.phase.items},
        {"energy_per_item_j",
         p.phase.items > 0 ? json(finite(p.energy.energy_j / static_cast<double>(p.phase.items)))
                           : json(nullptr)},
        {"short_window", p.energy.short_window},
        {"closed_at_end", p.phase.closed_at_end},
        {"pid", p.phase.pid},
        {"components", std::move(parts)},
        {"warnings", p.energy.warnings},
    });
  }
  out["phases"] = std::move(phases);
  json totals = json::array();
  for (const auto& t : phase_totals(report.phases)) {
    totals.push_back({{"name", t.name},
                      {"count", t.count},
                      {"energy_j", finite(t.energy_j)},
                      {"uncertainty_j", finite(t.uncertainty_j)},
                      {"duration_s", finite(t.duration_s)},
                      {"items", t.items},
                      {"energy_per_item_j",
                       t.items > 0 ? json(finite(t.energy_j / static_cast<double>(t.items)))
                                   : json(nullptr)}});
  }
  out["phase_totals"] = std::move(totals);
  out["markers"] = {{"malformed", report.malformed_markers},
                    {"unmatched", report.unmatched_markers}};
  if (report.window.cpu_model) {
    out["cpu_model"] = {{"cpu_time_s", report.window.cpu_model->cpu_time_s},
                        {"watts_per_busy_core", report.window.cpu_model->watts_per_busy_core},
                        {"assumption", report.window.cpu_model->assumption}};
  }
  return out;
}

}  // namespace jt
