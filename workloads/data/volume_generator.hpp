// SPDX-License-Identifier: BSD-3-Clause
// Synthetic 3D segmentation data for the unet3d workload (docs/WORKLOADS.md "unet3d"): cubic
// volumes holding a few spheres and boxes of random size, position and brightness on a dark
// background, with Gaussian noise; the mask marks the voxels inside any shape. Everything follows
// from the seed through our own generator (SplitMix64 and Box-Muller), so a seed gives the same
// volume with any compiler and standard library.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace jouletrace::workload {

struct VolumeSpec {
  int edge = 32;          // voxels per side
  int max_shapes = 3;     // each volume holds 1 to max_shapes shapes
  double noise_sd = 0.3;  // of the Gaussian noise added to every voxel; shapes are 0.5 to 1.0
};

enum class ShapeKind { kSphere, kBox };

// Voxel coordinates are (z, y, x). A sphere holds the voxels within `half_extent[0]` of the
// centre; a box the voxels within half_extent[axis] of it along each axis, so
// (2a+1)(2b+1)(2c+1) voxels. Shapes are drawn so that they lie inside the volume.
struct Shape {
  ShapeKind kind = ShapeKind::kBox;
  std::array<int, 3> centre{};
  std::array<int, 3> half_extent{};
  float intensity = 1.0f;
};

struct Volume {
  int edge = 0;
  std::vector<float> image;        // edge^3, z-major
  std::vector<std::uint8_t> mask;  // edge^3, 1 inside a shape
};

// Deterministic 64-bit generator (SplitMix64), with the uniform and normal draws we need.
class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();                    // [0, 1)
  int uniform_int(int low, int high);  // [low, high]
  double normal();                     // mean 0, sd 1

 private:
  std::uint64_t state_;
};

// Seed of the index-th volume of a role (training, held out) from the workload's seed, so that
// training and held-out volumes never coincide and each can be made alone.
enum class VolumeRole : std::uint64_t { kTraining = 1, kHeldOut = 2 };
std::uint64_t volume_seed(std::uint64_t seed, VolumeRole role, std::uint64_t index);

std::vector<Shape> draw_shapes(const VolumeSpec& spec, std::uint64_t seed);
// Sets the mask to 1 and the image to the shape's intensity on the voxels inside the shape.
void paint_shape(const Shape& shape, int edge, std::vector<float>& image,
                 std::vector<std::uint8_t>& mask);
// Throws std::invalid_argument when edge < 8 or max_shapes < 1 or noise_sd < 0.
Volume generate_volume(const VolumeSpec& spec, std::uint64_t seed);

}  // namespace jouletrace::workload
