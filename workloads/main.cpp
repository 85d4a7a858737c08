// SPDX-License-Identifier: BSD-3-Clause
// jouletrace-workload: the bundled deep-learning workloads (docs/WORKLOADS.md).
//
//   jouletrace-workload fashion-mnist [options]   image classification, reports accuracy
//   jouletrace-workload unet3d [options]          3D segmentation, reports mean Dice
//
// Each marks its `train` and `infer` phases through jouletrace's phase API, items counted, so
// that under `jouletrace run` the report has their energy per sample. Exit status: 0 done, 1 a
// failure (bad data, a LibTorch error), 2 bad options or a device or precision not available.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <jouletrace/jouletrace.hpp>
#include <memory>

#include "data/fashion_mnist_data.hpp"
#include "workloads.hpp"

namespace jw = jouletrace::workload;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUnusable = 2;

void add_common_options(CLI::App& command, jw::CommonOptions& options) {
  command.add_option("--device", options.device, "cpu or cuda")->capture_default_str();
  command.add_option("--threads", options.threads, "LibTorch's intra-op threads (0: its default)")
      ->capture_default_str();
  command.add_option("--batch-size", options.batch_size, "samples (patches) per step")
      ->capture_default_str();
  command.add_option("--precision", options.precision, "fp32 or bf16 (autocast)")
      ->capture_default_str();
  command.add_option("--seed", options.seed, "seed of weights, shuffling and generated data")
      ->capture_default_str();
  command.add_option("--json", options.json_path, "write the metrics to this file");
}

// The phase API, when it starts: without it the workload still runs, unmarked.
std::unique_ptr<jouletrace::Session> open_session() {
  try {
    return std::make_unique<jouletrace::Session>();
  } catch (const jouletrace::Error& e) {
    fmt::print(stderr, "jouletrace-workload: phases not marked: {}\n", e.what());
    return nullptr;
  }
}

bool write_metrics(const std::string& path, const nlohmann::json& metrics) {
  std::ofstream out(path);
  out << metrics.dump(2) << '\n';
  if (!out.flush()) {
    fmt::print(stderr, "jouletrace-workload: cannot write the metrics to {}\n", path);
    return false;
  }
  return true;
}

void print_result(const jw::WorkloadResult& result) {
  fmt::print("{}: {} {:.4f}, final loss {:.4f}\n", result.workload, result.metric_name,
             result.metric, result.final_loss);
  for (const jw::PhaseRecord& phase : result.phases) {
    fmt::print("  {:<5} {:>8} samples {:9.3f} s", phase.name, phase.items, phase.seconds);
    if (phase.energy_j) fmt::print("  {:.1f} J ({})", *phase.energy_j, phase.energy_method);
    fmt::print("\n");
  }
}

template <typename Options, typename Run>
int run_workload(const Options& options, Run run) {
  const std::vector<std::string> problems = jw::validate(options);
  for (const std::string& problem : problems)
    fmt::print(stderr, "jouletrace-workload: {}\n", problem);
  if (!problems.empty()) return kExitUnusable;
  try {
    const std::unique_ptr<jouletrace::Session> session = open_session();
    const jw::WorkloadResult result = run(options, session != nullptr);
    print_result(result);
    if (!options.common.json_path.empty() &&
        !write_metrics(options.common.json_path, jw::metrics_json(result, jw::to_json(options))))
      return kExitFailure;
    return EXIT_SUCCESS;
  } catch (const jw::UnavailableError& e) {
    fmt::print(stderr, "jouletrace-workload: {}\n", e.what());
    return kExitUnusable;
  } catch (const std::exception& e) {
    fmt::print(stderr, "jouletrace-workload: {}\n", e.what());
    return kExitFailure;
  }
}

int run_command_line(int argc, char** argv) {
  CLI::App app("The bundled deep-learning workloads of jouletrace (docs/WORKLOADS.md)",
               "jouletrace-workload");
  app.require_subcommand(1);

  jw::FashionMnistOptions fashion;
  CLI::App* fashion_command = app.add_subcommand(
      "fashion-mnist", "Train a small ResNet on Fashion-MNIST, then classify the test images");
  add_common_options(*fashion_command, fashion.common);
  fashion_command->add_option("--epochs", fashion.epochs, "passes over the training images")
      ->capture_default_str();
  fashion_command->add_option("--train-limit", fashion.train_limit,
                              "train on the first N images (0: all 60000)");
  fashion_command->add_option("--test-limit", fashion.test_limit,
                              "classify the first N test images (0: all 10000)");
  fashion_command->add_option("--learning-rate", fashion.learning_rate, "Adam's step size")
      ->capture_default_str();
  fashion_command->add_option("--data", fashion.data_dir,
                              "directory of the *-idx?-ubyte.gz files (default: "
                              "$JOULETRACE_FASHION_MNIST, else " +
                                  std::string(jw::kFashionMnistDefaultDir) + ")");

  jw::Unet3dOptions unet;
  CLI::App* unet_command = app.add_subcommand(
      "unet3d", "Train a small 3D U-Net on generated volumes, then segment held-out ones");
  unet.common.batch_size = 2;  // patches of a 3D volume are much larger than 28x28 images
  add_common_options(*unet_command, unet.common);
  unet_command->add_option("--steps", unet.steps, "training steps")->capture_default_str();
  unet_command->add_option("--volume-size", unet.volume_edge, "voxels per side of each volume")
      ->capture_default_str();
  unet_command
      ->add_option("--patch-size", unet.patch_edge,
                   "voxels per side of training patches and inference windows "
                   "(a multiple of 4)")
      ->capture_default_str();
  unet_command->add_option("--train-volumes", unet.train_volumes, "volumes to train on")
      ->capture_default_str();
  unet_command->add_option("--test-volumes", unet.test_volumes, "held-out volumes to segment")
      ->capture_default_str();
  unet_command->add_option("--max-shapes", unet.max_shapes, "shapes per volume, at most")
      ->capture_default_str();
  unet_command->add_option("--noise", unet.noise_sd, "standard deviation of the image noise")
      ->capture_default_str();
  unet_command->add_option("--learning-rate", unet.learning_rate, "Adam's step size")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? 0 : kExitUnusable;
  }
  if (*fashion_command) {
    fashion.data_dir =
        jw::fashion_mnist_dir(fashion.data_dir, std::getenv(jw::kFashionMnistDirVariable)).string();
    return run_workload(fashion, jw::run_fashion_mnist);
  }
  return run_workload(unet, jw::run_unet3d);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_command_line(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "jouletrace-workload: internal error: {}\n", e.what());
    return kExitFailure;
  }
}
