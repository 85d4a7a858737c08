// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>

#include "report/run_report.hpp"

namespace jt {

std::string format_timeline_rows(const ChannelInfo& info, const ChannelSeries& s, std::size_t from,
                                 std::size_t to, std::int64_t origin_ns) {
  std::string out;
  const char* method = to_string(method_of(info));
  to = std::min(to, s.t_ns.size());
  for (std::size_t i = from; i < to; ++i) {
    const double t = static_cast<double>(s.t_ns[i] - origin_ns) * 1e-9;
    // The first sample has no power: an empty cell, never a 0 that looks measured.
    std::string power;
    if (i > 0 && s.t_ns[i] > s.t_ns[i - 1]) {
      const double dt = static_cast<double>(s.t_ns[i] - s.t_ns[i - 1]) * 1e-9;
      power = fmt::format("{:.3f}", (s.energy_j[i] - s.energy_j[i - 1]) / dt);
    }
    fmt::format_to(std::back_inserter(out), "{:.6f},{},{},{},{:.6f},{}\n", t, info.id,
                   to_string(info.domain), method, s.energy_j[i], power);
  }
  return out;
}

}  // namespace jt
