// SPDX-License-Identifier: BSD-3-Clause
// The job store in one PostgreSQL database for a site (docs/STORE.md "PostgreSQL"), through
// Debian's libpqxx 6.4: every node's agent writes its records there, so a job spanning nodes is
// whole. The statements are the shared ones (sql_schema); pqxx exceptions stop at this file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <pqxx/pqxx>
#include <utility>

#include "store/drivers.hpp"
#include "store/sql_schema.hpp"

namespace jt::store {

namespace {

using sql::Value;

// Two agents opening an empty database at once must not both create the tables: the migration
// transaction holds this lock (https://www.postgresql.org/docs/15/functions-admin.html,
// pg_advisory_xact_lock). The number is jouletrace's own, "JT" in ASCII.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(19028)";
constexpr const char* kHasSchemaTable =
    "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
    " AND table_name = 'jt_schema'";
constexpr std::size_t kMaxCredentialsBytes = std::size_t{64} * 1024;

// PostgreSQL's type oids (pg_type.dat) of the columns the schema uses.
constexpr unsigned kInt2 = 21, kInt4 = 23, kInt8 = 20, kFloat4 = 700, kFloat8 = 701;

std::optional<std::string> parameter_text(const Value& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&v)) {
    // Shortest text that reads back as the same double: the stored figure is the record's.
    std::array<char, 32> buffer{};
    const auto end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), *d).ptr;
    return std::string(buffer.data(), end);
  }
  if (const auto* t = std::get_if<std::string>(&v)) return *t;
  return std::nullopt;
}

Value field_value(const pqxx::field& f) {
  if (f.is_null()) return Value();
  const unsigned type = static_cast<unsigned>(f.type());
  if (type == kInt2 || type == kInt4 || type == kInt8) return Value(f.as<std::int64_t>());
  if (type == kFloat4 || type == kFloat8) return Value(f.as<double>());
  return Value(std::string(f.c_str(), f.size()));
}

std::vector<std::vector<Value>> rows_of(const pqxx::result& result) {
  std::vector<std::vector<Value>> rows;
  rows.reserve(result.size());
  for (const auto& row : result) {
    std::vector<Value> values;
    values.reserve(row.size());
    for (const auto& field : row) values.push_back(field_value(field));
    rows.push_back(std::move(values));
  }
  return rows;
}

class PostgresStore final : public JobStore {
 public:
  explicit PostgresStore(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  Result<void> initialise() {
    return transact([&](pqxx::work& w) -> Result<void> {
      w.exec(kMigrationLock);
      MigrationSession session(*this, w);
      auto found = sql::apply_migrations(session);
      if (!found) return std::unexpected(found.error());
      return {};
    });
  }

  Result<void> put(const StepRecord& record) override { return put_many({record}); }

  Result<void> put_many(const std::vector<StepRecord>& records) override {
    return transact([&](pqxx::work& w) -> Result<void> {
      for (const StepRecord& record : records) {
        run(w, sql::kPutRecord, sql::put_parameters(record));
        run(w, sql::kRefreshJob, {Value(record.key.cluster), Value(record.key.job_id)});
      }
      return {};
    });
  }

  Result<std::vector<StepRecord>> job(const std::string& job_id,
                                      std::optional<std::uint32_t> owner) override {
    return sql::job_records(runner(), job_id, owner);
  }

  Result<std::vector<JobSummary>> jobs(const JobQuery& request) override {
    return sql::job_summaries(runner(), request);
  }

  int schema_version() override { return sql::stored_schema_version(runner()); }

 private:
  // The driver's own way of running a prepared statement, for the shared queries.
  sql::RunQuery runner() {
    return [this](const std::string& statement, const std::vector<Value>& params) {
      return query(statement, params);
    };
  }

  class MigrationSession final : public sql::Session {
   public:
    MigrationSession(PostgresStore& store, pqxx::work& w) : store_(store), w_(w) {}
    Result<void> execute(const std::string& statement, const std::vector<Value>& params) override {
      store_.run(w_, statement, params);
      return {};
    }
    Result<std::vector<std::vector<Value>>> query(const std::string& statement) override {
      return rows_of(store_.run(w_, statement, {}));
    }
    Result<bool> has_schema_table() override {
      const auto rows = rows_of(w_.exec(kHasSchemaTable));
      return rows.front().front() == Value(std::int64_t{1});
    }

   private:
    PostgresStore& store_;
    pqxx::work& w_;
  };

  // A connection lost (a server restart, a network cut) is dropped here and opened again by
  // the next call, so an agent's store outlives the server's outages.
  Result<pqxx::connection*> connection() {
    if (connection_ && connection_->is_open()) return connection_.get();
    connection_.reset();
    prepared_.clear();
    try {
      connection_ = std::make_unique<pqxx::connection>(conninfo_);
      return connection_.get();
    } catch (const std::exception& e) {
      // libpq's message names the host and the user, never the password.
      return make_error(
          ErrorKind::kUnreachable,
          std::string("cannot connect to the job store's PostgreSQL server: ") + e.what(),
          "check the connection string in the credentials file and that the "
          "server is up");
    }
  }

  // Statements are prepared once per connection, under a name of their own.
  pqxx::result run(pqxx::work& w, const std::string& statement, const std::vector<Value>& params) {
    auto [it, added] = prepared_.try_emplace(statement, "");
    if (added) {
      it->second = "jt_statement_" + std::to_string(prepared_.size());
      connection_->prepare(it->second, statement);
    }
    std::vector<std::optional<std::string>> texts;
    texts.reserve(params.size());
    for (const Value& v : params) texts.push_back(parameter_text(v));
    std::vector<const char*> pointers;
    pointers.reserve(texts.size());
    for (const auto& t : texts) pointers.push_back(t ? t->c_str() : nullptr);
    return w.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(pointers));
  }

  template <typename Body>
  Result<void> transact(Body body) {
    auto conn = connection();
    if (!conn) return std::unexpected(conn.error());
    try {
      pqxx::work w(**conn);
      if (auto done = body(w); !done) return done;
      w.commit();
      return {};
    } catch (const pqxx::broken_connection& e) {
      connection_.reset();
      return make_error(ErrorKind::kUnreachable,
                        std::string("lost the connection to the job store's server: ") + e.what(),
                        "the next call connects again");
    } catch (const std::exception& e) {
      // A statement failed: a prepared statement may be gone with an aborted session state.
      prepared_.clear();
      connection_.reset();
      return make_error(ErrorKind::kIo, std::string("the job store's server: ") + e.what(),
                        "check the server's log; the database may have been changed by hand");
    }
  }

  Result<std::vector<std::vector<Value>>> query(const std::string& statement,
                                                const std::vector<Value>& params) {
    std::vector<std::vector<Value>> rows;
    auto done = transact([&](pqxx::work& w) -> Result<void> {
      rows = rows_of(run(w, statement, params));
      return {};
    });
    if (!done) return std::unexpected(done.error());
    return rows;
  }

  std::string conninfo_;
  std::unique_ptr<pqxx::connection> connection_;
  std::map<std::string, std::string> prepared_;  // statement -> its name on this connection
};

Error credentials_refused(const std::filesystem::path& path, const std::string& why) {
  return Error{ErrorKind::kPermissionDenied,
               "the job store's credentials file " + path.string() + " " + why,
               "it holds a database password: make it a regular file owned by root with mode "
               "0600 (chown root:root, chmod 600)"};
}

// The file holds a password (docs/STORE.md "Credentials"): it is used only when root owns it
// and no one else may read or change it.
Result<std::string> read_credentials(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return make_error(errno == EACCES ? ErrorKind::kPermissionDenied : ErrorKind::kNotFound,
                      "cannot open the job store's credentials file " + path.string() + ": " +
                          std::strerror(errno));
  }
  struct stat st {};
  std::string text;
  const bool stat_ok = ::fstat(fd, &st) == 0;
  if (stat_ok && S_ISREG(st.st_mode) && st.st_uid == 0 && (st.st_mode & 077) == 0) {
    std::array<char, 4096> buffer{};
    ssize_t n = 0;
    while ((n = ::read(fd, buffer.data(), buffer.size())) > 0 &&
           text.size() < kMaxCredentialsBytes) {
      text.append(buffer.data(), static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (!stat_ok || !S_ISREG(st.st_mode))
    return std::unexpected(credentials_refused(path, "is not a regular file"));
  if (st.st_uid != 0) return std::unexpected(credentials_refused(path, "is not owned by root"));
  if ((st.st_mode & 077) != 0) {
    return std::unexpected(credentials_refused(path, "is readable or writable by others"));
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty())
    return make_error(ErrorKind::kInvalidData,
                      "the job store's credentials file " + path.string() + " is empty",
                      "write a libpq connection string into it");
  return text;
}

}  // namespace

Result<std::unique_ptr<JobStore>> open_postgres_store(const std::filesystem::path& credentials) {
  auto conninfo = read_credentials(credentials);
  if (!conninfo) return std::unexpected(conninfo.error());
  auto store = std::make_unique<PostgresStore>(std::move(*conninfo));
  if (auto ready = store->initialise(); !ready) return std::unexpected(ready.error());
  return std::unique_ptr<JobStore>(std::move(store));
}

}  // namespace jt::store
