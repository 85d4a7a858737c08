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
  c.index = index;
  c.device = id;
  c.energy_j = energy_j;
  c.samples = 100;
  c.in_total = true;
  return c;
}

}  // namespace jt::test
