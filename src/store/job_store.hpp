// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/job_record.hpp"

namespace jt::store {

// Where the records go (docs/SLURM.md "Job store"): SQLite in the agent's state directory by
// default, or one PostgreSQL database for a site, so that a job spanning nodes is whole.
struct StoreConfig {
  enum class Kind { kSqlite, kPostgresql };
  Kind kind = Kind::kSqlite;
  std::filesystem::path sqlite_path;       // kSqlite
  std::filesystem::path credentials_file;  // kPostgresql: a libpq connection string, root-only
};

struct JobQuery {
  std::optional<std::uint32_t> uid;           // a user's own jobs; empty: everyone's (operators)
  std::optional<std::int64_t> since_unix_ms;  // jobs that ended at or after
  std::size_t limit = 100;                    // newest first
};

// One job across its nodes, as `jobs` lists it.
struct JobSummary {
  std::string cluster;
  std::string job_id;
  std::uint32_t uid = 0;
  std::string user;
  std::int64_t begin_unix_ms = 0;
  std::int64_t end_unix_ms = 0;
  int nodes = 0;
  int steps = 0;
  Figure total;  // the job's energy: each node's allocation, else its outermost steps
  Figure idle_gpu;
  Figure estimate;
  bool whole = true;  // false: a node had no allocation (extern step) record
};

class JobStore {
 public:
  virtual ~JobStore() = default;
  // Inserts or replaces the record of (cluster, job, step, node).
  virtual Result<void> put(const StepRecord& record) = 0;
  // Several records in one transaction (a bulk import, a benchmark's fill): all or none.
  virtual Result<void> put_many(const std::vector<StepRecord>& records) = 0;
  // Every step record of a job on every node; `owner` set: only when the job is theirs
  // (another user's job is simply not found).
  virtual Result<std::vector<StepRecord>> job(const std::string& job_id,
                                              std::optional<std::uint32_t> owner) = 0;
  virtual Result<std::vector<JobSummary>> jobs(const JobQuery& query) = 0;
  virtual int schema_version() = 0;
};

// Opens (creating or migrating as needed) the store. The PostgreSQL credentials file must be a
// regular file owned by root and readable by no one else.
Result<std::unique_ptr<JobStore>> open_job_store(const StoreConfig& config);

}  // namespace jt::store
