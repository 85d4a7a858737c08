// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_reader.hpp"
#include "core/result.hpp"
#include "ledger/measurement.hpp"

namespace jt::store {

// One figure as the store keeps it: the ledger's Measurement reduced to what a later sum needs
// (docs/ARCHITECTURE.md §3): its energy (empty: unknown, never 0), its uncertainty, the
// systematic (calibration) part of that uncertainty, which adds linearly across parts while
// the rest adds in quadrature, and the method.
struct Figure {
  std::optional<double> energy_j;
  double uncertainty_j = 0.0;
  double systematic_j = 0.0;
  Method method = Method::kNone;
};
Figure figure_of(const Measurement& m);
Measurement measurement_of(const Figure& f);
// A figure as records and answers write it: energy_j (null: unknown), uncertainty_j,
// systematic_j, method; read strictly (the first problem kept in the reader, naming the field).
nlohmann::json figure_json(const Figure& figure);
Figure read_figure(const JsonReader& parent, std::string_view key);
// The method named as jt::to_string(Method) writes it; empty for any other text.
std::optional<Method> method_from_string(std::string_view name);

struct ComponentFigure {
  std::string id;      // the channel's id, "powercap/intel-rapl:0"
  std::string domain;  // package, dram, gpu, node ...
  Figure energy;
  double covered_s = 0.0;
  bool in_total = false;  // part of the node's non-overlapping cover
};

struct PhaseFigure {
  std::string name;
  std::uint64_t count = 0;  // phases of this name
  double duration_s = 0.0;
  std::uint64_t items = 0;
  Figure energy;
};

struct GpuFigure {
  std::string id;    // component id, "nvml/GPU-..."
  std::string uuid;  // empty when the backend gave none
  int index = 0;
  double share = 0.0;  // 1 owned by the step, 0 not, a fraction for a MIG slice
  Figure energy;
  bool idle = false;  // never busier than the idle threshold during the step
};

// What a step record covers on its node: the extern step (PrologFlags=Contain) is the whole
// allocation, the batch step the batch script, others a step of srun.
enum class StepScope { kAllocation, kBatch, kStep };
const char* to_string(StepScope scope);
std::optional<StepScope> step_scope_from_string(std::string_view name);

struct StepKey {
  std::string cluster;
  std::string job_id;
  std::string step_id;  // "extern", "batch", "0", "1" ...
  std::string node;
  bool operator==(const StepKey&) const = default;
};

// One step of one job on one node, as its node's agent measured it. Written once, when the
// step ends; the record of a step written twice (an agent that retries) replaces the first.
struct StepRecord {
  static constexpr int kFormat = 1;
  StepKey key;
  std::uint32_t uid = 0;
  std::string user;
  std::int64_t begin_unix_ms = 0;
  std::int64_t end_unix_ms = 0;
  StepScope scope = StepScope::kStep;
  std::string detail;  // "summary" or "phases" (--jouletrace)
  std::string cpus;    // the step's CPUs on the node as a list, "0-3,8"
  std::string gpus;    // the step's GPUs as Slurm numbers them, "0,1"
  std::string cgroup;  // the step's cgroup path
  std::vector<ComponentFigure> components;
  Figure total;                    // the node's total over the step (non-overlapping cover)
  std::optional<double> coverage;  // measured share of the total; unknown: empty
  std::string attribution_rule;    // how the node's energy was charged on a shared node
  Figure attributed;               // the step's share (the total when it had the node alone)
  std::vector<GpuFigure> gpus_measured;
  Figure idle_gpu;  // energy of GPUs the step owned that stayed idle
  Figure estimate;  // the runtime-based estimate (rated power x time), method model
  std::string estimate_basis;
  std::vector<PhaseFigure> phases;
  std::vector<std::string> warnings;
};

nlohmann::json to_json(const StepRecord& record);
// Strict: a record of another format, a missing field or a value of the wrong type is an
// error naming the field (records come from other nodes' agents and from the database).
Result<StepRecord> decode_step_record(std::string_view text);
// A std::string converts to both the text and a JSON value: this says it is text.
inline Result<StepRecord> decode_step_record(const std::string& text) {
  return decode_step_record(std::string_view(text));
}
Result<StepRecord> decode_step_record(const nlohmann::json& value);

}  // namespace jt::store
