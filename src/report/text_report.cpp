// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/clock.hpp"
#include "report/attribution_text.hpp"
#include "report/carbon_text.hpp"
#include "report/estimate_text.hpp"
#include "report/idle_waste_text.hpp"
#include "report/run_report.hpp"
#include "report/text_format.hpp"
#include "report/warning_text.hpp"

namespace jt {

namespace {

// Collects the summary's lines; every line of prose is wrapped to the width.
class Text {
 public:
  explicit Text(std::size_t width) : width_(width) {}
  void line(const std::string& text) { out_ += text + "\n"; }
  void prose(std::string_view text, std::size_t indent = 2, std::size_t hanging = 2) {
    for (const auto& l : wrap(text, width_, indent, hanging)) line(l);
  }
  void prose_lines(std::string_view text, std::size_t indent, std::size_t hanging) {
    for (const auto& l : wrap_lines(text, width_, indent, hanging)) line(l);
  }
  void block(const std::string& text, std::size_t indent) {
    std::size_t at = 0;
    while (at < text.size()) {
      const std::size_t end = text.find('\n', at);
      const std::string_view one = std::string_view(text).substr(
          at, end == std::string::npos ? std::string::npos : end - at);
      const std::size_t lead = one.find_first_not_of(' ');
      if (lead != std::string_view::npos) prose(one.substr(lead), indent + lead, 2);
      at = end == std::string::npos ? text.size() : end + 1;
    }
  }
  std::string take() { return std::move(out_); }

 private:
  std::size_t width_;
  std::string out_;
};

std::string quote_command(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& arg : command) {
    if (!out.empty()) out += ' ';
    const bool plain = !arg.empty() && arg.find_first_of(" \t'\"$\\") == std::string::npos;
    out += plain ? arg : "'" + arg + "'";
  }
  return terminal_safe(out);
}

// The id as it fits: whole, else without its backend ("powercap/intel-rapl:0:1" ->
// "intel-rapl:0:1"), else cut. Full ids are in the JSON report.
std::string short_id(const std::string& id, std::size_t columns) {
  std::string safe = terminal_safe(id);
  if (safe.size() <= columns) return safe;
  const std::size_t slash = safe.find('/');
  return fit(slash == std::string::npos ? safe : safe.substr(slash + 1), columns);
}

const char* signal_name(int sig) {
  switch (sig) {
    case 1: return "SIGHUP";
    case 2: return "SIGINT";
    case 3: return "SIGQUIT";
    case 6: return "SIGABRT";
    case 9: return "SIGKILL";
    case 11: return "SIGSEGV";
    case 13: return "SIGPIPE";
    case 15: return "SIGTERM";
    default: return "";
  }
}

void headline(const RunReport& report, Text& text) {
  const std::string command = fit(quote_command(report.command), 48);
  if (!report.started) {
    text.line(fmt::format("jouletrace: could not run '{}': {}", command, report.launch_error));
    return;
  }
  std::string how = fmt::format("exited with code {}", report.exit_code);
  if (report.signal) {
    how = fmt::format("was killed by signal {} {}", *report.signal, signal_name(*report.signal));
    if (how.back() == ' ') how.pop_back();
  }
  if (!report.complete) how = "is still running";
  text.line(
      fmt::format("jouletrace: '{}' {} after {:.3f} s", command, how, report.window.duration_s));
  const WindowResult& w = report.window;
  if (!w.total.energy_j) {
    text.line("total: unknown (nothing could be measured or estimated; see below)");
    return;
  }
  std::string total = energy_pm_text(w.total.energy_j, w.total.uncertainty_j());
  if (*w.total.energy_j >= 3.6e6) {
    total += fmt::format(" ({:.3f} kWh)", *w.total.energy_j / 3.6e6);
  }
  std::string cover;
  if (w.coverage) {
    cover = "node meter " + short_id(w.coverage->node_meter_id, 30);
  } else if (w.total_cover.size() <= 3) {
    for (const auto& id : w.total_cover) cover += (cover.empty() ? "" : " + ") + short_id(id, 18);
  } else {
    cover = fmt::format("sum of {} parts", w.total_cover.size());
  }
  text.line(fmt::format("total: {} ({}; {})", total, to_string(w.total.method), cover));
  text.block(format_carbon(report.carbon_factors, report.carbon), 2);
}

// The +/- column: "-" when the energy itself is unknown.
std::string plus_minus_text(const Measurement& m) {
  return m.energy_j ? energy_text(m.uncertainty_j()) : "-";
}

std::string in_total_text(const ComponentResult& c) {
  if (!c.measured.energy_j) return "-";
  if (c.in_total) return "yes";
  if (!c.contained_in.empty()) return "in " + short_id(c.contained_in, 18);
  return "no";
}

void component_table(const RunReport& report, Text& text) {
  // 2 + 18 + 1 + 12 + 1 + 10 + 1 + 10 + 1 + 6 + 1 + 16 + 1 + 21 = 100 columns: "in " and a
  // container's id of up to 18.
  text.line(fmt::format("  {:<18} {:<12} {:>10} {:>10} {:>6} {:<16} {}", "component", "device",
                        "energy", "+/-", "avg W", "method", "in total"));
  for (const auto& c : report.window.components) {
    const std::string avg = c.measured.energy_j ? fmt::format("{:.1f}", c.avg_power_w) : "-";
    text.line(fmt::format("  {:<18} {:<12} {:>10} {:>10} {:>6} {:<16} {}", short_id(c.id, 18),
                          fit(terminal_safe(c.device), 12), energy_text(c.measured.energy_j),
                          plus_minus_text(c.measured), avg, to_string(c.measured.method),
                          in_total_text(c)));
  }
  for (const auto& c : report.window.components) {
    if (!c.idle_power_w) continue;
    text.prose(fmt::format("{}: idle {} (baseline {:.2f} W) + dynamic {}", short_id(c.id, 30),
                           energy_text(c.idle.energy_j), *c.idle_power_w,
                           energy_text(c.dynamic.energy_j)));
  }
}

void coverage_lines(const RunReport& report, Text& text) {
  const auto& cov = report.window.coverage;
  if (!cov) return;
  if (cov->coverage) {
    text.prose(fmt::format("coverage: the measured parts are {:.1f} % of the node meter {}",
                           100.0 * *cov->coverage, short_id(cov->node_meter_id, 40)));
  }
  text.prose(
      fmt::format("rest of node: {} (node meter minus parts: fans, PSU losses, NICs, disks, "
                  "anything without a sensor)",
                  energy_pm_text(cov->rest.energy_j, cov->rest.uncertainty_j())));
}

std::string per_item_text(const std::optional<double>& energy_per_item_j) {
  return energy_per_item_j ? fmt::format("{:.4g}", *energy_per_item_j) : "-";
}

constexpr std::size_t kMaxPhaseRows = 20;

// Phases are compared with the whole run over the same parts (README "The run contract").
std::string cover_note(const RunReport& report) {
  return report.window.coverage ? "the parts inside the node meter, not the meter"
                                : "the parts of the total";
}

void whole_run_row(const RunReport& report, Text& text, bool with_times) {
  const auto& run = report.phase_cover_run;
  if (!run) return;
  const std::string energy = energy_text(run->total.energy_j);
  const std::string pm = plus_minus_text(run->total);
  const char* method = to_string(run->total.method);
  if (with_times) {
    text.line(fmt::format("  {:<16}  {:>8.3f}  {:>8.3f}  {:>10}  {:>10}  {:>7}  {:>9}  {}",
                          "(whole run)", 0.0, report.window.duration_s, energy, pm, "", "",
                          method));
  } else {
    text.line(fmt::format("  {:<20}  {:>8}  {:>10}  {:>10}  {:>10}  {:>9}  {}", "(whole run)", "",
                          energy, pm, "", "", method));
  }
}

void phase_table(const RunReport& report, Text& text) {
  text.prose(fmt::format("phases, from {}:", cover_note(report)));
  // 2 + 16 + 2 + 8 + 2 + 8 + 2 + 10 + 2 + 10 + 2 + 7 + 2 + 9 + 2 + 16 = 100 columns.
  text.line(fmt::format("  {:<16}  {:>8}  {:>8}  {:>10}  {:>10}  {:>7}  {:>9}  {}", "phase",
                        "start s", "end s", "energy", "+/-", "items", "J/item", "method"));
  bool flagged = false;
  for (const auto& p : report.phases) {
    const bool flag = p.energy.short_window || p.phase.closed_at_end;
    flagged = flagged || flag;
    const std::string name = fit(terminal_safe(p.phase.name), flag ? 15 : 16) + (flag ? "*" : "");
    const Measurement& e = p.energy.total;
    text.line(fmt::format("  {:<16}  {:>8.3f}  {:>8.3f}  {:>10}  {:>10}  {:>7}  {:>9}  {}", name,
                          ns_to_s(p.phase.start_ns - report.start_ns),
                          ns_to_s(p.phase.end_ns - report.start_ns), energy_text(e.energy_j),
                          plus_minus_text(e), p.phase.items, per_item_text(p.energy_per_item_j),
                          to_string(e.method)));
  }
  whole_run_row(report, text, true);
  if (flagged) text.prose("* short against a sensor's update period, or still open at the end");
}

void phase_totals_table(const RunReport& report, Text& text) {
  const auto& totals = report.phase_totals;
  text.prose(
      fmt::format("{} phases, per name, from {}:", report.phases.size(), cover_note(report)));
  text.line(fmt::format("  {:<20}  {:>8}  {:>10}  {:>10}  {:>10}  {:>9}  {}", "phase", "count",
                        "energy", "+/-", "items", "J/item", "method"));
  for (const auto& t : totals) {
    text.line(fmt::format("  {:<20}  {:>8}  {:>10}  {:>10}  {:>10}  {:>9}  {}",
                          fit(terminal_safe(t.name), 20), t.count, energy_text(t.energy.energy_j),
                          plus_minus_text(t.energy), t.items, per_item_text(t.energy_per_item_j),
                          to_string(t.energy.method)));
  }
  whole_run_row(report, text, false);
  std::vector<std::pair<std::string, CarbonFigure>> carbon;
  for (const auto& t : totals) carbon.emplace_back(t.name, t.carbon);
  // Prose, not a block: with many phases the line is wrapped to the width.
  text.prose_lines(format_phase_carbon(report.carbon_factors, carbon), 2, 4);
}

void analysis_lines(const RunReport& report, Text& text) {
  if (report.runtime_estimate) {
    text.block(format_runtime_estimate(*report.runtime_estimate), 2);
  } else if (!report.runtime_estimate_error.empty()) {
    text.prose("runtime-based estimate: none (" + report.runtime_estimate_error + ")");
  }
  if (report.attribution && report.attribution->mode == AttributionMode::kShared) {
    text.block(format_attribution(*report.attribution), 2);
  } else if (report.attribution) {
    for (const auto& w : report.attribution->warnings) text.prose("attribution: " + render(w));
  } else if (!report.attribution_error.empty()) {
    text.prose("attribution: none (" + report.attribution_error + ")");
  }
  for (const auto& w : report.idle_waste) {
    for (const auto& line : idle_waste_summary(w)) {
      text.prose(fmt::format(
          "idle{}: {}", w.window == "run" ? "" : " in phase " + terminal_safe(w.window), line));
    }
  }
  if (report.window.cpu_model) {
    text.prose(fmt::format(
        "model: CPU energy estimated as {:.3f} s CPU time x {:g} W per busy core "
        "({})",
        report.window.cpu_model->cpu_time_s, report.window.cpu_model->watts_per_busy_core,
        report.window.cpu_model->assumption));
  }
}

void process_lines(const RunReport& report, Text& text) {
  if (report.killed_after_interrupts) {
    text.prose("note: jouletrace killed the command (SIGKILL) after repeated Ctrl-C");
  }
  if (!report.left_running.empty()) {
    std::string pids;
    for (const auto& p : report.left_running) {
      if (!pids.empty()) pids += ", ";
      pids += fmt::format("{} {}", p.pid, terminal_safe(p.name));
    }
    text.prose(fmt::format(
        "warning: the command left {} process{} running ({}); their energy after it exited is "
        "not measured (--wait-all waits for them)",
        report.left_running.size(), report.left_running.size() == 1 ? "" : "es", pids));
  }
  if (report.waited_for_others_s > 0.0) {
    text.prose(fmt::format("note: waited {:.3f} s for processes the command left running",
                           report.waited_for_others_s));
  }
}

void sensor_lines(const RunReport& report, const SummaryOptions& options, Text& text) {
  std::set<std::string> present;
  for (const auto& s : report.sensors) {
    if (s.status == ProbeReport::Status::kPresent) present.insert(s.backend);
  }
  std::map<std::string, std::vector<std::string>> by_status;
  for (const auto& s : report.sensors) {
    // Which components the node agent served is said, not left to the provenance in the JSON.
    if (s.status == ProbeReport::Status::kPresent && s.backend == "agent") {
      text.prose("served by the node agent: " + s.detail);
    }
    if (s.status == ProbeReport::Status::kPresent) continue;
    // A part of a backend that measures (a duplicate interface it skipped) is no news.
    if (!options.verbose && present.contains(s.backend)) continue;
    // What failed, or what the user could fix, is said in full; mere absence in one line.
    const bool serious = s.status == ProbeReport::Status::kError ||
                         s.status == ProbeReport::Status::kPermissionDenied;
    if (options.verbose || serious) {
      text.prose(fmt::format("{}: {}: {}", s.backend, to_string(s.status), s.detail));
      if (!s.hint.empty()) text.prose("fix: " + s.hint, 4);
      continue;
    }
    auto& named = by_status[to_string(s.status)];
    if (std::ranges::find(named, s.backend) == named.end()) named.push_back(s.backend);
  }
  if (by_status.empty()) return;
  std::string line;
  for (const auto& [status, backends] : by_status) {
    if (!line.empty()) line += "; ";
    for (std::size_t i = 0; i < backends.size(); ++i) line += (i > 0 ? ", " : "") + backends[i];
    line += " " + status;
  }
  text.prose("also probed: " + line + " (-v or `jouletrace sensors` says why)");
}

void note_lines(const RunReport& report, const SummaryOptions& options, Text& text) {
  if (report.malformed_markers > 0 || report.unmatched_markers > 0) {
    text.prose(fmt::format("markers: {} malformed and {} unmatched record(s) ignored",
                           report.malformed_markers, report.unmatched_markers));
  }
  // Beside a table of every phase, each phase's warnings; beside totals per name, a count.
  const bool every_phase = report.phases.size() <= kMaxPhaseRows || options.verbose;
  std::size_t phase_warnings = 0;
  for (const auto& p : report.phases) {
    for (const auto& w : p.energy.warnings) {
      ++phase_warnings;
      if (every_phase) {
        text.prose(
            fmt::format("warning: phase {}: {}", fit(terminal_safe(p.phase.name), 32), render(w)));
      }
    }
  }
  if (!every_phase && phase_warnings > 0) {
    text.prose(
        fmt::format("warning: {} phase warnings (short windows, coarse sampling): each "
                    "phase's are in the JSON report, or with -v",
                    phase_warnings));
  }
  sensor_lines(report, options, text);
  if (!report.interval_note.empty()) text.prose("note: " + report.interval_note);
  if (report.late_rounds > 0) {
    text.prose(fmt::format("note: {} of {} sampling rounds started late (busy machine)",
                           report.late_rounds, report.rounds));
  }
  for (const auto& w : report.window.warnings) text.prose("warning: " + terminal_safe(render(w)));
}

}  // namespace

std::string format_summary(const RunReport& report, const SummaryOptions& options) {
  Text text(options.width);
  if (options.part == SummaryOptions::Part::kNotes) {
    process_lines(report, text);
    note_lines(report, options, text);
    return text.take();
  }
  headline(report, text);
  if (!report.started || options.part == SummaryOptions::Part::kHeadline) return text.take();
  component_table(report, text);
  coverage_lines(report, text);
  if (!report.phases.empty() && report.phases.size() <= kMaxPhaseRows) {
    phase_table(report, text);
  } else if (!report.phases.empty()) {
    phase_totals_table(report, text);
  }
  analysis_lines(report, text);
  process_lines(report, text);
  note_lines(report, options, text);
  return text.take();
}

}  // namespace jt
