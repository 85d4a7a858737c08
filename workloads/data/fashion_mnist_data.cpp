// SPDX-License-Identifier: BSD-3-Clause
#include "data/fashion_mnist_data.hpp"

#include <fmt/format.h>

#include "data/idx_file.hpp"

namespace jouletrace::workload {

std::filesystem::path images_file(const std::filesystem::path& dir, Split split) {
  return dir /
         (split == Split::kTrain ? "train-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte.gz");
}

std::filesystem::path labels_file(const std::filesystem::path& dir, Split split) {
  return dir /
         (split == Split::kTrain ? "train-labels-idx1-ubyte.gz" : "t10k-labels-idx1-ubyte.gz");
}

ImageSet load_image_set(const std::filesystem::path& images, const std::filesystem::path& labels,
                        std::size_t limit) {
  IdxArray image_array = read_idx_file(images, 3);
  IdxArray label_array = read_idx_file(labels, 1);
  const std::size_t count = image_array.dims[0];
  if (label_array.dims[0] != count)
    throw DataError(fmt::format("{}: {} labels, but {} has {} images", labels.string(),
                                label_array.dims[0], images.string(), count));
  if (limit > count)
    throw DataError(
        fmt::format("{}: {} images asked for, the file has {}", images.string(), limit, count));
  ImageSet set;
  set.count = limit == 0 ? count : limit;
  set.rows = image_array.dims[1];
  set.cols = image_array.dims[2];
  for (std::size_t i = 0; i < count; ++i)
    if (label_array.data[i] >= kFashionMnistClasses)
      throw DataError(fmt::format("{}: label {} of item {} is not a class 0-{}", labels.string(),
                                  label_array.data[i], i, kFashionMnistClasses - 1));
  image_array.data.resize(set.count * set.rows * set.cols);
  label_array.data.resize(set.count);
  set.pixels = std::move(image_array.data);
  set.labels = std::move(label_array.data);
  return set;
}

std::filesystem::path fashion_mnist_dir(const std::string& option, const char* env_value) {
  if (!option.empty()) return option;
  if (env_value != nullptr && *env_value != '\0') return env_value;
  return kFashionMnistDefaultDir;
}

}  // namespace jouletrace::workload
