// SPDX-License-Identifier: BSD-3-Clause
#include "agent/store_worker.hpp"

#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

namespace jt::agent {

namespace {

// How long a failing store is left alone before the next try: a database being restarted
// must not be hammered, and records must not wait much longer than it is down.
constexpr auto kRetryAfter = std::chrono::seconds(2);

nlohmann::json store_failure(const Error& error) {
  nlohmann::json e{{"code", "store_unavailable"}, {"message", error.message}};
  if (!error.hint.empty()) e["hint"] = error.hint;
  return {{"v", 1}, {"ok", false}, {"error", e}};
}

}  // namespace

StoreWorker::StoreWorker(Opener opener, std::function<void(const std::string&)> log,
                         std::size_t max_queued_records)
    : opener_(std::move(opener)),
      log_(std::move(log)),
      max_queued_(max_queued_records),
      ready_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] { run(); });
}

StoreWorker::~StoreWorker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool StoreWorker::submit(store::StepRecord record) {
  {
    std::lock_guard lock(mutex_);
    if (records_.size() >= max_queued_) {
      if (!dropping_)
        log_(
            fmt::format("the job store queue is full ({} records): the record of step {}.{} "
                        "and those after it are lost until it drains",
                        max_queued_, record.key.job_id, record.key.step_id));
      dropping_ = true;
      return false;
    }
    dropping_ = false;
    records_.push_back(std::move(record));
  }
  wake_.notify_all();
  return true;
}

std::uint64_t StoreWorker::ask(Query query) {
  std::uint64_t ticket = 0;
  {
    std::lock_guard lock(mutex_);
    ticket = next_ticket_++;
    queries_.emplace_back(ticket, std::move(query));
  }
  wake_.notify_all();
  return ticket;
}

std::optional<nlohmann::json> StoreWorker::take(std::uint64_t ticket) {
  std::lock_guard lock(mutex_);
  const auto it = answers_.find(ticket);
  if (it == answers_.end()) return std::nullopt;
  nlohmann::json answer = std::move(it->second);
  answers_.erase(it);
  return answer;
}

void StoreWorker::abandon(std::uint64_t ticket) {
  std::lock_guard lock(mutex_);
  if (answers_.erase(ticket) == 0) abandoned_.insert(ticket);
}

std::uint64_t StoreWorker::written() const {
  std::lock_guard lock(mutex_);
  return written_;
}

std::size_t StoreWorker::queued() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

bool StoreWorker::ensure_open() {
  if (store_) return true;
  auto opened = opener_();
  if (!opened) {
    if (!failing_)
      log_(fmt::format("the job store cannot be opened: {}{}", opened.error().message,
                       opened.error().hint.empty() ? "" : " (" + opened.error().hint + ")"));
    failing_ = true;
    return false;
  }
  store_ = std::move(*opened);
  log_(fmt::format("job store open (schema version {})", store_->schema_version()));
  failing_ = false;
  return true;
}

// Writes the queued records in order; the first that fails stays first in the queue.
void StoreWorker::write_pending() {
  for (;;) {
    store::StepRecord record;
    {
      std::lock_guard lock(mutex_);
      if (records_.empty()) return;
      record = records_.front();
    }
    if (auto ok = store_->put(record); !ok) {
      if (!failing_)
        log_(fmt::format("the job store refused the record of step {}.{}: {}; kept and retried",
                         record.key.job_id, record.key.step_id, ok.error().message));
      failing_ = true;
      return;
    }
    if (failing_) log_("the job store takes records again");
    failing_ = false;
    std::lock_guard lock(mutex_);
    records_.pop_front();
    ++written_;
  }
}

void StoreWorker::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (queries_.empty() && (records_.empty() || failing_)) {
      wake_.wait_for(lock, kRetryAfter);
      if (stop_) break;
    }
    std::deque<std::pair<std::uint64_t, Query>> queries;
    queries.swap(queries_);
    lock.unlock();
    const bool open = ensure_open();
    for (auto& [ticket, query] : queries) {
      nlohmann::json answer =
          open ? query(*store_)
               : store_failure(Error{ErrorKind::kUnreachable, "the job store cannot be opened",
                                     "see the agent's log"});
      std::lock_guard answered(mutex_);
      if (abandoned_.erase(ticket) == 0) answers_[ticket] = std::move(answer);
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t w = ::write(ready_fd_.get(), &one, sizeof one);
    }
    if (open) write_pending();
    lock.lock();
  }
  // Stopping: what is queued is written now if the store takes it (a backlog of 10 000 records
  // takes seconds), and what is left is said, not dropped silently.
  lock.unlock();
  if (queued() > 0 && ensure_open()) write_pending();
  if (const std::size_t left = queued(); left > 0)
    log_(fmt::format("stopping with {} step records not written to the job store", left));
}

}  // namespace jt::agent
