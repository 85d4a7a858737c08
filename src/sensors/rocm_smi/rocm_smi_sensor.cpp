// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/rocm_smi/rocm_smi_sensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "sensors/backends.hpp"
#include "sensors/gpu_driver_presence.hpp"

namespace jt {

namespace {

constexpr const char* kBackend = "rocm_smi";
constexpr double kMicro = 1e-6;
// Update periods assumed, not measured: 1 ms for the energy accumulator, 1 s for the average
// power (docs/backends/amd.md A3).
constexpr double kEnergyUpdatePeriodS = 0.001;
constexpr double kPowerUpdatePeriodS = 1.0;
constexpr unsigned int kMostGpus = 1024;
constexpr std::size_t kNameBufferSize = 256;

ProbeReport make_report(ProbeReport::Status status, std::string detail, std::string hint = {}) {
  return ProbeReport{kBackend, status, std::move(detail), std::move(hint)};
}

bool is_lost(RsmiStatus status) {
  return status == kRsmiNotFound || status == kRsmiInputOutOfBounds;
}

// BDFID = domain << 32 | bus << 8 | device << 3 | function (rocm_smi.h rsmi_dev_pci_id_get), as
// sysfs names the address ("0000:c1:00.0").
std::string pci_address(const RsmiApi& api, std::uint32_t index) {
  std::uint64_t bdfid = 0;
  if (api.dev_pci_id_get == nullptr || api.dev_pci_id_get(index, &bdfid) != kRsmiSuccess) {
    return {};
  }
  return fmt::format("{:04x}:{:02x}:{:02x}.{}", (bdfid >> 32) & 0xFFFFFFFFU, (bdfid >> 8) & 0xFFU,
                     (bdfid >> 3) & 0x1FU, bdfid & 0x7U);
}

// The product name; control bytes, non-ASCII, commas and quotes become '?' (ids, CSV, labels).
std::string device_name(const RsmiApi& api, std::uint32_t index) {
  if (api.dev_name_get == nullptr) return {};
  std::string buffer(kNameBufferSize, '\0');
  if (api.dev_name_get(index, buffer.data(), buffer.size()) != kRsmiSuccess) return {};
  buffer.resize(::strnlen(buffer.data(), buffer.size()));
  for (char& c : buffer) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E || c == ',' || c == '"') c = '?';
  }
  return buffer;
}

struct ProbedGpu {
  ChannelInfo channel;
  RocmSmiSensor::Gpu gpu;
  std::string summary;
};

}  // namespace

void model_amd_apu(ChannelInfo& channel, const ProbeContext& context) {
  channel.domain = Domain::kModule;
  channel.identity.kind = HardwareKind::kModule;
  for (const auto& earlier : context.earlier_channels) {
    if (earlier.domain == Domain::kPackage) channel.contains.push_back(earlier.id);
  }
  channel.note = "MI300A APU: the socket's power, its CPU cores included";
}

namespace {

// Chooses the method: the energy counter, else the average power; an error when neither.
Result<void> choose_source(const RocmSmiLibrary& library, std::uint32_t index, ProbedGpu& probed,
                           const std::string& label) {
  const RsmiApi& api = library.api();
  ChannelInfo& channel = probed.channel;
  std::string energy_problem = "this ROCm SMI does not export rsmi_dev_energy_count_get";
  if (api.dev_energy_count_get != nullptr) {
    std::uint64_t count = 0;
    std::uint64_t timestamp_ns = 0;
    float resolution_uj = 0.0F;
    const RsmiStatus status =
        api.dev_energy_count_get(index, &count, &resolution_uj, &timestamp_ns);
    if (status == kRsmiSuccess && resolution_uj > 0.0F) {
      probed.gpu.source = RocmSmiSensor::Source::kEnergyCounter;
      channel.quantity = Quantity::kEnergyCounter;
      channel.scale = static_cast<double>(resolution_uj) * kMicro;
      channel.raw_unit = fmt::format("{:g} uJ", static_cast<double>(resolution_uj));
      channel.update_period_s = kEnergyUpdatePeriodS;
      probed.summary =
          fmt::format("{}: energy counter (rsmi_dev_energy_count_get, {:g} uJ per count)", label,
                      static_cast<double>(resolution_uj));
      return {};
    }
    energy_problem = status == kRsmiSuccess
                         ? "rsmi_dev_energy_count_get: no counter resolution"
                         : "rsmi_dev_energy_count_get: " + library.error_string(status);
  }
  std::string power_problem = "this ROCm SMI does not export rsmi_dev_power_ave_get";
  if (api.dev_power_ave_get != nullptr) {
    std::uint64_t uw = 0;
    const RsmiStatus status = api.dev_power_ave_get(index, 0, &uw);
    if (status == kRsmiSuccess) {
      probed.gpu.source = RocmSmiSensor::Source::kAveragePower;
      channel.quantity = Quantity::kAveragePower;
      channel.scale = kMicro;
      channel.raw_unit = "uW";
      channel.update_period_s = kPowerUpdatePeriodS;
      channel.note = "no energy counter: ROCm SMI average power integrated over time";
      probed.summary = label +
                       ": average power integrated over time (rsmi_dev_power_ave_get, "
                       "uW); no energy counter: " +
                       energy_problem;
      return {};
    }
    power_problem = "rsmi_dev_power_ave_get: " + library.error_string(status);
  }
  return make_error(ErrorKind::kUnsupported, label + ": neither energy nor power readable (" +
                                                 energy_problem + "; " + power_problem + ")");
}

void read_extras(const RsmiApi& api, std::uint32_t index, ProbedGpu& probed) {
  std::uint32_t busy = 0;
  if (api.dev_busy_percent_get != nullptr &&
      api.dev_busy_percent_get(index, &busy) == kRsmiSuccess) {
    probed.gpu.utilisation = true;
    probed.channel.reports_activity = true;
  }
  std::uint64_t cap_uw = 0;
  if (api.dev_power_cap_get != nullptr &&
      api.dev_power_cap_get(index, 0, &cap_uw) == kRsmiSuccess &&
      cap_uw > 0) {  // a cap of 0 is no cap known, never a rating of 0 W
    probed.channel.max_power_w = static_cast<double>(cap_uw) * kMicro;
    probed.channel.identity.rated_power_w = probed.channel.max_power_w;
    probed.channel.identity.rated_power_source = "ROCm SMI power cap";
  }
}

Result<ProbedGpu> probe_gpu(const RocmSmiLibrary& library, std::uint32_t index,
                            const ProbeContext& context) {
  const RsmiApi& api = library.api();
  ProbedGpu probed;
  probed.gpu.index = index;
  ChannelInfo& channel = probed.channel;
  channel.domain = Domain::kGpu;
  channel.identity.vendor = Vendor::kAmd;
  channel.identity.kind = HardwareKind::kGpu;
  channel.identity.index = static_cast<int>(index);
  // The unique id is the ASIC's serial, which survives renumbering; the index only where the
  // library cannot give it (consumer cards answer NOT_SUPPORTED). Written as ROCR_VISIBLE_DEVICES
  // names a GPU by it, "GPU-" and 16 hex digits (docs/backends/amd.md A6).
  std::uint64_t unique_id = 0;
  if (api.dev_unique_id_get != nullptr &&
      api.dev_unique_id_get(index, &unique_id) == kRsmiSuccess && unique_id != 0) {
    channel.identity.uuid = fmt::format("GPU-{:016x}", unique_id);
  }
  channel.identity.bus_id = pci_address(api, index);
  const std::string key = !channel.identity.uuid.empty()     ? channel.identity.uuid
                          : !channel.identity.bus_id.empty() ? channel.identity.bus_id
                                                             : fmt::format("index-{}", index);
  channel.id = fmt::format("{}/{}", kBackend, key);
  channel.device = device_name(api, index);
  if (channel.device.empty()) channel.device = fmt::format("AMD GPU {}", index);
  channel.provenance = fmt::format("ROCm SMI {}, index {}, {}", library.path(), index, key);
  const std::string label = fmt::format("GPU {} {} ({})", index, channel.device, key);
  if (auto chosen = choose_source(library, index, probed, label); !chosen) {
    return std::unexpected(chosen.error());
  }
  read_extras(api, index, probed);
  if (channel.device.find("MI300A") != std::string::npos) model_amd_apu(channel, context);
  return probed;
}

}  // namespace

RocmSmiSensor::RocmSmiSensor(std::shared_ptr<RocmSmiLibrary> library,
                             std::vector<ChannelInfo> channels, std::vector<Gpu> gpus)
    : library_(std::move(library)), channels_(std::move(channels)), gpus_(std::move(gpus)) {}

namespace {

RsmiStatus read_source(const RsmiApi& api, const RocmSmiSensor::Gpu& gpu, std::uint64_t& raw) {
  if (gpu.source == RocmSmiSensor::Source::kEnergyCounter) {
    float resolution_uj = 0.0F;
    std::uint64_t timestamp_ns = 0;
    return api.dev_energy_count_get(gpu.index, &raw, &resolution_uj, &timestamp_ns);
  }
  return api.dev_power_ave_get(gpu.index, 0, &raw);
}

}  // namespace

void RocmSmiSensor::read(std::span<Reading> out) {
  const RsmiApi& api = library_->api();
  const std::size_t n = std::min(out.size(), gpus_.size());
  for (std::size_t i = 0; i < n; ++i) {
    Gpu& gpu = gpus_[i];
    Reading& reading = out[i];
    reading.raw = 0;
    reading.activity_pct = -1.0F;
    if (gpu.lost) {
      reading.t_ns = monotonic_ns();
      reading.half_width_ns = 0;
      reading.status = Reading::Status::kLost;
      continue;
    }
    std::uint64_t raw = 0;
    const std::int64_t before = monotonic_ns();
    const RsmiStatus status = read_source(api, gpu, raw);
    const std::int64_t after = monotonic_ns();
    reading.half_width_ns = (after - before) / 2;
    reading.t_ns = before + reading.half_width_ns;
    if (status == kRsmiSuccess) {
      reading.raw = raw;
      reading.status = Reading::Status::kOk;
      std::uint32_t busy = 0;
      if (gpu.utilisation && api.dev_busy_percent_get(gpu.index, &busy) == kRsmiSuccess) {
        reading.activity_pct = static_cast<float>(std::min(busy, 100U));
      }
    } else if (is_lost(status)) {
      gpu.lost = true;
      reading.status = Reading::Status::kLost;
    } else {
      reading.status = Reading::Status::kUnavailable;
    }
  }
}

namespace {

// A GCD without power of its own is the second die of an MI250X package, whose power its
// sibling reports for both (docs/backends/amd.md A4): measured through it, never an error.
bool is_secondary_gcd(const RocmSmiLibrary& library, std::uint32_t index) {
  const RsmiApi& api = library.api();
  std::uint64_t uw = 0;
  const bool no_power = api.dev_power_ave_get == nullptr ||
                        api.dev_power_ave_get(index, 0, &uw) != kRsmiSuccess || uw == 0;
  return no_power && device_name(api, index).find("MI250") != std::string::npos;
}

}  // namespace

ProbeOutcome probe_rocm_smi(const ProbeContext& context) {
  ProbeOutcome outcome;
  if (auto skipped = skip_vendor_library(
          context, {kBackend, "ROCm SMI", "--rocm-smi-library", context.rocm_smi_library,
                    kRocmSmiLibraryEnv, kAmdGpuDrivers})) {
    outcome.reports.push_back(std::move(*skipped));
    return outcome;
  }
  auto library = RocmSmiLibrary::open(context.rocm_smi_library);
  if (!library) {
    outcome.reports.push_back(probe_report(kBackend, library.error()));
    return outcome;
  }
  const std::string& path = (*library)->path();
  std::uint32_t count = 0;
  const RsmiStatus status = (*library)->api().num_monitor_devices(&count);
  if (status != kRsmiSuccess) {
    outcome.reports.push_back(make_report(
        ProbeReport::Status::kError,
        "rsmi_num_monitor_devices failed (" + path + "): " + (*library)->error_string(status)));
    return outcome;
  }
  if (count == 0 || count > kMostGpus) {
    outcome.reports.push_back(make_report(
        count == 0 ? ProbeReport::Status::kAbsent : ProbeReport::Status::kError,
        fmt::format("ROCm SMI {} reports {} devices{}", path, count,
                    count == 0 ? ": no AMD GPU" : ", more than any node holds; not measured")));
    return outcome;
  }
  std::vector<ChannelInfo> channels;
  std::vector<RocmSmiSensor::Gpu> gpus;
  for (std::uint32_t i = 0; i < count; ++i) {
    auto probed = probe_gpu(**library, i, context);
    if (!probed) {
      const bool secondary = is_secondary_gcd(**library, i);
      outcome.reports.push_back(make_report(
          secondary ? ProbeReport::Status::kNotUsed : ProbeReport::Status::kError,
          secondary ? fmt::format("GPU {}: second GCD of an MI250X, whose package power the "
                                  "first GCD reports for both",
                                  i)
                    : probed.error().message));
      continue;
    }
    // A GPU AMD SMI already reads (same PCI address): the same energy again.
    const auto read_before =
        std::ranges::find_if(context.earlier_channels, [&](const ChannelInfo& c) {
          return !c.identity.bus_id.empty() && c.identity.bus_id == probed->channel.identity.bus_id;
        });
    if (read_before != context.earlier_channels.end()) {
      outcome.reports.push_back(make_report(ProbeReport::Status::kNotUsed,
                                            fmt::format("GPU {}: read as {}", i, read_before->id)));
      continue;
    }
    const bool repeated = std::ranges::any_of(
        channels, [&](const ChannelInfo& c) { return c.id == probed->channel.id; });
    if (repeated) {
      outcome.reports.push_back(
          make_report(ProbeReport::Status::kError,
                      fmt::format("GPU {}: same id as an earlier GPU ({}); measured once", i,
                                  probed->channel.id)));
      continue;
    }
    outcome.reports.push_back(make_report(ProbeReport::Status::kPresent, probed->summary));
    channels.push_back(std::move(probed->channel));
    gpus.push_back(probed->gpu);
  }
  if (!channels.empty()) {
    outcome.sensors.push_back(
        std::make_unique<RocmSmiSensor>(std::shared_ptr<RocmSmiLibrary>(std::move(*library)),
                                        std::move(channels), std::move(gpus)));
  }
  return outcome;
}

}  // namespace jt
