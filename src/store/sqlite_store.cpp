// SPDX-License-Identifier: BSD-3-Clause
// The job store in one SQLite file (docs/STORE.md "SQLite"): the default, in the agent's state
// directory. Debian's libsqlite3 is used as is; the statements are the shared ones (sql_schema).
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "store/drivers.hpp"
#include "store/sql_schema.hpp"

namespace jt::store {

namespace {

using sql::Value;

// Another writer (the next step's record, a query) holds the lock for milliseconds; waiting
// this long before giving up covers it (https://www.sqlite.org/c3ref/busy_timeout.html).
constexpr int kBusyTimeoutMs = 5000;

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct DatabaseDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, DatabaseDeleter>;

Value column_value(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: return Value(static_cast<std::int64_t>(sqlite3_column_int64(s, i)));
    case SQLITE_FLOAT: return Value(sqlite3_column_double(s, i));
    case SQLITE_NULL: return Value();
    default: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      const int bytes = sqlite3_column_bytes(s, i);
      return Value(std::string(text ? text : "", static_cast<std::size_t>(bytes)));
    }
  }
}

class SqliteStore final : public JobStore, private sql::Session {
 public:
  SqliteStore(Database db, std::filesystem::path path)
      : db_(std::move(db)), path_(std::move(path)) {}

  Result<void> initialise() {
    if (auto done = exec_plain("PRAGMA journal_mode=WAL"); !done) return done;
    if (auto done = exec_plain("BEGIN IMMEDIATE"); !done) return done;
    auto found = sql::apply_migrations(*this);
    if (!found) {
      (void)exec_plain("ROLLBACK");
      return std::unexpected(found.error());
    }
    return exec_plain("COMMIT");
  }

  Result<void> put(const StepRecord& record) override { return put_many({record}); }

  Result<void> put_many(const std::vector<StepRecord>& records) override {
    if (auto done = exec_plain("BEGIN IMMEDIATE"); !done) return done;
    for (const StepRecord& record : records) {
      auto done = execute(sql::kPutRecord, sql::put_parameters(record));
      if (done) {
        done = execute(sql::kRefreshJob, {Value(record.key.cluster), Value(record.key.job_id)});
      }
      if (!done) {
        (void)exec_plain("ROLLBACK");
        return done;
      }
    }
    return exec_plain("COMMIT");
  }

  Result<std::vector<StepRecord>> job(const std::string& job_id,
                                      std::optional<std::uint32_t> owner) override {
    return sql::job_records(runner(), job_id, owner);
  }

  Result<std::vector<JobSummary>> jobs(const JobQuery& query) override {
    return sql::job_summaries(runner(), query);
  }

  int schema_version() override { return sql::stored_schema_version(runner()); }

 private:
  // The driver's own way of running a prepared statement, for the shared queries.
  sql::RunQuery runner() {
    return [this](const std::string& statement, const std::vector<Value>& params) {
      return run(statement, params);
    };
  }

  Result<void> execute(const std::string& statement, const std::vector<Value>& params) override {
    auto rows = run(statement, params);
    if (!rows) return std::unexpected(rows.error());
    return {};
  }
  Result<std::vector<std::vector<Value>>> query(const std::string& statement) override {
    return run(statement, {});
  }
  Result<bool> has_schema_table() override {
    auto rows = run("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
                    {Value(std::string("jt_schema"))});
    if (!rows) return std::unexpected(rows.error());
    return !rows->empty() && rows->front().front() == Value(std::int64_t{1});
  }

  Error error(std::string_view what) const {
    return Error{ErrorKind::kIo,
                 std::string(what) + " in the job store " + path_.string() + ": " +
                     sqlite3_errmsg(db_.get()),
                 "check that the file is a jouletrace job store and the disk is not full"};
  }

  Result<void> exec_plain(const char* statement) {
    if (sqlite3_exec(db_.get(), statement, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return std::unexpected(error(statement));
    }
    return {};
  }

  // Statements are prepared once and kept: the same few run for every call.
  Result<sqlite3_stmt*> prepared(const std::string& statement) {
    auto found = statements_.find(statement);
    if (found != statements_.end()) return found->second.get();
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), statement.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      return std::unexpected(error("preparing a statement"));
    }
    return statements_.emplace(statement, Statement(raw)).first->second.get();
  }

  Result<void> bind(sqlite3_stmt* s, const std::vector<Value>& params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const std::string name = "$" + std::to_string(i + 1);
      const int index = sqlite3_bind_parameter_index(s, name.c_str());
      if (index == 0) return std::unexpected(error("binding " + name));
      const Value& v = params[i];
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(s, index, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(s, index, *d);
      } else if (const auto* t = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text(s, index, t->data(), static_cast<int>(t->size()), SQLITE_STATIC);
      } else {
        rc = sqlite3_bind_null(s, index);
      }
      if (rc != SQLITE_OK) return std::unexpected(error("binding " + name));
    }
    return {};
  }

  Result<std::vector<std::vector<Value>>> run(const std::string& statement,
                                              const std::vector<Value>& params) {
    auto s = prepared(statement);
    if (!s) return std::unexpected(s.error());
    sqlite3_reset(*s);
    sqlite3_clear_bindings(*s);
    if (auto bound = bind(*s, params); !bound) return std::unexpected(bound.error());
    std::vector<std::vector<Value>> rows;
    const int columns = sqlite3_column_count(*s);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
      std::vector<Value> row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int i = 0; i < columns; ++i) row.push_back(column_value(*s, i));
      rows.push_back(std::move(row));
    }
    const bool ok = rc == SQLITE_DONE;
    Error failure = ok ? Error{} : error("running a statement");
    sqlite3_reset(*s);  // releases the read lock and the bound text now, not at the next call
    if (!ok) return std::unexpected(failure);
    return rows;
  }

  Database db_;
  std::filesystem::path path_;
  std::map<std::string, Statement> statements_;
};

// SQLite creates a missing file with the process's umask; creating it first with 0600 keeps
// other users' jobs private. Its -wal and -shm files take the database file's permissions
// (https://www.sqlite.org/tempfiles.html).
Result<void> create_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return make_error(ErrorKind::kIo,
                      "cannot create the job store " + path.string() + ": " + std::strerror(errno),
                      "check that the agent's state directory exists and is writable");
  }
  ::close(fd);
  return {};
}

}  // namespace

Result<std::unique_ptr<JobStore>> open_sqlite_store(const std::filesystem::path& path) {
  if (auto created = create_private_file(path); !created) return std::unexpected(created.error());
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) {
    return make_error(ErrorKind::kIo, "cannot open the job store " + path.string() + ": " +
                                          (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  auto store = std::make_unique<SqliteStore>(std::move(db), path);
  if (auto ready = store->initialise(); !ready) return std::unexpected(ready.error());
  return std::unique_ptr<JobStore>(std::move(store));
}

}  // namespace jt::store
