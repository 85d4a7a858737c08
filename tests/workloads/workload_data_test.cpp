// SPDX-License-Identifier: BSD-3-Clause
// The LibTorch-free parts of the bundled workloads (workloads/data): the IDX reader on files this
// test writes, the volume generator on shapes of known voxel counts, Dice on hand-counted
// overlaps, the sliding-window starts, and the option checks.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "data/fashion_mnist_data.hpp"
#include "data/idx_file.hpp"
#include "data/segmentation.hpp"
#include "data/volume_generator.hpp"
#include "data/workload_options.hpp"

namespace jw = jouletrace::workload;
namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> idx_bytes(const std::vector<std::uint32_t>& dims,
                                    const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> bytes{0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(static_cast<std::uint8_t>(d >> shift));
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

class WorkloadDataFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("jt-workload-data-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write_gz(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    const fs::path path = dir_ / name;
    gzFile file = gzopen(path.c_str(), "wb");
    EXPECT_NE(file, nullptr);
    EXPECT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    gzclose(file);
    return path;
  }

  fs::path write_plain(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  // The message of the DataError `read` throws; fails the test when it throws none.
  template <typename Read>
  std::string data_error(Read read) {
    try {
      read();
    } catch (const jw::DataError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no DataError";
    return {};
  }

  fs::path dir_;
};

const std::vector<std::uint8_t> kSixPixels{0, 1, 2, 253, 254, 255};

TEST_F(WorkloadDataFiles, ReadsTheDimensionsAndBytesOfAGzippedIdxFile) {
  const fs::path path = write_gz("images.gz", idx_bytes({3, 1, 2}, kSixPixels));
  const jw::IdxArray array = jw::read_idx_file(path, 3);
  EXPECT_EQ(array.dims, (std::vector<std::uint32_t>{3, 1, 2}));
  EXPECT_EQ(array.data, kSixPixels);
}

TEST_F(WorkloadDataFiles, ReadsAnUncompressedIdxFileToo) {
  const fs::path path = write_plain("labels", idx_bytes({6}, kSixPixels));
  EXPECT_EQ(jw::read_idx_file(path, 1).data, kSixPixels);
}

TEST_F(WorkloadDataFiles, RejectsAWrongMagicNumberNamingTheFile) {
  std::vector<std::uint8_t> bytes = idx_bytes({6}, kSixPixels);
  bytes[1] = 0x08;
  const fs::path path = write_gz("bad-magic.gz", bytes);
  const std::string message = data_error([&] { jw::read_idx_file(path, 1); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("magic"), std::string::npos) << message;
}

TEST_F(WorkloadDataFiles, RejectsElementsOtherThanUnsignedBytes) {
  std::vector<std::uint8_t> bytes = idx_bytes({6}, kSixPixels);
  bytes[2] = 0x0d;  // float
  const std::string message = data_error([&] { jw::parse_idx(bytes, 1, "floats"); });
  EXPECT_NE(message.find("element type 0x0d"), std::string::npos) << message;
}

TEST_F(WorkloadDataFiles, RejectsAnUnexpectedDimensionCount) {
  const std::string message =
      data_error([&] { jw::parse_idx(idx_bytes({6}, kSixPixels), 3, "labels-as-images"); });
  EXPECT_NE(message.find("labels-as-images: 1 dimensions in the IDX header, expected 3"),
            std::string::npos)
      << message;
}

TEST_F(WorkloadDataFiles, RejectsATruncatedHeader) {
  std::vector<std::uint8_t> bytes = idx_bytes({3, 1, 2}, {});
  bytes.resize(9);
  const std::string message = data_error([&] { jw::parse_idx(bytes, 3, "short"); });
  EXPECT_NE(message.find("truncated IDX header: 9 bytes, the 3 dimensions need 16"),
            std::string::npos)
      << message;
  EXPECT_NE(data_error([&] {
              jw::parse_idx(std::vector<std::uint8_t>{0, 0}, 1, "tiny");
            }).find("tiny: not an IDX file"),
            std::string::npos);
}

TEST_F(WorkloadDataFiles, RejectsDataShorterOrLongerThanTheDimensions) {
  std::vector<std::uint8_t> pixels = kSixPixels;
  pixels.pop_back();
  const fs::path short_path = write_gz("short.gz", idx_bytes({3, 1, 2}, pixels));
  std::string message = data_error([&] { jw::read_idx_file(short_path, 3); });
  EXPECT_NE(message.find(short_path.string() + ": truncated IDX data: the dimensions announce 6 "
                                               "bytes, the file has 5"),
            std::string::npos)
      << message;
  pixels = kSixPixels;
  pixels.push_back(7);
  message = data_error([&] { jw::parse_idx(idx_bytes({3, 1, 2}, pixels), 3, "long"); });
  EXPECT_NE(message.find("long: 1 bytes after the 6 bytes"), std::string::npos) << message;
}

TEST_F(WorkloadDataFiles, RejectsAZeroDimension) {
  const std::string message = data_error([&] { jw::parse_idx(idx_bytes({0}, {}), 1, "empty"); });
  EXPECT_NE(message.find("empty: IDX dimension 0 is 0"), std::string::npos) << message;
}

TEST_F(WorkloadDataFiles, RejectsACutGzipStream) {
  std::vector<std::uint8_t> pixels(4096);
  std::mt19937 random(7);  // incompressible, so that the cut lands inside the deflate data
  for (std::uint8_t& p : pixels) p = static_cast<std::uint8_t>(random());
  const fs::path path = write_gz("cut.gz", idx_bytes({4096}, pixels));
  fs::resize_file(path, fs::file_size(path) / 2);
  const std::string message = data_error([&] { jw::read_idx_file(path, 1); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}

TEST_F(WorkloadDataFiles, RejectsAMissingFile) {
  const fs::path path = dir_ / "absent.gz";
  EXPECT_EQ(data_error([&] { jw::read_idx_file(path, 1); }), path.string() + ": cannot open");
}

class FashionMnistFiles : public WorkloadDataFiles {
 protected:
  // Four 1x2 images with pixel values 10*i and 10*i+1, labels 9, 0, 3, 5.
  void write_split(std::vector<std::uint8_t> labels = {9, 0, 3, 5}, std::uint32_t label_count = 4) {
    write_gz("train-images-idx3-ubyte.gz", idx_bytes({4, 1, 2}, {0, 1, 10, 11, 20, 21, 30, 31}));
    write_gz("train-labels-idx1-ubyte.gz", idx_bytes({label_count}, labels));
  }
  jw::ImageSet load(std::size_t limit) {
    return jw::load_image_set(jw::images_file(dir_, jw::Split::kTrain),
                              jw::labels_file(dir_, jw::Split::kTrain), limit);
  }
};

TEST_F(FashionMnistFiles, LoadsTheFirstImagesAndLabelsOfASplit) {
  write_split();
  const jw::ImageSet all = load(0);
  EXPECT_EQ(all.count, 4u);
  EXPECT_EQ(all.rows, 1u);
  EXPECT_EQ(all.cols, 2u);
  EXPECT_EQ(all.labels, (std::vector<std::uint8_t>{9, 0, 3, 5}));
  const jw::ImageSet two = load(2);
  EXPECT_EQ(two.count, 2u);
  EXPECT_EQ(two.pixels, (std::vector<std::uint8_t>{0, 1, 10, 11}));
  EXPECT_EQ(two.labels, (std::vector<std::uint8_t>{9, 0}));
}

TEST_F(FashionMnistFiles, RejectsLabelsThatDisagreeWithTheImages) {
  write_split({9, 0, 3}, 3);
  const std::string message = data_error([&] { load(0); });
  EXPECT_NE(message.find("train-labels-idx1-ubyte.gz: 3 labels, but"), std::string::npos)
      << message;
  write_split({9, 0, 10, 5});
  EXPECT_NE(data_error([&] { load(0); }).find("label 10 of item 2 is not a class 0-9"),
            std::string::npos);
}

TEST_F(FashionMnistFiles, RejectsALimitAboveTheImageCount) {
  write_split();
  EXPECT_NE(data_error([&] { load(5); }).find("5 images asked for, the file has 4"),
            std::string::npos);
}

TEST(FashionMnistDir, TheOptionThenTheEnvironmentThenTheDebianDirectory) {
  EXPECT_EQ(jw::fashion_mnist_dir("/opt/fm", "/env/fm"), fs::path("/opt/fm"));
  EXPECT_EQ(jw::fashion_mnist_dir("", "/env/fm"), fs::path("/env/fm"));
  EXPECT_EQ(jw::fashion_mnist_dir("", ""), fs::path("/usr/share/datasets/fashion-mnist"));
  EXPECT_EQ(jw::fashion_mnist_dir("", nullptr), fs::path("/usr/share/datasets/fashion-mnist"));
}

std::size_t foreground(const std::vector<std::uint8_t>& mask) {
  return static_cast<std::size_t>(std::count(mask.begin(), mask.end(), 1));
}

TEST(VolumeShapes, ABoxCoversTheProductOfItsSides) {
  const int edge = 16;
  std::vector<float> image(edge * edge * edge, 0.0f);
  std::vector<std::uint8_t> mask(image.size(), 0);
  jw::paint_shape({jw::ShapeKind::kBox, {5, 6, 7}, {1, 2, 3}, 0.75f}, edge, image, mask);
  EXPECT_EQ(foreground(mask), 3u * 5u * 7u);
  EXPECT_EQ(mask[(5 * edge + 6) * edge + 7], 1);
  EXPECT_EQ(mask[(6 * edge + 8) * edge + 10], 1);  // a corner
  EXPECT_EQ(mask[(7 * edge + 8) * edge + 10], 0);  // one past it
  EXPECT_FLOAT_EQ(image[(6 * edge + 8) * edge + 10], 0.75f);
  EXPECT_FLOAT_EQ(image[0], 0.0f);
}

TEST(VolumeShapes, ASphereCoversTheLatticePointsWithinItsRadius) {
  const int edge = 9;
  std::vector<float> image(edge * edge * edge, 0.0f);
  std::vector<std::uint8_t> mask(image.size(), 0);
  // Radius 1: the centre and its 6 face neighbours.
  jw::paint_shape({jw::ShapeKind::kSphere, {2, 2, 2}, {1, 1, 1}, 1.0f}, edge, image, mask);
  EXPECT_EQ(foreground(mask), 7u);
  // Radius 2, apart from the first: squared distances 0 (1 point), 1 (6), 2 (12), 3 (8), 4 (6).
  std::fill(mask.begin(), mask.end(), 0);
  jw::paint_shape({jw::ShapeKind::kSphere, {5, 5, 5}, {2, 2, 2}, 1.0f}, edge, image, mask);
  EXPECT_EQ(foreground(mask), 1u + 6u + 12u + 8u + 6u);
}

TEST(VolumeGenerator, TheSameSeedGivesTheSameVolumeAndAnotherSeedAnother) {
  const jw::VolumeSpec spec{.edge = 16, .max_shapes = 3, .noise_sd = 0.3};
  const jw::Volume a = jw::generate_volume(spec, 42);
  const jw::Volume b = jw::generate_volume(spec, 42);
  const jw::Volume c = jw::generate_volume(spec, 43);
  EXPECT_EQ(a.image, b.image);
  EXPECT_EQ(a.mask, b.mask);
  EXPECT_NE(a.image, c.image);
}

TEST(VolumeGenerator, ShapesLieInsideTheVolumeAndFillTheMask) {
  const jw::VolumeSpec spec{.edge = 20, .max_shapes = 4, .noise_sd = 0.0};
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const std::vector<jw::Shape> shapes = jw::draw_shapes(spec, seed);
    ASSERT_GE(shapes.size(), 1u);
    ASSERT_LE(shapes.size(), 4u);
    std::size_t largest_box = 0;
    for (const jw::Shape& s : shapes) {
      for (std::size_t axis = 0; axis < 3; ++axis) {
        EXPECT_GE(s.centre[axis] - s.half_extent[axis], 0) << "seed " << seed;
        EXPECT_LE(s.centre[axis] + s.half_extent[axis], spec.edge - 1) << "seed " << seed;
      }
      EXPECT_GE(s.intensity, 0.5f);
      EXPECT_LE(s.intensity, 1.0f);
      if (s.kind == jw::ShapeKind::kBox)
        largest_box = std::max<std::size_t>(
            largest_box,
            static_cast<std::size_t>((2 * s.half_extent[0] + 1) * (2 * s.half_extent[1] + 1) *
                                     (2 * s.half_extent[2] + 1)));
    }
    // Without noise, the image is a shape's intensity inside the mask and 0 outside.
    const jw::Volume v = jw::generate_volume(spec, seed);
    EXPECT_GE(foreground(v.mask), std::max<std::size_t>(largest_box, 7u)) << "seed " << seed;
    for (std::size_t i = 0; i < v.mask.size(); ++i)
      if (v.mask[i] == 0)
        ASSERT_EQ(v.image[i], 0.0f) << "seed " << seed;
      else
        ASSERT_GE(v.image[i], 0.5f) << "seed " << seed;
  }
}

TEST(VolumeGenerator, NoiseHasTheAskedSpread) {
  const jw::VolumeSpec spec{.edge = 48, .max_shapes = 1, .noise_sd = 0.3};
  const jw::Volume v = jw::generate_volume(spec, 5);
  double sum = 0.0, squares = 0.0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < v.mask.size(); ++i)
    if (v.mask[i] == 0) {
      sum += v.image[i];
      squares += double{v.image[i]} * v.image[i];
      ++n;
    }
  const double mean = sum / static_cast<double>(n);
  // Over ~100000 background voxels the sample mean and spread are within 1% of 0 and 0.3.
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(squares / static_cast<double>(n) - mean * mean), 0.3, 0.01);
}

TEST(VolumeGenerator, TrainingAndHeldOutSeedsDiffer) {
  EXPECT_NE(jw::volume_seed(1, jw::VolumeRole::kTraining, 0),
            jw::volume_seed(1, jw::VolumeRole::kHeldOut, 0));
  EXPECT_NE(jw::volume_seed(1, jw::VolumeRole::kTraining, 0),
            jw::volume_seed(1, jw::VolumeRole::kTraining, 1));
  EXPECT_EQ(jw::volume_seed(9, jw::VolumeRole::kHeldOut, 3),
            jw::volume_seed(9, jw::VolumeRole::kHeldOut, 3));
}

TEST(VolumeGenerator, RejectsAnUnusableSpec) {
  EXPECT_THROW(jw::generate_volume({.edge = 7, .max_shapes = 1, .noise_sd = 0.0}, 1),
               std::invalid_argument);
  EXPECT_THROW(jw::generate_volume({.edge = 8, .max_shapes = 0, .noise_sd = 0.0}, 1),
               std::invalid_argument);
  EXPECT_THROW(jw::generate_volume({.edge = 8, .max_shapes = 1, .noise_sd = -1.0}, 1),
               std::invalid_argument);
}

using Mask = std::vector<std::uint8_t>;

TEST(Dice, TwiceTheOverlapOverTheSumOfTheSizes) {
  // Predicted {0, 1, 2}, truth {1, 2, 3, 4}: overlap 2, so 2 * 2 / (3 + 4).
  EXPECT_DOUBLE_EQ(jw::dice_coefficient(Mask{1, 1, 1, 0, 0, 0}, Mask{0, 1, 1, 1, 1, 0}), 4.0 / 7.0);
  EXPECT_DOUBLE_EQ(jw::dice_coefficient(Mask{1, 0, 1}, Mask{1, 0, 1}), 1.0);
  EXPECT_DOUBLE_EQ(jw::dice_coefficient(Mask{1, 0, 0}, Mask{0, 0, 1}), 0.0);
  EXPECT_DOUBLE_EQ(jw::dice_coefficient(Mask{0, 0, 0}, Mask{0, 1, 0}), 0.0);
  EXPECT_DOUBLE_EQ(jw::dice_coefficient(Mask{2, 255, 0}, Mask{1, 1, 0}), 1.0);  // non-zero is in
}

TEST(Dice, TwoEmptyMasksAgreeExactly) {
  EXPECT_DOUBLE_EQ(jw::dice_coefficient(Mask{0, 0, 0}, Mask{0, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(jw::dice_coefficient(Mask{}, Mask{}), 1.0);
}

TEST(Dice, RejectsMasksOfDifferentSizes) {
  EXPECT_THROW(jw::dice_coefficient(Mask{1, 0}, Mask{1, 0, 0}), std::invalid_argument);
}

TEST(WindowStarts, EvenlySpreadFromZeroToFlushWithTheEnd) {
  EXPECT_EQ(jw::window_starts(32, 16, 8), (std::vector<int>{0, 8, 16}));
  EXPECT_EQ(jw::window_starts(16, 16, 8), (std::vector<int>{0}));
  EXPECT_EQ(jw::window_starts(20, 16, 8), (std::vector<int>{0, 4}));
  // Room 17 at stride 8 takes 4 windows, 17/3 apart, rounded: 0, 5.67, 11.33, 17.
  EXPECT_EQ(jw::window_starts(33, 16, 8), (std::vector<int>{0, 6, 11, 17}));
}

TEST(WindowStarts, EveryVoxelIsCoveredAndNoGapExceedsTheStride) {
  for (int extent = 4; extent <= 40; ++extent)
    for (int window = 1; window <= extent; window += 3)
      for (int stride = 1; stride <= window; ++stride) {
        const std::vector<int> starts = jw::window_starts(extent, window, stride);
        ASSERT_EQ(starts.front(), 0);
        ASSERT_EQ(starts.back(), extent - window);
        for (std::size_t i = 1; i < starts.size(); ++i) {
          ASSERT_GT(starts[i], starts[i - 1]);
          ASSERT_LE(starts[i] - starts[i - 1], stride) << extent << " " << window << " " << stride;
        }
      }
}

TEST(WindowStarts, RejectsAWindowLargerThanTheExtentOrNoStride) {
  EXPECT_THROW(jw::window_starts(8, 16, 4), std::invalid_argument);
  EXPECT_THROW(jw::window_starts(16, 0, 4), std::invalid_argument);
  EXPECT_THROW(jw::window_starts(16, 8, 0), std::invalid_argument);
}

TEST(WorkloadOptions, TheDefaultsAreValid) {
  EXPECT_TRUE(jw::validate(jw::FashionMnistOptions{}).empty());
  EXPECT_TRUE(jw::validate(jw::Unet3dOptions{}).empty());
}

TEST(WorkloadOptions, EachProblemIsNamedByItsOption) {
  jw::Unet3dOptions unet;
  unet.common.device = "tpu";
  unet.common.precision = "fp16";
  unet.common.batch_size = 0;
  unet.patch_edge = 18;
  unet.volume_edge = 16;
  const std::vector<std::string> problems = jw::validate(unet);
  EXPECT_EQ(problems,
            (std::vector<std::string>{
                "--device tpu: must be cpu or cuda", "--precision fp16: must be fp32 or bf16",
                "--batch-size 0: must be at least 1",
                "--patch-size 18: must be a multiple of 4 (the U-Net halves it twice)",
                "--patch-size 18: larger than --volume-size 16"}));
  jw::FashionMnistOptions fashion;
  fashion.epochs = 0;
  fashion.learning_rate = -1.0;
  EXPECT_EQ(jw::validate(fashion),
            (std::vector<std::string>{"--epochs 0: must be at least 1",
                                      "--learning-rate -1: must be a positive number"}));
}

TEST(WorkloadOptions, ParsesTheDevicesAndPrecisions) {
  EXPECT_EQ(jw::parse_device("cuda"), jw::Device::kCuda);
  EXPECT_EQ(jw::parse_device("CPU"), std::nullopt);
  EXPECT_EQ(jw::parse_precision("bf16"), jw::Precision::kBf16);
}

TEST(WorkloadMetrics, CountsSamplesFromThePhasesAndLeavesUnknownEnergyNull) {
  jw::WorkloadResult result{
      .workload = "unet3d", .metric_name = "dice", .metric = 0.75, .final_loss = 0.5};
  result.phases.push_back({"train", 40, 2.5, std::nullopt, "none"});
  result.phases.push_back({"infer", 3, 0.5, 12.0, "counter"});
  const nlohmann::json json = jw::metrics_json(result, {{"steps", 20}});
  EXPECT_EQ(json["dice"], 0.75);
  EXPECT_EQ(json["metric"], "dice");
  EXPECT_EQ(json["samples_trained"], 40);
  EXPECT_EQ(json["samples_inferred"], 3);
  EXPECT_TRUE(json["phases"]["train"]["energy_j"].is_null());
  EXPECT_EQ(json["phases"]["infer"]["energy_j"], 12.0);
  EXPECT_EQ(json["phases"]["train"]["seconds"], 2.5);
  EXPECT_EQ(json["options"]["steps"], 20);
}

}  // namespace
