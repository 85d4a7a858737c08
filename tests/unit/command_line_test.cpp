// SPDX-License-Identifier: BSD-3-Clause
// The command-line contract of `jouletrace run` (README "The run contract"): jouletrace's
// options end at the first word that is not one of them, and the command's words reach it
// unchanged, whatever they look like.
#include "command_line.hpp"

#include <gtest/gtest.h>

#include <random>

#include "arguments.hpp"
#include "sensors/bmc_backends.hpp"

namespace jt::cli {
namespace {

std::variant<Invocation, int> parse(std::vector<std::string> words) {
  return parse_command_line(words);
}

std::vector<std::string> command_of(std::vector<std::string> words) {
  auto parsed = parse(std::move(words));
  if (const int* code = std::get_if<int>(&parsed)) {
    ADD_FAILURE() << "exit code " << *code;
    return {};
  }
  return std::get<Invocation>(parsed).run.command;
}

int exit_code_of(std::vector<std::string> words) {
  testing::internal::CaptureStderr();
  auto parsed = parse(std::move(words));
  const std::string said = testing::internal::GetCapturedStderr();
  const int* code = std::get_if<int>(&parsed);
  return code != nullptr ? *code : -1;
}

TEST(CommandLine, OptionsStopAtTheCommandWithOrWithoutDoubleDash) {
  using V = std::vector<std::string>;
  EXPECT_EQ(command_of({"run", "-q", "echo", "-i", "5ms", "x"}), (V{"echo", "-i", "5ms", "x"}));
  EXPECT_EQ(command_of({"run", "-q", "--", "echo", "-i", "5ms", "x"}),
            (V{"echo", "-i", "5ms", "x"}));
  EXPECT_EQ(command_of({"run", "echo", "--", "a"}), (V{"echo", "--", "a"}));
  EXPECT_EQ(command_of({"run", "--", "--", "a"}), (V{"--", "a"}));
  EXPECT_EQ(command_of({"run", "-i", "5ms", "-o", "r.json", "sleep", "0"}), (V{"sleep", "0"}));
  auto parsed = std::get<Invocation>(parse({"run", "-qv", "-i5ms", "--output=r.json", "true"}));
  EXPECT_TRUE(parsed.run.quiet);
  EXPECT_TRUE(parsed.run.verbose);
  EXPECT_DOUBLE_EQ(parsed.run.interval_s, 0.005);
  EXPECT_EQ(parsed.run.output_json, "r.json");
  EXPECT_EQ(parsed.run.command, (V{"true"}));
}

TEST(CommandLine, AMistypedOptionIsAnErrorNeverTheCommand) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(std::get<int>(parse({"run", "--ouptut", "r.json", "--", "sleep", "0"})),
            kExitOwnFailure);
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("unknown option '--ouptut' (did you mean --output?)"), std::string::npos)
      << said;
  EXPECT_EQ(exit_code_of({"run", "--foo", "bar", "--", "echo", "a", "b"}), kExitOwnFailure);
  EXPECT_EQ(exit_code_of({"run", "-x", "echo"}), kExitOwnFailure);
  EXPECT_EQ(exit_code_of({"run", "-qx", "echo"}), kExitOwnFailure);
  EXPECT_EQ(exit_code_of({"run", "-o"}), kExitOwnFailure);  // a value is missing
  EXPECT_EQ(exit_code_of({"run", "-q"}), kExitOwnFailure);  // no command
}

TEST(CommandLine, UnknownVerbSaysSo) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(std::get<int>(parse({"bogus"})), kExitOwnFailure);
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("unknown command 'bogus'"), std::string::npos) << said;
  EXPECT_EQ(said.find("A subcommand is required"), std::string::npos) << said;
}

TEST(CommandLine, DurationsNeedAUnitAndNumbersARange) {
  struct Case {
    std::vector<std::string> options;
    std::string message;
  };
  const Case cases[] = {
      {{"-i", "5"}, "--interval '5': a duration needs a unit"},
      {{"-i", "abc"}, "--interval 'abc' is not a duration"},
      {{"-i", "1us"}, "--interval '1us' is out of range: between 100 us and 1 h"},
      {{"--pue", "abc"}, "--pue 'abc' is not a number"},
      {{"--pue", "0.5"}, "--pue 0.5 is out of range: between 1 and 5"},
      {{"--model-watts-per-core", "-3"}, "--model-watts-per-core -3 is out of range"},
      {{"--idle-threshold", "101"}, "--idle-threshold 101 is out of range"},
      {{"--checkpoint", "10"}, "--checkpoint '10': a duration needs a unit"},
      {{"--repeat", "2.5"}, "--repeat '2.5' is not a whole number"},
      {{"--repeat", "0"}, "--repeat 0 is out of range"},
      {{"--carbon-intensity", "lots"}, "--carbon-intensity 'lots' is not a number"},
      {{"--carbon-intensity", "5000"}, "--carbon-intensity 5000 is out of range"},
      {{"--price", "0.25/EURO"}, "--price '0.25/EURO': the currency after '/' is not"},
      {{"--price", "cheap"}, "--price 'cheap' is not AMOUNT or AMOUNT/CURRENCY"},
      {{"--region", ""}, "--region: empty"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> words = {"run"};
    words.insert(words.end(), c.options.begin(), c.options.end());
    words.push_back("true");
    testing::internal::CaptureStderr();
    auto parsed = parse(words);
    const std::string said = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(std::holds_alternative<int>(parsed)) << c.message;
    EXPECT_EQ(std::get<int>(parsed), kExitOwnFailure);
    EXPECT_NE(said.find(c.message), std::string::npos) << said;
  }
  EXPECT_DOUBLE_EQ(*parse_duration_s("-i", "2min", 0, 3600), 120.0);
  EXPECT_DOUBLE_EQ(*parse_duration_s("-i", "250us", 0, 3600), 250e-6);
  EXPECT_DOUBLE_EQ(*parse_duration_s("-i", "0.5s", 0, 3600), 0.5);
}

TEST(CommandLine, CarbonOptionsAreKeptAsGivenAndPueSaysWhetherItWasGiven) {
  auto plain = std::get<Invocation>(parse({"run", "true"})).run;
  EXPECT_FALSE(plain.pue_given);
  EXPECT_FALSE(plain.carbon.region.has_value());
  EXPECT_FALSE(plain.carbon.carbon_intensity.has_value());
  EXPECT_FALSE(plain.carbon.price.has_value());
  auto given =
      std::get<Invocation>(parse({"run", "--region", "de", "--pue", "1.2", "--carbon-intensity",
                                  "300", "--price", "0.3/EUR", "true"}))
          .run;
  EXPECT_TRUE(given.pue_given);
  EXPECT_DOUBLE_EQ(given.pue, 1.2);
  EXPECT_EQ(given.carbon.region, "de");
  EXPECT_EQ(given.carbon.carbon_intensity, "300");
  EXPECT_EQ(given.carbon.price, "0.3/EUR");
}

// Property: whatever the command's words are (option-like words, spaces, empty strings, UTF-8,
// "--"), they come through byte for byte, with or without `--` in front.
TEST(CommandLine, EveryByteOfTheCommandReachesIt) {
  std::mt19937 random(20261206);
  const std::vector<std::string> pieces = {"-",
                                           "--",
                                           "-q",
                                           "-i",
                                           "5ms",
                                           "--output",
                                           "-o",
                                           "r.json",
                                           "--csv=x",
                                           "-v",
                                           "--repeat",
                                           "",
                                           " ",
                                           "a b",
                                           "\xc3\xa9t\xc3\xa9",
                                           "\xe2\x82\xac",
                                           "\t",
                                           "'\"",
                                           "$HOME",
                                           "-qv",
                                           "--",
                                           "\xff",
                                           "--no-bmc",
                                           "x=y",
                                           "--=",
                                           "-i5ms"};
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<std::string> command = {trial % 2 == 0 ? "echo" : "./prog"};
    const int length = static_cast<int>(random() % 8);
    for (int i = 0; i < length; ++i) command.push_back(pieces[random() % pieces.size()]);
    std::vector<std::string> with_dash = {"run", "-q", "--"};
    with_dash.insert(with_dash.end(), command.begin(), command.end());
    std::vector<std::string> without = {"run", "-i", "10ms"};
    without.insert(without.end(), command.begin(), command.end());
    EXPECT_EQ(command_of(with_dash), command);
    EXPECT_EQ(command_of(without), command);
  }
}

// The backend table names the options that steer each backend; every verb that probes takes
// them, as a flag or with a value.
TEST(CommandLine, EveryOptionTheBackendTableNamesIsAccepted) {
  for (const char* verb : {"sensors", "node", "run"}) {
    for (const auto& backend : node_backends()) {
      for (std::string_view option : backend.options) {
        std::vector<std::string> with_value{verb, std::string(option), "/nonexistent"};
        std::vector<std::string> as_flag{verb, std::string(option)};
        if (std::string_view(verb) == "run") {
          with_value.push_back("true");
          as_flag.push_back("true");
        }
        testing::internal::CaptureStderr();
        const bool accepted = std::holds_alternative<Invocation>(parse(with_value)) ||
                              std::holds_alternative<Invocation>(parse(as_flag));
        testing::internal::GetCapturedStderr();
        EXPECT_TRUE(accepted) << verb << " " << option << " (" << backend.name << ")";
      }
    }
  }
  EXPECT_NE(exit_code_of({"sensors", "--no-such-backend-option"}), -1);
}

// The help is what help2man turns into the man pages (docs/INSTALL.md): it names the program
// and the verb, and shows no value CLI11 keeps inside (a negated flag's "{false}").
TEST(CommandLine, VerbHelpNamesTheProgramAndHidesInternalValues) {
  for (const char* verb : {"run", "sensors", "node", "calibrate", "mark", "agent", "job", "jobs",
                           "compare", "report"}) {
    testing::internal::CaptureStdout();
    auto parsed = parse({verb, "--help"});
    const std::string help = testing::internal::GetCapturedStdout();
    ASSERT_TRUE(std::holds_alternative<int>(parsed)) << verb;
    EXPECT_EQ(std::get<int>(parsed), 0) << verb;
    EXPECT_NE(help.find(std::string("Usage: jouletrace ") + verb), std::string::npos) << help;
    EXPECT_EQ(help.find("{false}"), std::string::npos) << verb << ": " << help;
    EXPECT_EQ(help.find("{true}"), std::string::npos) << verb << ": " << help;
  }
}

TEST(CommandLine, ReportTakesFilesAnHtmlOutputAndAReference) {
  auto parsed =
      parse({"report", "cpu=a.json", "study.json", "--html", "out.html", "--reference", "cpu"});
  ASSERT_TRUE(std::holds_alternative<Invocation>(parsed));
  const auto& inv = std::get<Invocation>(parsed);
  EXPECT_EQ(inv.verb, Invocation::Verb::kReport);
  EXPECT_EQ(inv.report.results, (std::vector<std::string>{"cpu=a.json", "study.json"}));
  EXPECT_EQ(inv.report.html, "out.html");
  EXPECT_EQ(inv.report.reference, "cpu");
  EXPECT_EQ(exit_code_of({"report", "a.json"}), kExitOwnFailure);              // no --html
  EXPECT_EQ(exit_code_of({"report", "--html", "out.html"}), kExitOwnFailure);  // no file
}

TEST(CommandLine, NoBmcAndNoAgentTurnTheirProbesOff) {
  auto plain = parse({"sensors"});
  ASSERT_TRUE(std::holds_alternative<Invocation>(plain));
  EXPECT_TRUE(std::get<Invocation>(plain).sensors.probe.probe_bmc);
  EXPECT_TRUE(std::get<Invocation>(plain).sensors.probe.use_agent);
  auto without = parse({"sensors", "--no-bmc", "--no-agent"});
  ASSERT_TRUE(std::holds_alternative<Invocation>(without));
  EXPECT_FALSE(std::get<Invocation>(without).sensors.probe.probe_bmc);
  EXPECT_FALSE(std::get<Invocation>(without).sensors.probe.use_agent);
}

TEST(CommandLine, CompletionsNameEveryVerbAndRefuseAnUnknownShell) {
  for (const char* shell : {"bash", "zsh"}) {
    testing::internal::CaptureStdout();
    auto parsed = parse({"--generate-completions", shell});
    const std::string script = testing::internal::GetCapturedStdout();
    ASSERT_TRUE(std::holds_alternative<int>(parsed));
    EXPECT_EQ(std::get<int>(parsed), 0);
    for (const char* word : {"run", "jobs", "--sysfs-root", "--no-agent", "--expect-nodes"}) {
      EXPECT_NE(script.find(word), std::string::npos) << shell << " lacks " << word;
    }
  }
  EXPECT_NE(exit_code_of({"--generate-completions", "fish"}), 0);
}

}  // namespace
}  // namespace jt::cli
