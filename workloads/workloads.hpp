// SPDX-License-Identifier: BSD-3-Clause
// The two workloads of jouletrace-workload (docs/WORKLOADS.md), each in a translation unit of its
// own because LibTorch's headers cost about 30 s and 1.7 GB to compile: main.cpp, which parses the
// command line, includes only this header.
#pragma once

#include <stdexcept>

#include "data/workload_options.hpp"

namespace jouletrace::workload {

// The device or precision asked for is not available here (no CUDA, no bf16): exit status 2.
class UnavailableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `marked`: a jouletrace session is open, so each phase is also a jouletrace window.
WorkloadResult run_fashion_mnist(const FashionMnistOptions& options, bool marked);
WorkloadResult run_unet3d(const Unet3dOptions& options, bool marked);

}  // namespace jouletrace::workload
