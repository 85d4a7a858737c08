// SPDX-License-Identifier: BSD-3-Clause
#include "api/marker_flusher.hpp"

#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "core/clock.hpp"

namespace jt {

namespace {

long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t value, const timespec* timeout) {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, value, timeout, nullptr,
                   0);
}

// A write to a pipe without a reader raised SIGPIPE on this thread, where it is blocked; take
// it off the pending set so it is never delivered to the program later.
void consume_pending_sigpipe() {
  sigset_t pending;
  if (::sigpending(&pending) != 0 || sigismember(&pending, SIGPIPE) != 1) return;
  sigset_t only_pipe;
  sigemptyset(&only_pipe);
  sigaddset(&only_pipe, SIGPIPE);
  const timespec zero{};
  while (::sigtimedwait(&only_pipe, nullptr, &zero) < 0 && errno == EINTR) {
  }
}

}  // namespace

void FlusherShared::wake() { futex(&sleeping, FUTEX_WAKE_PRIVATE, 1, nullptr); }

MarkerFlusher::MarkerFlusher(MarkerRing& ring, FlusherShared& shared, Options options)
    : ring_(ring), shared_(shared), options_(options) {}

MarkerFlusher::~MarkerFlusher() { stop(); }

void MarkerFlusher::start() {
  if (thread_) return;
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  try {
    thread_ = std::make_unique<std::thread>([this] { run(); });
  } catch (...) {
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void MarkerFlusher::stop() {
  if (!thread_) return;
  stop_deadline_ns_ = monotonic_ns() + std::int64_t{options_.stop_timeout_ms} * 1'000'000;
  stop_requested_.store(true, std::memory_order_release);
  shared_.sleeping.store(0, std::memory_order_release);
  shared_.wake();
  thread_->join();
  thread_.reset();
}

void MarkerFlusher::abandon_after_fork() { (void)thread_.release(); }

void MarkerFlusher::run() {
  for (;;) {
    const bool stopping = stop_requested_.load(std::memory_order_acquire);
    drain();
    if (stopping) return;  // the drain above saw everything pushed before the stop
    shared_.sleeping.store(1, std::memory_order_seq_cst);
    if (ring_.ready() || stop_requested_.load(std::memory_order_acquire)) {
      shared_.sleeping.store(0, std::memory_order_relaxed);
      continue;
    }
    // Producers wake us only every so many records (a futex call is too dear for each one),
    // so a few markers wait at most this long: their timestamps, not their arrival, count.
    const timespec wait{0, static_cast<long>(options_.idle_wait_ms) * 1'000'000L};
    futex(&shared_.sleeping, FUTEX_WAIT_PRIVATE, 1, &wait);
    shared_.sleeping.store(0, std::memory_order_relaxed);
  }
}

void MarkerFlusher::drain() {
  std::size_t used = 0;
  std::uint64_t records = 0;
  char line[kMaxRecordText];
  while (ring_.try_consume([&](const RawMarker& record) {
    if (broken_) {
      shared_.unsent.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const std::size_t length = format_record(record, options_.pid, line);
    if (used + length > kBatchBytes) {
      send(batch_, used, records);
      used = 0;
      records = 0;
    }
    std::memcpy(batch_ + used, line, length);
    used += length;
    ++records;
  })) {
  }
  if (used > 0) send(batch_, used, records);
}

bool MarkerFlusher::wait_writable() {
  for (;;) {
    int timeout_ms = 100;
    if (stop_requested_.load(std::memory_order_acquire)) {
      const std::int64_t left_ns = stop_deadline_ns_ - monotonic_ns();
      if (left_ns <= 0) return false;
      timeout_ms = static_cast<int>(left_ns / 1'000'000 + 1);
    }
    pollfd pfd{options_.fd, POLLOUT, 0};
    const int ready = ::poll(&pfd, 1, timeout_ms);
    // POLLERR/POLLHUP (no reader) also end the wait: the write then reports the error.
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;
  }
}

void MarkerFlusher::send(const char* data, std::size_t length, std::uint64_t records) {
  if (broken_) {
    shared_.unsent.fetch_add(records, std::memory_order_relaxed);
    return;
  }
  std::size_t offset = 0;
  while (offset < length) {
    // A parent that stopped reading must not hang the program's exit: wait with a deadline
    // rather than in a blocking write. The fd's flags are shared with other processes, so
    // O_NONBLOCK is not ours to set.
    if (!wait_writable()) {
      fail("the parent did not read the marker channel in time", records);
      return;
    }
    const ssize_t n = ::write(options_.fd, data + offset, length - offset);
    if (n >= 0) {
      offset += static_cast<std::size_t>(n);
      continue;
    }
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      // Someone made the pipe non-blocking and it lacks room for the whole batch (writes up
      // to PIPE_BUF are all or nothing): give the reader a moment instead of spinning.
      const timespec pause{0, 1'000'000};
      ::nanosleep(&pause, nullptr);
      continue;
    }
    if (error == EPIPE) consume_pending_sigpipe();
    fail(std::string("writing markers to the parent failed: ") + std::strerror(error), records);
    return;
  }
  shared_.sent.fetch_add(records, std::memory_order_relaxed);
}

void MarkerFlusher::fail(std::string why, std::uint64_t records) {
  // A parent that is gone (EPIPE) or stuck will not come back for this process: stop sending
  // instead of retrying on every batch; the program itself carries on.
  broken_ = true;
  failure_ = std::move(why);
  shared_.write_failures.fetch_add(1, std::memory_order_relaxed);
  shared_.unsent.fetch_add(records, std::memory_order_relaxed);
}

}  // namespace jt
