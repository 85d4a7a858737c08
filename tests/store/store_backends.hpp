// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// The databases the store's typed suite runs against: a temporary SQLite file, and a real
// PostgreSQL 15 server that the suite starts as the postgres user in a directory of its own.
// Each gives a fresh, empty database per test and a raw SQL door for building old schemas.
#include <netinet/in.h>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "store/job_store.hpp"
#include "store/sql_schema.hpp"

namespace jt::store::testing {

inline std::filesystem::path make_temp_dir(const char* prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / prefix).string() + "XXXXXX";
  const char* made = ::mkdtemp(pattern.data());
  return made ? std::filesystem::path(made) : std::filesystem::path();
}

struct SqliteBackend {
  static constexpr const char* kName = "sqlite";
  static std::string unavailable_reason() { return {}; }
  static void start() {}
  static void stop() {}

  std::filesystem::path dir = make_temp_dir("jt-store-");
  ~SqliteBackend() { std::filesystem::remove_all(dir); }

  StoreConfig config() const { return {.sqlite_path = dir / "jobs.sqlite"}; }

  // Runs statements outside the store, for schemas of earlier versions.
  bool raw(const std::string& statement, const std::vector<sql::Value>& params = {}) const {
    sqlite3* db = nullptr;
    bool ok = sqlite3_open((dir / "jobs.sqlite").c_str(), &db) == SQLITE_OK;
    sqlite3_stmt* s = nullptr;
    ok = ok && sqlite3_prepare_v2(db, statement.c_str(), -1, &s, nullptr) == SQLITE_OK;
    for (std::size_t i = 0; ok && i < params.size(); ++i) {
      const int at = sqlite3_bind_parameter_index(s, ("$" + std::to_string(i + 1)).c_str());
      const sql::Value& v = params[i];
      if (const auto* n = std::get_if<std::int64_t>(&v)) sqlite3_bind_int64(s, at, *n);
      if (const auto* d = std::get_if<double>(&v)) sqlite3_bind_double(s, at, *d);
      if (const auto* t = std::get_if<std::string>(&v)) {
        sqlite3_bind_text(s, at, t->c_str(), -1, SQLITE_TRANSIENT);
      }
    }
    ok = ok && sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    sqlite3_close(db);
    return ok;
  }
};

struct PostgresServer {
  std::filesystem::path dir;
  int port = 0;
  std::string skip_reason;
  int databases = 0;
};

inline PostgresServer& postgres_server() {
  static PostgresServer server;
  return server;
}

inline const char* kPgBin = "/usr/lib/postgresql/15/bin";

inline int run_shell(const std::string& command) { return std::system(command.c_str()); }

inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// psql as the superuser through the server's own socket directory (trusted there; TCP needs a
// password, which the store's role has).
inline int psql(const std::string& sql, const std::string& database = "postgres") {
  const auto& server = postgres_server();
  return run_shell("runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -h " + server.dir.string() +
                   " -p " + std::to_string(server.port) + " -U postgres -d " + database + " -c \"" +
                   sql + "\" >/dev/null 2>&1");
}

struct PostgresBackend {
  static constexpr const char* kName = "postgresql";
  static constexpr const char* kPassword = "jt-store-test-pw";

  static std::string unavailable_reason() {
    if (!std::filesystem::exists(std::string(kPgBin) + "/initdb")) {
      return std::string("PostgreSQL 15 is not installed (") + kPgBin +
             "/initdb): apt-get install postgresql";
    }
    if (::getuid() != 0)
      return "the PostgreSQL tests start a server as the postgres user: run as root";
    if (::getpwnam("postgres") == nullptr) return "there is no postgres user";
    return {};
  }

  static void start() {
    PostgresServer& server = postgres_server();
    server.skip_reason = unavailable_reason();
    if (!server.skip_reason.empty()) return;
    server.dir = make_temp_dir("jt-pg-");
    server.port = free_port();
    const std::string dir = server.dir.string();
    const std::string bin = kPgBin;
    run_shell("chown postgres:postgres " + dir);
    const bool started =
        run_shell("runuser -u postgres -- " + bin + "/initdb -D " + dir +
                  "/data --auth-local=trust --auth-host=scram-sha-256 -U postgres >" + dir +
                  "/initdb.log 2>&1") == 0 &&
        run_shell("runuser -u postgres -- " + bin + "/pg_ctl -D " + dir + "/data -o \"-k " + dir +
                  " -h 127.0.0.1 -p " + std::to_string(server.port) + "\" -l " + dir +
                  "/log -w -t 60 start >/dev/null 2>&1") == 0;
    bool ready = false;
    for (int i = 0; started && !ready && i < 100; ++i) {
      ready = psql("select 1") == 0;
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!ready ||
        psql(std::string("CREATE ROLE jt_store LOGIN PASSWORD '") + kPassword + "'") != 0) {
      server.skip_reason = "the PostgreSQL server did not start: see " + dir + "/log";
    }
  }

  static void stop() {
    PostgresServer& server = postgres_server();
    if (server.dir.empty()) return;
    run_shell("runuser -u postgres -- " + std::string(kPgBin) + "/pg_ctl -D " +
              server.dir.string() + "/data -m fast -w stop >/dev/null 2>&1");
    if (server.skip_reason.empty()) std::filesystem::remove_all(server.dir);
  }

  std::string database;
  std::filesystem::path credentials;

  PostgresBackend() {
    PostgresServer& server = postgres_server();
    database = "jt_test_" + std::to_string(++server.databases);
    psql("CREATE DATABASE " + database + " OWNER jt_store");
    credentials = server.dir / (database + ".conninfo");
    std::ofstream(credentials) << conninfo() << "\n";
    ::chmod(credentials.c_str(), 0600);
  }

  std::string conninfo() const {
    return "host=127.0.0.1 port=" + std::to_string(postgres_server().port) + " dbname=" + database +
           " user=jt_store password=" + kPassword;
  }

  StoreConfig config() const {
    return {.kind = StoreConfig::Kind::kPostgresql, .credentials_file = credentials};
  }

  bool raw(const std::string& statement, const std::vector<sql::Value>& params = {}) const {
    try {
      pqxx::connection c(conninfo());
      pqxx::work w(c);
      std::vector<std::optional<std::string>> texts;
      for (const auto& v : params) {
        if (const auto* n = std::get_if<std::int64_t>(&v)) texts.emplace_back(std::to_string(*n));
        if (const auto* d = std::get_if<double>(&v)) texts.emplace_back(std::to_string(*d));
        if (const auto* t = std::get_if<std::string>(&v)) texts.emplace_back(*t);
        if (std::holds_alternative<std::monostate>(v)) texts.emplace_back();
      }
      std::vector<const char*> pointers;
      for (const auto& t : texts) pointers.push_back(t ? t->c_str() : nullptr);
      c.prepare("raw", statement);
      w.exec_prepared("raw", pqxx::prepare::make_dynamic_params(pointers));
      w.commit();
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }
};

}  // namespace jt::store::testing
