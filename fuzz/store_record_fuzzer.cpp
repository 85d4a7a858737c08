// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the job store's record decoder (docs/STORE.md "Record format"): records come from
// other nodes' agents and from a shared database, so any bytes must be refused cleanly.
//
// Invariants:
// - No crash and no exception, whatever the bytes.
// - A rejected record gives kInvalidData with a message.
// - An accepted record survives a round trip: to_json, decoded again, to_json gives the same.
// - An accepted record's uncertainties are finite and not negative, and no string in it is
//   longer than the decoder's bound.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "store/job_record.hpp"

namespace {

void check_figure(const jt::store::Figure& f) {
  JT_FUZZ_CHECK(std::isfinite(f.uncertainty_j) && f.uncertainty_j >= 0.0);
  JT_FUZZ_CHECK(f.systematic_j >= 0.0 && f.systematic_j <= f.uncertainty_j);
  JT_FUZZ_CHECK(!f.energy_j || std::isfinite(*f.energy_j));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto record = jt::store::decode_step_record(text);
  if (!record) {
    JT_FUZZ_CHECK(record.error().kind == jt::ErrorKind::kInvalidData);
    JT_FUZZ_CHECK(!record.error().message.empty());
    return 0;
  }
  check_figure(record->total);
  check_figure(record->idle_gpu);
  check_figure(record->estimate);
  JT_FUZZ_CHECK(record->cgroup.size() <= 4096 && record->user.size() <= 4096);
  JT_FUZZ_CHECK(record->warnings.size() <= 4096);
  const auto once = jt::store::to_json(*record);
  const auto again = jt::store::decode_step_record(once);
  JT_FUZZ_CHECK(again.has_value());
  JT_FUZZ_CHECK(jt::store::to_json(*again) == once);
  return 0;
}
