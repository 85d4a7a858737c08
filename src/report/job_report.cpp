// SPDX-License-Identifier: BSD-3-Clause
#include "report/job_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "report/carbon_text.hpp"
#include "report/text_format.hpp"
#include "store/job_summary_json.hpp"

namespace jt {

namespace {

using nlohmann::json;

// Wall-clock instants in UTC: a job's records come from nodes that may disagree on the zone.
std::string utc_text(std::int64_t unix_ms) {
  const std::time_t seconds = unix_ms / 1000;
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buffer[32];
  if (std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm) == 0) return "?";
  return buffer;
}

std::string figure_text(const store::Figure& f) {
  if (!f.energy_j) return "unknown";
  return fmt::format("{} ({})", energy_pm_text(f.energy_j, f.uncertainty_j), to_string(f.method));
}

std::string kwh_text(const store::Figure& f) {
  return f.energy_j ? fmt::format("{:.6f} kWh", *f.energy_j / 3.6e6) : "unknown";
}

std::string duration_text(std::int64_t ms) {
  return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
}

void header(std::string& out, const store::JobReport& r) {
  const store::JobSummary& s = r.summary;
  out +=
      fmt::format("Job {}{} of {} (uid {}): {} node{}, {} step record{}\n", terminal_safe(s.job_id),
                  s.cluster.empty() ? "" : " on " + terminal_safe(s.cluster),
                  terminal_safe(s.user.empty() ? std::to_string(s.uid) : s.user), s.uid, s.nodes,
                  s.nodes == 1 ? "" : "s", s.steps, s.steps == 1 ? "" : "s");
  out += fmt::format("  {} to {} UTC ({})\n", utc_text(s.begin_unix_ms), utc_text(s.end_unix_ms),
                     duration_text(s.end_unix_ms - s.begin_unix_ms));
  out += fmt::format("Energy of its nodes: {}, {}{}\n", figure_text(s.total), kwh_text(s.total),
                     s.whole ? "" : " [partial]");
  out += fmt::format("Charged to the job:  {}, {}\n", figure_text(r.charged), kwh_text(r.charged));
  for (const store::DomainFigure& d : r.domains)
    out += fmt::format("  {:<12} {}\n", d.domain, figure_text(d.energy));
}

void comparison(std::string& out, const store::JobReport& r) {
  const store::JobSummary& s = r.summary;
  std::string idle = figure_text(s.idle_gpu);
  if (const auto share = store::idle_gpu_share(s))
    idle += fmt::format(", {:.1f} % of the job", *share * 100.0);
  out += fmt::format("Idle GPUs (owned, never busy): {}\n", idle);
  std::string estimate = s.estimate.energy_j ? energy_text(*s.estimate.energy_j) : "unknown";
  if (const auto error = store::estimate_relative_error(s))
    estimate += fmt::format(" ({:+.0f} % against the measurement)", *error * 100.0);
  out += fmt::format("Runtime estimate (rated power x time): {}\n", estimate);
}

void nodes_and_steps(std::string& out, const store::JobReport& r) {
  out += "Nodes:\n";
  for (const store::NodeFigure& n : r.nodes) {
    out += fmt::format("  {:<20} {:<34} from {}{}\n", fit(terminal_safe(n.node), 20),
                       figure_text(n.total), fmt::join(n.step_ids, ", "),
                       n.whole ? "" : " (no allocation record)");
  }
  out += "Steps:\n";
  for (const store::StepRecord& st : r.steps) {
    out += fmt::format("  {:<20} {:<10} {:>9} {}\n", fit(terminal_safe(st.key.node), 20),
                       fit(terminal_safe(st.key.step_id), 10),
                       duration_text(st.end_unix_ms - st.begin_unix_ms), figure_text(st.total));
  }
}

void phases(std::string& out, const store::JobReport& r) {
  if (r.phases.empty()) return;
  out += "Phases (all steps and nodes):\n";
  for (const store::PhaseFigure& p : r.phases) {
    std::string per_item;
    if (const auto e = energy_per_item(p.energy.energy_j, p.items))
      per_item = fmt::format(", {}/item ({} items)", energy_text(*e), p.items);
    out += fmt::format("  {:<20} x{:<4} {:>9} {}{}\n", fit(terminal_safe(p.name), 20), p.count,
                       fmt::format("{:.1f} s", p.duration_s), figure_text(p.energy), per_item);
  }
}

// CO2e and cost of the charged energy, then per phase, when factors were given.
void carbon(std::string& out, const store::JobReport& r) {
  if (!r.carbon) return;
  std::vector<std::pair<std::string, CarbonFigure>> per_phase;
  for (std::size_t i = 0; i < r.phases.size() && i < r.carbon->phases.size(); ++i) {
    per_phase.emplace_back(r.phases[i].name, r.carbon->phases[i]);
  }
  const std::string lines = format_carbon(r.carbon->factors, r.carbon->charged) +
                            format_phase_carbon(r.carbon->factors, per_phase);
  // The method texts name factors and sources: wrapped to the page's 100 columns.
  for (const std::string& line : wrap_lines(lines, 100, 0, 4)) out += line + "\n";
}

}  // namespace

std::string job_text(const store::JobReport& r) {
  std::string out;
  header(out, r);
  comparison(out, r);
  nodes_and_steps(out, r);
  phases(out, r);
  carbon(out, r);
  for (const std::string& w : r.warnings) {
    for (const std::string& line : wrap("warning: " + terminal_safe(w), 100, 0, 2))
      out += line + "\n";
  }
  return out;
}

json job_json(const store::JobReport& r) {
  json out{{"schema", "jouletrace.job"}, {"version", 1}};
  out["job"] = store::to_json(r.summary);
  out["job"]["estimate_relative_error"] = store::estimate_relative_error(r.summary)
                                              ? json(*store::estimate_relative_error(r.summary))
                                              : json(nullptr);
  out["charged"] = store::figure_json(r.charged);
  out["domains"] = json::array();
  for (const store::DomainFigure& d : r.domains)
    out["domains"].push_back({{"domain", d.domain}, {"energy", store::figure_json(d.energy)}});
  out["nodes"] = json::array();
  for (const store::NodeFigure& n : r.nodes) {
    out["nodes"].push_back({{"node", n.node},
                            {"total", store::figure_json(n.total)},
                            {"whole", n.whole},
                            {"steps", n.step_ids}});
  }
  out["phases"] = json::array();
  for (std::size_t i = 0; i < r.phases.size(); ++i) {
    const store::PhaseFigure& p = r.phases[i];
    json phase{{"name", p.name},
               {"count", p.count},
               {"duration_s", p.duration_s},
               {"items", p.items},
               {"energy", store::figure_json(p.energy)}};
    if (r.carbon && i < r.carbon->phases.size()) put_carbon(phase, r.carbon->phases[i]);
    out["phases"].push_back(std::move(phase));
  }
  // Only when the reader gave factors: a stored job has no region of its own.
  out["carbon"] = r.carbon ? to_json(r.carbon->factors, r.carbon->charged) : json(nullptr);
  out["steps"] = json::array();
  for (const store::StepRecord& st : r.steps) out["steps"].push_back(store::to_json(st));
  out["warnings"] = r.warnings;
  return out;
}

std::string jobs_text(const std::vector<store::JobSummary>& jobs, const store::JobsCarbon* carbon) {
  std::string out = fmt::format("{:<12} {:<10} {:<19} {:>9} {:>5} {:<26} {}\n", "JOB", "USER",
                                "END (UTC)", "ELAPSED", "NODES", "ENERGY", "IDLE GPU");
  for (const store::JobSummary& j : jobs) {
    out += fmt::format("{:<12} {:<10} {:<19} {:>9} {:>5} {:<26} {}{}\n",
                       fit(terminal_safe(j.job_id), 12),
                       fit(terminal_safe(j.user.empty() ? std::to_string(j.uid) : j.user), 10),
                       utc_text(j.end_unix_ms), duration_text(j.end_unix_ms - j.begin_unix_ms),
                       j.nodes, energy_pm_text(j.total.energy_j, j.total.uncertainty_j),
                       energy_text(j.idle_gpu.energy_j), j.whole ? "" : " *");
  }
  if (jobs.empty()) out += "no jobs\n";
  if (std::ranges::any_of(jobs, [](const store::JobSummary& j) { return !j.whole; }))
    out += "* partial: a node has no allocation record (`jouletrace job JOBID` says which)\n";
  if (carbon != nullptr && !jobs.empty()) {
    out += fmt::format("The {} jobs listed together:\n", jobs.size());
    for (const std::string& line :
         wrap_lines(format_carbon(carbon->factors, carbon->all), 100, 2, 4)) {
      out += line + "\n";
    }
  }
  return out;
}

json jobs_json(const std::vector<store::JobSummary>& jobs, const store::JobsCarbon* carbon) {
  json out{{"schema", "jouletrace.jobs"}, {"version", 1}, {"jobs", json::array()}};
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    json job = store::to_json(jobs[i]);
    if (carbon != nullptr && i < carbon->jobs.size()) put_carbon(job, carbon->jobs[i]);
    out["jobs"].push_back(std::move(job));
  }
  // Only when the reader gave factors: a stored job has no region of its own.
  out["carbon"] = carbon != nullptr ? to_json(carbon->factors, carbon->all) : json(nullptr);
  return out;
}

std::string admin_comment(const store::JobReport& r) {
  const store::JobSummary& s = r.summary;
  auto energy = [](const store::Figure& f) {
    return f.energy_j ? json(*f.energy_j) : json(nullptr);
  };
  json by_domain = json::object();
  for (const store::DomainFigure& d : r.domains) by_domain[d.domain] = energy(d.energy);
  const json out{{"jouletrace", 1},
                 {"energy_j", energy(s.total)},
                 {"charged_j", energy(r.charged)},
                 {"uncertainty_j", s.total.uncertainty_j},
                 {"method", to_string(s.total.method)},
                 {"components_j", by_domain},
                 {"gpu_idle_j", energy(s.idle_gpu)},
                 {"estimate_j", energy(s.estimate)},
                 {"nodes", s.nodes},
                 {"whole", s.whole}};
  return out.dump();
}

}  // namespace jt
