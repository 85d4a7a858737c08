// SPDX-License-Identifier: BSD-3-Clause
#include "api/marker_flusher.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "markers/marker_protocol.hpp"

namespace jt {
namespace {

void push(MarkerRing& ring, std::uint64_t id, const std::string& name) {
  ASSERT_TRUE(ring.try_push([&](RawMarker& r) {
    r.kind = MarkerKind::kBegin;
    r.t_ns = static_cast<std::int64_t>(id) * 10;
    r.window_id = id;
    r.name_length = static_cast<std::uint8_t>(name.size());
    std::memcpy(r.name, name.data(), name.size());
  }));
}

// A SOCK_SEQPACKET socket keeps the boundaries of each write(), so the test sees exactly the
// batches the flusher wrote.
TEST(MarkerFlusher, WritesWholeRecordsInBatchesOfAtMostPipeBuf) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
  MarkerRing ring(1024);
  FlusherShared shared;
  // Names that need escaping make records of very different lengths (up to ~600 bytes).
  constexpr std::uint64_t kRecords = 1000;
  for (std::uint64_t i = 1; i <= kRecords; ++i) {
    push(ring, i, std::string(1 + i % 200, i % 3 == 0 ? ' ' : 'n'));
  }
  std::vector<std::string> messages;
  std::thread reader([&] {
    std::vector<char> buffer(2 * PIPE_BUF);
    for (;;) {
      const ssize_t n = ::read(fds[0], buffer.data(), buffer.size());
      if (n <= 0) return;
      messages.emplace_back(buffer.data(), static_cast<std::size_t>(n));
    }
  });
  {
    MarkerFlusher flusher(ring, shared, {fds[1], 77, 20, 2000});
    flusher.start();
    flusher.stop();
    EXPECT_TRUE(flusher.failure().empty()) << flusher.failure();
  }
  ::shutdown(fds[1], SHUT_WR);
  reader.join();
  ::close(fds[0]);
  ::close(fds[1]);

  std::uint64_t next = 1;
  for (const auto& m : messages) {
    EXPECT_LE(m.size(), std::size_t{PIPE_BUF});
    ASSERT_EQ(m.back(), '\n');
    std::size_t start = 0;
    while (start < m.size()) {
      const std::size_t nl = m.find('\n', start);
      const auto record = parse_marker(std::string_view(m).substr(start, nl - start));
      ASSERT_TRUE(record.has_value()) << m.substr(start, nl - start);
      EXPECT_EQ(record->window_id, next++);
      EXPECT_EQ(record->pid, 77);
      start = nl + 1;
    }
  }
  EXPECT_EQ(next, kRecords + 1);
  EXPECT_EQ(shared.sent.load(), kRecords);
  EXPECT_EQ(shared.unsent.load(), 0u);
  // Batches are filled, not one write per record.
  EXPECT_LT(messages.size(), kRecords / 4);
}

TEST(MarkerFlusher, ClosedPipeIsCountedAndRaisesNoSignal) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[0]);  // the parent is gone
  MarkerRing ring(64);
  FlusherShared shared;
  for (std::uint64_t i = 1; i <= 10; ++i) push(ring, i, "w");
  {
    MarkerFlusher flusher(ring, shared, {fds[1], 1, 20, 2000});
    flusher.start();
    flusher.stop();
    EXPECT_NE(flusher.failure().find("Broken pipe"), std::string::npos) << flusher.failure();
  }
  ::close(fds[1]);
  EXPECT_EQ(shared.write_failures.load(), 1u);
  EXPECT_EQ(shared.unsent.load(), 10u);
  EXPECT_EQ(shared.sent.load(), 0u);
  sigset_t pending;
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
  // Still alive: SIGPIPE's default action would have ended the test process.
}

TEST(MarkerFlusher, AParentThatStopsReadingDelaysShutdownBoundedly) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ASSERT_EQ(::fcntl(fds[1], F_SETPIPE_SZ, 4096), 4096);  // one page: full after one batch
  MarkerRing ring(256);
  FlusherShared shared;
  for (std::uint64_t i = 1; i <= 200; ++i) push(ring, i, std::string(100, 'x'));
  const auto started = std::chrono::steady_clock::now();
  {
    MarkerFlusher flusher(ring, shared, {fds[1], 1, 20, 200});
    flusher.start();
    flusher.stop();
    EXPECT_NE(flusher.failure().find("did not read"), std::string::npos) << flusher.failure();
  }
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(waited, 2.0);
  EXPECT_GT(shared.sent.load(), 0u);
  EXPECT_EQ(shared.sent.load() + shared.unsent.load(), 200u);
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace jt
