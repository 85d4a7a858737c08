// SPDX-License-Identifier: BSD-3-Clause
#include "report/warning_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "report/json_figures.hpp"

namespace jt {

namespace {

// A figure, NaN when missing: printed as "nan", a missing number shows instead of a wrong one.
double f(const Warning& w, const std::string& name) {
  return figure(w, name).value_or(std::numeric_limits<double>::quiet_NaN());
}

// A count (reads, CPUs, GPUs), printed as an integer like the ledger's counters.
std::int64_t n(const Warning& w, const std::string& name) {
  const double value = f(w, name);
  return std::isfinite(value) ? std::llround(value) : 0;
}

std::string d(const Warning& w, const std::string& name) { return detail(w, name); }

bool has(const Warning& w, const std::string& name) { return figure(w, name).has_value(); }

using Words = std::string (*)(const Warning&);
struct Entry {
  std::string_view code;
  Words words;
};

// A channel's readings over a run (src/ledger/run_ledger.cpp).
const Entry kReadings[] = {
    {"no-usable-reading",
     [](const Warning& w) {
       return fmt::format(
           "{}: no usable reading during the run ({} failed, {} skipped); its energy is unknown "
           "and left out of the total",
           w.subject, n(w, "failed_reads"), n(w, "skipped_reads"));
     }},
    {"one-usable-reading",
     [](const Warning& w) {
       return fmt::format(
           "{}: only one usable reading{}; its energy is unknown and left out of the total",
           w.subject,
           has(w, "lost_at_s")
               ? fmt::format(" before the device was lost {:.3f} s into the run", f(w, "lost_at_s"))
               : std::string());
     }},
    {"device-lost",
     [](const Warning& w) {
       const std::string error = d(w, "error");
       return fmt::format("{}: device lost {:.3f} s into the run{}; energy counted up to then only",
                          w.subject, f(w, "lost_at_s"),
                          error.empty() ? std::string() : fmt::format(" ({})", error));
     }},
    {"counter-reset",
     [](const Warning& w) {
       return fmt::format("{}: counter reset or outage {} time(s); {:.3f} s not measured",
                          w.subject, n(w, "outages"), f(w, "gap_s"));
     }},
    {"failed-reads",
     [](const Warning& w) {
       const std::string error = d(w, "error");
       return error.empty() ? fmt::format("{}: {} read(s) failed", w.subject, n(w, "failed_reads"))
                            : fmt::format("{}: {} read(s) failed (last: {})", w.subject,
                                          n(w, "failed_reads"), error);
     }},
    {"last-reading-unconfirmed",
     [](const Warning& w) {
       return fmt::format("{}: the last reading could not be confirmed and was left out",
                          w.subject);
     }},
    {"skipped-readings",
     [](const Warning& w) {
       return fmt::format("{}: {} torn, empty or implausible reading(s) skipped", w.subject,
                          n(w, "skipped_reads"));
     }},
    {"extrapolated-ends",
     [](const Warning& w) {
       std::string missed;
       if (has(w, "extrapolated_start_s")) {
         missed = fmt::format("the first {:.3f} s", f(w, "extrapolated_start_s"));
       }
       if (has(w, "extrapolated_end_s")) {
         missed += fmt::format("{}the last {:.3f} s", missed.empty() ? "" : " and ",
                               f(w, "extrapolated_end_s"));
       }
       return fmt::format(
           "{}: no reading covered {} of the run{}; that time is extrapolated at the power of the "
           "adjacent readings (+/- {:.3f} J)",
           w.subject, missed,
           n(w, "failed_or_torn_reads") > 0 ? " (reads failed or were torn)" : "",
           f(w, "extrapolation_j"));
     }},
    {"partial-coverage",
     [](const Warning& w) {
       return fmt::format(
           "{}: readings cover {:.3f} s of the {:.3f} s run (first {:.3f} s after the start, last "
           "{:.3f} s before the end); energy outside them is not counted",
           w.subject, f(w, "read_s"), f(w, "duration_s"), f(w, "uncounted_start_s"),
           f(w, "uncounted_end_s"));
     }},
};

// What a container was held against (run_ledger.cpp's `HeldAgainst`).
std::string_view held_against(const std::string& key) {
  if (key == "cpu-side") return "the CPU side inside it";
  if (key == "cpus-and-memory") return "the CPUs and memory inside it";
  return "the parts it contains";
}

// Containers, node meters and the total (src/ledger/run_ledger.cpp).
const Entry kTotal[] = {
    {"container-below-parts",
     [](const Warning& w) {
       return fmt::format(
           "{} read {:.1f} J, less than the {:.1f} J of {} ({}): it cannot be right (a counter "
           "that stopped, a meter too coarse for the run, or not what it is named); the total "
           "uses the parts",
           w.subject, f(w, "energy_j"), f(w, "parts_j"), held_against(d(w, "held_against")),
           d(w, "parts"));
     }},
    {"container-lost",
     [](const Warning& w) {
       return fmt::format(
           "{} was lost {:.3f} s into the run: its parts ({}), read on, count "
           "instead",
           w.subject, f(w, "lost_at_s"), d(w, "parts"));
     }},
    {"node-meter-zero",
     [](const Warning& w) {
       return fmt::format(
           "{} read 0 J over the run: too coarse for it, or stuck; it is left out of the total",
           w.subject);
     }},
    {"two-node-meters",
     [](const Warning& w) {
       return fmt::format(
           "two node meters: {} measured {:.1f} J and {} {:.1f} J; the total uses {} ({})",
           w.subject, f(w, "energy_j"), d(w, "other"), f(w, "other_energy_j"), w.subject,
           d(w, "method"));
     }},
    {"meter-readings-disagree",
     [](const Warning& w) {
       return fmt::format(
           "{} and {}, two readings of {}, disagree beyond their uncertainty: {:.1f} J and "
           "{:.1f} J; the total uses {}, the more precise over this run",
           w.subject, d(w, "other"), d(w, "device"), f(w, "energy_j"), f(w, "other_energy_j"),
           w.subject);
     }},
    {"no-total",
     [](const Warning&) {
       return std::string("no component could be measured or estimated: there is no total");
     }},
    {"model-only-total",
     [](const Warning&) {
       return std::string(
           "no energy sensor could be read: the total is a model estimate of the CPU only (GPUs, "
           "DRAM and the rest of the node are not in it)");
     }},
    {"parts-exceed-node-meter",
     [](const Warning& w) {
       return fmt::format(
           "the measured parts ({:.1f} J) exceed the node meter {} ({:.1f} J) by more than their "
           "uncertainty: the meter may not see every part (DCMI often leaves GPUs out), or parts "
           "overlap",
           f(w, "parts_j"), w.subject, f(w, "node_j"));
     }},
};

// Windows of a timeline: phases (src/ledger/window_energy.cpp, run_analysis.cpp).
const Entry kWindows[] = {
    {"window-outside-readings",
     [](const Warning& w) {
       return fmt::format(
           "{}: the window reaches outside the channel's readings; energy there is not counted",
           w.subject);
     }},
    {"short-window",
     [](const Warning& w) {
       return fmt::format(
           "{:.4f} s is shorter than 10 update periods of {} ({:g} s): {:.3f} J +/- {:.3f} J",
           f(w, "duration_s"), d(w, "channel"), f(w, "update_period_s"), f(w, "energy_j"),
           f(w, "uncertainty_j"));
     }},
    {"coarse-sampling",
     [](const Warning& w) {
       return fmt::format(
           "uncertain: +/- {:.3f} J ({:.0f} %) because the {:g} s sampling interval is coarse "
           "for a {:.4f} s window; a shorter --interval narrows it",
           f(w, "uncertainty_j"), f(w, "uncertainty_pct"), f(w, "interval_s"), f(w, "duration_s"));
     }},
    {"phase-without-cpu",
     [](const Warning&) {
       return std::string(
           "no CPU sensor: the phase's energy leaves the CPU out (the run's CPU estimate is not "
           "split by phase)");
     }},
    {"estimate-inputs-invalid",
     [](const Warning& w) {
       return fmt::format(
           "no runtime-based estimate: runtime {} s and PUE {} must be finite, runtime >= 0, "
           "PUE >= 1",
           f(w, "runtime_s"), f(w, "pue"));
     }},
};

// "the channels changed since calibration: no baseline for a; not measured now: b (...)"
std::string channels_changed(const Warning& w) {
  std::string text = "the channels changed since calibration:";
  if (const auto ids = d(w, "without_baseline"); !ids.empty()) {
    text += " no baseline for " + ids + ";";
  }
  if (const auto ids = d(w, "not_measured"); !ids.empty())
    text += " not measured now: " + ids + ";";
  text.back() = ' ';
  return text + "(recalibrate to cover them)";
}

// Idle baselines: applying a profile, and calibrating one (src/ledger/node_profile.cpp).
const Entry kProfile[] = {
    {"profile-unusable", [](const Warning& w) { return d(w, "text"); }},
    {"no-baselines",
     [](const Warning&) {
       return std::string(
           "the node profile has no idle baselines (run `jouletrace calibrate`): energy is not "
           "split into idle and dynamic");
     }},
    {"baselines-other-node",
     [](const Warning& w) {
       return fmt::format(
           "the idle baselines were measured on '{}', not on this node ('{}'): the idle/dynamic "
           "split may not describe this hardware",
           d(w, "calibrated_on"), d(w, "hostname"));
     }},
    {"baselines-old",
     [](const Warning& w) {
       return fmt::format(
           "the idle baselines are {:.0f} days old (calibrated {}): firmware, drivers or cooling "
           "may have changed since; consider recalibrating",
           f(w, "age_s") / 86400.0, d(w, "calibrated_at"));
     }},
    {"dynamic-below-zero",
     [](const Warning& w) {
       return fmt::format(
           "{}: dynamic energy {:.3f} J is below zero but within the uncertainty (±{:.3f} J): "
           "the device stayed at its idle power",
           w.subject, f(w, "dynamic_j"), f(w, "tolerance_j"));
     }},
    {"baseline-stale",
     [](const Warning& w) {
       return fmt::format(
           "{}: measured {:.3f} W on average, below its idle baseline of {:.3f} W beyond the "
           "uncertainty: the baseline looks stale (recalibrate); dynamic energy {:.3f} J is "
           "reported as computed",
           w.subject, f(w, "avg_power_w"), f(w, "idle_power_w"), f(w, "dynamic_j"));
     }},
    {"channels-changed", &channels_changed},
    {"no-baseline",
     [](const Warning& w) {
       return fmt::format(
           "{}: no idle baseline (the channel {})", w.subject,
           d(w, "reason") == "lost" ? "was lost during calibration" : "gave too few readings");
     }},
    {"negative-idle-power",
     [](const Warning& w) {
       return fmt::format("{}: negative idle power {:.3f} W; no baseline kept", w.subject,
                          f(w, "idle_power_w"));
     }},
    {"calibration-drift",
     [](const Warning& w) {
       return fmt::format(
           "{}: power moved from {:.2f} W to {:.2f} W between the halves of the calibration: the "
           "node was not steady (still cooling down, or something ran); a longer --settle helps",
           w.subject, f(w, "first_half_w"), f(w, "second_half_w"));
     }},
    {"busy-during-calibration",
     [](const Warning& w) {
       return fmt::format(
           "{}: the device was busy during calibration (up to {:.0f} % utilisation): its "
           "baseline is above its idle power",
           w.subject, f(w, "max_activity_pct"));
     }},
};

// Which GPUs the job owns (src/ledger/attribution.cpp, visible_devices.cpp).
const Entry kGpuOwnership[] = {
    {"visibility-entry-invalid",
     [](const Warning& w) {
       return fmt::format(
           "{} entry '{}' is not a GPU index, UUID or MIG id; as in CUDA, it and every entry "
           "after it select no GPU",
           w.subject, d(w, "entry"));
     }},
    {"visibility-index-unmatched",
     [](const Warning& w) {
       return fmt::format("{} entry {} names no measured GPU", w.subject, n(w, "index"));
     }},
    {"visibility-uuid-unmatched",
     [](const Warning& w) {
       return fmt::format(
           "{} entry {} matches no measured GPU{}", w.subject, d(w, "entry"),
           n(w, "gpus_without_uuid") > 0 ? " (some GPUs were measured without a UUID)" : "");
     }},
    {"visibility-uuid-ambiguous",
     [](const Warning& w) {
       return fmt::format("{} entry {} matches {} GPUs; none is counted as the job's", w.subject,
                          d(w, "entry"), n(w, "matches"));
     }},
    {"mig-size-invalid",
     [](const Warning& w) {
       return fmt::format("MIG instance {}: size {} is not a fraction in (0, 1]; ignored",
                          w.subject, f(w, "fraction"));
     }},
    {"mig-parent-unknown",
     [](const Warning& w) {
       return fmt::format(
           "MIG instance {}: its parent GPU is unknown, so none of its energy is attributed",
           w.subject);
     }},
    {"mig-parent-not-measured",
     [](const Warning& w) {
       return fmt::format("MIG instance {}: parent GPU {} is not among the measured GPUs",
                          w.subject, d(w, "parent"));
     }},
    {"mig-size-unknown",
     [](const Warning& w) {
       return fmt::format(
           "MIG instance {} on {}: its size is unknown, so none of the parent's energy is "
           "attributed",
           w.subject, d(w, "parent"));
     }},
    {"mig-shares-over-whole",
     [](const Warning& w) {
       return fmt::format(
           "the MIG instances on {} add up to {:.1f} % of the GPU; counted as the whole GPU",
           w.subject, f(w, "share_pct"));
     }},
};

// The signs of sharing, as attribution.cpp's exclusive_but_shared() stored them: the CPUs',
// then each variable's in the order of `gpu_variables`.
std::string sharing_evidence(const Warning& w) {
  std::vector<std::string> signs;
  if (has(w, "cpus_allowed")) {
    signs.push_back(fmt::format("the job may use {} of {} online CPUs", n(w, "cpus_allowed"),
                                n(w, "cpus_online")));
  }
  const std::string variables = d(w, "gpu_variables");
  for (std::size_t at = 0; at < variables.size();) {
    const std::size_t comma = std::min(variables.find(',', at), variables.size());
    const std::string variable = variables.substr(at, comma - at);
    signs.push_back(fmt::format("{} gives it {} of {} measured GPUs", variable,
                                n(w, "gpus_owned:" + variable), n(w, "gpus_measured:" + variable)));
    at = comma + 1;
  }
  return fmt::format("{}", fmt::join(signs, " and "));
}

// The caller's reason the job's CPUs are unknown, or the ledger's default.
std::string cpu_reason(const Warning& w) {
  const std::string reason = d(w, "reason");
  return reason.empty() ? std::string("no cgroup data") : reason;
}

// The job's CPU shares and the split (src/ledger/attribution.cpp).
const Entry kAttribution[] = {
    {"cgroup", [](const Warning& w) { return d(w, "text"); }},
    {"coverage-part-missing",
     [](const Warning& w) {
       return fmt::format("node coverage names {}, which the run does not have", w.subject);
     }},
    {"cpus-over-online",
     [](const Warning& w) {
       return fmt::format(
           "the job holds {} CPUs but only {} are online; CPU share clamped to 100 %",
           n(w, "allocated_cpus"), n(w, "online_cpus"));
     }},
    {"cpu-time-over-node",
     [](const Warning& w) {
       return fmt::format(
           "the job's CPU time ({:.2f} s) exceeds the node's busy CPU time ({:.2f} s), which "
           "includes it; CPU-time share clamped to 100 %",
           f(w, "job_cpu_s"), f(w, "node_busy_cpu_s"));
     }},
    {"node-busy-time-missing",
     [](const Warning& w) {
       return fmt::format(
           "the job used {:.3f} s of CPU time but the node recorded no busy time; CPU-time share "
           "set to 100 %",
           f(w, "job_cpu_s"));
     }},
    {"no-busy-cpu-time",
     [](const Warning&) {
       return std::string(
           "the node recorded no busy CPU time during the run (shorter than a USER_HZ tick?); "
           "dynamic CPU energy split by the CPU share instead");
     }},
    {"exclusive-but-shared",
     [](const Warning& w) {
       return "exclusive attribution was requested but " + sharing_evidence(w) +
              ": other jobs' energy on this node is charged to this one";
     }},
    {"cpu-sharing-unknown",
     [](const Warning& w) {
       return "could not tell whether other jobs share the CPUs (" + cpu_reason(w) +
              "); attributed as exclusive";
     }},
    {"cpu-time-unknown",
     [](const Warning& w) {
       return "the job's CPU time is unknown (" + cpu_reason(w) +
              "): CPU, DRAM and rest-of-node energy is left unattributed";
     }},
    {"split-clamped",
     [](const Warning& w) {
       return fmt::format(
           "{}: the split gave {:.3f} J of {:.3f} J (idle baseline above the measured energy?); "
           "clamped",
           w.subject, f(w, "charged_j"), f(w, "energy_j"));
     }},
    {"overhead-negative",
     [](const Warning& w) {
       return fmt::format(
           "the measured parts exceed the node meter by {:.3f} J; no overhead attributed",
           f(w, "excess_j"));
     }},
    {"nothing-to-attribute",
     [](const Warning&) { return std::string("no measured component: nothing to attribute"); }},
    {"attribution-total-mismatch",
     [](const Warning& w) {
       return fmt::format(
           "the attributed components add up to {:.3f} J but the run's total is {:.3f} J",
           f(w, "components_j"), f(w, "total_j"));
     }},
};

const std::array<std::span<const Entry>, 7> kTables{kReadings, kTotal,        kWindows,
                                                    kProfile,  kGpuOwnership, kAttribution};

const Entry* entry_for(const std::string& code) {
  for (const auto table : kTables) {
    for (const Entry& e : table) {
      if (e.code == code) return &e;
    }
  }
  return nullptr;
}

// A code without words: everything it carries, so that nothing is lost.
std::string unknown_code(const Warning& w) {
  std::string text = w.code + ": " + w.subject;
  for (const auto& [name, value] : w.figures) text += fmt::format(" {}={:g}", name, value);
  for (const auto& [name, value] : w.details) text += fmt::format(" {}={}", name, value);
  return text;
}

}  // namespace

std::string render(const Warning& warning) {
  const Entry* e = entry_for(warning.code);
  return e != nullptr ? e->words(warning) : unknown_code(warning);
}

std::vector<std::string> render(const std::vector<Warning>& warnings) {
  std::vector<std::string> out;
  out.reserve(warnings.size());
  for (const auto& w : warnings) out.push_back(render(w));
  return out;
}

std::vector<std::string> warning_codes() {
  std::vector<std::string> codes;
  for (const auto table : kTables) {
    for (const Entry& e : table) codes.emplace_back(e.code);
  }
  return codes;
}

nlohmann::json to_json(const Warning& warning) {
  nlohmann::json figures = nlohmann::json::object();
  for (const auto& [name, value] : warning.figures) figures[name] = finite(value);
  return {{"code", warning.code},
          {"subject", warning.subject},
          {"figures", std::move(figures)},
          {"details", warning.details}};
}

void put_warnings(nlohmann::json& out, const std::vector<Warning>& warnings) {
  nlohmann::json details = nlohmann::json::array();
  for (const auto& w : warnings) details.push_back(to_json(w));
  out["warnings"] = render(warnings);
  out["warning_details"] = std::move(details);
}

}  // namespace jt
