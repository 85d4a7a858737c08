// SPDX-License-Identifier: BSD-3-Clause
#include "store/sql_schema.hpp"

#include <utility>

#include "store/job_summary.hpp"

namespace jt::store::sql {

namespace {

// v1: one row per step record, its summary columns beside the whole record (to_json).
const std::vector<std::string> kVersion1 = {
    "CREATE TABLE jt_schema (version INTEGER NOT NULL)",
    "CREATE TABLE jt_step_records ("
    " cluster TEXT NOT NULL, job_id TEXT NOT NULL, step_id TEXT NOT NULL, node TEXT NOT NULL,"
    " uid BIGINT NOT NULL, user_name TEXT NOT NULL,"
    " begin_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, scope TEXT NOT NULL,"
    " total_j DOUBLE PRECISION, total_unc_j DOUBLE PRECISION NOT NULL,"
    " total_sys_j DOUBLE PRECISION NOT NULL, total_method TEXT NOT NULL,"
    " idle_gpu_j DOUBLE PRECISION, idle_gpu_unc_j DOUBLE PRECISION NOT NULL,"
    " idle_gpu_sys_j DOUBLE PRECISION NOT NULL, idle_gpu_method TEXT NOT NULL,"
    " estimate_j DOUBLE PRECISION, estimate_unc_j DOUBLE PRECISION NOT NULL,"
    " estimate_sys_j DOUBLE PRECISION NOT NULL, estimate_method TEXT NOT NULL,"
    " document TEXT NOT NULL,"
    " PRIMARY KEY (cluster, job_id, step_id, node))",
    // `job ID` names no cluster, so the primary key's order cannot serve it.
    "CREATE INDEX jt_step_records_by_job ON jt_step_records (job_id)",
};

// v2: one row per job with its owner and interval, so that `jobs` finds the newest jobs through
// an index instead of grouping every record (docs/STORE.md "Migrations"). Filled from the
// records already there.
const std::vector<std::string> kVersion2 = {
    "CREATE TABLE jt_jobs (cluster TEXT NOT NULL, job_id TEXT NOT NULL, uid BIGINT NOT NULL,"
    " begin_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, PRIMARY KEY (cluster, job_id))",
    "INSERT INTO jt_jobs (cluster, job_id, uid, begin_ms, end_ms)"
    " SELECT cluster, job_id, min(uid), min(begin_ms), max(end_ms) FROM jt_step_records"
    " GROUP BY cluster, job_id",
    "CREATE INDEX jt_jobs_by_end ON jt_jobs (end_ms, cluster, job_id)",
    "CREATE INDEX jt_jobs_by_uid_end ON jt_jobs (uid, end_ms, cluster, job_id)",
};

#define JT_SUMMARY_COLUMNS                                                                     \
  "r.cluster, r.job_id, r.step_id, r.node, r.uid, r.user_name, r.begin_ms, r.end_ms, r.scope," \
  " r.total_j, r.total_unc_j, r.total_sys_j, r.total_method,"                                  \
  " r.idle_gpu_j, r.idle_gpu_unc_j, r.idle_gpu_sys_j, r.idle_gpu_method,"                      \
  " r.estimate_j, r.estimate_unc_j, r.estimate_sys_j, r.estimate_method"

void add_figure(std::vector<Value>& out, const Figure& f) {
  if (f.energy_j) {
    out.emplace_back(std::in_place_type<double>, *f.energy_j);
  } else {
    out.emplace_back(std::in_place_type<std::monostate>);
  }
  out.emplace_back(std::in_place_type<double>, f.uncertainty_j);
  out.emplace_back(std::in_place_type<double>, f.systematic_j);
  out.emplace_back(std::in_place_type<std::string>, jt::to_string(f.method));
}

// Reads the columns of a row in order; the first problem is kept and names its column.
class RowReader {
 public:
  explicit RowReader(const std::vector<Value>& row) : row_(row) {}
  std::int64_t integer(const char* column) {
    const Value* v = next(column);
    if (v && std::holds_alternative<std::int64_t>(*v)) return std::get<std::int64_t>(*v);
    fail(column, "is not an integer");
    return 0;
  }
  std::optional<double> optional_number(const char* column) {
    const Value* v = next(column);
    if (v && std::holds_alternative<std::monostate>(*v)) return std::nullopt;
    if (v && std::holds_alternative<double>(*v)) return std::get<double>(*v);
    if (v && std::holds_alternative<std::int64_t>(*v)) {
      return static_cast<double>(std::get<std::int64_t>(*v));
    }
    fail(column, "is not a number");
    return std::nullopt;
  }
  double number(const char* column) {
    const auto value = optional_number(column);
    if (!value) fail(column, "is null");
    return value.value_or(0.0);
  }
  std::string text(const char* column) {
    const Value* v = next(column);
    if (v && std::holds_alternative<std::string>(*v)) return std::get<std::string>(*v);
    fail(column, "is not text");
    return {};
  }
  Figure figure(const char* prefix) {
    Figure f;
    const std::string p = prefix;
    f.energy_j = optional_number((p + "_j").c_str());
    f.uncertainty_j = number((p + "_unc_j").c_str());
    f.systematic_j = number((p + "_sys_j").c_str());
    const std::string method = text((p + "_method").c_str());
    if (const auto parsed = method_from_string(method)) {
      f.method = *parsed;
    } else {
      fail((p + "_method").c_str(), "is not a known method");
    }
    return f;
  }
  void fail(const char* column, const char* what) {
    if (problem_.empty()) problem_ = std::string("column ") + column + " " + what;
  }
  const std::string& problem() const { return problem_; }

 private:
  const Value* next(const char* column) {
    if (index_ >= row_.size()) {
      fail(column, "is missing");
      return nullptr;
    }
    return &row_[index_++];
  }
  const std::vector<Value>& row_;
  std::size_t index_ = 0;
  std::string problem_;
};

}  // namespace

const std::vector<std::string>& migration(int version) {
  static const std::vector<std::string> kNone;
  if (version == 1) return kVersion1;
  if (version == 2) return kVersion2;
  return kNone;
}

const char* const kClearVersion = "DELETE FROM jt_schema";
const char* const kSetVersion = "INSERT INTO jt_schema (version) VALUES ($1)";
const char* const kReadVersion = "SELECT max(version) FROM jt_schema";

const char* const kPutRecord =
    "INSERT INTO jt_step_records (cluster, job_id, step_id, node, uid, user_name, begin_ms,"
    " end_ms, scope, total_j, total_unc_j, total_sys_j, total_method, idle_gpu_j,"
    " idle_gpu_unc_j, idle_gpu_sys_j, idle_gpu_method, estimate_j, estimate_unc_j,"
    " estimate_sys_j, estimate_method, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
    " $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
    " ON CONFLICT (cluster, job_id, step_id, node) DO UPDATE SET uid = excluded.uid,"
    " user_name = excluded.user_name, begin_ms = excluded.begin_ms, end_ms = excluded.end_ms,"
    " scope = excluded.scope, total_j = excluded.total_j, total_unc_j = excluded.total_unc_j,"
    " total_sys_j = excluded.total_sys_j, total_method = excluded.total_method,"
    " idle_gpu_j = excluded.idle_gpu_j, idle_gpu_unc_j = excluded.idle_gpu_unc_j,"
    " idle_gpu_sys_j = excluded.idle_gpu_sys_j, idle_gpu_method = excluded.idle_gpu_method,"
    " estimate_j = excluded.estimate_j, estimate_unc_j = excluded.estimate_unc_j,"
    " estimate_sys_j = excluded.estimate_sys_j, estimate_method = excluded.estimate_method,"
    " document = excluded.document";

// Recomputed from the job's records rather than widened, so that a record replaced by a
// shorter one shrinks the job again. (SQLite needs the WHERE for INSERT ... SELECT ... ON
// CONFLICT to parse.)
const char* const kRefreshJob =
    "INSERT INTO jt_jobs (cluster, job_id, uid, begin_ms, end_ms)"
    " SELECT cluster, job_id, min(uid), min(begin_ms), max(end_ms) FROM jt_step_records"
    " WHERE cluster = $1 AND job_id = $2 GROUP BY cluster, job_id"
    " ON CONFLICT (cluster, job_id) DO UPDATE SET uid = excluded.uid,"
    " begin_ms = excluded.begin_ms, end_ms = excluded.end_ms";

const char* const kJobRecords =
    "SELECT document FROM jt_step_records WHERE job_id = $1 ORDER BY node, begin_ms, step_id";
const char* const kJobRecordsOfUid =
    "SELECT document FROM jt_step_records WHERE job_id = $1 AND uid = $2"
    " ORDER BY node, begin_ms, step_id";

const char* const kJobsAll =
    "SELECT " JT_SUMMARY_COLUMNS
    " FROM (SELECT cluster, job_id, end_ms FROM jt_jobs WHERE end_ms >= $1"
    " ORDER BY end_ms DESC, cluster, job_id LIMIT $2) AS j"
    " JOIN jt_step_records AS r ON r.cluster = j.cluster AND r.job_id = j.job_id"
    " ORDER BY j.end_ms DESC, j.cluster, j.job_id";
const char* const kJobsOfUid =
    "SELECT " JT_SUMMARY_COLUMNS
    " FROM (SELECT cluster, job_id, end_ms FROM jt_jobs WHERE end_ms >= $1 AND uid = $3"
    " ORDER BY end_ms DESC, cluster, job_id LIMIT $2) AS j"
    " JOIN jt_step_records AS r ON r.cluster = j.cluster AND r.job_id = j.job_id"
    " ORDER BY j.end_ms DESC, j.cluster, j.job_id";

Result<int> apply_migrations(Session& session) {
  const auto has_table = session.has_schema_table();
  if (!has_table) return std::unexpected(has_table.error());
  int found = 0;
  if (*has_table) {
    const auto rows = session.query(kReadVersion);
    if (!rows) return std::unexpected(rows.error());
    if (!rows->empty() && !rows->front().empty() &&
        std::holds_alternative<std::int64_t>(rows->front().front())) {
      found = static_cast<int>(std::get<std::int64_t>(rows->front().front()));
    }
  }
  if (found > kSchemaVersion) {
    return make_error(ErrorKind::kUnsupported,
                      "the job store's schema is version " + std::to_string(found) +
                          ", newer than this jouletrace knows (" + std::to_string(kSchemaVersion) +
                          ")",
                      "upgrade jouletrace on this node to the version the other nodes run");
  }
  for (int version = found + 1; version <= kSchemaVersion; ++version) {
    for (const std::string& statement : migration(version)) {
      if (auto done = session.execute(statement, {}); !done) return std::unexpected(done.error());
    }
  }
  if (found == kSchemaVersion) return found;
  if (auto done = session.execute(kClearVersion, {}); !done) return std::unexpected(done.error());
  if (auto done = session.execute(kSetVersion, {Value(std::int64_t{kSchemaVersion})}); !done) {
    return std::unexpected(done.error());
  }
  return found;
}

std::vector<Value> put_parameters(const StepRecord& r) {
  std::vector<Value> out;
  out.reserve(22);
  out.emplace_back(r.key.cluster);
  out.emplace_back(r.key.job_id);
  out.emplace_back(r.key.step_id);
  out.emplace_back(r.key.node);
  out.emplace_back(static_cast<std::int64_t>(r.uid));
  out.emplace_back(r.user);
  out.emplace_back(r.begin_unix_ms);
  out.emplace_back(r.end_unix_ms);
  out.emplace_back(std::string(to_string(r.scope)));
  add_figure(out, r.total);
  add_figure(out, r.idle_gpu);
  add_figure(out, r.estimate);
  out.emplace_back(to_json(r).dump());
  return out;
}

Result<StepRecord> summary_record(const std::vector<Value>& row) {
  RowReader read(row);
  StepRecord r;
  r.key.cluster = read.text("cluster");
  r.key.job_id = read.text("job_id");
  r.key.step_id = read.text("step_id");
  r.key.node = read.text("node");
  const std::int64_t uid = read.integer("uid");
  if (uid < 0 || uid > std::int64_t{UINT32_MAX}) read.fail("uid", "is out of range");
  r.uid = static_cast<std::uint32_t>(uid);
  r.user = read.text("user_name");
  r.begin_unix_ms = read.integer("begin_ms");
  r.end_unix_ms = read.integer("end_ms");
  const auto scope = step_scope_from_string(read.text("scope"));
  if (!scope) read.fail("scope", "is not a known scope");
  r.scope = scope.value_or(StepScope::kStep);
  r.total = read.figure("total");
  r.idle_gpu = read.figure("idle_gpu");
  r.estimate = read.figure("estimate");
  if (!read.problem().empty()) {
    return make_error(ErrorKind::kInvalidData, "a stored step record: " + read.problem(),
                      "the database was changed by something other than jouletrace");
  }
  return r;
}

Result<std::vector<StepRecord>> records_of_documents(const std::string& job_id,
                                                     const std::vector<std::vector<Value>>& rows) {
  if (rows.empty()) {
    return make_error(ErrorKind::kNotFound, "no job " + job_id + " in the job store",
                      "a job is listed once its first step has ended; `jouletrace jobs` lists "
                      "yours");
  }
  std::vector<StepRecord> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    const auto* text = row.empty() ? nullptr : std::get_if<std::string>(&row.front());
    if (!text) return make_error(ErrorKind::kInvalidData, "a stored step record is not text");
    auto record = decode_step_record(*text);
    if (!record) return std::unexpected(record.error());
    out.push_back(std::move(*record));
  }
  return out;
}

std::vector<JobSummary> summaries_of(const std::vector<StepRecord>& rows) {
  std::vector<JobSummary> out;
  std::size_t begin = 0;
  while (begin < rows.size()) {
    std::size_t end = begin + 1;
    while (end < rows.size() && rows[end].key.cluster == rows[begin].key.cluster &&
           rows[end].key.job_id == rows[begin].key.job_id) {
      ++end;
    }
    using Diff = std::vector<StepRecord>::difference_type;
    out.push_back(summary_of_job(std::vector<StepRecord>(rows.begin() + static_cast<Diff>(begin),
                                                         rows.begin() + static_cast<Diff>(end))));
    begin = end;
  }
  return out;
}

Result<std::vector<StepRecord>> job_records(const RunQuery& run, const std::string& job_id,
                                            std::optional<std::uint32_t> owner) {
  std::vector<Value> params{Value(job_id)};
  if (owner) params.emplace_back(static_cast<std::int64_t>(*owner));
  auto rows = run(owner ? kJobRecordsOfUid : kJobRecords, params);
  if (!rows) return std::unexpected(rows.error());
  return records_of_documents(job_id, *rows);
}

Result<std::vector<JobSummary>> job_summaries(const RunQuery& run, const JobQuery& query) {
  std::vector<Value> params{Value(query.since_unix_ms.value_or(INT64_MIN)),
                            Value(static_cast<std::int64_t>(query.limit))};
  if (query.uid) params.emplace_back(static_cast<std::int64_t>(*query.uid));
  auto rows = run(query.uid ? kJobsOfUid : kJobsAll, params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<StepRecord> records;
  records.reserve(rows->size());
  for (const auto& row : *rows) {
    auto record = summary_record(row);
    if (!record) return std::unexpected(record.error());
    records.push_back(std::move(*record));
  }
  return summaries_of(records);
}

int stored_schema_version(const RunQuery& run) {
  auto rows = run(kReadVersion, {});
  if (!rows || rows->empty() || rows->front().empty()) return 0;
  const auto* version = std::get_if<std::int64_t>(&rows->front().front());
  return version ? static_cast<int>(*version) : 0;
}

}  // namespace jt::store::sql
