// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "store/job_record.hpp"
#include "store/job_store.hpp"

// The one schema of the job store and the statements both drivers prepare (docs/STORE.md
// "Schema"). The SQL is written once, in the dialect SQLite and PostgreSQL share: parameters
// are $1..$n (SQLite takes them as named parameters), types are TEXT, BIGINT and DOUBLE
// PRECISION, upserts are INSERT ... ON CONFLICT ... DO UPDATE.
namespace jt::store::sql {

// The schema version this code writes; a database newer than this is refused.
constexpr int kSchemaVersion = 2;

// The statements that take a database from `version` - 1 to `version` (1 .. kSchemaVersion).
const std::vector<std::string>& migration(int version);

// Run in the migration's transaction after the steps: records the version reached ($1).
extern const char* const kClearVersion;
extern const char* const kSetVersion;
extern const char* const kReadVersion;

extern const char* const kPutRecord;        // $1..$22: put_parameters()
extern const char* const kRefreshJob;       // $1 cluster, $2 job_id: the job's row in jt_jobs
extern const char* const kJobRecords;       // $1 job_id -> document
extern const char* const kJobRecordsOfUid;  // $1 job_id, $2 uid -> document
extern const char* const kJobsAll;          // $1 since, $2 limit -> summary columns
extern const char* const kJobsOfUid;        // $1 since, $2 limit, $3 uid -> summary columns

// A value as both drivers bind and read it.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

// The 22 parameters of kPutRecord, in order.
std::vector<Value> put_parameters(const StepRecord& record);
// A record holding what the summary columns of a row say (key, owner, interval, scope, total,
// idle GPUs, estimate): enough for summary_of_job.
Result<StepRecord> summary_record(const std::vector<Value>& row);
// The documents of kJobRecords(OfUid) decoded; a job with none is not found.
Result<std::vector<StepRecord>> records_of_documents(const std::string& job_id,
                                                     const std::vector<std::vector<Value>>& rows);
// Rows of kJobsAll/kJobsOfUid, in their order, as one summary per job.
std::vector<JobSummary> summaries_of(const std::vector<StepRecord>& rows);

// A driver's prepared statement run with its parameters, for the queries both drivers answer the
// same way from the rows they return.
using Rows = std::vector<std::vector<Value>>;
using RunQuery = std::function<Result<Rows>(const std::string&, const std::vector<Value>&)>;
Result<std::vector<StepRecord>> job_records(const RunQuery& run, const std::string& job_id,
                                            std::optional<std::uint32_t> owner);
Result<std::vector<JobSummary>> job_summaries(const RunQuery& run, const JobQuery& query);
int stored_schema_version(const RunQuery& run);

// What the migration runner needs of a driver, inside one transaction the driver opened.
class Session {
 public:
  virtual ~Session() = default;
  virtual Result<void> execute(const std::string& statement, const std::vector<Value>& params) = 0;
  virtual Result<std::vector<std::vector<Value>>> query(const std::string& statement) = 0;
  virtual Result<bool> has_schema_table() = 0;
};

// Brings the database to kSchemaVersion, step by step, in the caller's transaction; refuses a
// database newer than this code. Returns the version found before (0: an empty database).
Result<int> apply_migrations(Session& session);

}  // namespace jt::store::sql
