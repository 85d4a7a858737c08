// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace job` and `jouletrace jobs` (docs/SLURM.md, "Seeing a job's energy"): they ask the
// local agent, which answers from the job store with what this user may see.
#include <fmt/format.h>
#include <pwd.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <set>

#include "arguments.hpp"
#include "report/carbon_text.hpp"
#include "report/job_report.hpp"
#include "run_context.hpp"
#include "sensors/agent/agent_connection.hpp"
#include "sensors/agent/agent_wire.hpp"
#include "store/job_summary.hpp"
#include "store/job_summary_json.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

using nlohmann::json;

// The store may be a remote database: answers wait for it, within the agent's own bound.
constexpr double kAnswerWaitS = 15.0;

int fail(const char* verb, const std::string& message, const std::string& hint = {}) {
  fmt::print(stderr, "jouletrace {}: {}\n", verb, message);
  if (!hint.empty()) fmt::print(stderr, "  {}\n", hint);
  return kExitOwnFailure;
}

// One request to the agent; an error answer becomes the Error it describes.
Result<json> ask_agent(const std::string& option, json request) {
  const std::string path = agent_wire::socket_path(option);
  auto connection = agent_wire::AgentConnection::open(path);
  if (!connection) {
    Error e = connection.error();
    e.hint =
        "job records are kept by the node agent (docs/SLURM.md); is `jouletrace agent` "
        "running here, or does --agent / JOULETRACE_AGENT name another socket?";
    return std::unexpected(e);
  }
  auto answer = connection->call(std::move(request), kAnswerWaitS);
  if (!answer) return std::unexpected(answer.error());
  if (answer->value("ok", false)) return answer;
  const json error = answer->value("error", json::object());
  const std::string code = error.value("code", "");
  return make_error(code == "not_found" ? ErrorKind::kNotFound
                    : code == "denied"  ? ErrorKind::kPermissionDenied
                                        : ErrorKind::kIo,
                    error.value("message", "the agent refused"), error.value("hint", ""));
}

// The job's figure is final once `expect_nodes` nodes have written their allocation record (the
// extern step ends last, with the allocation); 0: as soon as there is any record (a cluster
// without PrologFlags=Contain has no allocation records to wait for).
bool complete(const store::JobReport& report, int expect_nodes) {
  const auto with_allocation =
      std::ranges::count_if(report.nodes, [](const store::NodeFigure& n) { return n.whole; });
  return with_allocation >= expect_nodes;
}

}  // namespace

int job_verb(const JobOptions& options) {
  // A bad region or price is an error before the agent is asked.
  auto factors = resolve_carbon_options(options.carbon, options.pue, options.pue_given);
  if (!factors) return fail("job", factors.error().message, factors.error().hint);
  auto answer = ask_agent(options.agent_socket, {{"op", "job_record"}, {"job_id", options.job_id}});
  if (!answer) {
    // The epilog asks before the nodes' agents have written: not there yet, not a failure.
    if (options.admin_comment && answer.error().kind == ErrorKind::kNotFound)
      return kExitJobIncomplete;
    return fail("job", answer.error().message, answer.error().hint);
  }
  std::vector<store::StepRecord> records;
  for (const json& r : answer->value("records", json::array())) {
    auto record = store::decode_step_record(r);
    if (!record) {
      // One bad record must not hide the others: said, and the rest shown.
      fmt::print(stderr, "jouletrace job: a record was skipped: {}\n", record.error().message);
      continue;
    }
    records.push_back(std::move(*record));
  }
  if (records.empty())
    return fail("job", fmt::format("no readable record of job {}", options.job_id));
  store::JobReport report = store::summarise_job(records);
  if (carbon_configured(*factors)) store::add_carbon(report, *factors);
  if (options.admin_comment) {
    if (!complete(report, options.expect_nodes)) return kExitJobIncomplete;
    fmt::print("{}\n", admin_comment(report));
  } else if (options.json) {
    fmt::print("{}\n", job_json(report).dump(2));
  } else {
    fmt::print("{}", job_text(report));
  }
  return 0;
}

namespace {

Result<std::uint32_t> uid_of(const std::string& user) {
  std::uint32_t uid = 0;
  const auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), uid);
  if (ec == std::errc() && end == user.data() + user.size()) return uid;
  if (const passwd* pw = ::getpwnam(user.c_str())) return pw->pw_uid;
  return make_error(ErrorKind::kNotFound, fmt::format("--user {}: no such user", user));
}

// A date in local time ("2026-12-01", "2026-12-01T10:00", "2026-12-01 10:00:00") or an age
// ("24h"), as milliseconds since the epoch.
Result<std::int64_t> since_unix_ms(const std::string& text) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (auto age = parse_duration_s("--since", text, 0.0, 366.0 * 86400.0))
    return now_ms - static_cast<std::int64_t>(*age * 1000.0);
  for (const char* format :
       {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(std::mktime(&tm)) * 1000;
  }
  return make_error(ErrorKind::kInvalidData, fmt::format("--since {}: not a date or an age", text),
                    "e.g. --since 2026-12-01, --since '2026-12-01 10:00' or --since 24h");
}

}  // namespace

int jobs_verb(const JobsOptions& options) {
  auto factors = resolve_carbon_options(options.carbon, options.pue, options.pue_given);
  if (!factors) return fail("jobs", factors.error().message, factors.error().hint);
  json request{{"op", "jobs"}, {"limit", options.limit}};
  if (!options.user.empty()) {
    auto uid = uid_of(options.user);
    if (!uid) return fail("jobs", uid.error().message);
    request["uid"] = *uid;
  }
  if (!options.since.empty()) {
    auto since = since_unix_ms(options.since);
    if (!since) return fail("jobs", since.error().message, since.error().hint);
    request["since_unix_ms"] = *since;
  }
  auto answer = ask_agent(options.agent_socket, request);
  if (!answer) return fail("jobs", answer.error().message, answer.error().hint);
  std::vector<store::JobSummary> jobs;
  for (const json& j : answer->value("jobs", json::array())) {
    auto summary = store::decode_job_summary(j);
    if (!summary) {
      fmt::print(stderr, "jouletrace jobs: a job was skipped: {}\n", summary.error().message);
      continue;
    }
    jobs.push_back(std::move(*summary));
  }
  std::optional<store::JobsCarbon> carbon;
  if (carbon_configured(*factors)) carbon = store::carbon_of_jobs(jobs, *factors);
  const store::JobsCarbon* given = carbon ? &*carbon : nullptr;
  if (options.json) {
    fmt::print("{}\n", jobs_json(jobs, given).dump(2));
  } else {
    fmt::print("{}", jobs_text(jobs, given));
  }
  return 0;
}

}  // namespace jt::cli
