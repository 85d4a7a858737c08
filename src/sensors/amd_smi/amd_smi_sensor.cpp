// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/amd_smi/amd_smi_sensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "sensors/backends.hpp"
#include "sensors/gpu_driver_presence.hpp"
#include "sensors/rocm_smi/rocm_smi_sensor.hpp"

namespace jt {

namespace {

constexpr const char* kBackend = "amd_smi";
constexpr std::uint32_t kMostHandles = 1024;
// Assumed, not measured, as for ROCm SMI: the same firmware counter (docs/backends/amd.md A3).
constexpr double kEnergyUpdatePeriodS = 0.001;

ProbeReport make_report(ProbeReport::Status status, std::string detail) {
  return ProbeReport{kBackend, status, std::move(detail), {}};
}

bool is_lost(AmdSmiStatus status) {
  return status == kAmdSmiNotFound || status == kAmdSmiInputOutOfBounds;
}

// A buffer for a structure of unknown size (amd_smi_library.hpp), 8-byte aligned.
struct StructBuffer {
  alignas(8) std::array<unsigned char, kAmdSmiStructBuffer> bytes{};
  template <typename T>
  T first() const {
    T value{};
    std::memcpy(&value, bytes.data(), sizeof value);
    return value;
  }
};

std::string clean_text(const char* text, std::size_t size) {
  std::string out(text, ::strnlen(text, size));
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E || c == ',' || c == '"') c = '?';
  }
  return out;
}

// Every GPU processor handle, socket by socket, in the library's order (the index).
Result<std::vector<AmdSmiHandle>> gpu_handles(const AmdSmiLibrary& library) {
  const AmdSmiApi& api = library.api();
  std::uint32_t sockets = 0;
  AmdSmiStatus status = api.get_socket_handles(&sockets, nullptr);
  std::vector<AmdSmiHandle> socket_handles(std::min(sockets, kMostHandles));
  sockets = static_cast<std::uint32_t>(socket_handles.size());
  if (status == kAmdSmiSuccess) status = api.get_socket_handles(&sockets, socket_handles.data());
  if (status != kAmdSmiSuccess) {
    return make_error(ErrorKind::kIo,
                      "amdsmi_get_socket_handles failed: " + library.error_string(status));
  }
  std::vector<AmdSmiHandle> gpus;
  for (std::uint32_t s = 0; s < std::min<std::size_t>(sockets, socket_handles.size()); ++s) {
    std::uint32_t count = 0;
    if (api.get_processor_handles(socket_handles[s], &count, nullptr) != kAmdSmiSuccess) continue;
    std::vector<AmdSmiHandle> handles(std::min(count, kMostHandles));
    count = static_cast<std::uint32_t>(handles.size());
    if (api.get_processor_handles(socket_handles[s], &count, handles.data()) != kAmdSmiSuccess) {
      continue;
    }
    handles.resize(std::min<std::size_t>(count, handles.size()));
    gpus.insert(gpus.end(), handles.begin(), handles.end());
  }
  return gpus;
}

void identify(const AmdSmiApi& api, AmdSmiHandle gpu, ChannelInfo& channel) {
  if (api.get_gpu_device_uuid != nullptr) {
    std::array<char, kAmdSmiUuidSize + 1> uuid{};
    unsigned int length = kAmdSmiUuidSize;
    if (api.get_gpu_device_uuid(gpu, &length, uuid.data()) == kAmdSmiSuccess) {
      channel.identity.uuid = clean_text(uuid.data(), kAmdSmiUuidSize);
    }
  }
  std::uint64_t bdf = 0;
  if (api.get_gpu_device_bdf != nullptr && api.get_gpu_device_bdf(gpu, &bdf) == kAmdSmiSuccess) {
    // amdsmi_bdf_t: function 3 bits, device 5, bus 8, domain 48, from the low bit up.
    channel.identity.bus_id = fmt::format("{:04x}:{:02x}:{:02x}.{}", bdf >> 16, (bdf >> 8) & 0xFFU,
                                          (bdf >> 3) & 0x1FU, bdf & 0x7U);
  }
  StructBuffer asic;
  if (api.get_gpu_asic_info != nullptr &&
      api.get_gpu_asic_info(gpu, asic.bytes.data()) == kAmdSmiSuccess) {
    channel.device = clean_text(reinterpret_cast<const char*>(asic.bytes.data()), 256);
  }
}

struct ProbedGpu {
  ChannelInfo channel;
  AmdSmiSensor::Gpu gpu;
};

Result<ProbedGpu> probe_gpu(const AmdSmiLibrary& library, AmdSmiHandle handle, int index,
                            const ProbeContext& context) {
  const AmdSmiApi& api = library.api();
  ProbedGpu probed;
  probed.gpu.handle = handle;
  ChannelInfo& channel = probed.channel;
  channel.domain = Domain::kGpu;
  channel.identity.vendor = Vendor::kAmd;
  channel.identity.kind = HardwareKind::kGpu;
  channel.identity.index = index;
  identify(api, handle, channel);
  const std::string key = !channel.identity.uuid.empty()     ? channel.identity.uuid
                          : !channel.identity.bus_id.empty() ? channel.identity.bus_id
                                                             : fmt::format("index-{}", index);
  channel.id = fmt::format("{}/{}", kBackend, key);
  if (channel.device.empty()) channel.device = fmt::format("AMD GPU {}", index);
  channel.provenance = fmt::format("AMD SMI {}, GPU {}, {}", library.path(), index, key);
  std::uint64_t count = 0;
  std::uint64_t timestamp_ns = 0;
  float resolution_uj = 0.0F;
  const AmdSmiStatus status = api.get_energy_count(handle, &count, &resolution_uj, &timestamp_ns);
  if (status != kAmdSmiSuccess || !(resolution_uj > 0.0F)) {
    return make_error(
        ErrorKind::kUnsupported,
        fmt::format(
            "GPU {} {} ({}): no energy counter ({}); left to ROCm SMI", index, channel.device, key,
            status == kAmdSmiSuccess ? "no counter resolution" : library.error_string(status)));
  }
  channel.quantity = Quantity::kEnergyCounter;
  channel.scale = static_cast<double>(resolution_uj) * 1e-6;
  channel.raw_unit = fmt::format("{:g} uJ", static_cast<double>(resolution_uj));
  channel.update_period_s = kEnergyUpdatePeriodS;
  StructBuffer buffer;
  if (api.get_gpu_activity != nullptr && api.get_gpu_activity(handle, buffer.bytes.data()) == 0) {
    probed.gpu.utilisation = true;
    channel.reports_activity = true;
  }
  buffer = {};
  if (api.get_power_cap_info != nullptr &&
      api.get_power_cap_info(handle, 0, buffer.bytes.data()) == kAmdSmiSuccess &&
      buffer.first<std::uint64_t>() > 0) {
    channel.max_power_w = static_cast<double>(buffer.first<std::uint64_t>()) * 1e-6;
    channel.identity.rated_power_w = channel.max_power_w;
    channel.identity.rated_power_source = "AMD SMI power cap";
  }
  if (channel.device.find("MI300A") != std::string::npos) model_amd_apu(channel, context);
  return probed;
}

}  // namespace

AmdSmiSensor::AmdSmiSensor(std::shared_ptr<AmdSmiLibrary> library,
                           std::vector<ChannelInfo> channels, std::vector<Gpu> gpus)
    : library_(std::move(library)), channels_(std::move(channels)), gpus_(std::move(gpus)) {}

void AmdSmiSensor::read(std::span<Reading> out) {
  const AmdSmiApi& api = library_->api();
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
    std::uint64_t count = 0;
    std::uint64_t timestamp_ns = 0;
    float resolution_uj = 0.0F;
    const std::int64_t before = monotonic_ns();
    const AmdSmiStatus status =
        api.get_energy_count(gpu.handle, &count, &resolution_uj, &timestamp_ns);
    const std::int64_t after = monotonic_ns();
    reading.half_width_ns = (after - before) / 2;
    reading.t_ns = before + reading.half_width_ns;
    if (status == kAmdSmiSuccess) {
      reading.raw = count;
      reading.status = Reading::Status::kOk;
      StructBuffer activity;
      if (gpu.utilisation && api.get_gpu_activity(gpu.handle, activity.bytes.data()) == 0) {
        reading.activity_pct = static_cast<float>(std::min(activity.first<std::uint32_t>(), 100U));
      }
    } else if (is_lost(status)) {
      gpu.lost = true;
      reading.status = Reading::Status::kLost;
    } else {
      reading.status = Reading::Status::kUnavailable;
    }
  }
}

ProbeOutcome probe_amd_smi(const ProbeContext& context) {
  ProbeOutcome outcome;
  if (auto skipped = skip_vendor_library(
          context, {kBackend, "AMD SMI", "--amd-smi-library", context.amd_smi_library,
                    kAmdSmiLibraryEnv, kAmdGpuDrivers})) {
    outcome.reports.push_back(std::move(*skipped));
    return outcome;
  }
  auto library = AmdSmiLibrary::create(resolve_amd_smi_library_path(context.amd_smi_library));
  if (!library) {
    outcome.reports.push_back(probe_report(kBackend, library.error()));
    return outcome;
  }
  auto handles = gpu_handles(**library);
  if (!handles) {
    outcome.reports.push_back(make_report(ProbeReport::Status::kError, handles.error().message));
    return outcome;
  }
  std::vector<ChannelInfo> channels;
  std::vector<AmdSmiSensor::Gpu> gpus;
  for (std::size_t i = 0; i < handles->size(); ++i) {
    auto probed = probe_gpu(**library, (*handles)[i], static_cast<int>(i), context);
    if (!probed) {
      outcome.reports.push_back(make_report(ProbeReport::Status::kNotUsed, probed.error().message));
      continue;
    }
    if (std::ranges::any_of(channels,
                            [&](const ChannelInfo& c) { return c.id == probed->channel.id; })) {
      outcome.reports.push_back(
          make_report(ProbeReport::Status::kError,
                      fmt::format("GPU {}: same id as an earlier GPU ({}); measured once", i,
                                  probed->channel.id)));
      continue;
    }
    outcome.reports.push_back(
        make_report(ProbeReport::Status::kPresent,
                    fmt::format("GPU {} {}: energy counter (amdsmi_get_energy_count, {})", i,
                                probed->channel.device, probed->channel.raw_unit)));
    channels.push_back(std::move(probed->channel));
    gpus.push_back(probed->gpu);
  }
  if (handles->empty()) {
    outcome.reports.push_back(
        make_report(ProbeReport::Status::kAbsent,
                    "no AMD GPU (AMD SMI " + (*library)->path() + " reports none)"));
  }
  if (!channels.empty()) {
    outcome.sensors.push_back(std::make_unique<AmdSmiSensor>(
        std::shared_ptr<AmdSmiLibrary>(std::move(*library)), std::move(channels), std::move(gpus)));
  }
  return outcome;
}

}  // namespace jt
