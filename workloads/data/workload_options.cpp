// SPDX-License-Identifier: BSD-3-Clause
#include "data/workload_options.hpp"

#include <fmt/format.h>

#include <cmath>

namespace jouletrace::workload {

std::optional<Device> parse_device(const std::string& text) {
  if (text == "cpu") return Device::kCpu;
  if (text == "cuda") return Device::kCuda;
  return std::nullopt;
}

std::optional<Precision> parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::kFp32;
  if (text == "bf16") return Precision::kBf16;
  return std::nullopt;
}

namespace {

void require_at_least(std::vector<std::string>& problems, const char* option, long long value,
                      long long least) {
  if (value < least)
    problems.push_back(fmt::format("{} {}: must be at least {}", option, value, least));
}

void require_rate(std::vector<std::string>& problems, double rate) {
  if (!(rate > 0.0) || !std::isfinite(rate))
    problems.push_back(fmt::format("--learning-rate {}: must be a positive number", rate));
}

}  // namespace

std::vector<std::string> validate(const CommonOptions& options) {
  std::vector<std::string> problems;
  if (!parse_device(options.device))
    problems.push_back(fmt::format("--device {}: must be cpu or cuda", options.device));
  if (!parse_precision(options.precision))
    problems.push_back(fmt::format("--precision {}: must be fp32 or bf16", options.precision));
  require_at_least(problems, "--threads", options.threads, 0);
  require_at_least(problems, "--batch-size", options.batch_size, 1);
  return problems;
}

std::vector<std::string> validate(const FashionMnistOptions& options) {
  std::vector<std::string> problems = validate(options.common);
  require_at_least(problems, "--epochs", options.epochs, 1);
  require_rate(problems, options.learning_rate);
  return problems;
}

std::vector<std::string> validate(const Unet3dOptions& options) {
  std::vector<std::string> problems = validate(options.common);
  require_at_least(problems, "--steps", options.steps, 1);
  require_at_least(problems, "--volume-size", options.volume_edge, 8);
  require_at_least(problems, "--patch-size", options.patch_edge, kUnetPatchMultiple);
  require_at_least(problems, "--train-volumes", options.train_volumes, 1);
  require_at_least(problems, "--test-volumes", options.test_volumes, 1);
  require_at_least(problems, "--max-shapes", options.max_shapes, 1);
  if (options.patch_edge % kUnetPatchMultiple != 0)
    problems.push_back(
        fmt::format("--patch-size {}: must be a multiple of {} (the U-Net halves "
                    "it twice)",
                    options.patch_edge, kUnetPatchMultiple));
  if (options.patch_edge > options.volume_edge)
    problems.push_back(fmt::format("--patch-size {}: larger than --volume-size {}",
                                   options.patch_edge, options.volume_edge));
  if (!(options.noise_sd >= 0.0) || !std::isfinite(options.noise_sd))
    problems.push_back(fmt::format("--noise {}: must be 0 or more", options.noise_sd));
  require_rate(problems, options.learning_rate);
  return problems;
}

namespace {

nlohmann::json common_json(const CommonOptions& options) {
  return {{"device", options.device},
          {"threads", options.threads},
          {"batch_size", options.batch_size},
          {"precision", options.precision},
          {"seed", options.seed}};
}

}  // namespace

nlohmann::json to_json(const FashionMnistOptions& options) {
  nlohmann::json json = common_json(options.common);
  json["epochs"] = options.epochs;
  json["train_limit"] = options.train_limit;
  json["test_limit"] = options.test_limit;
  json["learning_rate"] = options.learning_rate;
  json["data_dir"] = options.data_dir;
  return json;
}

nlohmann::json to_json(const Unet3dOptions& options) {
  nlohmann::json json = common_json(options.common);
  json["steps"] = options.steps;
  json["volume_size"] = options.volume_edge;
  json["patch_size"] = options.patch_edge;
  json["train_volumes"] = options.train_volumes;
  json["test_volumes"] = options.test_volumes;
  json["max_shapes"] = options.max_shapes;
  json["noise_sd"] = options.noise_sd;
  json["learning_rate"] = options.learning_rate;
  return json;
}

nlohmann::json metrics_json(const WorkloadResult& result, const nlohmann::json& options) {
  nlohmann::json phases = nlohmann::json::object();
  std::uint64_t trained = 0, inferred = 0;
  for (const PhaseRecord& phase : result.phases) {
    phases[phase.name] = {{"items", phase.items},
                          {"seconds", phase.seconds},
                          {"energy_j", phase.energy_j ? nlohmann::json(*phase.energy_j) : nullptr},
                          {"energy_method", phase.energy_method}};
    if (phase.name == "train") trained = phase.items;
    if (phase.name == "infer") inferred = phase.items;
  }
  return {{"workload", result.workload},
          {"metric", result.metric_name},
          {result.metric_name, result.metric},
          {"final_loss", result.final_loss},
          {"samples_trained", trained},
          {"samples_inferred", inferred},
          {"phases", phases},
          {"options", options}};
}

}  // namespace jouletrace::workload
