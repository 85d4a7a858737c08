// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the readers of the node's own data files: the node profile (`jouletrace calibrate`
// writes it, `run` reads it back; a hand-edited or truncated one must not crash a run) and the
// rated-power table (data/tdp.json, or a site's own --tdp-file).
//
// The first byte picks the reader; the rest is the file.
//
// Invariants:
// - No crash and no exception, whatever the bytes.
// - A rejected file gives an error with a message.
// - An accepted profile survives a round trip: to_json, back, to_json again gives the same JSON.
// - An accepted rated-power table holds only finite, positive ratings, and every model it lists
//   is found again by its own name.
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_check.hpp"
#include "ledger/node_profile.hpp"
#include "ledger/runtime_estimate.hpp"

namespace {

void check_profile(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return;
  const auto profile = jt::profile_from_json(json);
  if (!profile) {
    JT_FUZZ_CHECK(!profile.error().message.empty());
    return;
  }
  const auto once = jt::to_json(*profile);
  const auto again = jt::profile_from_json(once);
  JT_FUZZ_CHECK(again.has_value());
  JT_FUZZ_CHECK(jt::to_json(*again) == once);
}

void check_tdp_table(const std::string& text) {
  const auto table = jt::TdpTable::parse(text, "fuzz");
  if (!table) {
    JT_FUZZ_CHECK(!table.error().message.empty());
    return;
  }
  for (const auto& device : table->devices()) {
    JT_FUZZ_CHECK(std::isfinite(device.rated_power_w) && device.rated_power_w > 0.0);
    JT_FUZZ_CHECK(table->find(device.kind, device.model) != nullptr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    check_profile(text);
  } else {
    check_tdp_table(text);
  }
  return 0;
}
