// SPDX-License-Identifier: BSD-3-Clause
#include "run_context.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/clock.hpp"
#include "ledger/run_analysis.hpp"
#include "sensors/bmc_backends.hpp"
#include "sensors/node_inventory.hpp"

namespace jt::cli {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

// A report or series that could not be written after hours of measuring is lost work: find
// out before the command starts, by creating (and removing) a file next to the target.
Result<void> check_writable(const std::string& path, const char* option) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} {}: is a directory; name a file", option, path));
  }
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) {
    return make_error(ErrorKind::kNotFound, fmt::format("{} {}: the directory {} does not exist",
                                                        option, path, dir.string()));
  }
  std::string probe = (dir / ".jouletrace-write-test-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    return make_error(ErrorKind::kPermissionDenied,
                      fmt::format("{} {}: cannot write in {}: {}", option, path, dir.string(),
                                  std::strerror(errno)));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

namespace {

// The baselines of `jouletrace calibrate`: a profile named on the command line must load; the
// default one may be missing, and when it cannot be used the run goes on with a warning.
Result<void> load_node_profile(const RunOptions& options, RunContext& context) {
  if (!options.profile_path.empty()) {
    auto profile = load_profile(options.profile_path);
    if (!profile) {
      return make_error(
          ErrorKind::kInvalidData,
          fmt::format("--profile {}: {}", options.profile_path, profile.error().message),
          "`jouletrace calibrate --profile FILE` writes a valid one");
    }
    context.profile = *std::move(profile);
    context.profile_source = options.profile_path;
    return {};
  }
  auto locations = profile_locations(context.hostname);
  if (!locations) return {};
  const auto found = find_profile(*locations);
  if (!found) return {};
  auto profile = load_profile(*found);
  if (!profile) {
    context.profile_warnings.push_back(fmt::format(
        "node profile {} not used: {}; components are not split into idle and dynamic energy",
        found->string(), profile.error().message));
    return {};
  }
  context.profile = *std::move(profile);
  context.profile_source = found->string();
  return {};
}

Result<void> load_rated_powers(const RunOptions& options, RunContext& context) {
  auto path = locate_tdp_file(options.tdp_file);
  if (!path) {
    if (!options.tdp_file.empty()) return std::unexpected(path.error());
    context.tdp_error = path.error().message;
    return {};
  }
  auto table = TdpTable::load(*path);
  if (!table) {
    if (!options.tdp_file.empty()) {
      return make_error(ErrorKind::kInvalidData,
                        fmt::format("--tdp-file {}: {}", options.tdp_file, table.error().message));
    }
    context.tdp_error = table.error().message;
    return {};
  }
  context.tdp = *std::move(table);
  return {};
}

std::optional<std::string> environment_text(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// The CO2e and cost factors: the data file is read only when a region asks for it, so that a
// run without one never fails on a missing or broken file.
Result<void> load_carbon_factors(const RunOptions& options, RunContext& context) {
  auto factors = resolve_carbon_options(options.carbon, options.pue, options.pue_given);
  if (!factors) return std::unexpected(factors.error());
  context.carbon = *std::move(factors);
  return {};
}

}  // namespace

Result<CarbonFactors> resolve_carbon_options(const CarbonSettingTexts& options, double pue,
                                             bool pue_given) {
  CarbonSettings settings;
  settings.options = options;
  settings.environment = {environment_text("JOULETRACE_CARBON_INTENSITY"),
                          environment_text("JOULETRACE_PRICE"),
                          environment_text("JOULETRACE_REGION")};
  settings.pue = pue;
  settings.pue_given = pue_given;
  std::optional<CarbonTable> table;
  std::string table_error;
  if (settings.options.region || settings.environment.region) {
    const auto path = locate_carbon_file();
    auto loaded = path ? CarbonTable::load(*path) : std::unexpected(path.error());
    if (loaded) {
      table = *std::move(loaded);
    } else {
      table_error = loaded.error().message;
    }
  }
  return resolve_carbon_factors(settings, table ? &*table : nullptr, table_error);
}

Result<void> check_run_options(const RunOptions& options) {
  if (!options.output_json.empty() && options.output_json != "-") {
    if (auto ok = check_writable(options.output_json, "--output"); !ok) return ok;
  }
  if (!options.output_csv.empty()) {
    if (options.output_csv == "-") {
      return make_error(ErrorKind::kInvalidData,
                        "--csv needs a file (the summary and the "
                        "JSON report can go to the terminal)");
    }
    if (auto ok = check_writable(options.output_csv, "--csv"); !ok) return ok;
  }
  return check_backend_options(options.probe);
}

Result<RunContext> prepare_run(const RunOptions& options, const std::vector<ChannelInfo>& channels,
                               std::vector<ProbeReport> probe_reports) {
  RunContext context;
  context.options = options;
  context.hostname = host_name();
  context.probe_reports = std::move(probe_reports);
  context.need_cpu_model = !has_cpu_channel(channels);
  if (auto ok = load_node_profile(options, context); !ok) return std::unexpected(ok.error());
  if (auto ok = load_rated_powers(options, context); !ok) return std::unexpected(ok.error());
  if (auto ok = load_carbon_factors(options, context); !ok) return std::unexpected(ok.error());
  context.inventory = read_node_inventory(options.probe, channels);
  return context;
}

namespace {

// Cores the command may run on: its affinity mask, which a batch system narrows to the
// allocation.
int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<int>(online) : 0;
}

// Shares of the node for a shared run; taken when the analysis runs, so that the CPU-time
// shares span the same interval as the energy they split.
AttributionInputs attribution_inputs(const RunContext& context, const RunProgress& progress) {
  AttributionInputs in;
  in.mode =
      attribution_mode_from_string(context.options.attribution).value_or(AttributionMode::kAuto);
  in.gpus = read_visible_devices([](const char* name) { return std::getenv(name); });
  if (!progress.cgroup_before) {
    in.cpu_unavailable_reason = "no cgroup snapshot at the start";
    return in;
  }
  const Result<CgroupSnapshot>& before = *progress.cgroup_before;
  if (!before) {
    in.cpu_unavailable_reason = before.error().message;
    return in;
  }
  auto after = snapshot_cgroup_path(context.options.probe, before->cgroup_path, ::getpid());
  if (!after) {
    in.cpu_unavailable_reason = after.error().message;
    return in;
  }
  auto usage = usage_between(*before, *after);
  if (!usage) {
    in.cpu_unavailable_reason = usage.error().message;
    return in;
  }
  in.cpu = *usage;
  return in;
}

void describe_command(const RunContext& context, const RunProgress& progress, RunReport& report) {
  report.command = context.options.command;
  report.hostname = context.hostname;
  report.sensors = context.probe_reports;
  report.started_at = progress.started_at;
  report.start_ns = progress.start_ns;
  report.complete = progress.complete;
  report.interval_s = progress.interval_s;
  report.requested_interval_s = progress.requested_interval_s;
  report.interval_note = progress.interval_note;
  report.rounds = progress.rounds;
  report.late_rounds = progress.late_rounds;
  report.slow_meters = progress.slow_meters;
  if (const ChildExit* exit = progress.exit) {
    report.started = exit->started;
    report.exit_code = exit->exit_code;
    report.signal = exit->signal;
    report.launch_error = exit->launch_error;
    report.left_running = exit->left_running;
    report.waited_for_others_s = exit->waited_for_others_s;
    report.killed_after_interrupts = exit->killed_after_interrupts;
  }
}

// What the ledger's analysis needs from this run besides the timeline.
RunAnalysisInputs analysis_inputs(const RunContext& context, const RunProgress& progress) {
  RunAnalysisInputs in;
  in.start_ns = progress.start_ns;
  in.end_ns = progress.end_ns;
  in.complete = progress.complete;
  if (context.need_cpu_model) {
    in.cpu_model = cpu_model_of(progress.cpu_time_s, context.options.model_watts_per_core);
  }
  in.profile = context.profile ? &*context.profile : nullptr;
  in.profile_warnings = context.profile_warnings;
  in.inventory = context.inventory;
  in.attribution = attribution_inputs(context, progress);
  in.tdp = context.tdp ? &*context.tdp : nullptr;
  in.tdp_error = context.tdp_error;
  in.pue = context.options.pue;
  in.carbon = &context.carbon;
  in.idle_activity_pct = context.options.idle_activity_pct;
  in.cpu_activity = CpuActivity{progress.cpu_time_s, available_cores()};
  in.phases = progress.phases;
  return in;
}

}  // namespace

RunReport analyse_run(const RunContext& context, const Timeline& timeline,
                      const RunProgress& progress) {
  RunReport report;
  static_cast<RunAnalysis&>(report) = jt::analyse_run(timeline, analysis_inputs(context, progress));
  describe_command(context, progress, report);
  report.malformed_markers = progress.malformed_markers;
  report.unmatched_markers = progress.unmatched_markers;
  if (context.profile) report.profile_source = context.profile_source;
  return report;
}

}  // namespace jt::cli
