// SPDX-License-Identifier: BSD-3-Clause
// One typed suite for both drivers (docs/STORE.md): the binary is built once per backend
// (JT_STORE_BACKEND), so that the PostgreSQL one carries its own labels and runs alone.
#include "store/job_store.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "store/sql_schema.hpp"
#include "store_backends.hpp"
#include "store_test_support.hpp"

namespace jt::store {
namespace {

using testing::figure;
using testing::sample_record;

template <typename Backend>
class JobStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Backend::start(); }
  static void TearDownTestSuite() { Backend::stop(); }
  void SetUp() override {
    const std::string why = skip_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    backend_ = std::make_unique<Backend>();
  }
  std::string skip_reason() const {
    if constexpr (std::is_same_v<Backend, testing::PostgresBackend>) {
      return testing::postgres_server().skip_reason;
    }
    return Backend::unavailable_reason();
  }

  std::unique_ptr<JobStore> open() {
    auto store = open_job_store(backend_->config());
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  std::unique_ptr<Backend> backend_;
};

using Backends = ::testing::Types<testing::JT_STORE_BACKEND>;
TYPED_TEST_SUITE(JobStoreTest, Backends);

StepRecord allocation(const std::string& job, const std::string& node, std::int64_t end_ms,
                      double total_j) {
  return sample_record(job, "extern", node, StepScope::kAllocation, end_ms - 60000, end_ms,
                       total_j);
}

TYPED_TEST(JobStoreTest, PutThenJobGivesTheRecordBack) {
  auto store = this->open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), sql::kSchemaVersion);
  const StepRecord record = allocation("100", "n1", 1'700'000'000'000, 1234.5);
  ASSERT_TRUE(store->put(record).has_value());
  const auto got = store->job("100", std::nullopt);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(to_json(got->front()), to_json(record));
}

TYPED_TEST(JobStoreTest, PutReplacesTheSameStep) {
  auto store = this->open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put(allocation("100", "n1", 2'000'000, 10.0)).has_value());
  ASSERT_TRUE(store->put(allocation("100", "n1", 1'000'000, 20.0)).has_value());
  const auto got = store->job("100", std::nullopt);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().total.energy_j, 20.0);
  const auto listed = store->jobs({});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().end_unix_ms, 1'000'000);  // the replaced record's end is gone
}

TYPED_TEST(JobStoreTest, AnotherUsersJobIsNotFound) {
  auto store = this->open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put(allocation("100", "n1", 1'000'000, 10.0)).has_value());
  EXPECT_TRUE(store->job("100", 1000u).has_value());
  const auto other = store->job("100", 1001u);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(store->job("999", std::nullopt).error().kind, ErrorKind::kNotFound);
}

TYPED_TEST(JobStoreTest, JobsAreNewestFirstFilteredAndLimited) {
  auto store = this->open();
  ASSERT_TRUE(store);
  // Jobs 1..6 end at 1..6 x 1000 s; even jobs belong to uid 2000.
  std::vector<StepRecord> records;
  for (int i = 1; i <= 6; ++i) {
    StepRecord r = allocation(std::to_string(i), "n1", i * 1'000'000, 100.0 * i);
    if (i % 2 == 0) r.uid = 2000;
    records.push_back(r);
  }
  ASSERT_TRUE(store->put_many(records).has_value());
  auto ids = [](const std::vector<JobSummary>& jobs) {
    std::vector<std::string> out;
    for (const auto& j : jobs) out.push_back(j.job_id);
    return out;
  };
  auto all = store->jobs({.limit = 4});
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(ids(*all), (std::vector<std::string>{"6", "5", "4", "3"}));
  EXPECT_DOUBLE_EQ(*all->front().total.energy_j, 600.0);
  auto mine = store->jobs({.uid = 2000u});
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(ids(*mine), (std::vector<std::string>{"6", "4", "2"}));
  auto recent = store->jobs({.since_unix_ms = 5'000'000});
  ASSERT_TRUE(recent.has_value());
  EXPECT_EQ(ids(*recent), (std::vector<std::string>{"6", "5"}));
}

// Two agents, each with its own connection, write their node's records; the job is whole.
TYPED_TEST(JobStoreTest, TwoAgentsWriteOneJobAcrossNodes) {
  auto agent_a = this->open();
  auto agent_b = this->open();
  ASSERT_TRUE(agent_a && agent_b);
  StepRecord a = allocation("77", "n1", 5'000'000, 0);
  a.total = figure(1500.0, 40.0, 15.0);
  StepRecord b = allocation("77", "n2", 5'100'000, 0);
  b.total = figure(2500.0, 60.0, 25.0);
  StepRecord b_step = sample_record("77", "0", "n2", StepScope::kStep, 4'990'000, 5'000'000, 900);
  ASSERT_TRUE(agent_a->put(a).has_value());
  ASSERT_TRUE(agent_b->put_many({b, b_step}).has_value());
  const auto jobs = agent_a->jobs({});
  ASSERT_TRUE(jobs.has_value()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  const JobSummary& job = jobs->front();
  EXPECT_EQ(job.nodes, 2);
  EXPECT_EQ(job.steps, 2);
  EXPECT_TRUE(job.whole);
  EXPECT_EQ(job.begin_unix_ms, 5'000'000 - 60000);
  EXPECT_EQ(job.end_unix_ms, 5'100'000);
  EXPECT_DOUBLE_EQ(*job.total.energy_j, 1500.0 + 2500.0);
  EXPECT_NEAR(job.total.uncertainty_j, std::hypot(40.0 - 15.0, 60.0 - 25.0) + 15.0 + 25.0, 1e-9);
  const auto records = agent_b->job("77", std::nullopt);
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ(records->size(), 3u);
}

// A database left by each earlier version is migrated on open, its rows still readable.
TYPED_TEST(JobStoreTest, MigratesFromEachEarlierVersion) {
  for (int from = 1; from < sql::kSchemaVersion; ++from) {
    SCOPED_TRACE("from version " + std::to_string(from));
    this->backend_ = std::make_unique<TypeParam>();
    for (int version = 1; version <= from; ++version) {
      for (const std::string& statement : sql::migration(version)) {
        ASSERT_TRUE(this->backend_->raw(statement)) << statement;
      }
    }
    ASSERT_TRUE(this->backend_->raw(sql::kSetVersion, {sql::Value(std::int64_t{from})}));
    const StepRecord old = allocation("5", "n1", 3'000'000, 321.0);
    ASSERT_TRUE(this->backend_->raw(sql::kPutRecord, sql::put_parameters(old)));
    auto store = this->open();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), sql::kSchemaVersion);
    const auto got = store->job("5", std::nullopt);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(to_json(got->front()), to_json(old));
    const auto listed = store->jobs({});
    ASSERT_TRUE(listed.has_value()) << listed.error().message;
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_DOUBLE_EQ(*listed->front().total.energy_j, 321.0);
  }
}

TYPED_TEST(JobStoreTest, RefusesADatabaseNewerThanTheCode) {
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->backend_->raw(sql::kClearVersion));
  ASSERT_TRUE(
      this->backend_->raw(sql::kSetVersion, {sql::Value(std::int64_t{sql::kSchemaVersion + 1})}));
  const auto reopened = open_job_store(this->backend_->config());
  ASSERT_FALSE(reopened.has_value());
  EXPECT_EQ(reopened.error().kind, ErrorKind::kUnsupported);
  EXPECT_NE(reopened.error().message.find("newer"), std::string::npos);
}

TYPED_TEST(JobStoreTest, AMalformedStoredRecordIsAnErrorNotACrash) {
  auto store = this->open();
  ASSERT_TRUE(store);
  StepRecord record = allocation("9", "n1", 1'000'000, 10.0);
  auto params = sql::put_parameters(record);
  params.back() = sql::Value(std::string("{\"format\":1,\"cluster\":5}"));
  ASSERT_TRUE(this->backend_->raw(sql::kPutRecord, params));
  const auto got = store->job("9", std::nullopt);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().kind, ErrorKind::kInvalidData);
  EXPECT_NE(got.error().message.find("cluster"), std::string::npos);
}

}  // namespace
}  // namespace jt::store
