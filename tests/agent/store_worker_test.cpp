// SPDX-License-Identifier: BSD-3-Clause
// The agent's job-store thread over a real SQLite store: records wait while the store cannot be
// opened and are written once it can; a full queue loses records and says so; queries are
// answered, and an abandoned answer is dropped.
#include "agent/store_worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "support/test_support.hpp"

namespace jt::agent {
namespace {

store::StepRecord record(const std::string& job, const std::string& step) {
  store::StepRecord r;
  r.key = {"c", job, step, "node-1"};
  r.uid = 1501;
  r.user = "alice";
  r.begin_unix_ms = 1'000;
  r.end_unix_ms = 2'000;
  r.scope = step == "extern" ? store::StepScope::kAllocation : store::StepScope::kStep;
  r.detail = "summary";
  r.total = {420.0, 1.0, 0.5, Method::kCounter};
  return r;
}

template <typename Done>
bool eventually(Done done, double seconds = 10.0) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

class StoreWorkerTest : public ::testing::Test {
 protected:
  // Opens the SQLite store once `available` is set; counts the tries.
  StoreWorker::Opener opener() {
    return [this]() -> Result<std::unique_ptr<store::JobStore>> {
      ++tries_;
      if (!available_) return make_error(ErrorKind::kUnreachable, "the test's store is down");
      return store::open_job_store({store::StoreConfig::Kind::kSqlite, dir_ / "jobs.sqlite", {}});
    };
  }
  std::function<void(const std::string&)> logger() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      log_.push_back(line);
    };
  }
  bool logged(const std::string& part) {
    std::lock_guard lock(mutex_);
    for (const auto& line : log_)
      if (line.find(part) != std::string::npos) return true;
    return false;
  }

  test::TempTree dir_;
  std::atomic<bool> available_{false};
  std::atomic<int> tries_{0};
  std::mutex mutex_;
  std::vector<std::string> log_;
};

TEST_F(StoreWorkerTest, RecordsWaitWhileTheStoreIsDownAndAreWrittenWhenItIsBack) {
  StoreWorker worker(opener(), logger());
  EXPECT_TRUE(worker.submit(record("1", "extern")));
  EXPECT_TRUE(worker.submit(record("1", "0")));
  ASSERT_TRUE(eventually([&] { return tries_ >= 1; }));
  EXPECT_EQ(worker.written(), 0U);
  EXPECT_EQ(worker.queued(), 2U);
  EXPECT_TRUE(logged("cannot be opened"));
  available_ = true;
  ASSERT_TRUE(eventually([&] { return worker.written() == 2; })) << worker.queued();
  const std::uint64_t ticket = worker.ask([](store::JobStore& s) {
    auto found = s.job("1", std::nullopt);
    return nlohmann::json{{"ok", found.has_value()}, {"records", found ? found->size() : 0}};
  });
  std::optional<nlohmann::json> answer;
  ASSERT_TRUE(eventually([&] { return (answer = worker.take(ticket)).has_value(); }));
  EXPECT_EQ((*answer)["records"], 2);
}

TEST_F(StoreWorkerTest, AFullQueueLosesRecordsAndSaysSo) {
  StoreWorker worker(opener(), logger(), 2);
  EXPECT_TRUE(worker.submit(record("1", "0")));
  EXPECT_TRUE(worker.submit(record("1", "1")));
  EXPECT_FALSE(worker.submit(record("1", "2")));
  EXPECT_TRUE(logged("queue is full"));
}

TEST_F(StoreWorkerTest, AnAbandonedAnswerIsDropped) {
  available_ = true;
  StoreWorker worker(opener(), logger());
  std::atomic<bool> release{false};
  const std::uint64_t ticket = worker.ask([&](store::JobStore&) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return nlohmann::json{{"ok", true}};
  });
  worker.abandon(ticket);  // before the answer exists
  release = true;
  const std::uint64_t later = worker.ask([](store::JobStore&) {
    return nlohmann::json{{"ok", 1}};
  });
  ASSERT_TRUE(eventually([&] { return worker.take(later).has_value(); }));
  EXPECT_FALSE(worker.take(ticket).has_value());
}

TEST_F(StoreWorkerTest, StoppingWritesWhatIsQueued) {
  available_ = true;
  {
    StoreWorker worker(opener(), logger());
    for (int i = 0; i < 50; ++i) worker.submit(record(std::to_string(i), "extern"));
  }
  auto store = store::open_job_store({store::StoreConfig::Kind::kSqlite, dir_ / "jobs.sqlite", {}});
  ASSERT_TRUE(store);
  auto jobs = (*store)->jobs({std::nullopt, std::nullopt, 1000});
  ASSERT_TRUE(jobs);
  EXPECT_EQ(jobs->size(), 50U);
}

}  // namespace
}  // namespace jt::agent
