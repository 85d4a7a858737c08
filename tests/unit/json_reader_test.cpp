// SPDX-License-Identifier: BSD-3-Clause
// The one JSON helper (core/json_reader.hpp): parsing without exceptions, and the strict reader's
// paths and messages, checked against literal texts.
#include "core/json_reader.hpp"

#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace jt {
namespace {

using nlohmann::json;

json parsed(std::string_view text) {
  auto j = parse_json(text, "test");
  if (!j) ADD_FAILURE() << j.error().message;
  return j.value_or(json());
}

TEST(ParseJson, GivesTheDocument) {
  const auto j = parse_json(R"({"a": [1, 2.5, "x", null, true]})", "doc.json");
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ((*j)["a"].size(), 5u);
  EXPECT_EQ((*j)["a"][1], 2.5);
}

TEST(ParseJson, MalformedTextNamesTheOriginAndTheByte) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"a":1,})", "malformed JSON in doc.json (parse error at byte 8 of 8)"},
      {R"({"a":1} x)", "malformed JSON in doc.json (parse error at byte 9 of 9)"},
      {"", "malformed JSON in doc.json (the text is empty)"},
      {R"({"a": [1, 2)", "malformed JSON in doc.json (the text ends too soon, after 11 bytes)"},
      {"NaN", "malformed JSON in doc.json (parse error at byte 1 of 3)"},
      {"\"\xff\"", "malformed JSON in doc.json (parse error at byte 2 of 3)"},
      // nlohmann refuses a number beyond a double rather than making it infinite.
      {"[1e999]", "malformed JSON in doc.json (a number too large for a double)"},
      {"-1e400", "malformed JSON in doc.json (a number too large for a double)"},
  };
  for (const auto& [text, message] : cases) {
    Result<json> j = json();
    EXPECT_NO_THROW(j = parse_json(text, "doc.json")) << text;
    ASSERT_FALSE(j) << text;
    EXPECT_EQ(j.error().kind, ErrorKind::kInvalidData);
    EXPECT_EQ(j.error().message, message) << text;
  }
}

TEST(ParseJson, NeverQuotesTheText) {
  const auto j = parse_json(R"({"password": "hunter2)", "the file");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().message,
            "malformed JSON in the file (the text ends too soon, after 21 bytes)");
  const auto inside = parse_json(R"({"password": hunter2"})", "the file");
  ASSERT_FALSE(inside);
  EXPECT_EQ(inside.error().message, "malformed JSON in the file (parse error at byte 14 of 22)");
}

TEST(ParseJson, HugeIntegersBecomeFloatsAndDuplicateKeysKeepTheLast) {
  // nlohmann's own rules, which every reader inherits: noted here so that a change shows.
  EXPECT_TRUE(parsed("18446744073709551616").is_number_float());
  EXPECT_EQ(parsed(R"({"a": 1, "a": 2})")["a"], 2);
}

TEST(JsonReader, PathsNameNestedMembersAndElements) {
  const json doc = parsed(R"({"node": {"gpus": [{"uuid": "GPU-a"}, {"uuid": 7}]}})");
  const JsonReader top(doc, "profile");
  std::vector<std::string> paths;
  std::vector<std::string> uuids;
  for (const JsonReader& gpu : top.object("node").array("gpus")) {
    paths.push_back(gpu.path());
    uuids.push_back(gpu.string("uuid"));
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"profile.node.gpus[0]", "profile.node.gpus[1]"}));
  EXPECT_EQ(uuids, (std::vector<std::string>{"GPU-a", ""}));
  EXPECT_FALSE(top.ok());
  EXPECT_EQ(top.problem(), "profile.node.gpus[1].uuid is an integer, not a string");
}

TEST(JsonReader, AnUnnamedTopLevelNamesMembersByKey) {
  const json doc = parsed(R"({"devices": [{"kind": "cpu"}]})");
  const JsonReader top(doc, "");
  EXPECT_EQ(top.array("devices")[0].member("kind").path(), "devices[0].kind");
  EXPECT_TRUE(top.ok());
  top.string("url");
  EXPECT_EQ(top.problem(), "url is missing");

  const json list = parsed("[1, 2]");
  const JsonReader not_object(list, "");
  not_object.as_object();
  EXPECT_EQ(not_object.problem(), "the top level is an array, not an object");
}

TEST(JsonReader, TheFirstProblemIsKeptAndReadsGoOn) {
  const json doc = parsed(R"({"a": "x", "b": 2, "c": true})");
  const JsonReader top(doc, "cfg");
  EXPECT_EQ(top.integer("a"), 0);  // the problem: an empty value
  EXPECT_EQ(top.integer("b"), 2);  // a good member still reads
  EXPECT_FALSE(top.boolean("b"));  // a second problem is not recorded
  top.member("c").fail("is not wanted");
  EXPECT_EQ(top.problem(), "cfg.a is a string, not an integer");
}

TEST(JsonReader, MissingRequiredMembersAreNamed) {
  const json doc = parsed(R"({"node": {}})");
  const JsonReader top(doc, "profile");
  const JsonReader cores = top.object("node").object("cores");
  EXPECT_TRUE(cores.is_null());
  EXPECT_EQ(cores.integer("value"), 0);
  EXPECT_EQ(top.problem(), "profile.node.cores is missing");
}

// Each case reads one member of {"v": <value>} as a type; the message names the path, what the
// value is (its type, never its text) and what was expected.
TEST(JsonReader, WrongTypesSayWhatWasFoundAndWhatWasExpected) {
  struct Case {
    std::string value;
    std::string read;  // string, number, integer, bool, object, array
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"("secret")", "number", "x.v is a string, not a number"},
      {"null", "string", "x.v is null, not a string"},
      {"12", "string", "x.v is an integer, not a string"},
      {"1.5", "string", "x.v is a floating-point number, not a string"},
      {"2.0", "integer", "x.v is a floating-point number, not an integer"},
      {"true", "integer", "x.v is a boolean, not an integer"},
      {R"("yes")", "bool", "x.v is a string, not true or false"},
      {"0", "bool", "x.v is an integer, not true or false"},
      {"[]", "object", "x.v is an array, not an object"},
      {"{}", "array", "x.v is an object, not an array"},
      {R"("[]")", "array", "x.v is a string, not an array"},
  };
  for (const auto& c : cases) {
    const json doc = parsed(R"({"v": )" + c.value + "}");
    const JsonReader top(doc, "x");
    if (c.read == "string") top.string("v");
    if (c.read == "number") top.number("v");
    if (c.read == "integer") top.integer("v");
    if (c.read == "bool") top.boolean("v");
    if (c.read == "object") top.object("v");
    if (c.read == "array") top.array("v");
    EXPECT_EQ(top.problem(), c.message) << c.value << " as " << c.read;
  }
}

TEST(JsonReader, GoodValuesOfEachType) {
  const json doc = parsed(R"({"s": "text", "n": -2.5, "i": -7, "u": 9223372036854775807,
      "b": false, "o": {"k": 1}, "a": [], "l": ["x", "y"]})");
  const JsonReader top(doc, "");
  EXPECT_EQ(top.string("s"), "text");
  EXPECT_EQ(top.number("n", -3.0, 0.0), -2.5);
  EXPECT_EQ(top.number("i"), -7.0);  // an integer is a number too
  EXPECT_EQ(top.integer("i", -7, 7), -7);
  EXPECT_EQ(top.integer("u"), std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(top.boolean("b"));
  EXPECT_EQ(top.object("o").integer("k"), 1);
  EXPECT_TRUE(top.array("a").empty());
  EXPECT_EQ(top.strings("l"), (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(top.ok()) << top.problem();
}

TEST(JsonReader, NumbersMustBeFiniteAndInRange) {
  // Parsed text cannot hold them (see ParseJson), but a document built in code can.
  const std::vector<std::pair<json, std::string>> cases = {
      {json{{"v", std::numeric_limits<double>::infinity()}}, "x.v is inf, not a finite number"},
      {json{{"v", -std::numeric_limits<double>::infinity()}}, "x.v is -inf, not a finite number"},
      {json{{"v", std::numeric_limits<double>::quiet_NaN()}}, "x.v is nan, not a finite number"},
      {json{{"v", 1e7}}, "x.v is 10000000 (allowed: 0 to 1000000)"},
      {json{{"v", -0.5}}, "x.v is -0.5 (allowed: 0 to 1000000)"},
      {json{{"v", 5}}, ""},
  };
  for (const auto& [doc, message] : cases) {
    const JsonReader top(doc, "x");
    top.number("v", 0.0, 1e6);
    EXPECT_EQ(top.problem(), message) << doc.dump();
  }
}

TEST(JsonReader, IntegersMustBeInRange) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0", "x.v is 0 (allowed: 1 to 4096)"},
      {"-3", "x.v is -3 (allowed: 1 to 4096)"},
      {"4097", "x.v is 4097 (allowed: 1 to 4096)"},
      {"18446744073709551615", "x.v is 18446744073709551615 (allowed: 1 to 4096)"},
      {"4096", ""},
  };
  for (const auto& [value, message] : cases) {
    const json doc = parsed(R"({"v": )" + value + "}");
    const JsonReader top(doc, "x");
    top.integer("v", 1, 4096);
    EXPECT_EQ(top.problem(), message) << value;
  }
  const json big = parsed(R"({"v": 18446744073709551615})");
  const JsonReader unbounded(big, "x");
  EXPECT_EQ(unbounded.integer("v"), 0);
  EXPECT_EQ(unbounded.problem(),
            "x.v is 18446744073709551615 (allowed: -9223372036854775808 to 9223372036854775807)");
}

TEST(JsonReader, OptionalMembers) {
  const json doc = parsed(R"({"nothing": null, "wrong": "5"})");
  const JsonReader top(doc, "cfg");
  EXPECT_FALSE(top.optional_member("absent"));
  const auto nothing = top.optional_member("nothing");
  ASSERT_TRUE(nothing);  // null is present: the caller decides what it means
  EXPECT_TRUE(nothing->is_null());
  EXPECT_TRUE(top.ok());
  const auto wrong = top.optional_member("wrong");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->as_number(), 0.0);
  EXPECT_EQ(top.problem(), "cfg.wrong is a string, not a number");

  const json list = parsed("[]");
  const JsonReader not_object(list, "");
  EXPECT_FALSE(not_object.optional_member("a"));
  EXPECT_EQ(not_object.problem(), "the top level is an array, not an object");
}

TEST(JsonReader, UnknownKeysAreRejectedOnRequest) {
  constexpr std::array<std::string_view, 2> kKnown = {"url", "password"};
  const json doc = parsed(R"({"url": "x", "pasword": "y", "zzz": 1, "sub": {"extra": 1}})");
  const JsonReader top(doc, "");
  top.reject_unknown_keys(kKnown);
  EXPECT_EQ(top.problem(), "unknown key \"pasword\"");  // the first, in key order

  const JsonReader named(doc, "cfg");
  named.object("sub").reject_unknown_keys(kKnown);
  EXPECT_EQ(named.problem(), "cfg.sub has an unknown key \"extra\"");

  const json good = parsed(R"({"url": "x"})");
  const JsonReader fine(good, "");
  fine.reject_unknown_keys(kKnown);
  EXPECT_TRUE(fine.ok());
}

TEST(JsonReader, NestedArrays) {
  const json doc = parsed(R"({"m": [[1, 2], [3, "x"], 4]})");
  const JsonReader top(doc, "grid");
  std::vector<std::int64_t> seen;
  for (const JsonReader& row : top.array("m")) {
    for (const JsonReader& cell : row.as_array()) seen.push_back(cell.as_integer());
  }
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3, 0}));
  EXPECT_EQ(top.problem(), "grid.m[1][1] is a string, not an integer");

  const JsonReader again(doc, "grid");
  const auto rows = again.array("m");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(rows[2].as_array().empty());
  EXPECT_EQ(again.problem(), "grid.m[2] is an integer, not an array");
}

TEST(JsonReader, StringListsNameTheBadElement) {
  const json doc = parsed(R"({"notes": ["a", null]})");
  const JsonReader top(doc, "profile");
  EXPECT_EQ(top.strings("notes"), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(top.problem(), "profile.notes[1] is null, not a string");
}

TEST(JsonReader, CallersAddTheirOwnProblems) {
  const json doc = parsed(R"({"kind": "fpga"})");
  const JsonReader named(doc, "devices[0]");
  named.member("kind").fail("is 'fpga', not cpu or gpu");
  EXPECT_EQ(named.problem(), "devices[0].kind is 'fpga', not cpu or gpu");

  const JsonReader top(doc, "");
  top.fail("\"schema\" is missing");
  EXPECT_EQ(top.problem(), "\"schema\" is missing");
}

TEST(TolerantLookups, AnythingMissingOrOfAnotherTypeIsAbsent) {
  const json doc = parsed(R"({"Id": "1", "Name": 5, "Reading": 12.5, "Text": "3",
      "Links": {"Self": "/x"}})");
  EXPECT_NE(find_member(doc, "Links"), nullptr);
  EXPECT_EQ(find_member(doc, "Nope"), nullptr);
  EXPECT_EQ(find_member(parsed("[1]"), "Id"), nullptr);
  EXPECT_EQ(string_member(doc, "Id"), "1");
  EXPECT_EQ(string_member(doc, "Name"), "");
  EXPECT_EQ(string_member(*find_member(doc, "Links"), "Self"), "/x");
  EXPECT_EQ(finite_member(doc, "Reading"), 12.5);
  EXPECT_EQ(finite_member(doc, "Text"), std::nullopt);
  EXPECT_EQ(finite_member(json{{"Reading", std::numeric_limits<double>::infinity()}}, "Reading"),
            std::nullopt);
}

TEST(DescribeJsonType, NamesTheTypeOnly) {
  EXPECT_EQ(describe_json_type(json("hunter2")), "a string");
  EXPECT_EQ(describe_json_type(json(-1)), "an integer");
  EXPECT_EQ(describe_json_type(json(1u)), "an integer");
  EXPECT_EQ(describe_json_type(json(0.5)), "a floating-point number");
  EXPECT_EQ(describe_json_type(json(nullptr)), "null");
  EXPECT_EQ(describe_json_type(json(true)), "a boolean");
  EXPECT_EQ(describe_json_type(json::array()), "an array");
  EXPECT_EQ(describe_json_type(json::object()), "an object");
}

}  // namespace
}  // namespace jt
