// SPDX-License-Identifier: BSD-3-Clause
// The options of jouletrace-workload's subcommands (docs/WORKLOADS.md), their checks, and the
// metrics file they write (--json). Free of LibTorch, so that the checks are tested without it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace jouletrace::workload {

enum class Device { kCpu, kCuda };
enum class Precision { kFp32, kBf16 };

struct CommonOptions {
  std::string device = "cpu";  // cpu | cuda
  int threads = 0;             // 0: LibTorch's default
  int batch_size = 64;
  std::string precision = "fp32";  // fp32 | bf16
  std::uint64_t seed = 1;
  std::string json_path;  // empty: no metrics file
};

struct FashionMnistOptions {
  CommonOptions common;
  int epochs = 1;
  std::uint64_t train_limit = 0;  // 0: all 60000 training images
  std::uint64_t test_limit = 0;   // 0: all 10000 test images
  double learning_rate = 1e-3;
  std::string data_dir;  // empty: $JOULETRACE_FASHION_MNIST, then the Debian directory
};

struct Unet3dOptions {
  CommonOptions common;
  int steps = 100;
  int volume_edge = 32;  // voxels per side of each generated volume
  int patch_edge = 16;   // of the training patches and the inference windows
  int train_volumes = 8;
  int test_volumes = 4;
  int max_shapes = 3;
  double noise_sd = 0.3;
  double learning_rate = 1e-3;
};

// The U-Net halves the patch twice, so the patch edge is a multiple of this.
inline constexpr int kUnetPatchMultiple = 4;

std::optional<Device> parse_device(const std::string& text);
std::optional<Precision> parse_precision(const std::string& text);

// One message per problem (empty: valid), each naming the option.
std::vector<std::string> validate(const CommonOptions& options);
std::vector<std::string> validate(const FashionMnistOptions& options);
std::vector<std::string> validate(const Unet3dOptions& options);

nlohmann::json to_json(const FashionMnistOptions& options);
nlohmann::json to_json(const Unet3dOptions& options);

// One phase as the workload timed it; energy only when it measured the phase itself (no parent
// `jouletrace run`, a readable sensor), else unknown.
struct PhaseRecord {
  std::string name;
  std::uint64_t items = 0;
  double seconds = 0.0;
  std::optional<double> energy_j;
  std::string energy_method = "none";
};

struct WorkloadResult {
  std::string workload;     // fashion-mnist | unet3d
  std::string metric_name;  // accuracy | dice
  double metric = 0.0;
  double final_loss = 0.0;  // mean loss of the last epoch or of the last steps
  std::vector<PhaseRecord> phases;
};

// The --json document: the workload, its metric, samples trained and inferred, each phase's
// seconds and items, and the options used.
nlohmann::json metrics_json(const WorkloadResult& result, const nlohmann::json& options);

}  // namespace jouletrace::workload
