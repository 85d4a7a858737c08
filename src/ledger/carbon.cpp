// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/carbon.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "core/json_reader.hpp"
#include "core/sysfs_file.hpp"

namespace jt {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCarbonSchema = "jouletrace.carbon";
constexpr int kCarbonSchemaVersion = 1;
constexpr const char* kCarbonHint = "fix the file or point JOULETRACE_CARBON_FILE at a valid one";
// Above the dirtiest grids (lignite is about 1 kg/kWh): a larger number is a unit mistake.
constexpr double kMaxIntensity = 2000.0;
// Per kWh, in any currency: a larger number is a price per MWh given by mistake.
constexpr double kMaxPricePerKwh = 100.0;

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string non_empty_string(const JsonReader& field) {
  std::string text = field.as_string();
  if (text.empty()) field.fail("is empty");
  return text;
}

CarbonSource read_source(const JsonReader& entry) {
  const JsonReader source = entry.object("source");
  CarbonSource out;
  out.publisher = non_empty_string(source.member("publisher"));
  if (const auto dataset = source.optional_member("dataset")) out.dataset = dataset->as_string();
  const JsonReader url = source.member("url");
  out.url = non_empty_string(url);
  if (!out.url.starts_with("https://")) url.fail("is not an https URL");
  return out;
}

int read_year(const JsonReader& entry) {
  return static_cast<int>(entry.integer("year", 1990, 2100));
}

ElectricityPrice read_price(const JsonReader& price) {
  ElectricityPrice out;
  const JsonReader amount = price.member("per_kwh");
  out.per_kwh = amount.as_number();
  if (!(out.per_kwh > 0.0 && out.per_kwh <= kMaxPricePerKwh)) {
    amount.fail(fmt::format("is {}, not a price in (0, {}] per kWh", out.per_kwh, kMaxPricePerKwh));
  }
  const JsonReader currency = price.member("currency");
  out.currency = currency.as_string();
  if (out.currency.size() != 3 || upper(out.currency) != out.currency) {
    currency.fail("is not a 3-letter ISO 4217 code");
  }
  out.year = read_year(price);
  out.source = read_source(price);
  return out;
}

CarbonRegion read_region(const JsonReader& entry) {
  CarbonRegion r;
  r.code = non_empty_string(entry.as_object().member("code"));
  r.name = non_empty_string(entry.member("name"));
  const JsonReader intensity = entry.member("intensity_g_per_kwh");
  r.intensity_g_per_kwh = intensity.as_number();
  if (!(r.intensity_g_per_kwh > 0.0 && r.intensity_g_per_kwh <= kMaxIntensity)) {
    intensity.fail(fmt::format("is {}, not an intensity in (0, {}] g/kWh", r.intensity_g_per_kwh,
                               kMaxIntensity));
  }
  r.year = read_year(entry);
  r.source = read_source(entry);
  if (const auto price = entry.optional_member("price")) r.price = read_price(price->as_object());
  return r;
}

void check_carbon_format(const JsonReader& top) {
  const JsonReader schema = top.member("schema");
  if (schema.as_string() != kCarbonSchema && schema.ok()) {
    schema.fail(fmt::format("is \"{}\", not \"{}\"", schema.as_string(), kCarbonSchema));
  }
  const JsonReader version = top.member("version");
  if (version.as_integer() != kCarbonSchemaVersion && version.ok()) {
    version.fail(
        fmt::format("is not {} (the version this jouletrace reads)", kCarbonSchemaVersion));
  }
}

// A whole string as a finite number; from_chars takes no leading '+' or spaces.
std::optional<double> number_of(std::string_view text) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// The first of the option and the environment that holds a value, with its origin's name.
struct GivenText {
  std::string text;
  std::string origin;  // "option" or the variable's name
  std::string name;    // the option or the variable, for messages
};
std::optional<GivenText> first_given(const std::optional<std::string>& option,
                                     std::string_view option_name,
                                     const std::optional<std::string>& environment,
                                     std::string_view variable) {
  if (option) return GivenText{*option, "option", std::string(option_name)};
  if (environment) return GivenText{*environment, std::string(variable), std::string(variable)};
  return std::nullopt;
}

Result<const CarbonRegion*> resolve_region(const CarbonSettings& s, const CarbonTable* table,
                                           const std::string& table_error) {
  const auto given =
      first_given(s.options.region, "--region", s.environment.region, "JOULETRACE_REGION");
  if (!given) return nullptr;
  if (table == nullptr) {
    return make_error(
        ErrorKind::kNotFound,
        fmt::format("{} {}: no carbon data file: {}", given->name, given->text, table_error),
        "set JOULETRACE_CARBON_FILE, or give --carbon-intensity instead");
  }
  const CarbonRegion* region = table->find(given->text);
  if (region == nullptr) {
    std::string known;
    for (const auto& r : table->regions()) known += (known.empty() ? "" : ", ") + r.code;
    return make_error(
        ErrorKind::kInvalidData,
        fmt::format("{} '{}' is not in {}", given->name, given->text, table->origin()),
        "known regions: " + known + "; or give --carbon-intensity G_PER_KWH");
  }
  return region;
}

std::string region_origin(const CarbonRegion& r, int year, const CarbonSource& source) {
  return fmt::format("{} {}, {}", r.code, year, source.publisher);
}

Result<void> resolve_intensity(const CarbonSettings& s, const CarbonRegion* region,
                               CarbonFactors& out) {
  const auto given = first_given(s.options.carbon_intensity, "--carbon-intensity",
                                 s.environment.carbon_intensity, "JOULETRACE_CARBON_INTENSITY");
  if (given) {
    auto value = parse_carbon_intensity(given->text, given->name);
    if (!value) return std::unexpected(value.error());
    out.intensity = CarbonFactor{*value, given->origin};
  } else if (region != nullptr) {
    out.intensity = CarbonFactor{region->intensity_g_per_kwh,
                                 region_origin(*region, region->year, region->source)};
  }
  return {};
}

Result<void> resolve_price(const CarbonSettings& s, const CarbonRegion* region,
                           CarbonFactors& out) {
  const auto given =
      first_given(s.options.price, "--price", s.environment.price, "JOULETRACE_PRICE");
  if (given) {
    auto price = parse_price(given->text, given->name);
    if (!price) return std::unexpected(price.error());
    out.price = CarbonFactor{price->per_kwh, given->origin};
    out.currency = price->currency;
  } else if (region != nullptr && region->price) {
    const ElectricityPrice& p = *region->price;
    out.price = CarbonFactor{p.per_kwh, region_origin(*region, p.year, p.source)};
    out.currency = p.currency;
  }
  return {};
}

// "measured energy (counter)", or "modelled energy (model)" for an estimate.
std::string energy_words(const Measurement& energy) {
  const char* kind = energy.method == Method::kModel ? "modelled" : "measured";
  return fmt::format("{} energy ({})", kind, to_string(energy.method));
}

std::string pue_words(const CarbonFactor& pue) {
  return fmt::format("PUE {:g} ({})", pue.value, pue.origin);
}

}  // namespace

Result<CarbonTable> CarbonTable::parse(std::string_view json_text, const std::string& origin) {
  const auto j = parse_json(json_text, origin);
  if (!j) return make_error(j.error().kind, j.error().message, kCarbonHint);
  const JsonReader top = JsonReader(*j, "").as_object();
  check_carbon_format(top);
  const JsonReader regions = top.member("regions");
  const std::vector<JsonReader> entries = regions.as_array();
  if (entries.empty() && top.ok()) regions.fail("is empty");
  CarbonTable table;
  table.origin_ = origin;
  std::set<std::string> codes;
  for (const JsonReader& entry : entries) {
    if (!top.ok()) break;
    CarbonRegion r = read_region(entry);
    if (top.ok() && !codes.insert(upper(r.code)).second) {
      entry.member("code").fail(fmt::format("'{}' is listed twice", r.code));
    }
    table.regions_.push_back(std::move(r));
  }
  if (!top.ok()) {
    return make_error(ErrorKind::kInvalidData, origin + ": " + top.problem(), kCarbonHint);
  }
  return table;
}

Result<CarbonTable> CarbonTable::load(const fs::path& path) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  return parse(*text, path.string());
}

const CarbonRegion* CarbonTable::find(std::string_view code) const {
  const std::string wanted = upper(code);
  const auto it = std::find_if(regions_.begin(), regions_.end(),
                               [&](const CarbonRegion& r) { return upper(r.code) == wanted; });
  return it == regions_.end() ? nullptr : &*it;
}

Result<fs::path> locate_carbon_file() {
  if (const char* env = std::getenv("JOULETRACE_CARBON_FILE"); env != nullptr && *env != '\0') {
    return fs::path(env);
  }
  std::vector<fs::path> tried;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share/jouletrace/carbon.json";
    if (fs::exists(installed, ec)) return installed;
    tried.push_back(installed);
  }
#ifdef JOULETRACE_SOURCE_CARBON_FILE
  const fs::path source_tree = JOULETRACE_SOURCE_CARBON_FILE;
  if (fs::exists(source_tree, ec)) return source_tree;
  tried.push_back(source_tree);
#endif
  std::string list;
  for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p.string();
  return make_error(ErrorKind::kNotFound, "no carbon data file found (tried " + list + ")",
                    "set JOULETRACE_CARBON_FILE");
}

Result<double> parse_carbon_intensity(std::string_view text, std::string_view name) {
  const auto value = number_of(text);
  if (!value) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} '{}' is not a number (g CO2e per kWh)", name, text));
  }
  if (*value < 0.0 || *value > kMaxIntensity) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} {} is out of range: between 0 and {} g CO2e per kWh", name,
                                  text, kMaxIntensity));
  }
  return *value;
}

Result<PriceSetting> parse_price(std::string_view text, std::string_view name) {
  const auto slash = text.find('/');
  const std::string_view amount = text.substr(0, slash);
  PriceSetting out;
  if (slash != std::string_view::npos) {
    out.currency = upper(text.substr(slash + 1));
    const bool letters = std::all_of(out.currency.begin(), out.currency.end(),
                                     [](char c) { return c >= 'A' && c <= 'Z'; });
    if (out.currency.size() != 3 || !letters) {
      return make_error(ErrorKind::kInvalidData,
                        fmt::format("{} '{}': the currency after '/' is not a 3-letter code "
                                    "(e.g. 0.25/EUR)",
                                    name, text));
    }
  }
  const auto value = number_of(amount);
  if (!value) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} '{}' is not AMOUNT or AMOUNT/CURRENCY per kWh (e.g. "
                                  "0.25/EUR)",
                                  name, text));
  }
  if (*value < 0.0 || *value > kMaxPricePerKwh) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} {} is out of range: between 0 and {} per kWh", name, amount,
                                  kMaxPricePerKwh));
  }
  out.per_kwh = *value;
  return out;
}

Result<CarbonFactors> resolve_carbon_factors(const CarbonSettings& settings,
                                             const CarbonTable* table,
                                             const std::string& table_error) {
  CarbonFactors out;
  out.pue = CarbonFactor{settings.pue, settings.pue_given ? "option" : "default"};
  auto region = resolve_region(settings, table, table_error);
  if (!region) return std::unexpected(region.error());
  if (*region != nullptr) {
    out.region = (*region)->code;
    out.region_entry = **region;
  }
  if (auto ok = resolve_intensity(settings, *region, out); !ok) return std::unexpected(ok.error());
  if (auto ok = resolve_price(settings, *region, out); !ok) return std::unexpected(ok.error());
  return out;
}

CarbonFigure carbon_of(const Measurement& energy, const CarbonFactors& factors) {
  CarbonFigure out;
  out.currency = factors.currency;
  const std::string basis = energy_words(energy) + " x " + pue_words(factors.pue);
  const double facility_kwh_per_j = factors.pue.value / kJoulesPerKwh;
  if (!energy.known()) {
    out.co2e_method = "unknown: the energy is unknown";
    out.cost_method = out.co2e_method;
    return out;
  }
  if (factors.intensity) {
    const double g_per_j = facility_kwh_per_j * factors.intensity->value;
    out.co2e_g = *energy.energy_j * g_per_j;
    out.co2e_uncertainty_g = energy.uncertainty_j() * g_per_j;
    out.co2e_method = fmt::format("{} x {:g} g/kWh ({})", basis, factors.intensity->value,
                                  factors.intensity->origin);
  } else {
    out.co2e_method = kNoIntensityMethod;
  }
  if (factors.price) {
    const double per_j = facility_kwh_per_j * factors.price->value;
    out.cost = *energy.energy_j * per_j;
    out.cost_uncertainty = energy.uncertainty_j() * per_j;
    const std::string unit = factors.currency.empty() ? "" : " " + factors.currency;
    out.cost_method = fmt::format("{} x {:g}{}/kWh ({})", basis, factors.price->value, unit,
                                  factors.price->origin);
  } else {
    out.cost_method = kNoPriceMethod;
  }
  return out;
}

}  // namespace jt
