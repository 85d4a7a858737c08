// SPDX-License-Identifier: BSD-3-Clause
#include "core/sysfs_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/test_support.hpp"

namespace jt {
namespace {

TEST(ParseU64, AcceptsDecimalWithWhitespace) {
  EXPECT_EQ(parse_u64("123\n"), 123u);
  EXPECT_EQ(parse_u64("  42 "), 42u);
  EXPECT_EQ(parse_u64("18446744073709551615"), UINT64_MAX);
}

TEST(ParseU64, RejectsEverythingElse) {
  EXPECT_FALSE(parse_u64(""));
  EXPECT_FALSE(parse_u64("\n"));
  EXPECT_FALSE(parse_u64("-1"));
  EXPECT_FALSE(parse_u64("12a"));
  EXPECT_FALSE(parse_u64("0x10"));
  EXPECT_FALSE(parse_u64("18446744073709551616"));  // overflow
  EXPECT_FALSE(parse_u64("1 2"));
}

TEST(OpenAttribute, ReadsAgainAfterTheFileChangesInPlace) {
  test::TempTree tree;
  const auto path = tree / "energy_uj";
  test::write_file(path, "100\n");
  auto attr = OpenAttribute::open(path);
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr->read_u64().value, 100u);
  {
    // Rewrite in place, as sysfs regenerates the value: same inode, fd stays valid.
    FILE* f = std::fopen(path.c_str(), "r+");
    std::fputs("123456\n", f);
    std::fclose(f);
  }
  EXPECT_EQ(attr->read_u64().value, 123456u);
}

TEST(OpenAttribute, ClassifiesEmptyAndGarbage) {
  test::TempTree tree;
  test::write_file(tree / "empty", "");
  test::write_file(tree / "garbage", "not-a-number\n");
  EXPECT_EQ(OpenAttribute::open(tree / "empty")->read_u64().status, OpenAttribute::Status::kEmpty);
  EXPECT_EQ(OpenAttribute::open(tree / "garbage")->read_u64().status,
            OpenAttribute::Status::kUnparsable);
}

TEST(OpenAttribute, MissingFileIsNotFound) {
  auto attr = OpenAttribute::open("/nonexistent/energy_uj");
  ASSERT_FALSE(attr);
  EXPECT_EQ(attr.error().kind, ErrorKind::kNotFound);
}

TEST(ReadTextFile, TrimsTrailingNewline) {
  test::TempTree tree;
  test::write_file(tree / "name", "package-0\n");
  EXPECT_EQ(*read_text_file(tree / "name"), "package-0");
}

}  // namespace
}  // namespace jt
