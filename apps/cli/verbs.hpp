// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/carbon.hpp"
#include "sensors/sensor.hpp"

namespace jt::cli {

struct RunOptions {
  ProbeContext probe;
  double interval_s = 0.1;
  std::string output_json;  // "-": standard output (the summary stays on stderr)
  std::string output_csv;
  bool quiet = false;
  bool verbose = false;               // every absent backend with its fix, not one line
  double model_watts_per_core = 0.0;  // 0: the built-in default
  // The JSON report is rewritten this often while the command runs, marked incomplete, so a
  // killed run keeps all but its last seconds; 0: only at the end.
  double checkpoint_s = 10.0;
  bool wait_all = false;  // wait for processes the command left running, not only the command
  int repeat = 1;         // run the command this many times (perf stat -r)
  std::vector<std::string> command;
  // Node profile with idle baselines (from `jouletrace calibrate`); empty: the default place.
  std::string profile_path;
  std::string tdp_file;  // rated-power data for the runtime estimate; empty: the installed one
  double pue = 1.0;      // power usage effectiveness applied to the runtime estimate and CO2e
  bool pue_given = false;
  // --carbon-intensity, --price, --region as given (checked); the environment is read later.
  CarbonSettingTexts carbon;
  std::string attribution = "auto";  // exclusive, shared, auto
  double idle_activity_pct = 1.0;    // a GPU whose utilisation never exceeds this did no work
};

struct SensorsOptions {
  ProbeContext probe;
  bool json = false;
};

struct MarkOptions {
  std::string action;  // begin, end, items
  std::string name;
  std::uint64_t count = 0;
};

struct NodeOptions {
  ProbeContext probe;
  bool json = false;
  std::string output;        // write the profile JSON here
  std::string profile_path;  // stored profile whose baselines are shown; empty: the default
};

struct CalibrateOptions {
  ProbeContext probe;
  double settle_s = 10.0;
  double duration_s = 30.0;
  double interval_s = 0.1;
  std::string profile_path;  // where to store the profile; empty: the default place
};

struct AgentOptions {
  ProbeContext probe;
  std::string socket = "/run/jouletrace/agent.sock";
  std::string metrics_listen;  // ADDR:PORT; empty: no Prometheus endpoint
  std::string state_dir = "/var/lib/jouletrace";
  std::string config;  // settings file (docs/AGENT.md); empty: the defaults
  double interval_s = 0.1;
};

// `jouletrace job` and `jobs` (docs/SLURM.md): a job's records from the job store, through
// the local agent, which shows users their own jobs and operators every job.
struct JobOptions {
  std::string job_id;
  std::string agent_socket;
  bool json = false;
  bool admin_comment = false;  // the compact line for sacct's AdminComment
  int expect_nodes = 0;  // --admin-comment: incomplete (exit 3) until this many allocation records
  // CO2e and cost of the job's energy (docs/CARBON.md): as given, checked; resolved later.
  CarbonSettingTexts carbon;
  double pue = 1.0;
  bool pue_given = false;
};
struct JobsOptions {
  std::string agent_socket;
  std::string user;   // name or uid; empty: one's own (operators: everyone's)
  std::string since;  // a date, "2026-12-01" or "2026-12-01T10:00", or an age, "24h"
  std::size_t limit = 100;
  bool json = false;
  CarbonSettingTexts carbon;  // as for `job`
  double pue = 1.0;
  bool pue_given = false;
};
// `jouletrace compare` (README.md, "Use"): the study table of result files.
struct CompareOptions {
  std::vector<std::string> results;  // FILE or LABEL=FILE, one configuration each
  std::string reference;             // a label; empty: no ratios
  bool csv = false;
  bool json = false;
  std::string output;  // empty or "-": standard output
};
// `jouletrace study` (docs/STUDY.md): a declared matrix run under measurement.
struct StudyOptions {
  RunOptions run;  // how to measure; its command and repeat come from each cell
  std::string study_file;
  std::string output;              // overrides the study's result directory
  std::optional<int> repetitions;  // overrides the study's and the entries'
  std::optional<double> cooldown_s;
  bool no_idle_check = false;
  bool dry_run = false;
};
// `jouletrace report` (README.md, "Use"; docs/REPORT.md): result files as an HTML page.
struct ReportOptions {
  std::vector<std::string> results;  // FILE, LABEL=FILE or a study index
  std::string html;                  // the page to write
  std::string reference;             // a label; empty: no ratios
};
// --admin-comment: the job's records are not all written yet (the epilog retries).
inline constexpr int kExitJobIncomplete = 3;

int run_verb(const RunOptions& options);
int job_verb(const JobOptions& options);
int jobs_verb(const JobsOptions& options);
int compare_verb(const CompareOptions& options);
int study_verb(const StudyOptions& options);
int report_verb(const ReportOptions& options);
int agent_verb(const AgentOptions& options);
int node_verb(const NodeOptions& options);
int calibrate_verb(const CalibrateOptions& options);
int mark_verb(const MarkOptions& options);
int sensors_verb(const SensorsOptions& options);

// Checks what the options name for each backend (a Redfish config, a backend this build lacks),
// then probes every backend. A bad option is printed as "jouletrace VERB: ..." with its fix and
// gives nullopt: nothing is probed.
std::optional<ProbeOutcome> probe_node(const ProbeContext& context, const char* verb);

// The command as one line for messages, made safe for a terminal.
std::string format_command(const std::vector<std::string>& command);

}  // namespace jt::cli
