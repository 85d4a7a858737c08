// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>
#include <malloc.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include "agent/agent_config.hpp"
#include "agent/agent_service.hpp"
#include "agent/journal.hpp"
#include "agent/metrics_exporter.hpp"
#include "agent/socket_server.hpp"
#include "arguments.hpp"
#include "core/clock.hpp"
#include "sampler/sampler.hpp"
#include "sensors/bmc_backends.hpp"
#include "sensors/node_inventory.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

int fail(const Error& error) {
  fmt::print(stderr, "jouletrace agent: {}\n", error.message);
  if (!error.hint.empty()) fmt::print(stderr, "  {}\n", error.hint);
  return kExitOwnFailure;
}

// Root keeps only what reading the sensors needs (docs/AGENT.md, "Privileges"): reading
// root-only files it does not own (CAP_DAC_READ_SEARCH) and the MSRs (CAP_SYS_RAWIO). Files
// that root owns stay readable as their owner. Dropped from the bounding set too, so that
// nothing the agent runs can get the rest back.
std::string drop_capabilities() {
  if (::geteuid() != 0) return "not root: no capabilities to drop";
  const std::array<cap_value_t, 2> keep{CAP_DAC_READ_SEARCH, CAP_SYS_RAWIO};
  for (cap_value_t c = 0; c <= CAP_LAST_CAP; ++c) {
    if (std::ranges::find(keep, c) == keep.end() && CAP_IS_SUPPORTED(c)) cap_drop_bound(c);
  }
  cap_t caps = cap_init();
  cap_set_flag(caps, CAP_PERMITTED, static_cast<int>(keep.size()), keep.data(), CAP_SET);
  cap_set_flag(caps, CAP_EFFECTIVE, static_cast<int>(keep.size()), keep.data(), CAP_SET);
  const int rc = cap_set_proc(caps);
  cap_free(caps);
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return rc == 0 ? "capabilities dropped but CAP_DAC_READ_SEARCH and CAP_SYS_RAWIO"
                 : fmt::format("could not drop capabilities ({})", std::strerror(errno));
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

// Points of a counter may still be withdrawn within its reset doubt (Sampler::settled_before_ns);
// a power reading is never withdrawn, so it only waits for the next round.
std::int64_t settled_before_ns(const ChannelInfo& channel, double interval_s, std::int64_t now_ns) {
  if (channel.quantity == Quantity::kEnergyCounter) {
    return Sampler::settled_before_ns(channel, interval_s, now_ns);
  }
  return now_ns - static_cast<std::int64_t>(2.0 * interval_s * 1e9);
}

// Hands the sampler's settled points to the history and forgets them in the sampler, so that
// an agent that runs for months stays bounded.
class Feeder {
 public:
  explicit Feeder(std::size_t channels) : gaps_seen_(channels, 0) {}

  void drain(Sampler& sampler, agent::AgentState& state, std::int64_t now_ns) {
    sampler.drain([&](std::size_t c, ChannelSeries& series, const ChannelStats& stats) {
      const std::int64_t settled =
          settled_before_ns(state.channels[c], sampler.channel_interval_s(c), now_ns);
      std::size_t taken = 0;
      while (taken < series.t_ns.size() && series.t_ns[taken] < settled) {
        const std::int64_t t = series.t_ns[taken];
        bool after_gap = false;
        while (gaps_seen_[c] < stats.gaps.size() && stats.gaps[gaps_seen_[c]].second <= t) {
          after_gap = after_gap || stats.gaps[gaps_seen_[c]].second == t;
          ++gaps_seen_[c];
        }
        state.history.add_point(c, t, series.energy_j[taken], after_gap);
        ++taken;
      }
      state.history.set_provisional(c, std::span(series.t_ns).subspan(taken),
                                    std::span(series.energy_j).subspan(taken));
      series.t_ns.erase(series.t_ns.begin(),
                        series.t_ns.begin() + static_cast<std::ptrdiff_t>(taken));
      series.energy_j.erase(series.energy_j.begin(),
                            series.energy_j.begin() + static_cast<std::ptrdiff_t>(taken));
      const auto old_activity = std::ranges::lower_bound(series.activity_t_ns, settled);
      const auto dropped = old_activity - series.activity_t_ns.begin();
      for (std::ptrdiff_t i = 0; i < dropped; ++i) {
        const auto k = static_cast<std::size_t>(i);
        state.activity.add(c, series.activity_t_ns[k], series.activity_pct[k]);
      }
      series.activity_t_ns.erase(series.activity_t_ns.begin(), old_activity);
      series.activity_pct.erase(series.activity_pct.begin(), series.activity_pct.begin() + dropped);
      agent::ChannelHealth& health = state.health[c];
      health.lost = stats.lost;
      health.read_errors = stats.skipped + stats.unavailable;
      health.wraps = stats.wraps;
      const double stale_s = 3.0 * sampler.channel_interval_s(c) + 2.0;
      health.up = !stats.lost && stats.samples > 0 && ns_to_s(now_ns - stats.last_t_ns) < stale_s;
    });
  }

 private:
  std::vector<std::size_t> gaps_seen_;
};

// The power of each channel over the newest second of the history, for the exporter.
void note_power(agent::AgentState& state) {
  const auto latest = state.history.latest_ns();
  for (std::size_t c = 0; c < state.channels.size(); ++c) {
    state.health[c].power_w.reset();
    if (!latest) continue;
    const auto now = state.history.energy_at(c, *latest);
    const auto before = state.history.energy_at(c, *latest - 1'000'000'000);
    if (now && before && state.history.gap_ns(c, *latest - 1'000'000'000, *latest) == 0) {
      state.health[c].power_w = now->energy_j - before->energy_j;
    }
  }
}

// Appends the coarse rows the history made since the last call.
void journal_new_rows(const agent::History& history, agent::Journal& journal, std::int64_t& last_ns,
                      bool& failed) {
  const agent::EnergyGrid& coarse = history.coarse();
  if (coarse.empty() || failed) return;
  std::vector<double> row(coarse.channels());
  // From the newest row back to the last one journaled: a tick makes a row or none, and a day
  // of rows must not be walked every tick.
  std::size_t first_new = coarse.size();
  while (first_new > 0 && coarse.t_of(first_new - 1) > last_ns) --first_new;
  for (std::size_t r = first_new; r < coarse.size(); ++r) {
    const std::int64_t t = coarse.t_of(r);
    for (std::size_t c = 0; c < row.size(); ++c) row[c] = coarse.value(r, c);
    if (auto ok = journal.append(t, row); !ok) {
      fmt::print(stderr, "jouletrace agent: {}; the history is no longer journaled\n",
                 ok.error().message);
      failed = true;
      return;
    }
    last_ns = t;
  }
}

// Jobs that ended before the history begins can no longer be answered for.
void forget_old_jobs(agent::AgentState& state) {
  const auto span = state.history.span();
  if (!span) return;
  std::erase_if(state.jobs, [&](const auto& entry) {
    return entry.second.end_ns && *entry.second.end_ns < span->from_ns;
  });
}

// The instant the exported figures are of: the history's newest row, on the wall clock.
std::int64_t figures_unix_ms(const agent::History& history) {
  const auto latest = history.latest_ns();
  if (!latest) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  return (*latest + realtime_minus_monotonic_ns()) / 1'000'000;
}

// The rows the last agent journaled go into the history; the memory they were read into goes
// back to the system, so that a restart does not cost a second day of rows for good.
void restore_history(agent::AgentState& state, agent::Journal& journal) {
  agent::Journal::Rows kept = journal.take_recovered();
  state.history.resume(kept.first_t_ns, kept.step_ns, kept.values, kept.row_count);
  if (kept.row_count > 0) {
    state.startup_notes.push_back(
        fmt::format("{} rows of history kept from before the restart", kept.row_count));
  }
  if (!kept.note.empty()) state.startup_notes.push_back(kept.note);
  kept = {};
  ::malloc_trim(0);
}

UniqueFd stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  (void)::signal(SIGPIPE, SIG_IGN);  // a client gone mid-answer is an error code, not a signal
  return UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

}  // namespace

namespace {

// What the agent does between serving clients: the sampler's settled readings into the
// history, new rows into the journal, and once per presence scan the users on the node, the
// exporter's snapshot and the records that fell out of the history.
class AgentLoop {
 public:
  AgentLoop(Sampler& sampler, agent::AgentState& state, agent::Journal& journal,
            agent::MetricsExporter* exporter)
      : sampler_(sampler),
        state_(state),
        journal_(journal),
        exporter_(exporter),
        feeder_(state.channels.size()),
        scan_ns_(static_cast<std::int64_t>(state.policy.presence_scan_s * 1e9)) {
    const agent::EnergyGrid& coarse = state.history.coarse();
    journaled_ns_ = coarse.empty() ? 0 : coarse.last_t_ns();
  }

  void tick(agent::AgentService& service, std::int64_t now) {
    feeder_.drain(sampler_, state_, now);
    state_.history.advance(now);
    journal_new_rows(state_.history, journal_, journaled_ns_, journal_failed_);
    for (store::StepRecord& record : service.finish_steps(now)) {
      if (state_.store != nullptr) state_.store->submit(std::move(record));
    }
    if (now < next_scan_) return;
    state_.presence.scan(state_.proc_root, now, scan_ns_, state_.policy.first_user_uid);
    if (const auto span = state_.history.span()) state_.presence.forget_before(span->from_ns);
    note_power(state_);
    forget_old_jobs(state_);
    if (exporter_ != nullptr) {
      exporter_->publish(service.metrics_snapshot(figures_unix_ms(state_.history), published_ns_));
      published_ns_ = now;
    }
    next_scan_ = now + scan_ns_;
  }

 private:
  Sampler& sampler_;
  agent::AgentState& state_;
  agent::Journal& journal_;
  agent::MetricsExporter* exporter_;
  Feeder feeder_;
  std::int64_t scan_ns_;
  std::int64_t journaled_ns_ = 0;
  bool journal_failed_ = false;
  std::int64_t next_scan_ = 0;
  std::int64_t published_ns_ = 0;
};

// The journal of the coarse rows, sized to the history's coarse span.
Result<agent::Journal> open_journal(const AgentOptions& options,
                                    const agent::HistoryOptions& history,
                                    const std::vector<std::string>& ids) {
  const auto step_ns = static_cast<std::int64_t>(std::llround(history.coarse_step_s * 1e9));
  const auto rows = static_cast<std::size_t>(history.coarse_span_s / history.coarse_step_s) + 1;
  return agent::Journal::open(options.state_dir, ids, step_ns, rows);
}

// The probed sensors; what each backend found goes to the log.
std::optional<ProbeOutcome> probe_for_agent(const AgentOptions& options) {
  ProbeContext probe = options.probe;
  probe.use_agent = false;  // the agent reads the hardware itself
  auto outcome = probe_node(probe, "agent");
  if (!outcome) return std::nullopt;
  for (const auto& report : outcome->reports) {
    fmt::print(stderr, "jouletrace agent: {}: {}{}\n", report.backend, to_string(report.status),
               report.detail.empty() ? "" : " (" + report.detail + ")");
  }
  return outcome;
}

Result<std::unique_ptr<agent::MetricsExporter>> listen_for_metrics(const AgentOptions& options,
                                                                   agent::AgentState& state) {
  if (options.metrics_listen.empty()) return std::unique_ptr<agent::MetricsExporter>{};
  auto exporter = agent::MetricsExporter::listen(options.metrics_listen);
  if (exporter) {
    state.startup_notes.push_back(
        fmt::format("Prometheus metrics at http://{}/metrics", options.metrics_listen));
  }
  return exporter;
}

void log_line(const std::string& line) { fmt::print(stderr, "jouletrace agent: {}\n", line); }

// The job store of the config (docs/SLURM.md, "Job store"): by default SQLite in the state
// directory; opened by the worker's thread, so that a database that is down delays nothing.
std::unique_ptr<agent::StoreWorker> start_store(const AgentOptions& options,
                                                const agent::AgentConfig& config) {
  if (!config.store_enabled) return nullptr;
  store::StoreConfig where = config.store;
  if (where.kind == store::StoreConfig::Kind::kSqlite && where.sqlite_path.empty())
    where.sqlite_path = std::filesystem::path(options.state_dir) / "jobs.sqlite";
  return std::make_unique<agent::StoreWorker>([where] { return store::open_job_store(where); },
                                              log_line);
}

// What a step's analysis needs besides its readings: the node, the rated powers, the cgroups.
agent::StepContext step_context(const AgentOptions& options,
                                const std::vector<ChannelInfo>& channels) {
  agent::StepContext context;
  context.probe = options.probe;
  context.inventory = read_node_inventory(options.probe, channels);
  auto path = locate_tdp_file("");
  auto table = path ? TdpTable::load(*path) : std::unexpected(path.error());
  if (table) {
    context.tdp = std::move(*table);
  } else {
    context.tdp_error = table.error().message;
  }
  return context;
}

}  // namespace

int agent_verb(const AgentOptions& options) {
  auto config = agent::read_agent_config(options.config, options.interval_s);
  if (!config) return fail(config.error());
  // Before any thread: the sampler's threads inherit the blocked signals.
  UniqueFd stop_fd = stop_signals();
  auto outcome = probe_for_agent(options);
  if (!outcome) return kExitOwnFailure;
  SamplerOptions sampler_options;
  sampler_options.interval_s = options.interval_s;
  Sampler sampler(std::move(outcome->sensors), sampler_options);
  std::vector<std::string> ids;
  for (const auto& channel : sampler.channels()) ids.push_back(channel.id);
  agent::HistoryOptions history_options = config->history;
  history_options.fine_step_s = sampler.interval_s();
  auto journal = open_journal(options, history_options, ids);
  if (!journal) return fail(journal.error());

  agent::AgentState state{
      host_name(), sampler.channels(),   agent::History(ids, history_options),
      {},          config->policy,       std::vector<agent::ChannelHealth>(ids.size()),
      {},          sampler.interval_s(), options.probe.proc_root,
      {}};
  state.policy.exclusive_floor_s = sampler.interval_s();
  state.step_context = step_context(options, sampler.channels());
  state.activity = agent::ActivityLog(
      ids.size(), static_cast<std::int64_t>(std::llround(history_options.coarse_step_s * 1e9)),
      static_cast<std::int64_t>(std::llround(history_options.coarse_span_s * 1e9)));
  restore_history(state, *journal);
  auto server = agent::SocketServer::listen(options.socket, config->limits);
  if (!server) return fail(server.error());
  auto exporter = listen_for_metrics(options, state);
  if (!exporter) return fail(exporter.error());
  state.startup_notes.push_back(drop_capabilities());
  for (const auto& note : state.startup_notes) fmt::print(stderr, "jouletrace agent: {}\n", note);
  fmt::print(stderr, "jouletrace agent: {} channels, every {:g} s; serving {}\n", ids.size(),
             sampler.interval_s(), options.socket);

  auto store_worker = start_store(options, *config);
  state.store = store_worker.get();
  sampler.sample_once();
  sampler.start();
  agent::AgentService service(state);
  AgentLoop loop(sampler, state, *journal, exporter->get());
  const auto tick_ns =
      static_cast<std::int64_t>(std::clamp(sampler.interval_s(), 0.05, 0.25) * 1e9);
  (*server)->run(
      service, [&](std::int64_t now) { loop.tick(service, now); }, tick_ns, stop_fd.get(),
      store_worker ? store_worker->ready_fd() : -1);
  sampler.stop();
  fmt::print(stderr, "jouletrace agent: stopped\n");
  return 0;
}

}  // namespace jt::cli
