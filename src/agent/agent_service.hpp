// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/access.hpp"
#include "agent/activity_log.hpp"
#include "agent/history.hpp"
#include "agent/metrics_snapshot.hpp"
#include "agent/slurm_step.hpp"
#include "agent/step_analysis.hpp"
#include "agent/store_worker.hpp"
#include "sampler/sampler.hpp"
#include "sensors/sensor.hpp"

namespace jt::agent {

// How a channel's sensor is doing, from the agent's sampler.
struct ChannelHealth {
  bool lost = false;
  bool up = false;
  std::uint64_t read_errors = 0;
  std::uint64_t wraps = 0;
  std::optional<double> power_w;
};

// A job registered by root (the Slurm plugin) or an operator.
struct Job {
  std::string id;
  uid_t uid = 0;
  std::string user;
  std::int64_t begin_ns = 0;
  std::optional<std::int64_t> end_ns;
  // A run a user's client marked on its own connection (run_begin): its owner may ask for its
  // result later, but it proves no presence and is not a job of the exporter's.
  bool run = false;
  int open_steps = 0;  // a Slurm job: its steps on this node not ended yet
  // The GPUs its steps were given here (Slurm's numbers): the extern step is told none, but
  // covers the whole allocation.
  std::string gpus;
  std::string
      cluster;  // from the first step that named it (the extern step's environment lacks it)
};

// Everything the agent serves from, owned by its event loop (one thread: no locks).
struct AgentState {
  std::string node;
  std::vector<ChannelInfo> channels;
  History history;
  Presence presence;
  AccessPolicy policy;
  std::vector<ChannelHealth> health;
  std::map<std::string, Job> jobs;
  double interval_s = 0.1;
  std::filesystem::path proc_root = "/proc";
  std::vector<std::string> startup_notes;  // what the agent said about its own start
  // Slurm steps from step_begin until their record is made (after step_end, once the history
  // reaches their end), by step_key.
  std::map<std::string, SlurmStep> steps;
  StepContext step_context;
  ActivityLog activity{0, 1'000'000'000, 0};
  StoreWorker* store = nullptr;  // null: no job store (job and jobs answer store_unavailable)
};

// One client connection's state in the protocol.
struct Session {
  Peer peer;
  std::int64_t connected_ns = 0;
  struct Window {
    std::string name;
    std::int64_t begin_ns = 0;
  };
  std::map<std::int64_t, Window> windows;
  std::int64_t next_window = 1;
  std::vector<std::string> open_runs;  // ended when the connection closes
  std::int64_t next_run = 1;
  // A request answered once the history reaches `ready_ns` (or at `deadline_ns` with what
  // there is): a read of the next boundary, the end of a window.
  struct Pending {
    nlohmann::json request;
    std::int64_t ready_ns = 0;
    std::int64_t deadline_ns = 0;
    std::uint64_t store_ticket = 0;  // a job-store query's answer, taken when it comes
  };
  std::optional<Pending> pending;
  // After a `markers` request: every further line is a phase marker of this step (step_key).
  std::string marker_step;
};

// The protocol of docs/AGENT.md over AgentState: a request line in, an answer line out (or
// none yet, when the answer waits for the history). Never throws; never blocks.
class AgentService {
 public:
  explicit AgentService(AgentState& state) : state_(state) {}

  // The answer to one request line, or nothing while it waits (Session::pending).
  std::optional<std::string> handle(Session& session, std::string_view line, std::int64_t now_ns);
  // The answer to a waiting request once it can be given.
  std::optional<std::string> retry(Session& session, std::int64_t now_ns);
  // A new connection: its process counts as the user's presence from its start.
  void on_connect(Session& session, std::int64_t now_ns);
  // A closed connection: its runs still open end now.
  void on_disconnect(Session& session, std::int64_t now_ns);
  // An answer refusing the request outright (too many connections, rate limit).
  static std::string refusal(std::string_view code, std::string_view message,
                             std::string_view hint);
  // Running jobs and those that ended at or after `ended_since_ns` (the last snapshot): the
  // exporter keeps a finished job until one scrape has seen it.
  MetricsSnapshot metrics_snapshot(std::int64_t now_unix_ms, std::int64_t ended_since_ns) const;

  // Energy of every channel over [from, to] as the ledger analyses a window, at `floor_s` or
  // coarser: exposed for tests and the job records.
  nlohmann::json energy_over(std::int64_t begin_ns, std::int64_t end_ns, double floor_s) const;

  // A line of a connection in marker mode (Session::marker_step): one phase marker.
  void feed_marker(Session& session, std::string_view line);
  // The records of the steps that ended and that the history now covers to their end (or that
  // waited for it long enough): analysed, and forgotten here.
  std::vector<store::StepRecord> finish_steps(std::int64_t now_ns);

 private:
  nlohmann::json dispatch(Session& session, const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json hello(const Session& session, std::int64_t now_ns) const;
  nlohmann::json inventory() const;
  nlohmann::json read(Session& session, const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json energy(Session& session, const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json window(Session& session, const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json job(Session& session, const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json job_result(const Session& session, const std::string& id,
                            std::int64_t now_ns) const;
  nlohmann::json run(Session& session, const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json step(Session& session, const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json step_begin(const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json step_end(const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json markers(Session& session, const nlohmann::json& request);
  std::optional<std::string> store_answer(Session& session, std::int64_t now_ns);
  nlohmann::json stored_jobs(Session& session, const nlohmann::json& request, std::int64_t now_ns);
  nlohmann::json answer_read(const Session& session, std::int64_t after_ns,
                             std::int64_t now_ns) const;

  // The rows of [from, to] of the grid that fits the floor, as a window's timeline: the rows at
  // the ends only (an interval's energy depends on no others), or every row (a step's phases).
  Timeline interval_timeline(std::int64_t& from, std::int64_t& to, std::int64_t floor_ns,
                             bool every_row = false) const;

  AgentState& state_;
};

}  // namespace jt::agent
