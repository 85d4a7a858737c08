#include <algorithm>
#include <cmath>

#include "report/attribution_text.hpp"
#include "report/estimate_text.hpp"
#include "report/run_report.hpp"

namespace jt {

namespace {

// Keeps JSON free of numbers no parser can read back (a division by a zero-length window): such
// a number is unknown, written as null, never as a zero that looks measured.
nlohmann::json finite(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::json(finite(*v)) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const UncertaintyBudget& u) {
  return {{"quantisation_j", finite(u.quantisation_j)},
          {"update_period_j", finite(u.update_period_j)},
          {"timing_j", finite(u.timing_j)},
          {"calibration_j",
           u.calibration_known ? nlohmann::json(finite(u.calibration_j)) : nlohmann::json(nullptr)},
          {"total_j", finite(u.total_j)}};
}

nlohmann::json to_json(const IdleWaste& w) {
  using nlohmann::json;
  json idle = json::array();
  for (const auto& d : w.idle_gpus) {
    idle.push_back({{"id", d.id},
                    {"device", d.device},
                    {"energy_j", finite(d.energy_j)},
                    {"uncertainty_j", finite(d.uncertainty_j)},
                    {"max_activity_pct", finite(d.max_activity_pct)},
                    {"method", to_string(d.method)}});
  }
  return {{"window", w.window},
          {"threshold_pct", w.threshold_pct},
          {"gpus", w.gpus},
          {"gpus_used", w.gpus_used},
          {"gpus_without_utilisation", w.gpus_unknown},
          {"idle_gpus", std::move(idle)},
          {"idle_gpu_energy_j", finite(w.idle_gpu_energy_j)},
          {"idle_gpu_uncertainty_j", finite(w.idle_gpu_uncertainty_j)},
          {"window_energy_j", finite(w.window_energy_j)},
          {"idle_gpu_share", finite(w.idle_gpu_share)},
          {"cpu_busy_fraction", optional_number(w.cpu_busy_fraction)},
          {"cpu_cores", w.cpu_cores},
          {"cpu_energy_j", finite(w.cpu_energy_j)},
          {"cpu_share", finite(w.cpu_share)},
          {"cpu_idle_while_gpus_worked", w.cpu_idle_while_gpus_worked},
          {"summary", w.summary}};
}

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
    item["last_read_error"] = c.last_read_error.empty() ? json(nullptr) : json(c.last_read_error);
    item["uncertainty_j"] = finite(c.uncertainty.total_j);
    item["uncertainty"] = to_json(c.uncertainty);
    item["idle_power_w"] = optional_number(c.idle_power_w);
    item["idle_energy_j"] = c.idle_power_w ? json(finite(c.idle_energy_j)) : json(nullptr);
    item["dynamic_energy_j"] = c.idle_power_w ? json(finite(c.dynamic_energy_j)) : json(nullptr);
    item["activity_mean_pct"] = optional_number(c.activity_mean_pct);
    item["activity_max_pct"] = optional_number(c.activity_max_pct);
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
      {"total_uncertainty_j", finite(report.window.total_uncertainty_j)},
      {"total_method", report.window.total_method},
      {"total_cover", report.window.total_cover},
      {"components", std::move(components)},
      {"sensors", std::move(sensors)},
      {"warnings", report.window.warnings},
  };
  if (!report.interval_note.empty()) out["interval_note"] = report.interval_note;
  out["slow_meters"] = report.slow_meters;
  if (const auto& cov = report.window.coverage) {
    out["coverage"] = {{"node_meter", cov->node_meter_id},
                       {"node_energy_j", finite(cov->node_energy_j)},
                       {"parts_energy_j", finite(cov->parts_energy_j)},
                       {"parts", cov->parts},
                       {"coverage", finite(cov->coverage)},
                       {"rest_energy_j", finite(cov->rest_energy_j)},
                       {"rest_uncertainty_j", finite(cov->rest_uncertainty_j)},
                       {"node_method", cov->node_method},
                       {"parts_method", cov->parts_method},
                       {"rest_method", "node meter minus parts"}};
  } else {
    out["coverage"] = nullptr;
  }
  json waste = json::array();
  for (const auto& w : report.idle_waste) waste.push_back(to_json(w));
  out["idle_waste"] = std::move(waste);
  out["node"] = report.node ? to_json(*report.node) : json(nullptr);
  if (!report.profile_source.empty()) out["profile_source"] = report.profile_source;
  if (report.runtime_estimate) {
    out["runtime_estimate"] = to_json(*report.runtime_estimate);
  } else {
    out["runtime_estimate"] = {{"error", report.runtime_estimate_error}};
  }
  if (report.attribution) {
    out["attribution"] = to_json(*report.attribution);
  } else {
    out["attribution"] = {{"error", report.attribution_error}};
  }
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
                       {"in_total", c.in_total},
                       {"activity_mean_pct", optional_number(c.activity_mean_pct)},
                       {"activity_max_pct", optional_number(c.activity_max_pct)}});
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
    totals.push_back(
        {{"name", t.name},
         {"count", t.count},
         {"energy_j", finite(t.energy_j)},
         {"uncertainty_j", finite(t.uncertainty_j)},
         {"duration_s", finite(t.duration_s)},
         {"items", t.items},
         {"energy_per_item_j",
          t.items > 0 ? json(finite(t.energy_j / static_cast<double>(t.items))) : json(nullptr)}});
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
