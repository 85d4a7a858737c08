#include <fmt/format.h>

#include "report/run_report.hpp"

namespace jt {

std::string format_timeline_csv(const std::vector<ChannelInfo>& channels,
                                const std::vector<ChannelSeries>& series, std::int64_t start_ns) {
  std::string out = "time_s,component,domain,method,energy_j,power_w\n";
  for (std::size_t c = 0; c < channels.size() && c < series.size(); ++c) {
    const ChannelInfo& info = channels[c];
    const ChannelSeries& s = series[c];
    const char* method = info.quantity == Quantity::kEnergyCounter ? "counter" : "power-integrated";
    for (std::size_t i = 0; i < s.t_ns.size(); ++i) {
      const double t = static_cast<double>(s.t_ns[i] - start_ns) * 1e-9;
      std::string power;
      if (i > 0 && s.t_ns[i] > s.t_ns[i - 1]) {
        const double dt = static_cast<double>(s.t_ns[i] - s.t_ns[i - 1]) * 1e-9;
        power = fmt::format("{:.3f}", (s.energy_j[i] - s.energy_j[i - 1]) / dt);
      }
      fmt::format_to(std::back_inserter(out), "{:.6f},{},{},{},{:.6f},{}\n", t, info.id,
                     to_string(info.domain), method, s.energy_j[i], power);
    }
  }
  return out;
}

}  // namespace jt
