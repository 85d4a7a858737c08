// SPDX-License-Identifier: BSD-3-Clause
// Under a parent: the records that reach JOULETRACE_MARKERS, as `jouletrace run` reads them.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/api_test_support.hpp"
#include "core/clock.hpp"
#include "jouletrace/jouletrace.h"
#include "support/test_support.hpp"

namespace jt {
namespace {

class ParentMode : public ::testing::Test {
 protected:
  void SetUp() override {
    if (jt_current_mode() != JT_MODE_UNINITIALIZED) jt_shutdown();
    pipe_ = std::make_unique<test::MarkerPipe>();
  }
  void TearDown() override {
    // Before the pipe closes: the flusher must never write to a recycled descriptor number.
    if (jt_current_mode() != JT_MODE_UNINITIALIZED) jt_shutdown();
    pipe_.reset();
  }
  test::ParsedStream shutdown_and_collect() {
    EXPECT_EQ(jt_shutdown(), JT_OK) << jt_last_error();
    return test::parse_stream(pipe_->collect());
  }

  std::unique_ptr<test::MarkerPipe> pipe_;
};

TEST_F(ParentMode, RecordsCarryIdsNamesAndTimestampsWithinTheCalls) {
  ASSERT_EQ(jt_init(nullptr), JT_OK) << jt_last_error();
  EXPECT_EQ(jt_current_mode(), JT_MODE_PARENT);
  jt_window w = 0;
  const std::int64_t t0 = monotonic_ns();
  ASSERT_EQ(jt_window_begin("train phase", &w), JT_OK);
  const std::int64_t t1 = monotonic_ns();
  ASSERT_EQ(jt_window_add_items(w, 32), JT_OK);
  const std::int64_t t2 = monotonic_ns();
  ASSERT_EQ(jt_window_end(w, nullptr), JT_OK);
  const std::int64_t t3 = monotonic_ns();

  const auto stream = shutdown_and_collect();
  EXPECT_EQ(stream.malformed, 0u);
  ASSERT_EQ(stream.records.size(), 3u);
  EXPECT_EQ(stream.lines[0].rfind("JT1 B ", 0), 0u);
  EXPECT_NE(stream.lines[0].find(" train%20phase"), std::string::npos) << stream.lines[0];
  const auto& b = stream.records[0];
  const auto& n = stream.records[1];
  const auto& e = stream.records[2];
  EXPECT_EQ(b.kind, MarkerRecord::Kind::kBegin);
  EXPECT_EQ(n.kind, MarkerRecord::Kind::kItems);
  EXPECT_EQ(e.kind, MarkerRecord::Kind::kEnd);
  for (const auto* r : {&b, &n, &e}) {
    EXPECT_EQ(r->pid, ::getpid());
    EXPECT_EQ(r->window_id, w);
    EXPECT_EQ(r->name, "train phase");
  }
  EXPECT_EQ(n.count, 32u);
  EXPECT_GE(b.t_ns, t0);
  EXPECT_LE(b.t_ns, t1);
  EXPECT_GE(n.t_ns, t1);
  EXPECT_LE(n.t_ns, t2);
  EXPECT_GE(e.t_ns, t2);
  EXPECT_LE(e.t_ns, t3);
}

TEST_F(ParentMode, EnergyIsTheParentsAfterTheWindowEnded) {
  ASSERT_EQ(jt_init(nullptr), JT_OK);
  jt_window w = 0;
  ASSERT_EQ(jt_window_begin("infer", &w), JT_OK);
  ASSERT_EQ(jt_window_add_items(w, 4), JT_OK);
  jt_measurement m = test::empty_measurement();
  // The window ends normally; its energy is the parent's to report, and the result says so.
  EXPECT_EQ(jt_window_end(w, &m), JT_OK);
  EXPECT_EQ(m.energy_known, 0);
  EXPECT_NE(std::string(m.note).find("parent"), std::string::npos) << m.note;
  EXPECT_NE(std::string(jt_energy_unavailable_reason()).find("parent"), std::string::npos);
  EXPECT_EQ(m.items, 4u);
  EXPECT_STREQ(m.method, "none");
  EXPECT_EQ(jt_window_end(w, nullptr), JT_ERR_UNKNOWN_WINDOW);  // it did end
  const auto stream = shutdown_and_collect();
  ASSERT_EQ(stream.records.size(), 3u);
  EXPECT_EQ(stream.records[2].kind, MarkerRecord::Kind::kEnd);
}

TEST_F(ParentMode, StrictKeepsTheErrorForThoseWhoWantIt) {
  jt_options o{};
  o.struct_size = sizeof o;
  o.flags = JT_INIT_STRICT;
  ASSERT_EQ(jt_init(&o), JT_OK);
  jt_window w = 0;
  ASSERT_EQ(jt_window_begin("infer", &w), JT_OK);
  jt_measurement m = test::empty_measurement();
  EXPECT_EQ(jt_window_end(w, &m), JT_ERR_NOT_AVAILABLE);
  EXPECT_NE(std::string(jt_last_error()).find("parent"), std::string::npos);
  EXPECT_EQ(jt_window_end(w, nullptr), JT_ERR_UNKNOWN_WINDOW);  // it did end
  shutdown_and_collect();
}

TEST_F(ParentMode, LongAndOddNamesAreTruncatedThenEncoded) {
  ASSERT_EQ(jt_init(nullptr), JT_OK);
  std::string name;
  for (int i = 0; i < 300; ++i) name.push_back(static_cast<char>(1 + (i * 37) % 255));
  jt_window w = 0;
  ASSERT_EQ(jt_window_begin(name.c_str(), &w), JT_OK);
  ASSERT_EQ(jt_window_end(w, nullptr), JT_OK);
  const auto stream = shutdown_and_collect();
  ASSERT_EQ(stream.records.size(), 2u) << stream.malformed;
  EXPECT_EQ(stream.records[0].name, name.substr(0, 200));
  EXPECT_EQ(stream.records[1].name, name.substr(0, 200));
}

// Windows begun, counted and ended on several threads at once: one B, N and E per window, in
// that order, each with its own items. The threads go on in rounds, each round once the parent
// has received every record of the round before: at most two rounds (2400 records) are ever in
// the 4096-record ring, so no marker is dropped however slowly the flusher runs (a sanitizer
// build on a loaded machine), and the test checks wholeness, not the flusher's speed.
TEST_F(ParentMode, ConcurrentThreadsKeepEveryWindowWhole) {
  ASSERT_EQ(jt_init(nullptr), JT_OK);
  constexpr int kThreads = 4;
  constexpr int kWindows = 500;
  constexpr int kWindowsPerRound = 100;
  static_assert(2 * 3 * kThreads * kWindowsPerRound < 4096);
  std::atomic<int> not_ok{0};
  std::atomic<int> parent_too_slow{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string name = "thread-" + std::to_string(t);
      for (int i = 0; i < kWindows; ++i) {
        if (i % kWindowsPerRound == 0 && i > 0) {
          const auto rounds_done = static_cast<std::size_t>(i / kWindowsPerRound - 1);
          const std::size_t expected = rounds_done * 3 * kThreads * kWindowsPerRound;
          if (!pipe_->wait_for_lines(expected, std::chrono::seconds(60))) ++parent_too_slow;
        }
        jt_window w = 0;
        if (jt_window_begin(name.c_str(), &w) != JT_OK) ++not_ok;
        if (jt_window_add_items(w, static_cast<std::uint64_t>(i) + 1) != JT_OK) ++not_ok;
        if (jt_window_end(w, nullptr) != JT_OK) ++not_ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(parent_too_slow.load(), 0) << "the flusher sent nothing for a minute";
  ASSERT_EQ(not_ok.load(), 0) << "dropped: " << jt_dropped_markers();
  const auto stream = shutdown_and_collect();
  EXPECT_EQ(stream.malformed, 0u);
  ASSERT_EQ(stream.records.size(), 3u * kThreads * kWindows);
  struct Seen {
    int stage = 0;
    std::uint64_t items = 0;
    std::string name;
  };
  std::map<std::uint64_t, Seen> windows;
  for (const auto& r : stream.records) {
    Seen& s = windows[r.window_id];
    switch (r.kind) {
      case MarkerRecord::Kind::kBegin:
        EXPECT_EQ(s.stage, 0);
        s.stage = 1;
        s.name = r.name;
        break;
      case MarkerRecord::Kind::kItems:
        EXPECT_EQ(s.stage, 1);
        s.stage = 2;
        s.items = r.count;
        EXPECT_EQ(r.name, s.name);
        break;
      case MarkerRecord::Kind::kEnd:
        EXPECT_EQ(s.stage, 2);
        s.stage = 3;
        EXPECT_EQ(r.name, s.name);
        break;
    }
  }
  EXPECT_EQ(windows.size(), std::size_t{kThreads * kWindows});
  std::map<std::string, std::set<std::uint64_t>> items_by_thread;
  for (const auto& [id, s] : windows) {
    EXPECT_EQ(s.stage, 3) << id;
    items_by_thread[s.name].insert(s.items);
  }
  ASSERT_EQ(items_by_thread.size(), std::size_t{kThreads});
  for (const auto& [name, items] : items_by_thread) {
    EXPECT_EQ(items.size(), std::size_t{kWindows}) << name;  // 1..500, each once
  }
}

// A parent that does not read: the ring fills, markers are dropped and counted, and the calls
// still do their work.
TEST_F(ParentMode, FullBufferDropsAndCountsMarkers) {
  int fds[2];  // a pipe nobody reads until the end
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::setenv("JOULETRACE_MARKERS", ("fd:" + std::to_string(fds[1])).c_str(), 1);
  ASSERT_EQ(jt_init(nullptr), JT_OK);
  int full = 0;
  int calls = 0;
  jt_window w = 0;
  for (; calls < 200000 && full < 10; calls += 2) {
    const jt_status begin = jt_window_begin("flood", &w);
    ASSERT_TRUE(begin == JT_OK || begin == JT_ERR_BUFFER_FULL) << begin;
    ASSERT_NE(w, 0u);  // the window opened even when its marker was dropped
    const jt_status end = jt_window_end(w, nullptr);
    ASSERT_TRUE(end == JT_OK || end == JT_ERR_BUFFER_FULL) << end;
    full += (begin == JT_ERR_BUFFER_FULL) + (end == JT_ERR_BUFFER_FULL);
  }
  ASSERT_GE(full, 10);
  EXPECT_NE(std::string(jt_last_error()).find("dropped"), std::string::npos);
  EXPECT_EQ(jt_dropped_markers(), static_cast<std::uint64_t>(full));
  // Now read it all: what arrives plus what was dropped is every marker.
  std::string data;
  std::thread reader([&] {
    char buffer[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) data.append(buffer, n);
  });
  ASSERT_EQ(jt_shutdown(), JT_OK);
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  const auto stream = test::parse_stream(data);
  EXPECT_EQ(stream.malformed, 0u);
  EXPECT_EQ(stream.records.size() + static_cast<std::size_t>(full),
            static_cast<std::size_t>(calls));
  EXPECT_EQ(jt_unsent_markers(), 0u);
}

TEST_F(ParentMode, AParentThatIsGoneDoesNotStopTheProgram) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[0]);
  ::setenv("JOULETRACE_MARKERS", ("fd:" + std::to_string(fds[1])).c_str(), 1);
  ASSERT_EQ(jt_init(nullptr), JT_OK);
  for (int i = 0; i < 10; ++i) {
    jt_window w = 0;
    ASSERT_EQ(jt_window_begin("orphan", &w), JT_OK);
    ASSERT_EQ(jt_window_end(w, nullptr), JT_OK);
  }
  ASSERT_EQ(jt_shutdown(), JT_OK);
  ::close(fds[1]);
  EXPECT_EQ(jt_unsent_markers(), 20u);
  sigset_t pending;
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST_F(ParentMode, MeasureInProcessFlagGivesMarkersAndEnergy) {
  test::TempTree tree("sysfs/intel-2s");
  const jt_options o = test::options_for(tree.path().string(), 0.01, JT_INIT_MEASURE_IN_PROCESS);
  ASSERT_EQ(jt_init(&o), JT_OK) << jt_last_error();
  EXPECT_EQ(jt_current_mode(), JT_MODE_SELF);
  jt_window w = 0;
  ASSERT_EQ(jt_window_begin("both", &w), JT_OK);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  jt_measurement m = test::empty_measurement();
  ASSERT_EQ(jt_window_end(w, &m), JT_OK) << jt_last_error();
  EXPECT_GT(m.component_count, 0u);
  EXPECT_NE(std::string(m.method), "none");
  const auto stream = shutdown_and_collect();
  ASSERT_EQ(stream.records.size(), 2u);
  EXPECT_EQ(stream.records[0].window_id, w);
}

TEST_F(ParentMode, ADescriptorThatIsNoPipeFallsBackToSelf) {
  test::TempTree tree("sysfs/no-sensors");
  ::setenv("JOULETRACE_MARKERS", "fd:987", 1);  // a launcher closed it
  const jt_options o = test::options_for(tree.path().string());
  ASSERT_EQ(jt_init(&o), JT_OK) << jt_last_error();
  EXPECT_EQ(jt_current_mode(), JT_MODE_SELF);
  ASSERT_EQ(jt_shutdown(), JT_OK);
  ::setenv("JOULETRACE_MARKERS", "tcp:1234", 1);
  ASSERT_EQ(jt_init(&o), JT_OK);
  EXPECT_EQ(jt_current_mode(), JT_MODE_SELF);
}

// fork() copies no thread: the child starts uninitialised, may jt_init again, and marks with
// its own pid, while the parent's windows and flusher carry on.
TEST_F(ParentMode, AForkedChildStartsAfreshWithItsOwnPid) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  // The sanitizers' runtimes (GCC 12) cannot start threads in the child of a multi-threaded
  // fork(): TSan refuses, ASan's allocator may deadlock on a lock another thread held.
  GTEST_SKIP() << "not under a sanitizer";
#endif
  ASSERT_EQ(jt_init(nullptr), JT_OK);
  jt_window before = 0;
  ASSERT_EQ(jt_window_begin("parent", &before), JT_OK);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int rc = 0;
    jt_window w = 0;
    if (jt_current_mode() != JT_MODE_UNINITIALIZED) rc |= 1;
    if (jt_window_begin("too early", &w) != JT_ERR_NOT_INITIALIZED) rc |= 2;
    if (jt_init(nullptr) != JT_OK) rc |= 4;
    if (jt_window_end(before, nullptr) != JT_ERR_UNKNOWN_WINDOW) rc |= 8;  // not the child's
    if (jt_window_begin("child", &w) != JT_OK) rc |= 16;
    if (jt_window_end(w, nullptr) != JT_OK) rc |= 32;
    if (jt_shutdown() != JT_OK) rc |= 64;
    ::_exit(rc);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(jt_window_end(before, nullptr), JT_OK);
  const auto stream = shutdown_and_collect();
  EXPECT_EQ(stream.malformed, 0u);
  std::map<std::string, std::vector<const MarkerRecord*>> by_name;
  for (const auto& r : stream.records) by_name[r.name].push_back(&r);
  ASSERT_EQ(by_name["parent"].size(), 2u);
  ASSERT_EQ(by_name["child"].size(), 2u);
  EXPECT_EQ(by_name["parent"][0]->pid, ::getpid());
  EXPECT_EQ(by_name["child"][0]->pid, child);
  EXPECT_EQ(by_name["child"][1]->pid, child);
  EXPECT_EQ(by_name.count("too early"), 0u);
}

// Other processes under the same parent: whole records, never interleaved, from each of them.
TEST_F(ParentMode, SeveralProcessesNeverInterleaveRecords) {
  pipe_->let_children_inherit();
  constexpr int kChildren = 4;
  constexpr int kPairs = 1500;
  // A long name that needs escaping makes ~300-byte records: batches near PIPE_BUF.
  const std::string name = "child phase " + std::string(90, '%');
  std::vector<std::thread> runners;
  std::vector<test::ProcessResult> results(kChildren);
  for (int c = 0; c < kChildren; ++c) {
    runners.emplace_back([&, c] {
      results[c] = test::run_process(
          {JT_API_MARKER_CHILD, c % 2 == 0 ? "shutdown" : "exit", std::to_string(kPairs), name});
    });
  }
  for (auto& r : runners) r.join();
  // pid -> markers dropped there. Paced as the children are, drops are rare; when a loaded
  // machine starves a flusher anyway, each one must be reported, never silently lost.
  std::map<std::int64_t, std::size_t> dropped;
  for (const auto& r : results) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    long long pid = 0;
    unsigned long long lost = 0;
    long statuses = 0;
    ASSERT_EQ(
        std::sscanf(r.out.c_str(), "pid=%lld dropped=%llu statuses=%ld", &pid, &lost, &statuses), 3)
        << r.out;
    EXPECT_EQ(static_cast<unsigned long long>(statuses), lost);
    dropped[pid] = lost;
  }
  const auto stream = test::parse_stream(pipe_->collect());
  EXPECT_EQ(stream.malformed, 0u);
  std::map<std::int64_t, std::size_t> per_pid;
  for (const auto& r : stream.records) {
    ++per_pid[r.pid];
    EXPECT_EQ(r.name, name);
  }
  ASSERT_EQ(per_pid.size(), std::size_t{kChildren});
  for (const auto& [pid, count] : per_pid) {
    ASSERT_TRUE(dropped.count(pid)) << pid;
    // The "exit" children never call jt_shutdown: the atexit handler sent theirs.
    EXPECT_EQ(count + dropped[pid], std::size_t{3 * kPairs}) << pid;
    EXPECT_LT(dropped[pid], std::size_t{kPairs}) << pid;
  }
}

}  // namespace
}  // namespace jt
