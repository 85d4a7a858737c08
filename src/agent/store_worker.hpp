// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "core/unique_fd.hpp"
#include "store/job_store.hpp"

namespace jt::agent {

// The job store behind a thread of its own (docs/SLURM.md, "Job store"): a slow or unreachable
// database delays neither the event loop nor a step (the SPANK plugin waits for nothing).
// Records wait in a bounded queue while the store is down and are written when it is back;
// queries are answered in the order asked, their results taken by the event loop.
class StoreWorker {
 public:
  using Opener = std::function<Result<std::unique_ptr<store::JobStore>>()>;
  // `log` gets one line per change of the store's state (opened, failing, back).
  StoreWorker(Opener opener, std::function<void(const std::string&)> log,
              std::size_t max_queued_records = 10'000);
  ~StoreWorker();
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // False when the queue is full: the record is lost, and said once in the log.
  bool submit(store::StepRecord record);
  using Query = std::function<nlohmann::json(store::JobStore&)>;
  // A ticket for the query's answer (a protocol answer, ok or not).
  std::uint64_t ask(Query query);
  std::optional<nlohmann::json> take(std::uint64_t ticket);
  // The asker went away: its answer, now or when it comes, is dropped.
  void abandon(std::uint64_t ticket);
  // Readable (an eventfd) when an answer is ready, for the event loop to wait on.
  int ready_fd() const { return ready_fd_.get(); }
  // Written and waiting records, for tests and the log.
  std::uint64_t written() const;
  std::size_t queued() const;

 private:
  void run();
  bool ensure_open();
  void write_pending();

  Opener opener_;
  std::function<void(const std::string&)> log_;
  std::size_t max_queued_;
  std::unique_ptr<store::JobStore> store_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<store::StepRecord> records_;
  std::deque<std::pair<std::uint64_t, Query>> queries_;
  std::map<std::uint64_t, nlohmann::json> answers_;
  std::set<std::uint64_t> abandoned_;
  std::uint64_t next_ticket_ = 1;
  std::uint64_t written_ = 0;
  bool failing_ = false;
  bool dropping_ = false;
  bool stop_ = false;
  UniqueFd ready_fd_;
  std::thread thread_;
};

}  // namespace jt::agent
