// SPDX-License-Identifier: BSD-3-Clause
#include "store/job_store.hpp"

#include "store/drivers.hpp"

namespace jt::store {

Result<std::unique_ptr<JobStore>> open_job_store(const StoreConfig& config) {
  if (config.kind == StoreConfig::Kind::kPostgresql) {
    return open_postgres_store(config.credentials_file);
  }
  return open_sqlite_store(config.sqlite_path);
}

}  // namespace jt::store
