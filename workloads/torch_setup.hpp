// SPDX-License-Identifier: BSD-3-Clause
// What both LibTorch translation units need: the device, the threads, the seed and bf16
// autocasting, set from the common options. Inline, so that it adds no translation unit.
#pragma once

#include <ATen/autocast_mode.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include "workloads.hpp"

namespace jouletrace::workload {

inline torch::Device select_device(const CommonOptions& options) {
  if (parse_device(options.device) == Device::kCpu) return torch::kCPU;
  if (!torch::cuda::is_available())
    throw UnavailableError(
        "--device cuda: CUDA is not available to this LibTorch (a CPU-only build such as Debian's "
        "libtorch-dev, or no usable GPU); build against a CUDA LibTorch (docs/WORKLOADS.md)");
  return torch::kCUDA;
}

inline void configure_torch(const CommonOptions& options) {
  if (options.threads > 0) torch::set_num_threads(options.threads);
  torch::manual_seed(options.seed);
}

// bf16 through autocasting: the layers LibTorch lists for lower precision run in bf16, the rest
// (losses, normalisation statistics) in fp32, and the weights stay fp32. Probed once with a
// small matrix product and a 3D convolution so that a device without bf16 kernels gives a clear
// error instead of failing in the middle of training.
class Bf16Autocast {
 public:
  Bf16Autocast(const CommonOptions& options, torch::Device device) {
    if (parse_precision(options.precision) != Precision::kBf16) return;
    try {
      const auto bf16 = torch::TensorOptions().dtype(torch::kBFloat16).device(device);
      (void)torch::matmul(torch::ones({4, 4}, bf16), torch::ones({4, 4}, bf16));
      (void)torch::conv3d(torch::ones({1, 1, 4, 4, 4}, bf16), torch::ones({1, 1, 3, 3, 3}, bf16));
    } catch (const c10::Error& e) {
      throw UnavailableError(
          fmt::format("--precision bf16: this LibTorch has no bf16 kernels on "
                      "{}: {}",
                      device.str(), e.what_without_backtrace()));
    }
    cuda_ = device.is_cuda();
    if (cuda_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
    active_ = true;
  }
  ~Bf16Autocast() {
    if (!active_) return;
    if (cuda_)
      at::autocast::set_enabled(false);
    else
      at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
  // Autocast keeps the bf16 copy of each weight for reuse while it is enabled; after an optimiser
  // step that copy is stale, so it is dropped (Python's autocast does so when its block ends).
  void weights_changed() {
    if (active_) at::autocast::clear_cache();
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
};

// Kernels run asynchronously on a GPU: a phase ends when they are done, not when queued.
inline void wait_for_device(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

}  // namespace jouletrace::workload
