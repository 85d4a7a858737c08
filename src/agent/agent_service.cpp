// SPDX-License-Identifier: BSD-3-Clause
#include "agent/agent_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "agent/answers.hpp"
#include "core/clock.hpp"
#include "ledger/window_energy.hpp"
#include "report/json_figures.hpp"
#include "sensors/agent/agent_wire.hpp"

namespace jt::agent {

namespace {

using nlohmann::json;

// How long a request may wait for the history beyond the instant it needs: the sampler's
// settling time (docs/ARCHITECTURE.md §4.3: at least 1 s) plus slow meters' rounds.
constexpr std::int64_t kWaitBeyondNs = 4'000'000'000;
// Names a client gives (windows, jobs, users) are kept for a while: bounded, so that the
// tables' caps (1024 windows a connection, 100000 jobs) bound memory too.
constexpr std::size_t kMaxNameBytes = 256;

std::int64_t floor_to(std::int64_t t, std::int64_t step) {
  std::int64_t q = t / step;
  if (q * step > t) --q;
  return q * step;
}

std::int64_t ceil_to(std::int64_t t, std::int64_t step) {
  const std::int64_t f = floor_to(t, step);
  return f == t ? t : f + step;
}

std::int64_t to_ns(double seconds) {
  return static_cast<std::int64_t>(std::llround(seconds * 1e9));
}

// The instants a request may name: 2^62 ns (146 years) either side of the clock's origin. No
// measured time lies beyond, and the arithmetic on such an instant (the realtime offset, the
// rounding to a floor) would overflow.
constexpr std::int64_t kMaxInstantNs = std::int64_t{1} << 62;
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// An integer field within [lo, hi], `fallback` when absent; empty for any other value. Why not
// json::get: a float past the target's range converts with undefined behaviour, and an unsigned
// number past int64 wraps into range.
std::optional<std::int64_t> integer(const json& request, const char* field, std::int64_t fallback,
                                    std::int64_t lo, std::int64_t hi) {
  const auto it = request.find(field);
  if (it == request.end()) return fallback;
  std::int64_t v = 0;
  if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(kInt64Max)) return std::nullopt;
    v = static_cast<std::int64_t>(u);
  } else if (it->is_number_integer()) {
    v = it->get<std::int64_t>();
  } else {
    return std::nullopt;
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

// A timestamp field in the request's clock, on CLOCK_MONOTONIC.
std::optional<std::int64_t> instant(const json& request, const char* field) {
  if (!request.contains(field)) return std::nullopt;
  const auto given = integer(request, field, 0, -kMaxInstantNs, kMaxInstantNs);
  if (!given) return std::nullopt;
  std::int64_t t = *given;
  if (request.value("clock", "monotonic") == "realtime") t -= realtime_minus_monotonic_ns();
  return t;
}

json measurement_json(const Measurement& m) {
  json out;
  put(out, "", m);
  out["samples"] = m.samples;
  out["covered_s"] = finite(m.covered_s);
  return out;
}

// An interval whose end the history has not reached: the answer waits (Session::pending) until
// it has, or until `deadline_ns`, and is then the interval's energy, named when `name` is.
void wait_for_energy(Session& session, const json& request, std::int64_t begin_ns,
                     std::int64_t end_ns, double floor_s, const std::string* name,
                     std::int64_t deadline_ns) {
  json waiting{{"op", "energy"}, {"from_ns", begin_ns}, {"to_ns", end_ns}, {"floor_s", floor_s}};
  if (name != nullptr) waiting["name"] = *name;
  if (request.contains("id")) waiting["id"] = request["id"];
  session.pending = Session::Pending{std::move(waiting), end_ns, deadline_ns};
}

}  // namespace

std::string AgentService::refusal(std::string_view code, std::string_view message,
                                  std::string_view hint) {
  return failure(code, message, hint).dump() + "\n";
}

void AgentService::on_connect(Session& session, std::int64_t now_ns) {
  session.connected_ns = now_ns;
  if (session.peer.uid < state_.policy.first_user_uid) return;
  const auto started = process_start_ns(state_.proc_root, session.peer.pid);
  state_.presence.note(session.peer.uid, std::min(now_ns, started.value_or(now_ns)), now_ns);
}

std::optional<std::string> AgentService::handle(Session& session, std::string_view line,
                                                std::int64_t now_ns) {
  json request = json::parse(line, nullptr, false);
  json answer;
  if (request.is_discarded() || !request.is_object()) {
    answer = failure("bad_request", "a request is one JSON object on one line");
  } else if (integer(request, "v", 0, kInt64Min, kInt64Max) != agent_wire::kProtocolVersion) {
    answer =
        failure("unsupported_version",
                fmt::format("this agent speaks protocol version {}", agent_wire::kProtocolVersion),
                "update the client or the agent so that they match");
  } else if (session.pending) {
    answer = failure("busy", "one request at a time: the last one is still waiting for data");
  } else {
    // A client that asks is a process of its user on the node, now.
    if (session.connected_ns > 0 && session.peer.uid >= state_.policy.first_user_uid) {
      state_.presence.note(session.peer.uid, session.connected_ns, now_ns);
    }
    try {
      answer = dispatch(session, request, now_ns);
    } catch (const json::exception& e) {
      answer = failure("bad_request", fmt::format("malformed request: {}", e.what()));
    }
  }
  if (answer.is_null()) return std::nullopt;  // waits: Session::pending
  if (request.is_object() && request.contains("id")) answer["id"] = request["id"];
  return answer.dump() + "\n";
}

std::optional<std::string> AgentService::retry(Session& session, std::int64_t now_ns) {
  if (!session.pending) return std::nullopt;
  if (session.pending->store_ticket != 0) return store_answer(session, now_ns);
  // A read is answered from the readings not yet settled too; an interval only from rows.
  const bool live = session.pending->request.value("op", "") == "read";
  const auto latest = live ? state_.history.live_latest_ns(now_ns) : state_.history.latest_ns();
  const bool ready = latest && *latest >= session.pending->ready_ns;
  if (!ready && now_ns < session.pending->deadline_ns) return std::nullopt;
  json request = std::move(session.pending->request);
  session.pending.reset();
  json answer;
  const std::string op = request.value("op", "");
  if (op == "read") {
    answer = answer_read(session, request.value("after_ns", std::int64_t{0}), now_ns);
  } else {
    const std::int64_t from = request.at("from_ns").get<std::int64_t>();
    const std::int64_t to = request.at("to_ns").get<std::int64_t>();
    answer = energy_over(from, to, request.at("floor_s").get<double>());
    if (request.contains("name")) answer["name"] = request["name"];
  }
  if (request.contains("id")) answer["id"] = request["id"];
  return answer.dump() + "\n";
}

json AgentService::dispatch(Session& session, const json& request, std::int64_t now_ns) {
  const std::string op = request.value("op", "");
  if (op == "hello") return hello(session, now_ns);
  if (op == "inventory") return inventory();
  if (op == "read") return read(session, request, now_ns);
  if (op == "energy") return energy(session, request, now_ns);
  if (op == "window_begin" || op == "window_end") return window(session, request, now_ns);
  if (op == "job_begin" || op == "job_end" || op == "job") return job(session, request, now_ns);
  if (op == "run_begin" || op == "run_end") return run(session, request, now_ns);
  if (op == "step_begin" || op == "step_end") return step(session, request, now_ns);
  if (op == "markers") return markers(session, request);
  if (op == "job_record" || op == "jobs") return stored_jobs(session, request, now_ns);
  return failure(
      "unknown_op", fmt::format("no operation '{}'", op),
      "hello, inventory, read, energy, window_begin, window_end, job_begin, job_end, job, "
      "run_begin, run_end, step_begin, step_end, markers, job_record, jobs");
}

json AgentService::hello(const Session& session, std::int64_t now_ns) const {
  const Decision now = decide(state_.policy, state_.presence, session.peer, now_ns, now_ns);
  json answer = success();
  answer["agent"] = {
      {"version", JOULETRACE_VERSION}, {"node", state_.node}, {"interval_s", state_.interval_s}};
  answer["you"] = {{"uid", session.peer.uid},
                   {"operator", is_operator(state_.policy, session.peer)},
                   {"floor_s", now.floor_s},
                   {"exclusive", now.exclusive}};
  answer["realtime_minus_monotonic_ns"] = realtime_minus_monotonic_ns();
  json history = nullptr;
  if (const auto span = state_.history.span())
    history = {{"from_ns", span->from_ns}, {"to_ns", span->to_ns}};
  answer["history"] = history;
  json restarts = json::array();
  for (const TimeSpan& r : state_.history.restarts())
    restarts.push_back({{"from_ns", r.from_ns}, {"to_ns", r.to_ns}});
  answer["restarts"] = restarts;
  answer["notes"] = state_.startup_notes;
  return answer;
}

json AgentService::inventory() const {
  json channels = json::array();
  for (const ChannelInfo& c : state_.channels) channels.push_back(agent_wire::channel_to_json(c));
  json answer = success();
  answer["channels"] = channels;
  return answer;
}

json AgentService::read(Session& session, const json& request, std::int64_t now_ns) {
  const auto after_field = integer(request, "after_ns", 0, -kMaxInstantNs, kMaxInstantNs);
  if (!after_field) return failure("bad_request", "after_ns is an integer instant");
  const std::int64_t after = *after_field;
  const Decision d = decide(state_.policy, state_.presence, session.peer, now_ns, now_ns);
  const std::int64_t step = to_ns(d.floor_s);
  const auto live = state_.history.live_latest_ns(now_ns);
  if (live && floor_to(*live, step) > after) return answer_read(session, after, now_ns);
  // Nothing new at this resolution yet: the answer waits for the next boundary.
  session.pending = Session::Pending{request, after + step, now_ns + step + kWaitBeyondNs};
  return nullptr;
}

json AgentService::answer_read(const Session& session, std::int64_t after_ns,
                               std::int64_t now_ns) const {
  const auto latest = state_.history.live_latest_ns(now_ns);
  const Decision d = decide(state_.policy, state_.presence, session.peer, now_ns, now_ns);
  const std::int64_t step = to_ns(d.floor_s);
  if (!latest)
    return failure("no_data", "the agent has no readings yet", "try again in a few seconds");
  const std::int64_t boundary = floor_to(*latest, step);
  if (boundary <= after_ns) return failure("no_data", "no new boundary yet");
  const Decision at = decide(state_.policy, state_.presence, session.peer, boundary, boundary);
  if (!at.allowed) return failure("denied", at.reason);
  json values = json::array();
  for (std::size_t c = 0; c < state_.channels.size(); ++c) {
    const auto value = state_.history.live_energy_at(c, boundary);
    json v;
    if (!value) {
      v["status"] = state_.health[c].lost ? "lost" : "none";
    } else {
      const bool gap = after_ns > 0 && state_.history.gap_ns(c, after_ns, boundary) > 0;
      v["status"] = gap ? "gap" : "ok";
      v["energy_j"] = *value;
    }
    values.push_back(v);
  }
  json answer = success();
  answer["t_ns"] = boundary;
  answer["floor_s"] = d.floor_s;
  answer["values"] = values;
  return answer;
}

json AgentService::energy(Session& session, const json& request, std::int64_t now_ns) {
  const auto from = instant(request, "from_ns");
  const auto to = instant(request, "to_ns");
  if (!from || !to || *to <= *from) {
    return failure("bad_request", "energy needs from_ns < to_ns (integers)",
                   "clock: monotonic (default) or realtime");
  }
  if (*to > now_ns + 1'000'000'000)
    return failure("bad_request", "the interval ends in the future");
  const Decision d = decide(state_.policy, state_.presence, session.peer, *from, *to);
  if (!d.allowed) return failure("denied", d.reason);
  const auto latest = state_.history.latest_ns();
  if (latest && *latest >= *to) return energy_over(*from, *to, d.floor_s);
  // Not measured yet: the answer waits until the history reaches the end.
  wait_for_energy(session, request, *from, *to, d.floor_s, nullptr, now_ns + kWaitBeyondNs);
  return nullptr;
}

json AgentService::window(Session& session, const json& request, std::int64_t now_ns) {
  const Decision d = decide(state_.policy, state_.presence, session.peer, now_ns, now_ns);
  const std::int64_t step = to_ns(d.floor_s);
  if (request.at("op") == "window_begin") {
    if (session.windows.size() >= 1024)
      return failure("limit", "at most 1024 open windows per connection");
    const std::string name = request.value("name", "");
    if (name.size() > kMaxNameBytes)
      return failure("too_large", "a window name is at most 256 bytes");
    const std::int64_t id = session.next_window++;
    session.windows[id] = {name, floor_to(now_ns, step)};
    json answer = success();
    answer["window"] = id;
    answer["begin_ns"] = session.windows[id].begin_ns;
    return answer;
  }
  const auto window_id = integer(request, "window", 0, kInt64Min, kInt64Max);
  if (!window_id) return failure("bad_request", "window is the integer window_begin answered");
  const auto it = session.windows.find(*window_id);
  if (it == session.windows.end())
    return failure("not_found", "no such open window on this connection");
  const std::int64_t end = ceil_to(now_ns, step);
  wait_for_energy(session, request, it->second.begin_ns, end, d.floor_s, &it->second.name,
                  now_ns + step + kWaitBeyondNs);
  session.windows.erase(it);
  return nullptr;
}

json AgentService::job(Session& session, const json& request, std::int64_t now_ns) {
  const std::string op = request.at("op").get<std::string>();
  const std::string id = request.at("job_id").get<std::string>();
  if (id.size() > kMaxNameBytes) return failure("too_large", "a job id is at most 256 bytes");
  const bool privileged = is_operator(state_.policy, session.peer);
  if (op == "job") return job_result(session, id, now_ns);
  if (!privileged) return failure("denied", "only root and operators register jobs");
  if (op == "job_begin") {
    if (state_.jobs.size() >= 100'000) return failure("limit", "too many jobs on record");
    // uid_t(-1) is no user (chown's "unchanged").
    const auto uid = integer(request, "uid", -1, 0, std::numeric_limits<uid_t>::max() - 1);
    if (!uid || *uid < 0) return failure("bad_request", "job_begin needs the job's uid");
    const std::string user = request.value("user", "");
    if (user.size() > kMaxNameBytes)
      return failure("too_large", "a user name is at most 256 bytes");
    // A job id names one job: registering it again would move its start and lose its energy.
    if (state_.jobs.contains(id))
      return failure("exists", fmt::format("job {} is already registered", id));
    state_.jobs[id] = Job{id, static_cast<uid_t>(*uid), user, now_ns, std::nullopt};
    return success();
  }
  const auto it = state_.jobs.find(id);
  if (it == state_.jobs.end()) return failure("not_found", fmt::format("no job {}", id));
  it->second.end_ns = now_ns;
  state_.presence.note(it->second.uid, it->second.begin_ns, now_ns);
  return success();
}

namespace {

// The rows of channel c that an interval's energy depends on: the first two and the last two
// with a value. Energies between them are a counter's, so the ends decide the energy, and the
// uncertainty model looks only at the spans beside each end and at the gaps (which the caller
// lists); walking a day of rows for each query would make its cost grow with the interval.
ChannelSeries end_rows(const EnergyGrid& grid, std::size_t c, std::int64_t first_ns,
                       std::int64_t last_ns, std::int64_t step) {
  std::vector<std::pair<std::int64_t, double>> head;
  std::vector<std::pair<std::int64_t, double>> tail;
  for (std::int64_t t = first_ns; t <= last_ns && head.size() < 2; t += step) {
    if (const auto v = grid.energy_at(c, t)) head.emplace_back(t, *v);
  }
  const std::int64_t after_head = head.empty() ? last_ns + 1 : head.back().first + step;
  for (std::int64_t t = last_ns; t >= after_head && tail.size() < 2; t -= step) {
    if (const auto v = grid.energy_at(c, t)) tail.emplace_back(t, *v);
  }
  ChannelSeries series;
  for (const auto& [t, e] : head) {
    series.t_ns.push_back(t);
    series.energy_j.push_back(e);
  }
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
    series.t_ns.push_back(it->first);
    series.energy_j.push_back(it->second);
  }
  return series;
}

ChannelSeries every_row(const EnergyGrid& grid, std::size_t c, std::int64_t first_ns,
                        std::int64_t last_ns, std::int64_t step) {
  ChannelSeries series;
  for (std::int64_t t = first_ns; t <= last_ns; t += step) {
    if (const auto v = grid.energy_at(c, t)) {
      series.t_ns.push_back(t);
      series.energy_j.push_back(*v);
    }
  }
  return series;
}

std::uint64_t rows_spanned(const ChannelSeries& series, std::int64_t step) {
  if (series.t_ns.empty()) return 0;
  return static_cast<std::uint64_t>((series.t_ns.back() - series.t_ns.front()) / step) + 1;
}

}  // namespace

json AgentService::job_result(const Session& session, const std::string& id,
                              std::int64_t now_ns) const {
  const auto it = state_.jobs.find(id);
  const bool privileged = is_operator(state_.policy, session.peer);
  if (it == state_.jobs.end() || (!privileged && it->second.uid != session.peer.uid)) {
    // Another user's job is not there at all, as far as this user can tell.
    return failure("not_found", fmt::format("no job {} of yours on this node", id));
  }
  const Job& j = it->second;
  // A running job ends, so far, where the history does; that lags the clock by the sampler's
  // settling time, so a job begun a moment ago has measured nothing yet (not a negative span).
  const std::int64_t end = std::max(
      j.begin_ns, j.end_ns.value_or(std::min(now_ns, state_.history.latest_ns().value_or(now_ns))));
  // The owner's own job, at the resolution the node allowed while it ran.
  const Decision d = decide(state_.policy, state_.presence, session.peer, j.begin_ns, end);
  json answer = energy_over(j.begin_ns, end, d.floor_s);
  answer["job_id"] = j.id;
  answer["finished"] = j.end_ns.has_value();
  return answer;
}

json AgentService::run(Session& session, const json& request, std::int64_t now_ns) {
  if (request.at("op") == "run_begin") {
    if (session.open_runs.size() >= 64)
      return failure("limit", "at most 64 open runs per connection");
    if (state_.jobs.size() >= 100'000) return failure("limit", "too many jobs on record");
    const std::string id =
        fmt::format("run-{}-{}-{}", session.peer.pid, session.connected_ns, session.next_run++);
    state_.jobs[id] = Job{id, session.peer.uid, {}, now_ns, std::nullopt, true};
    session.open_runs.push_back(id);
    json answer = success();
    answer["run_id"] = id;
    return answer;
  }
  const auto id = request.value("run_id", "");
  const auto open = std::ranges::find(session.open_runs, id);
  if (open == session.open_runs.end())
    return failure("not_found", "no such open run on this connection");
  session.open_runs.erase(open);
  state_.jobs[id].end_ns = now_ns;
  // The result is the run's analysed energy, once the history reaches its end: as a window.
  const Decision d = decide(state_.policy, state_.presence, session.peer, now_ns, now_ns);
  wait_for_energy(session, request, state_.jobs[id].begin_ns, now_ns, d.floor_s, &id,
                  now_ns + to_ns(d.floor_s) + kWaitBeyondNs);
  return nullptr;
}

void AgentService::on_disconnect(Session& session, std::int64_t now_ns) {
  if (session.pending && session.pending->store_ticket != 0 && state_.store != nullptr)
    state_.store->abandon(session.pending->store_ticket);
  for (const std::string& id : session.open_runs) {
    if (auto it = state_.jobs.find(id); it != state_.jobs.end()) it->second.end_ns = now_ns;
  }
  session.open_runs.clear();
}

// The rows of [from, to] of the grid that fits the floor, as the timeline of a window: what
// analyse_window reads for a run's phase reads the same here.
Timeline AgentService::interval_timeline(std::int64_t& from, std::int64_t& to,
                                         std::int64_t floor_ns, bool every_row_wanted) const {
  const History& h = state_.history;
  const EnergyGrid& grid =
      !h.fine().empty() && h.fine().first_t_ns() <= from && floor_ns <= h.fine().step_ns() * 10
          ? h.fine()
          : h.coarse();
  const std::int64_t step = std::max(grid.step_ns(), floor_ns);
  from = floor_to(from, step);
  to = ceil_to(to, step);
  // Only the instants the grid holds rows for can have values: an interval of years (root may ask
  // for one) must not cost a step per row that was never there.
  const std::int64_t first_row =
      grid.empty() ? to : std::max(from, ceil_to(grid.first_t_ns(), step));
  const std::int64_t last_row = grid.empty() ? from : std::min(to, grid.last_t_ns());
  Timeline timeline;
  timeline.interval_s = ns_to_s(step);
  for (std::size_t c = 0; c < state_.channels.size(); ++c) {
    ChannelInfo info = state_.channels[c];
    info.update_period_s = std::max(info.update_period_s, ns_to_s(step));
    ChannelSeries series = every_row_wanted ? every_row(grid, c, first_row, last_row, step)
                                            : end_rows(grid, c, first_row, last_row, step);
    if (every_row_wanted && info.reports_activity) {
      state_.activity.samples_between(c, from, to, series.activity_t_ns, series.activity_pct);
    }
    ChannelStats stats;
    stats.samples = rows_spanned(series, step);
    if (!series.t_ns.empty()) {
      stats.first_t_ns = series.t_ns.front();
      stats.last_t_ns = series.t_ns.back();
      stats.energy_j = series.energy_j.back() - series.energy_j.front();
    }
    for (const TimeSpan& g : h.gaps_between(c, from, to)) {
      stats.gaps.emplace_back(g.from_ns, g.to_ns);
      stats.gap_s += ns_to_s(std::min(g.to_ns, to) - std::max(g.from_ns, from));
    }
    stats.segments = 1 + static_cast<int>(stats.gaps.size());
    stats.lost = state_.health[c].lost && series.t_ns.size() < 2;
    timeline.channels.push_back(std::move(info));
    timeline.series.push_back(std::move(series));
    timeline.stats.push_back(std::move(stats));
    timeline.channel_interval_s.push_back(ns_to_s(step));
  }
  return timeline;
}

json AgentService::energy_over(std::int64_t begin_ns, std::int64_t end_ns, double floor_s) const {
  const std::int64_t floor_ns = std::max<std::int64_t>(1, to_ns(floor_s));
  std::int64_t from = floor_to(begin_ns, floor_ns);
  std::int64_t to = ceil_to(end_ns, floor_ns);
  const Timeline timeline = interval_timeline(from, to, floor_ns);
  WindowEnergy window = analyse_window(timeline, from, to);
  window.total.samples = 0;
  json components = json::array();
  for (std::size_t c = 0; c < window.components.size(); ++c) {
    WindowComponent& wc = window.components[c];
    // The series holds only the rows at the ends; the figure rests on every row between them.
    wc.measured.samples = timeline.stats[c].samples;
    if (wc.in_total) window.total.samples += wc.measured.samples;
    json one = measurement_json(wc.measured);
    one["id"] = wc.id;
    one["domain"] = to_string(wc.domain);
    one["in_total"] = wc.in_total;
    one["covered"] = wc.covered;
    components.push_back(one);
  }
  json answer = success();
  answer["from_ns"] = from;
  answer["to_ns"] = to;
  answer["resolution_s"] = timeline.interval_s;
  answer["components"] = components;
  answer["total"] = measurement_json(window.total);
  return answer;
}

MetricsSnapshot AgentService::metrics_snapshot(std::int64_t now_unix_ms,
                                               std::int64_t ended_since_ns) const {
  MetricsSnapshot s;
  s.node = state_.node;
  s.sampling_interval_s = state_.interval_s;
  s.taken_at_unix_ms = now_unix_ms;
  for (std::size_t c = 0; c < state_.channels.size(); ++c) {
    const ChannelInfo& info = state_.channels[c];
    const ChannelHealth& health = state_.health[c];
    ChannelMetrics m;
    m.component = to_string(info.identity.kind);
    m.domain = to_string(info.domain);
    m.device = info.id;
    m.method = to_string(method_of(info));
    m.energy_j_total = state_.history.latest_energy_j(c);
    m.power_w = health.power_w;
    m.up = health.up;
    m.read_errors = health.read_errors;
    m.wraps = health.wraps;
    m.gaps = state_.history.gap_count(c);
    s.channels.push_back(std::move(m));
  }
  const std::int64_t latest = state_.history.latest_ns().value_or(0);
  for (const auto& [id, j] : state_.jobs) {
    if (j.run || (j.end_ns && *j.end_ns < ended_since_ns)) continue;
    JobMetrics jm{j.id, j.user.empty() ? std::to_string(j.uid) : j.user, j.end_ns.has_value(), {}};
    const std::int64_t end = std::min(j.end_ns.value_or(latest), latest);
    for (std::size_t c = 0; c < state_.channels.size(); ++c) {
      const auto a = state_.history.energy_at(
          c, std::max(j.begin_ns,
                      state_.history.span() ? state_.history.span()->from_ns : j.begin_ns));
      const auto b = state_.history.energy_at(c, end);
      if (a && b && end > j.begin_ns)
        jm.components.push_back({state_.channels[c].id, b->energy_j - a->energy_j});
    }
    s.jobs.push_back(std::move(jm));
  }
  return s;
}

}  // namespace jt::agent
