// SPDX-License-Identifier: BSD-3-Clause
#include "data/volume_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace jouletrace::workload {

std::uint64_t SeededRandom::next() {
  // SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014).
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double SeededRandom::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

int SeededRandom::uniform_int(int low, int high) {
  const auto span = static_cast<std::uint64_t>(high - low) + 1;
  return low + static_cast<int>(next() % span);
}

double SeededRandom::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: the logarithm stays finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::uint64_t volume_seed(std::uint64_t seed, VolumeRole role, std::uint64_t index) {
  SeededRandom mix(seed ^ (static_cast<std::uint64_t>(role) << 56) ^
                   (index * 0x2545f4914f6cdd1dULL));
  return mix.next();
}

std::vector<Shape> draw_shapes(const VolumeSpec& spec, std::uint64_t seed) {
  SeededRandom random(seed);
  const int smallest = std::max(1, spec.edge / 10);
  const int largest = std::max(smallest, spec.edge / 4);
  std::vector<Shape> shapes(static_cast<std::size_t>(random.uniform_int(1, spec.max_shapes)));
  for (Shape& shape : shapes) {
    shape.kind = random.uniform_int(0, 1) == 0 ? ShapeKind::kSphere : ShapeKind::kBox;
    for (int& h : shape.half_extent) h = random.uniform_int(smallest, largest);
    if (shape.kind == ShapeKind::kSphere) shape.half_extent.fill(shape.half_extent[0]);
    for (std::size_t axis = 0; axis < 3; ++axis)
      shape.centre[axis] =
          random.uniform_int(shape.half_extent[axis], spec.edge - 1 - shape.half_extent[axis]);
    shape.intensity = static_cast<float>(0.5 + 0.5 * random.uniform());
  }
  return shapes;
}

void paint_shape(const Shape& shape, int edge, std::vector<float>& image,
                 std::vector<std::uint8_t>& mask) {
  const auto& [cz, cy, cx] = shape.centre;
  const auto& [hz, hy, hx] = shape.half_extent;
  const long radius_squared = static_cast<long>(hz) * hz;
  for (int z = std::max(0, cz - hz); z <= std::min(edge - 1, cz + hz); ++z)
    for (int y = std::max(0, cy - hy); y <= std::min(edge - 1, cy + hy); ++y)
      for (int x = std::max(0, cx - hx); x <= std::min(edge - 1, cx + hx); ++x) {
        const long dz = z - cz, dy = y - cy, dx = x - cx;
        if (shape.kind == ShapeKind::kSphere && dz * dz + dy * dy + dx * dx > radius_squared)
          continue;
        const auto at = (static_cast<std::size_t>(z) * edge + y) * edge + x;
        mask[at] = 1;
        image[at] = shape.intensity;
      }
}

Volume generate_volume(const VolumeSpec& spec, std::uint64_t seed) {
  if (spec.edge < 8 || spec.max_shapes < 1 || !(spec.noise_sd >= 0.0))
    throw std::invalid_argument(
        fmt::format("volume spec: edge {} (at least 8), max_shapes {} (at "
                    "least 1), noise_sd {} (not negative)",
                    spec.edge, spec.max_shapes, spec.noise_sd));
  Volume volume;
  volume.edge = spec.edge;
  const auto voxels = static_cast<std::size_t>(spec.edge) * spec.edge * spec.edge;
  volume.image.assign(voxels, 0.0f);
  volume.mask.assign(voxels, 0);
  for (const Shape& shape : draw_shapes(spec, seed))
    paint_shape(shape, spec.edge, volume.image, volume.mask);
  if (spec.noise_sd > 0.0) {
    SeededRandom noise(seed ^ 0x6e6f697365ULL);  // a stream apart from the shapes' draws
    for (float& v : volume.image) v += static_cast<float>(spec.noise_sd * noise.normal());
  }
  return volume;
}

}  // namespace jouletrace::workload
