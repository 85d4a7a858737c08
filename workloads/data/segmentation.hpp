// SPDX-License-Identifier: BSD-3-Clause
// What the unet3d workload computes on plain buffers: the Dice coefficient of a predicted mask
// and the true one, and where the windows of a sliding-window inference start.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace jouletrace::workload {

// Dice = 2 |P and T| / (|P| + |T|), a non-zero element being foreground. When neither mask has
// any foreground the prediction agrees with the truth exactly, and the result is 1 (not 0, and
// not undefined). Throws std::invalid_argument when the sizes differ.
double dice_coefficient(std::span<const std::uint8_t> predicted,
                        std::span<const std::uint8_t> truth);

// The start of each window of size `window` along an axis of size `extent`, at most `stride`
// apart and spread evenly, the first at 0 and the last flush with the end, so that every voxel
// is covered. Throws std::invalid_argument unless 1 <= window <= extent and stride >= 1.
std::vector<int> window_starts(int extent, int window, int stride);

}  // namespace jouletrace::workload
