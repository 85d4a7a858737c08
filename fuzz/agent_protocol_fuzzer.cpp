// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the node agent's socket protocol (docs/AGENT.md, "Protocol"): any local user can connect
// and send any bytes, so the input is what one client sends. Byte 0 picks who the client is
// (root, an operator, or one of two users); the rest is split on '\n' into request lines for
// AgentService::handle, with AgentService::retry called at advancing times in between while the
// history keeps growing, as the agent's event loop does.
//
// Invariants:
// - handle and retry never throw; an answer is exactly one line of JSON, an object with "v": 1
//   and a boolean "ok" (and an error code when not ok);
// - handle answers nothing only when the request now waits (Session::pending), and a waiting
//   request is answered by retry once its deadline has passed;
// - an ok answer to energy, window_end or job has finite (or null) energies, from_ns <= to_ns and
//   a positive resolution; an ok inventory describes channels that channel_from_json reads back;
// - only root and operators get ok for job_begin, job_end, step_begin and step_end;
// - after an ok `markers`, lines are phase markers (as the socket server hands them to
//   feed_marker); every step record made is finite or unknown and reads back through the job
//   store's strict decoder as it was written;
// - the jobs on record and a connection's open windows stay within their limits;
// - channel_from_json (the client's reader of inventory answers) takes any JSON object without
//   throwing, a refusal carrying a message.
#include <sys/types.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/agent_service.hpp"
#include "fuzz_check.hpp"
#include "sensors/agent/agent_wire.hpp"
#include "store/job_record.hpp"

namespace {

using jt::agent::AgentService;
using jt::agent::AgentState;
using jt::agent::Session;
using nlohmann::json;

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kPointStepNs = 50 * kMs;
constexpr std::int64_t kSettleNs = 1 * kS;  // the sampler settles points this late
constexpr std::int64_t kRetryStepNs = 250 * kMs;
constexpr gid_t kOperators = 4242;
constexpr uid_t kAlice = 1501;
constexpr uid_t kBob = 1502;
constexpr std::size_t kMaxJobs = 100'000;
constexpr std::size_t kMaxWindows = 1024;

jt::ChannelInfo channel(const char* id, jt::Domain domain, jt::Quantity quantity) {
  jt::ChannelInfo c;
  c.id = id;
  c.domain = domain;
  c.device = id;
  c.identity = jt::identity_of(domain, 0);
  c.quantity = quantity;
  c.update_period_s = 0.001;
  return c;
}

// A package at 120 W and a GPU at 300 W, one point each every 50 ms over [from, to].
void feed(jt::agent::History& history, std::int64_t from_ns, std::int64_t to_ns) {
  const std::int64_t first = (from_ns + kPointStepNs - 1) / kPointStepNs * kPointStepNs;
  for (std::int64_t t = first; t <= to_ns; t += kPointStepNs) {
    const double s = static_cast<double>(t - 100 * kS) / 1e9;
    history.add_point(0, t, 120.0 * s, false);
    history.add_point(1, t, 300.0 * s, false);
  }
}

// The node of tests/agent/agent_service_test.cpp: measured from 100 s, Alice at work from 100 s
// to 120 s and Bob from 110 s to 111 s. A one-hour coarse span keeps each input cheap.
AgentState make_state() {
  jt::agent::HistoryOptions options;
  options.coarse_span_s = 3600.0;
  AgentState state{
      "node-1",
      {channel("powercap/intel-rapl:0", jt::Domain::kPackage, jt::Quantity::kEnergyCounter),
       channel("nvml/GPU-0", jt::Domain::kGpu, jt::Quantity::kInstantPower)},
      jt::agent::History({"powercap/intel-rapl:0", "nvml/GPU-0"}, options),
      {},
      {},
      std::vector<jt::agent::ChannelHealth>(2),
      {},
      0.1,
      "/nonexistent-proc",
      {}};
  state.policy.operators_gid = kOperators;
  feed(state.history, 100 * kS, 120 * kS);
  state.history.advance(120 * kS);
  state.presence.note(kAlice, 100 * kS, 120 * kS);
  state.presence.note(kBob, 110 * kS, 111 * kS);
  return state;
}

jt::agent::Peer peer_of(std::uint8_t byte) {
  switch (byte % 4) {
    case 0: return {0, 0, 1, {}};
    case 1: return {1600, 100, 2, {100, kOperators}};
    case 2: return {kAlice, kAlice, 3, {}};
    default: return {kBob, kBob, 4, {}};
  }
}

std::string op_of(std::string_view line) {
  const json request = json::parse(line, nullptr, false);
  if (!request.is_object()) return {};
  const auto it = request.find("op");
  return it != request.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void check_energy(const json& figure) {
  JT_FUZZ_CHECK(figure.contains("energy_j"));
  const json& e = figure["energy_j"];
  JT_FUZZ_CHECK(e.is_null() || (e.is_number() && std::isfinite(e.get<double>())));
}

void check_energy_answer(const json& a) {
  JT_FUZZ_CHECK(a["from_ns"].is_number_integer() && a["to_ns"].is_number_integer());
  JT_FUZZ_CHECK(a["from_ns"].get<std::int64_t>() <= a["to_ns"].get<std::int64_t>());
  JT_FUZZ_CHECK(a["resolution_s"].is_number() && a["resolution_s"].get<double>() > 0.0);
  JT_FUZZ_CHECK(a["components"].is_array());
  for (const json& c : a["components"]) check_energy(c);
  check_energy(a["total"]);
}

void check_inventory(const json& a) {
  JT_FUZZ_CHECK(a["channels"].is_array());
  for (const json& c : a["channels"]) {
    const auto back = jt::agent_wire::channel_from_json(c);
    JT_FUZZ_CHECK(back.has_value() && c["id"].is_string() &&
                  back->id == c["id"].get<std::string>());
  }
}

// `op`: the operation the answer is for; for a waiting request, the one that made it wait.
void check_answer(const std::string& text, const std::string& op, bool privileged) {
  JT_FUZZ_CHECK(!text.empty() && text.back() == '\n');
  JT_FUZZ_CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  const json a = json::parse(text, nullptr, false);
  JT_FUZZ_CHECK(!a.is_discarded() && a.is_object());
  JT_FUZZ_CHECK(a.contains("v") && a["v"] == jt::agent_wire::kProtocolVersion);
  JT_FUZZ_CHECK(a.contains("ok") && a["ok"].is_boolean());
  if (!a["ok"].get<bool>()) {
    JT_FUZZ_CHECK(a["error"].is_object() && a["error"]["code"].is_string());
    return;
  }
  if (op == "job_begin" || op == "job_end" || op == "step_begin" || op == "step_end")
    JT_FUZZ_CHECK(privileged);
  if (op == "energy" || op == "window_end" || op == "job") check_energy_answer(a);
  if (op == "inventory") check_inventory(a);
}

void check_channel_reader(std::string_view line) {
  const json value = json::parse(line, nullptr, false);
  if (!value.is_object()) return;
  const auto channel = jt::agent_wire::channel_from_json(value);
  if (!channel) JT_FUZZ_CHECK(!channel.error().message.empty());
}

void check_figure(const jt::store::Figure& f) {
  JT_FUZZ_CHECK(!f.energy_j || std::isfinite(*f.energy_j));
  JT_FUZZ_CHECK(std::isfinite(f.uncertainty_j) && f.uncertainty_j >= 0.0);
}

void check_record(const jt::store::StepRecord& r) {
  check_figure(r.total);
  check_figure(r.idle_gpu);
  for (const auto& p : r.phases) check_figure(p.energy);
  const auto back = jt::store::decode_step_record(jt::store::to_json(r));
  if (!back) std::fprintf(stderr, "record does not read back: %s\n", back.error().message.c_str());
  JT_FUZZ_CHECK(back.has_value());
  JT_FUZZ_CHECK(jt::store::to_json(*back) == jt::store::to_json(r));
}

[[noreturn]] void threw(const char* what) {
  std::fprintf(stderr, "invariant failed: the agent service threw: %s\n", what);
  std::abort();
}

// One client's conversation with the agent.
class Conversation {
 public:
  explicit Conversation(std::uint8_t who) : service_(state_) {
    session_.peer = peer_of(who);
    privileged_ = jt::agent::is_operator(state_.policy, session_.peer);
    service_.on_connect(session_, now_);
  }

  void send(std::string_view line) {
    if (!session_.marker_step.empty()) {
      service_.feed_marker(session_, line);
      return;
    }
    check_channel_reader(line);
    const std::string op = op_of(line);
    const bool was_pending = session_.pending.has_value();
    std::optional<std::string> answer;
    try {
      answer = service_.handle(session_, line, now_);
    } catch (const std::exception& e) {
      threw(e.what());
    }
    if (answer) {
      check_answer(*answer, op, privileged_);
    } else {
      JT_FUZZ_CHECK(!was_pending && session_.pending.has_value());
      waiting_op_ = op;
      deadline_ns_ = session_.pending->deadline_ns;
    }
    JT_FUZZ_CHECK(state_.jobs.size() <= kMaxJobs);
    JT_FUZZ_CHECK(session_.windows.size() <= kMaxWindows);
  }

  void finish() {
    wait(6 * kS / kRetryStepNs);  // the longest wait is a second plus 4 s
    JT_FUZZ_CHECK(!session_.pending.has_value());
  }

  // Time passes: the sampler settles points up to a second ago, the event loop retries.
  void wait(std::size_t steps) {
    for (std::size_t i = 0; i < steps; ++i) {
      feed(state_.history, now_ - kSettleNs + 1, now_ + kRetryStepNs - kSettleNs);
      now_ += kRetryStepNs;
      state_.history.advance(now_);
      retry();
      for (const jt::store::StepRecord& r : service_.finish_steps(now_)) check_record(r);
    }
  }

 private:
  void retry() {
    if (!session_.pending) return;
    std::optional<std::string> answer;
    try {
      answer = service_.retry(session_, now_);
    } catch (const std::exception& e) {
      threw(e.what());
    }
    if (!answer) {
      JT_FUZZ_CHECK(now_ < deadline_ns_ && session_.pending.has_value());
      return;
    }
    JT_FUZZ_CHECK(!session_.pending.has_value());
    check_answer(*answer, waiting_op_, privileged_);
  }

  AgentState state_ = make_state();
  AgentService service_;
  Session session_;
  bool privileged_ = false;
  std::int64_t now_ = 120 * kS;
  std::string waiting_op_;
  std::int64_t deadline_ns_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Conversation conversation(data[0]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const auto nl = stream.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? stream.size() : nl;
    const std::string_view line = stream.substr(pos, end - pos);
    // The socket server skips empty lines; the line's length sets how long the client then waits.
    if (!line.empty()) conversation.send(line);
    conversation.wait(1 + line.size() % 16);
    pos = end + 1;
  }
  conversation.finish();
  return 0;
}
