// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include "markers/marker_protocol.hpp"

namespace jt {
namespace {

// Each kind against its line as docs/MARKERS.md writes it, written out by hand: the encoder
// must produce it and the parser must read it back into the same fields. (Not one through the
// other: an encoder and decoder wrong the same way would agree.)
TEST(MarkerProtocol, EveryKindMatchesItsDocumentedLine) {
  struct Case {
    MarkerRecord::Kind kind;
    std::uint64_t count;
    const char* line;
  };
  const std::string name = "train epoch 1 % done\n";
  for (const Case& c : {Case{MarkerRecord::Kind::kBegin, 0,
                             "JT1 B 123456789 4242 7 train%20epoch%201%20%25%20done%0A"},
                        Case{MarkerRecord::Kind::kEnd, 0,
                             "JT1 E 123456789 4242 7 train%20epoch%201%20%25%20done%0A"},
                        Case{MarkerRecord::Kind::kItems, 64,
                             "JT1 N 123456789 4242 7 64 train%20epoch%201%20%25%20done%0A"}}) {
    SCOPED_TRACE(c.line);
    const MarkerRecord r{c.kind, 123456789, 4242, 7, c.count, name};
    EXPECT_EQ(format_marker(r), std::string(c.line) + "\n");
    const auto parsed = parse_marker(c.line);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->kind, c.kind);
    EXPECT_EQ(parsed->t_ns, 123456789);
    EXPECT_EQ(parsed->pid, 4242);
    EXPECT_EQ(parsed->window_id, 7u);
    EXPECT_EQ(parsed->count, c.count);
    EXPECT_EQ(parsed->name, name);
  }
}

TEST(MarkerProtocol, EncodesSpacesAndPercent) {
  EXPECT_EQ(encode_marker_name("a b%c"), "a%20b%25c");
  EXPECT_EQ(*decode_marker_name("a%20b%25c"), "a b%c");
}

TEST(MarkerProtocol, RejectsMalformedLines) {
  for (const char* line :
       {"", "JT1", "JT2 B 1 2 3 x", "JT1 X 1 2 3 x", "JT1 B -1 2 3 x", "JT1 B 1 2 3",
        "JT1 B 1 2 3 x y", "JT1 B a 2 3 x", "JT1 N 1 2 3 x", "JT1 N 1 2 3 -4 x",
        "JT1 B 1 2 3 bad%2", "JT1 B 1 2 3 bad%zz", "JT1 BB 1 2 3 x"}) {
    EXPECT_FALSE(parse_marker(line)) << line;
  }
}

TEST(PhaseTracker, NestedAndOverlappingWindowsFromSeveralProcesses) {
  PhaseTracker tracker;
  tracker.feed("JT1 B 100 1 1 train\nJT1 B 150 1 2 epoch\nJT1 N 160 1 2 32 epoch\n");
  tracker.feed("JT1 B 170 2 1 io\nJT1 E 200 1 2 epo");  // a line split across reads
  tracker.feed("ch\nJT1 E 250 1 1 train\nJT1 E 260 2 1 io\n");
  const auto phases = tracker.finish(1000);
  ASSERT_EQ(phases.size(), 3u);
  EXPECT_EQ(phases[0].name, "train");
  EXPECT_EQ(phases[0].end_ns, 250);
  EXPECT_EQ(phases[1].name, "epoch");
  EXPECT_EQ(phases[1].items, 32u);
  EXPECT_EQ(phases[2].name, "io");
  EXPECT_EQ(phases[2].pid, 2);
  EXPECT_EQ(tracker.malformed(), 0u);
}

TEST(PhaseTracker, ByNameRecordsCloseTheLatestOpenWindow) {
  PhaseTracker tracker;
  tracker.add({MarkerRecord::Kind::kBegin, 10, 5, 0, 0, "step"});
  tracker.add({MarkerRecord::Kind::kBegin, 20, 5, 0, 0, "step"});
  tracker.add({MarkerRecord::Kind::kItems, 25, 9, 0, 3, "step"});
  tracker.add({MarkerRecord::Kind::kEnd, 30, 9, 0, 0, "step"});
  tracker.add({MarkerRecord::Kind::kEnd, 40, 9, 0, 0, "step"});
  const auto phases = tracker.finish(100);
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].start_ns, 10);
  EXPECT_EQ(phases[0].end_ns, 40);
  EXPECT_EQ(phases[1].end_ns, 30);
  EXPECT_EQ(phases[1].items, 3u);
}

TEST(PhaseTracker, CountsWhatItCannotUseAndClosesOpenWindowsAtTheEnd) {
  PhaseTracker tracker;
  tracker.feed("garbage\nJT1 E 10 1 9 nobody\nJT1 B 20 1 1 forever\nJT1 B 30 1 2 cut");
  const auto phases = tracker.finish(500);
  ASSERT_EQ(phases.size(), 1u);
  EXPECT_TRUE(phases[0].closed_at_end);
  EXPECT_EQ(phases[0].end_ns, 500);
  EXPECT_EQ(tracker.malformed(), 2u);  // the garbage line and the record cut off at the end
  EXPECT_EQ(tracker.unmatched(), 1u);
}

TEST(PhaseTracker, AnOverlongLineIsDroppedNotBuffered) {
  PhaseTracker tracker;
  tracker.feed(std::string(10000, 'x'));
  tracker.feed("\nJT1 B 1 1 1 ok\nJT1 E 2 1 1 ok\n");
  EXPECT_EQ(tracker.finish(10).size(), 1u);
  EXPECT_GE(tracker.malformed(), 1u);
}

}  // namespace
}  // namespace jt
