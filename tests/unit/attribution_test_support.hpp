// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>

#include "ledger/run_ledger.hpp"

namespace jt::test {

// A measured component that counts in the run's total.
inline ComponentResult measured_component(const std::string& id, Domain domain, int index,
                                          double energy_j) {
  ComponentResult c;
  c.id = id;
  c.domain = domain;
  c.device = id;
  // As the NVML backend fills it for its channels ("nvml/GPU-<uuid>").
  const bool nvml = id.starts_with("nvml/");
  c.identity = identity_of(domain, index, nvml ? Vendor::kNvidia : Vendor::kUnknown);
  if (id.starts_with("nvml/GPU-")) c.identity.uuid = id.substr(5);
  c.measured.energy_j = energy_j;
  c.measured.samples = 100;
  c.in_total = true;
  return c;
}

}  // namespace jt::test
