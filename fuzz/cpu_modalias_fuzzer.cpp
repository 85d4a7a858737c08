// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes jt::parse_cpu_modalias, the reader of /sys/devices/system/cpu/modalias.
//
// Invariants:
// - A parsed family and model are what four hexadecimal digits can hold: 0..0xFFFF.
// - The identity survives a round trip through the kernel's own format
//   ("cpu:type:x86,venVVVVfamFFFFmodMMMM:feature:...").
// - A rejected modalias gives an invalid-data error with a message.
#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "sensors/cpu_topology.hpp"

namespace {

int vendor_number(jt::CpuVendor vendor) {
  switch (vendor) {
    case jt::CpuVendor::kIntel: return 0;
    case jt::CpuVendor::kAmd: return 2;
    case jt::CpuVendor::kHygon: return 9;
    case jt::CpuVendor::kUnknown: break;
  }
  return 0xFFFF;  // a number no vendor has
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto id = jt::parse_cpu_modalias(input);
  if (!id) {
    JT_FUZZ_CHECK(id.error().kind == jt::ErrorKind::kInvalidData);
    JT_FUZZ_CHECK(!id.error().message.empty());
    return 0;
  }
  JT_FUZZ_CHECK(id->family >= 0 && id->family <= 0xFFFF);
  JT_FUZZ_CHECK(id->model >= 0 && id->model <= 0xFFFF);
  JT_FUZZ_CHECK(jt::to_string(id->vendor) != nullptr);

  const std::string canonical =
      fmt::format("cpu:type:x86,ven{:04X}fam{:04X}mod{:04X}:feature:,0000,0001",
                  vendor_number(id->vendor), id->family, id->model);
  const auto again = jt::parse_cpu_modalias(canonical);
  JT_FUZZ_CHECK(again.has_value());
  JT_FUZZ_CHECK(again->vendor == id->vendor);
  JT_FUZZ_CHECK(again->family == id->family);
  JT_FUZZ_CHECK(again->model == id->model);
  return 0;
}
