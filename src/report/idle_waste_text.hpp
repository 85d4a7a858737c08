// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <vector>

#include "ledger/idle_waste.hpp"

namespace jt {

// The idle-waste analysis of a window in words, one line each: the GPUs ("4 GPUs, 1 used:
// 180.0 J (28 % of 640.0 J) spent by 3 idle GPUs"), then CPUs left idle while GPUs worked.
std::vector<std::string> idle_waste_summary(const IdleWaste& waste);

}  // namespace jt
