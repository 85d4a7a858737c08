// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <memory>

#include "core/result.hpp"
#include "store/job_store.hpp"

namespace jt::store {

// The drivers behind open_job_store (docs/STORE.md).
Result<std::unique_ptr<JobStore>> open_sqlite_store(const std::filesystem::path& path);
Result<std::unique_ptr<JobStore>> open_postgres_store(const std::filesystem::path& credentials);

}  // namespace jt::store
