// SPDX-License-Identifier: BSD-3-Clause
// CO2e and cost as post-processing of an energy (docs/CARBON.md): the data file's loader, the
// option > environment > data file rule, and the arithmetic against values computed here.
#include "ledger/carbon.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "ledger/repeat_statistics.hpp"
#include "study/comparison.hpp"
#include "unit/compare_test_support.hpp"

namespace jt {
namespace {

constexpr const char* kSmallFile = R"({
  "schema": "jouletrace.carbon", "version": 1,
  "regions": [
    {"code": "DE", "name": "Germany", "intensity_g_per_kwh": 380, "year": 2023,
     "source": {"publisher": "Test", "url": "https://example.org/de"}},
    {"code": "US-CAL-CISO", "name": "California ISO", "intensity_g_per_kwh": 200, "year": 2024,
     "source": {"publisher": "Grid", "url": "https://example.org/caiso"},
     "price": {"per_kwh": 0.3, "currency": "USD", "year": 2024,
               "source": {"publisher": "Tariffs", "url": "https://example.org/price"}}}
  ]})";

CarbonTable small_table() {
  auto table = CarbonTable::parse(kSmallFile, "test.json");
  EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().message);
  return *table;
}

Measurement energy(double joules, double uncertainty_j, Method method = Method::kCounter) {
  Measurement m;
  m.energy_j = joules;
  m.uncertainty.total_j = uncertainty_j;
  m.method = method;
  return m;
}

TEST(Carbon, Co2eAndCostAreKwhTimesPueTimesFactorWithTheEnergysUncertainty) {
  CarbonFactors f;
  f.pue = {1.2, "option"};
  f.intensity = CarbonFactor{380.0, "DE 2023, Test"};
  f.price = CarbonFactor{0.25, "option"};
  f.currency = "EUR";
  // 7.2 MJ = 2 kWh, +/- 36 kJ = 0.01 kWh.
  const CarbonFigure c = carbon_of(energy(7.2e6, 3.6e4), f);
  ASSERT_TRUE(c.co2e_g.has_value());
  EXPECT_NEAR(*c.co2e_g, 2.0 * 1.2 * 380.0, 1e-9);
  EXPECT_NEAR(c.co2e_uncertainty_g, 0.01 * 1.2 * 380.0, 1e-9);
  ASSERT_TRUE(c.cost.has_value());
  EXPECT_NEAR(*c.cost, 2.0 * 1.2 * 0.25, 1e-12);
  EXPECT_NEAR(c.cost_uncertainty, 0.01 * 1.2 * 0.25, 1e-12);
  EXPECT_EQ(c.currency, "EUR");
  EXPECT_EQ(c.co2e_method,
            "measured energy (counter) x PUE 1.2 (option) x 380 g/kWh (DE 2023, Test)");
  EXPECT_EQ(c.cost_method, "measured energy (counter) x PUE 1.2 (option) x 0.25 EUR/kWh (option)");
}

TEST(Carbon, ModelledEnergyIsNamedAsSuch) {
  CarbonFactors f;
  f.intensity = CarbonFactor{100.0, "option"};
  const CarbonFigure c = carbon_of(energy(3.6e6, 1.8e6, Method::kModel), f);
  ASSERT_TRUE(c.co2e_g.has_value());
  EXPECT_NEAR(*c.co2e_g, 100.0, 1e-9);
  EXPECT_EQ(c.co2e_method, "modelled energy (model) x PUE 1 (default) x 100 g/kWh (option)");
}

TEST(Carbon, UnknownEnergyOrFactorIsUnknownNeverZero) {
  CarbonFactors f;
  f.intensity = CarbonFactor{380.0, "option"};
  const CarbonFigure no_energy = carbon_of(Measurement{}, f);
  EXPECT_FALSE(no_energy.co2e_g.has_value());
  EXPECT_FALSE(no_energy.cost.has_value());
  EXPECT_EQ(no_energy.co2e_method, "unknown: the energy is unknown");

  const CarbonFigure no_price = carbon_of(energy(3.6e6, 0.0), f);
  EXPECT_TRUE(no_price.co2e_g.has_value());
  EXPECT_FALSE(no_price.cost.has_value());
  EXPECT_NE(no_price.cost_method.find("--price"), std::string::npos);

  const CarbonFigure nothing = carbon_of(energy(3.6e6, 0.0), CarbonFactors{});
  EXPECT_FALSE(nothing.co2e_g.has_value());
  EXPECT_NE(nothing.co2e_method.find("--region"), std::string::npos);
}

TEST(CarbonTable, FindsRegionsWhateverTheCase) {
  const CarbonTable table = small_table();
  ASSERT_NE(table.find("de"), nullptr);
  EXPECT_EQ(table.find("de")->code, "DE");
  EXPECT_EQ(table.find("us-cal-ciso")->year, 2024);
  ASSERT_TRUE(table.find("US-CAL-CISO")->price.has_value());
  EXPECT_EQ(table.find("US-CAL-CISO")->price->currency, "USD");
  EXPECT_EQ(table.find("FR"), nullptr);
}

TEST(CarbonTable, RejectsMalformedFilesNamingTheField) {
  struct Case {
    std::string text;
    std::string says;
  };
  const std::string head = R"({"schema": "jouletrace.carbon", "version": 1, "regions": [)";
  const std::string good =
      R"({"code": "DE", "name": "Germany", "intensity_g_per_kwh": 380, "year": 2023,
          "source": {"publisher": "T", "url": "https://example.org"}})";
  const Case cases[] = {
      {"{", "test.json"},
      {R"({"schema": "other", "version": 1, "regions": []})", "schema"},
      {R"({"schema": "jouletrace.carbon", "version": 2, "regions": []})", "version"},
      {head + "]}", "regions is empty"},
      {head + R"({"code": "DE", "name": "Germany", "intensity_g_per_kwh": 380, "year": 2023}]})",
       "regions[0].source"},
      {head + R"({"code": "DE", "name": "G", "intensity_g_per_kwh": -1, "year": 2023,
                  "source": {"publisher": "T", "url": "https://e.org"}}]})",
       "regions[0].intensity_g_per_kwh"},
      {head + R"({"code": "DE", "name": "G", "intensity_g_per_kwh": 1, "year": 2023,
                  "source": {"publisher": "T", "url": "http://e.org"}}]})",
       "https"},
      {head + good + "," + good + "]}", "listed twice"},
  };
  for (const auto& c : cases) {
    auto table = CarbonTable::parse(c.text, "test.json");
    ASSERT_FALSE(table.has_value()) << c.text;
    EXPECT_NE(table.error().message.find(c.says), std::string::npos)
        << table.error().message << " lacks " << c.says;
  }
}

TEST(CarbonTable, AMissingFileIsAnErrorNamingIt) {
  auto table = CarbonTable::load("/nonexistent/carbon.json");
  ASSERT_FALSE(table.has_value());
  EXPECT_NE(table.error().message.find("/nonexistent/carbon.json"), std::string::npos);
}

TEST(CarbonTable, TheShippedFileLoadsAndEveryValueHasAYearAndASource) {
  auto path = locate_carbon_file();
  ASSERT_TRUE(path.has_value()) << path.error().message;
  auto table = CarbonTable::load(*path);
  ASSERT_TRUE(table.has_value()) << table.error().message;
  EXPECT_GE(table->regions().size(), 12u);
  for (const auto& r : table->regions()) {
    EXPECT_GE(r.year, 2020) << r.code;
    EXPECT_TRUE(r.source.url.starts_with("https://")) << r.code;
    EXPECT_FALSE(r.source.publisher.empty()) << r.code;
  }
}

TEST(CarbonSettings, PricesAndIntensitiesParseOrSayWhatIsWrong) {
  auto plain = parse_price("0.25", "--price");
  ASSERT_TRUE(plain.has_value());
  EXPECT_DOUBLE_EQ(plain->per_kwh, 0.25);
  EXPECT_EQ(plain->currency, "");
  auto with_currency = parse_price("0.31/eur", "--price");
  ASSERT_TRUE(with_currency.has_value());
  EXPECT_EQ(with_currency->currency, "EUR");
  for (const char* bad : {"", "abc", "0.25/EURO", "0.25/", "-1", "1000", "0.25 EUR"}) {
    auto price = parse_price(bad, "--price");
    ASSERT_FALSE(price.has_value()) << bad;
    EXPECT_TRUE(price.error().message.starts_with("--price")) << price.error().message;
  }
  EXPECT_DOUBLE_EQ(*parse_carbon_intensity("380", "--carbon-intensity"), 380.0);
  for (const char* bad : {"", "x", "-5", "5000", "nan"}) {
    EXPECT_FALSE(parse_carbon_intensity(bad, "--carbon-intensity").has_value()) << bad;
  }
}

TEST(CarbonSettings, OptionBeatsEnvironmentBeatsDataFile) {
  const CarbonTable table = small_table();
  CarbonSettings s;
  s.pue = 1.3;
  s.pue_given = true;
  s.environment.region = "us-cal-ciso";
  // The environment's region gives the intensity and the price.
  auto from_file = resolve_carbon_factors(s, &table, "");
  ASSERT_TRUE(from_file.has_value()) << from_file.error().message;
  EXPECT_EQ(from_file->region, "US-CAL-CISO");
  EXPECT_DOUBLE_EQ(from_file->intensity->value, 200.0);
  EXPECT_EQ(from_file->intensity->origin, "US-CAL-CISO 2024, Grid");
  EXPECT_DOUBLE_EQ(from_file->price->value, 0.3);
  EXPECT_EQ(from_file->price->origin, "US-CAL-CISO 2024, Tariffs");
  EXPECT_EQ(from_file->currency, "USD");
  EXPECT_DOUBLE_EQ(from_file->pue.value, 1.3);
  EXPECT_EQ(from_file->pue.origin, "option");
  // The environment's values beat the file's; the option's beat both.
  s.environment.carbon_intensity = "150";
  s.environment.price = "0.2/EUR";
  s.options.region = "DE";
  auto from_env = resolve_carbon_factors(s, &table, "");
  ASSERT_TRUE(from_env.has_value());
  EXPECT_EQ(from_env->region, "DE");
  EXPECT_DOUBLE_EQ(from_env->intensity->value, 150.0);
  EXPECT_EQ(from_env->intensity->origin, "JOULETRACE_CARBON_INTENSITY");
  EXPECT_EQ(from_env->price->origin, "JOULETRACE_PRICE");
  EXPECT_EQ(from_env->currency, "EUR");
  s.options.carbon_intensity = "90";
  s.options.price = "0.1";
  auto from_option = resolve_carbon_factors(s, &table, "");
  ASSERT_TRUE(from_option.has_value());
  EXPECT_DOUBLE_EQ(from_option->intensity->value, 90.0);
  EXPECT_EQ(from_option->intensity->origin, "option");
  EXPECT_DOUBLE_EQ(from_option->price->value, 0.1);
  EXPECT_EQ(from_option->currency, "");
}

TEST(CarbonSettings, NothingGivenMeansNoFactorAndNoSilentCountry) {
  const CarbonTable table = small_table();
  auto none = resolve_carbon_factors(CarbonSettings{}, &table, "");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->region, "");
  EXPECT_FALSE(none->intensity.has_value());
  EXPECT_FALSE(none->price.has_value());
  EXPECT_EQ(none->pue.origin, "default");
}

TEST(CarbonSettings, BadRegionsAndValuesAreErrorsNamingWhereTheyCameFrom) {
  const CarbonTable table = small_table();
  CarbonSettings unknown;
  unknown.options.region = "XX";
  auto e1 = resolve_carbon_factors(unknown, &table, "");
  ASSERT_FALSE(e1.has_value());
  EXPECT_NE(e1.error().message.find("--region 'XX' is not in test.json"), std::string::npos);
  EXPECT_NE(e1.error().hint.find("DE"), std::string::npos);

  CarbonSettings no_file;
  no_file.environment.region = "DE";
  auto e2 = resolve_carbon_factors(no_file, nullptr, "no carbon data file found");
  ASSERT_FALSE(e2.has_value());
  EXPECT_NE(e2.error().message.find("JOULETRACE_REGION DE"), std::string::npos);

  CarbonSettings bad_env;
  bad_env.environment.carbon_intensity = "lots";
  auto e3 = resolve_carbon_factors(bad_env, &table, "");
  ASSERT_FALSE(e3.has_value());
  EXPECT_TRUE(e3.error().message.starts_with("JOULETRACE_CARBON_INTENSITY 'lots'"));
}

TEST(Carbon, RepeatedRunsGiveTheMeanCo2eOfTheRunsThatKnowIt) {
  CarbonFactors f;
  f.intensity = CarbonFactor{360.0, "option"};
  RunAnalysis first, second, unknown;
  first.carbon = carbon_of(energy(3.6e6, 3.6e4), f);   // 1 kWh: 360 g +/- 3.6 g
  second.carbon = carbon_of(energy(7.2e6, 7.2e4), f);  // 2 kWh: 720 g +/- 7.2 g
  unknown.carbon = carbon_of(Measurement{}, f);
  const RepeatStatistics stats = repeat_statistics({&first, &second, &unknown});
  EXPECT_EQ(stats.co2e.runs, 2u);
  ASSERT_TRUE(stats.co2e.mean_j.has_value());
  EXPECT_NEAR(*stats.co2e.mean_j, 540.0, 1e-9);
  EXPECT_NEAR(*stats.co2e.stddev_j, std::sqrt(2.0) * 180.0, 1e-9);
  EXPECT_NEAR(stats.co2e.mean_uncertainty_j, 5.4, 1e-9);
  EXPECT_EQ(stats.co2e.method, first.carbon.co2e_method);
  EXPECT_EQ(repeat_statistics({&unknown}).co2e.method, "none");
}

// A run report's carbon object as `run` writes it: CO2e, and a cost in `currency`.
nlohmann::json stated_carbon(double co2e_g, double cost, const std::string& currency) {
  return {{"co2e_g", co2e_g},
          {"co2e_uncertainty_g", 1.0},
          {"co2e_method", "method " + currency},
          {"cost", cost},
          {"cost_uncertainty", 0.01},
          {"cost_method", "cost " + currency},
          {"currency", currency},
          {"pue", 1.0}};
}

TEST(Carbon, CompareAveragesTheStatedCo2eAndLeavesOutCostsInAnotherCurrency) {
  test::RunSpec eur{.total_j = 1000.0, .total_uncertainty_j = 1.0};
  eur.carbon = stated_carbon(100.0, 0.5, "EUR");
  test::RunSpec usd = eur;
  usd.carbon = stated_carbon(200.0, 0.7, "USD");
  test::RunSpec old_report = eur;  // from before CO2e existed: no carbon object
  old_report.carbon.reset();
  auto document =
      study::decode_result_document(test::repeat_document({eur, usd, old_report}), "three.json");
  ASSERT_TRUE(document.has_value()) << document.error().message;
  auto comparison = study::compare_results({{"three", "three.json", *document}}, std::nullopt);
  ASSERT_TRUE(comparison.has_value()) << comparison.error().message;
  const auto& c = comparison->configurations.at(0);
  EXPECT_EQ(c.co2e.runs, 2u);
  EXPECT_NEAR(*c.co2e.mean_j, 150.0, 1e-9);
  EXPECT_EQ(c.co2e.method, "method EUR");
  EXPECT_EQ(c.cost.runs, 1u);
  EXPECT_NEAR(*c.cost.mean_j, 0.5, 1e-12);
  EXPECT_EQ(c.currency, "EUR");
}

}  // namespace
}  // namespace jt
