// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ledger/measurement.hpp"

// CO2e and cost as post-processing of an energy (docs/CARBON.md): kWh x PUE x grid carbon
// intensity, and kWh x PUE x price. The factors come from an option, the environment or the
// shipped data file (data/carbon.json), in that order; nothing is looked up on a network.
namespace jt {

// Where a value of the data file was read.
struct CarbonSource {
  std::string publisher;  // "Ember"
  std::string dataset;    // what of theirs, and through which copy
  std::string url;
};

struct ElectricityPrice {
  double per_kwh = 0.0;
  std::string currency;  // ISO 4217
  int year = 0;
  CarbonSource source;
};

// One country or grid region of the data file.
struct CarbonRegion {
  std::string code;  // "DE", "US-CAL-CISO"
  std::string name;
  double intensity_g_per_kwh = 0.0;  // yearly average, g CO2e per kWh
  int year = 0;
  CarbonSource source;
  std::optional<ElectricityPrice> price;  // only where one was sourced
};

class CarbonTable {
 public:
  static Result<CarbonTable> parse(std::string_view json_text, const std::string& origin);
  static Result<CarbonTable> load(const std::filesystem::path& path);

  // Case-insensitive: "de" finds "DE".
  const CarbonRegion* find(std::string_view code) const;
  const std::vector<CarbonRegion>& regions() const { return regions_; }
  const std::string& origin() const { return origin_; }

 private:
  std::vector<CarbonRegion> regions_;
  std::string origin_;
};

// $JOULETRACE_CARBON_FILE, else the installed <prefix>/share/jouletrace/carbon.json next to the
// running binary, else the source tree's data/carbon.json (a build that was not installed).
Result<std::filesystem::path> locate_carbon_file();

// The values a user gave as text, each from one place (an option or the environment); empty
// where that place gave none.
struct CarbonSettingTexts {
  std::optional<std::string> carbon_intensity;  // g CO2e per kWh
  std::optional<std::string> price;             // AMOUNT or AMOUNT/CURRENCY, per kWh
  std::optional<std::string> region;            // a code of the data file
};

struct CarbonSettings {
  CarbonSettingTexts options;
  CarbonSettingTexts environment;
  double pue = 1.0;        // the one PUE of the run (--pue), shared with the runtime estimate
  bool pue_given = false;  // false: the default, 1
};

// A factor and where it came from, in words for the method: "option", "JOULETRACE_PRICE",
// "DE 2024, Ember".
struct CarbonFactor {
  double value = 0.0;
  std::string origin;
};

struct CarbonFactors {
  std::string region;  // the code as the data file spells it; empty: none
  CarbonFactor pue{1.0, "default"};
  std::optional<CarbonFactor> intensity;  // g CO2e per kWh
  std::optional<CarbonFactor> price;      // per kWh
  std::string currency;                   // of the price; empty when the user gave none
  // What was used, for the report: the region's name, year and source.
  std::optional<CarbonRegion> region_entry;
};

struct PriceSetting {
  double per_kwh = 0.0;
  std::string currency;
};
// "0.25" or "0.25/EUR": a positive amount per kWh, optionally a 3-letter currency code.
// `name` (the option or variable) is named in the error.
Result<PriceSetting> parse_price(std::string_view text, std::string_view name);
// A grid carbon intensity in g CO2e per kWh: a number in [0, 2000].
Result<double> parse_carbon_intensity(std::string_view text, std::string_view name);

// Each factor from the option, else the environment, else the region's entry of `table`. A bad
// value, an unknown region or a region without a data file is an error naming its origin.
// `table_error` says why `table` is null.
Result<CarbonFactors> resolve_carbon_factors(const CarbonSettings& settings,
                                             const CarbonTable* table,
                                             const std::string& table_error);

// The CO2e and the cost of an energy figure. Unknown energy or factor: empty, never 0; the
// method then says which is missing. The uncertainty is the energy's, scaled by the factors:
// the intensity's and the price's own uncertainties are not modelled.
inline constexpr const char* kNoIntensityMethod =
    "unknown: no grid carbon intensity (pass --region CODE or --carbon-intensity G_PER_KWH)";
inline constexpr const char* kNoPriceMethod =
    "unknown: no electricity price (pass --price AMOUNT[/CURRENCY])";
// A default figure is what no factor gives: unknown, saying what to pass.
struct CarbonFigure {
  std::optional<double> co2e_g;
  double co2e_uncertainty_g = 0.0;
  std::string co2e_method = kNoIntensityMethod;
  std::optional<double> cost;
  double cost_uncertainty = 0.0;
  std::string currency;
  std::string cost_method = kNoPriceMethod;
};
inline constexpr double kJoulesPerKwh = 3.6e6;
CarbonFigure carbon_of(const Measurement& energy, const CarbonFactors& factors);

}  // namespace jt
