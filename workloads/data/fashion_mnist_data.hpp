// SPDX-License-Identifier: BSD-3-Clause
// The Fashion-MNIST files as the Debian package dataset-fashion-mnist installs them
// (docs/WORKLOADS.md): per split, one IDX file of 28x28 grey images and one of labels 0-9.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace jouletrace::workload {

inline constexpr std::size_t kFashionMnistClasses = 10;
inline constexpr const char* kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";
inline constexpr const char* kFashionMnistDirVariable = "JOULETRACE_FASHION_MNIST";

enum class Split { kTrain, kTest };

struct ImageSet {
  std::size_t count = 0;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::uint8_t> pixels;  // count x rows x cols
  std::vector<std::uint8_t> labels;  // count, each < kFashionMnistClasses
};

// The file names of a split inside the data directory: train-* or t10k-*, *-idx3-ubyte.gz for
// the images and *-idx1-ubyte.gz for the labels.
std::filesystem::path images_file(const std::filesystem::path& dir, Split split);
std::filesystem::path labels_file(const std::filesystem::path& dir, Split split);

// The first `limit` images and their labels (all of them when limit is 0). Throws DataError when
// a file is missing or malformed, the two files disagree on the count, a label is out of range,
// or limit exceeds the count.
ImageSet load_image_set(const std::filesystem::path& images, const std::filesystem::path& labels,
                        std::size_t limit);

// The directory to read: the option when given, else $JOULETRACE_FASHION_MNIST when set and not
// empty (`env_value`), else the Debian package's directory.
std::filesystem::path fashion_mnist_dir(const std::string& option, const char* env_value);

}  // namespace jouletrace::workload
