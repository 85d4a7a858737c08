// SPDX-License-Identifier: BSD-3-Clause
#include <algorithm>
#include <cmath>

#include "report/attribution_text.hpp"
#include "report/carbon_text.hpp"
#include "report/estimate_text.hpp"
#include "report/idle_waste_text.hpp"
#include "report/json_figures.hpp"
#include "report/run_report.hpp"
#include "report/warning_text.hpp"

namespace jt {

namespace {

nlohmann::json to_json(const IdleWaste& w) {
  using nlohmann::json;
  json idle = json::array();
  for (const auto& d : w.idle_gpus) {
    json gpu = {
        {"id", d.id}, {"device", d.device}, {"max_activity_pct", finite(d.max_activity_pct)}};
    put(gpu, "", d.energy);
    idle.push_back(std::move(gpu));
  }
  json out = {{"window", w.window},
              {"threshold_pct", w.threshold_pct},
              {"gpus", w.gpus},
              {"gpus_used", w.gpus_used},
              {"gpus_without_utilisation", w.gpus_unknown},
              {"idle_gpus", std::move(idle)},
              {"idle_gpu_share", optional_number(w.idle_gpu_share)},
              {"cpu_busy_fraction", optional_number(w.cpu_busy_fraction)},
              {"cpu_cores", w.cpu_cores},
              {"cpu_share", optional_number(w.cpu_share)},
              {"cpu_idle_while_gpus_worked", w.cpu_idle_while_gpus_worked},
              {"summary", idle_waste_summary(w)}};
  put(out, "idle_gpu_", w.idle_gpu_energy);
  put(out, "window_", w.window_energy);
  put(out, "cpu_", w.cpu_energy);
  return out;
}

// Unknown buckets (a gap, outside the channel's readings) are null, never 0.
nlohmann::json optional_numbers(const std::vector<std::optional<double>>& values) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : values) out.push_back(optional_number(v));
  return out;
}

nlohmann::json to_json(const PowerProfile& profile) {
  using nlohmann::json;
  if (profile.buckets == 0) return nullptr;
  json series = json::array();
  for (const auto& s : profile.series) {
    series.push_back({{"id", s.id},
                      {"domain", to_string(s.domain)},
                      {"method", to_string(s.method)},
                      {"stacked", s.stacked},
                      {"contains_others", s.contains_others},
                      {"power_w", optional_numbers(s.power_w)},
                      {"uncertainty_w", optional_numbers(s.uncertainty_w)}});
  }
  return {{"buckets", profile.buckets},
          {"bucket_s", finite(profile.bucket_s)},
          {"method", "mean power of each bucket: the channel's energy over it / its length"},
          {"series", std::move(series)}};
}

}  // namespace

nlohmann::json to_json(const DeviceIdentity& identity) {
  using nlohmann::json;
  const auto text_or_null = [](const std::string& text) {
    return text.empty() ? json(nullptr) : json(text);
  };
  return {{"vendor", to_string(identity.vendor)},
          {"kind", to_string(identity.kind)},
          {"index", identity.index},
          {"uuid", text_or_null(identity.uuid)},
          {"bus_id", text_or_null(identity.bus_id)},
          {"rated_power_w", optional_number(identity.rated_power_w)},
          {"rated_power_source",
           identity.rated_power_w ? text_or_null(identity.rated_power_source) : json(nullptr)}};
}

nlohmann::json to_json(const RunReport& report) {
  using nlohmann::json;
  json components = json::array();
  for (const auto& c : report.window.components) {
    json item = {
        {"id", c.id},
        {"domain", to_string(c.domain)},
        {"index", c.identity.index},
        {"device", c.device},
        {"identity", to_json(c.identity)},
        {"samples", c.measured.samples},
        {"avg_power_w", c.measured.energy_j ? finite(c.avg_power_w) : nullptr},
        {"peak_power_w", c.measured.energy_j ? finite(c.peak_power_w) : nullptr},
        {"skipped_reads", c.skipped_reads},
        {"failed_reads", c.failed_reads},
        {"wraps", c.wraps},
        {"segments", c.segments},
        {"gap_s", finite(c.gap_s)},
        {"covered_s", finite(c.measured.covered_s)},
        {"extrapolated_s", finite(c.extrapolated_start_s + c.extrapolated_end_s)},
        {"lost", c.lost},
        {"in_total", c.in_total},
        {"provenance", c.measured.provenance},
    };
    put(item, "", c.measured);
    item["lost_at_s"] = c.lost ? json(finite(c.lost_at_s)) : json(nullptr);
    item["last_read_error"] = c.last_read_error.empty() ? json(nullptr) : json(c.last_read_error);
    item["uncertainty"] = c.measured.energy_j ? to_json(c.measured.uncertainty) : nullptr;
    item["idle_power_w"] = optional_number(c.idle_power_w);
    put_named(item, "idle_energy", c.idle);
    put_named(item, "dynamic_energy", c.dynamic);
    item["activity_mean_pct"] = optional_number(c.activity_mean_pct);
    item["activity_max_pct"] = optional_number(c.activity_max_pct);
    item["contained_in"] = c.contained_in.empty() ? json(nullptr) : json(c.contained_in);
    item["set_aside"] = c.set_aside.empty() ? json(nullptr) : json(c.set_aside);
    if (!c.note.empty()) item["note"] = c.note;
    components.push_back(std::move(item));
  }
  json sensors = json::array();
  for (const auto& s : report.sensors) {
    json item = {{"backend", s.backend}, {"status", to_string(s.status)}, {"detail", s.detail}};
    if (!s.hint.empty()) item["hint"] = s.hint;
    sensors.push_back(std::move(item));
  }
  json left_running = json::array();
  for (const auto& p : report.left_running) {
    left_running.push_back({{"pid", p.pid}, {"name", p.name}});
  }
  json out = {
      {"schema", kRunSchema},
      {"version", kRunSchemaVersion},
      {"jouletrace_version", JOULETRACE_VERSION},
      {"complete", report.complete},
      {"hostname", report.hostname},
      {"started_at", report.started_at},
      {"command", report.command},
      {"started", report.started},
      {"duration_s", finite(report.window.duration_s)},
      {"monotonic_start_ns", report.start_ns},
      {"exit_code", report.complete ? json(report.exit_code) : json(nullptr)},
      {"signal", report.signal ? json(*report.signal) : json(nullptr)},
      {"killed_after_interrupts", report.killed_after_interrupts},
      {"left_running", std::move(left_running)},
      {"waited_for_others_s", finite(report.waited_for_others_s)},
      {"interval_s", report.interval_s},
      {"requested_interval_s", report.requested_interval_s},
      {"sampling_rounds", report.rounds},
      {"late_rounds", report.late_rounds},
      {"jouletrace_cpu_s", report.self_cpu_s},
      {"total_cover", report.window.total_cover},
      {"components", std::move(components)},
      {"sensors", std::move(sensors)},
  };
  put_warnings(out, report.window.warnings);
  put(out, "total_", report.window.total);
  if (!report.interval_note.empty()) out["interval_note"] = report.interval_note;
  out["slow_meters"] = report.slow_meters;
  if (const auto& cov = report.window.coverage) {
    json coverage = {{"node_meter", cov->node_meter_id},
                     {"parts", cov->part_ids},
                     {"coverage", optional_number(cov->coverage)}};
    put(coverage, "node_", cov->node);
    put(coverage, "parts_", cov->parts);
    put(coverage, "rest_", cov->rest);
    out["coverage"] = std::move(coverage);
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
  out["carbon"] = to_json(report.carbon_factors, report.carbon);
  if (report.attribution) {
    out["attribution"] = to_json(*report.attribution);
  } else {
    out["attribution"] = {{"error", report.attribution_error}};
  }
  out["launch_error"] = report.launch_error.empty() ? json(nullptr) : json(report.launch_error);
  json phases = json::array();
  for (const auto& p : report.phases) {
    json parts = json::array();
    for (const auto& c : p.energy.components) {
      json part = {{"id", c.id},
                   {"domain", to_string(c.domain)},
                   {"in_total", c.in_total},
                   {"activity_mean_pct", optional_number(c.activity_mean_pct)},
                   {"activity_max_pct", optional_number(c.activity_max_pct)}};
      put(part, "", c.measured);
      parts.push_back(std::move(part));
    }
    const double duration_s = static_cast<double>(p.phase.end_ns - p.phase.start_ns) * 1e-9;
    json phase = {
        {"name", p.phase.name},
        {"start_s", static_cast<double>(p.phase.start_ns - report.start_ns) * 1e-9},
        {"end_s", static_cast<double>(p.phase.end_ns - report.start_ns) * 1e-9},
        {"duration_s", duration_s},
        {"items", p.phase.items},
        {"energy_per_item_j", optional_number(p.energy_per_item_j)},
        {"short_window", p.energy.short_window},
        {"closed_at_end", p.phase.closed_at_end},
        {"pid", p.phase.pid},
        {"components", std::move(parts)},
    };
    put_warnings(phase, p.energy.warnings);
    put(phase, "", p.energy.total);
    phases.push_back(std::move(phase));
  }
  out["phases"] = std::move(phases);
  json totals = json::array();
  for (const auto& t : report.phase_totals) {
    json total = {{"name", t.name},
                  {"count", t.count},
                  {"duration_s", finite(t.duration_s)},
                  {"items", t.items},
                  {"energy_per_item_j", optional_number(t.energy_per_item_j)}};
    put(total, "", t.energy);
    put_carbon(total, t.carbon);
    totals.push_back(std::move(total));
  }
  out["phase_totals"] = std::move(totals);
  out["phase_cover"] = report.phase_cover;
  if (const auto& run = report.phase_cover_run) {
    json whole = json::object();
    put(whole, "", run->total);
    out["phase_cover_run"] = std::move(whole);
  } else {
    out["phase_cover_run"] = nullptr;
  }
  out["power_profile"] = to_json(report.power_profile);
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
