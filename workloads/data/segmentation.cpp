// SPDX-License-Identifier: BSD-3-Clause
#include "data/segmentation.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace jouletrace::workload {

double dice_coefficient(std::span<const std::uint8_t> predicted,
                        std::span<const std::uint8_t> truth) {
  if (predicted.size() != truth.size())
    throw std::invalid_argument(
        fmt::format("dice: the predicted mask has {} elements, the true "
                    "one {}",
                    predicted.size(), truth.size()));
  std::uint64_t both = 0, in_predicted = 0, in_truth = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const bool p = predicted[i] != 0, t = truth[i] != 0;
    both += p && t;
    in_predicted += p;
    in_truth += t;
  }
  if (in_predicted + in_truth == 0) return 1.0;
  return 2.0 * static_cast<double>(both) / static_cast<double>(in_predicted + in_truth);
}

std::vector<int> window_starts(int extent, int window, int stride) {
  if (window < 1 || window > extent || stride < 1)
    throw std::invalid_argument(
        fmt::format("sliding window: window {} over extent {} with stride "
                    "{} (need 1 <= window <= extent, stride >= 1)",
                    window, extent, stride));
  const int room = extent - window;
  const int count = (room + stride - 1) / stride + 1;
  std::vector<int> starts;
  for (int i = 0; i < count; ++i)
    // Rounded to the nearest voxel: spread evenly over [0, room] with both ends included.
    starts.push_back(count == 1 ? 0 : (2 * i * room + (count - 1)) / (2 * (count - 1)));
  return starts;
}

}  // namespace jouletrace::workload
