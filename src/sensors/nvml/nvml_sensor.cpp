// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/nvml/nvml_sensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "core/clock.hpp"

namespace jt {

namespace {

constexpr const char* kBackend = "nvml";
// The energy counter refreshes every ~20-100 ms (docs/backends/nvml.md F8); take the coarse end.
constexpr double kEnergyUpdatePeriodS = 0.1;
// nvmlDeviceGetPowerUsage is a 1-s average on Ampere (except GA100) and newer
// (docs/backends/nvml.md F5).
constexpr double kPowerUpdatePeriodS = 1.0;
constexpr double kMilli = 1e-3;
constexpr double kNvmlCalibrationError = 0.05;
// Without the energy counter the GPU is most likely older than Volta, where NVML's power is
// instantaneous (docs/backends/nvml.md F5); on Ampere and newer it would be a 1-s average.
constexpr const char* kPowerNote =
    "no energy counter: NVML power (instantaneous before Ampere, a 1-s average after) integrated "
    "over time";

ProbeReport make_report(ProbeReport::Status status, std::string detail, std::string hint = {}) {
  return ProbeReport{kBackend, status, std::move(detail), std::move(hint)};
}

bool is_lost(NvmlReturn rc) { return rc == kNvmlErrorGpuIsLost || rc == kNvmlErrorGpuNotFound; }

struct ProbedGpu {
  ChannelInfo channel;
  NvmlSensor::Gpu gpu;
  std::string summary;  // for the kPresent report: which GPU, which method, and why
  // An energy counter too costly for every round: read in a lane of its own, anchoring
  // `channel`, which then reads power.
  std::optional<std::pair<ChannelInfo, NvmlSensor::Gpu>> counter_lane;
  // The counter is expensive and nothing cheaper exists: the GPU's one channel is read apart,
  // every kCounterPeriodS, rather than holding up every round.
  bool own_lane = false;
};

// A counter read costing more CPU than this leaves the fast lane: at a 10 ms interval it would
// take 0.5 % of a core per GPU (docs/backends/nvml.md).
constexpr double kExpensiveCounterS = 50e-6;

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The CPU one energy-counter read costs. The probe's own read is timed; only when it looks
// expensive is one more taken, and the cheaper stands (a first call may pay for a cold cache).
double counter_read_cpu_s(const NvmlApi& api, nvmlDevice_t device, double first_read_s) {
  if (first_read_s <= kExpensiveCounterS) return first_read_s;
  unsigned long long mj = 0;
  const double before = thread_cpu_s();
  api.device_get_total_energy_consumption(device, &mj);
  return std::min(first_read_s, thread_cpu_s() - before);
}

// Instantaneous power through the field API, in mW; an error when the driver does not give it.
NvmlReturn read_instant_power(const NvmlApi& api, nvmlDevice_t device, std::uint64_t& mw) {
  if (api.device_get_field_values == nullptr) return kNvmlErrorNotSupported;
  NvmlFieldValue field{};
  field.field_id = kNvmlFieldPowerInstant;
  const NvmlReturn rc = api.device_get_field_values(device, 1, &field);
  if (rc != kNvmlSuccess) return rc;
  if (field.nvml_return != kNvmlSuccess) return field.nvml_return;
  mw = field.value.ui;
  return kNvmlSuccess;
}

// The cheap power reading a GPU offers, if any: the instantaneous field, else power usage.
std::optional<NvmlSensor::Source> power_source(const NvmlApi& api, nvmlDevice_t device) {
  std::uint64_t mw = 0;
  if (read_instant_power(api, device, mw) == kNvmlSuccess) {
    return NvmlSensor::Source::kInstantPower;
  }
  unsigned int usage = 0;
  if (api.device_get_power_usage != nullptr &&
      api.device_get_power_usage(device, &usage) == kNvmlSuccess) {
    return NvmlSensor::Source::kPowerUsage;
  }
  return std::nullopt;
}

// Moves an expensive counter out of the fast lane: `probed.channel` becomes the GPU's power, whose
// energy the counter, polled every kCounterPeriodS, anchors.
void split_off_counter(ProbedGpu& probed, NvmlSensor::Source power, double cost_s) {
  ChannelInfo counter = probed.channel;
  counter.id += "/energy";
  counter.anchors = probed.channel.id;
  counter.reports_activity = false;
  counter.note = fmt::format(
      "energy counter, read every {:g} s (one read costs {:.1f} ms of CPU); it anchors {}",
      NvmlSensor::kCounterPeriodS, cost_s * 1e3, probed.channel.id);
  NvmlSensor::Gpu counter_gpu = probed.gpu;
  counter_gpu.source = NvmlSensor::Source::kEnergyCounter;
  counter_gpu.utilisation = false;
  probed.counter_lane.emplace(std::move(counter), counter_gpu);

  ChannelInfo& shape = probed.channel;
  shape.quantity = Quantity::kInstantPower;
  shape.raw_unit = "mW";
  shape.scale = kMilli;
  shape.wrap_modulus = 0;
  shape.update_period_s = power == NvmlSensor::Source::kPowerUsage ? kPowerUpdatePeriodS : 0.0;
  shape.note = fmt::format(
      "{} gives the shape between readings of the energy counter, which anchors the energy",
      power == NvmlSensor::Source::kInstantPower ? "NVML_FI_DEV_POWER_INSTANT"
                                                 : "nvmlDeviceGetPowerUsage");
  probed.gpu.source = power;
  probed.summary += fmt::format(
      "; the counter costs {:.2f} ms of CPU per read, so it is read every {:g} s in its own "
      "thread and {} fills in between",
      cost_s * 1e3, NvmlSensor::kCounterPeriodS,
      power == NvmlSensor::Source::kInstantPower ? "instantaneous power" : "power usage");
}

// The device's PCI address as sysfs names it ("0009:01:00.0"); empty when the driver does not
// say. NVML's busId has an eight-digit domain; the kernel prints it with four.
std::string pci_address(const NvmlApi& api, nvmlDevice_t device) {
  if (api.device_get_pci_info_v3 == nullptr) return {};
  NvmlPciInfo info{};
  if (api.device_get_pci_info_v3(device, &info) != kNvmlSuccess) return {};
  const std::string_view bus_id(info.bus_id, ::strnlen(info.bus_id, sizeof info.bus_id));
  const auto dot = bus_id.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= bus_id.size()) return {};
  const int function = bus_id[dot + 1] - '0';
  if (function < 0 || function > 7) return {};
  return fmt::format("{:04x}:{:02x}:{:02x}.{}", info.domain, info.bus, info.device, function);
}

// Reads a string property into a NVML-sized buffer; nullopt when the call fails. Real drivers
// answer ASCII ("GPU-<hex>", a product name), but the text becomes channel ids and CSV,
// Prometheus and report fields: control bytes, non-ASCII, commas and quotes become '?'.
std::optional<std::string> device_string(NvmlReturn (*fn)(nvmlDevice_t, char*, unsigned int),
                                         nvmlDevice_t device, unsigned int size, NvmlReturn& rc) {
  std::string buffer(size, '\0');
  rc = fn(device, buffer.data(), size);
  if (rc != kNvmlSuccess) return std::nullopt;
  buffer.resize(std::min<std::size_t>(buffer.find('\0'), size));
  for (char& c : buffer) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E || c == ',' || c == '"') c = '?';
  }
  return buffer;
}

// Chooses the method for GPU `index`; an error report when the GPU cannot be measured.
Result<ProbedGpu> probe_gpu(const NvmlLibrary& library, unsigned int index) {
  const NvmlApi& api = library.api();
  const std::string where = "GPU " + std::to_string(index);

  nvmlDevice_t device = nullptr;
  NvmlReturn rc = api.device_get_handle_by_index_v2(index, &device);
  if (rc != kNvmlSuccess) {
    return make_error(ErrorKind::kIo,
                      where + ": nvmlDeviceGetHandleByIndex_v2: " + library.error_string(rc));
  }

  ProbedGpu probed;
  probed.gpu.device = device;
  ChannelInfo& channel = probed.channel;
  channel.domain = Domain::kGpu;
  channel.identity.vendor = Vendor::kNvidia;
  channel.identity.kind = HardwareKind::kGpu;
  channel.identity.index = static_cast<int>(index);

  // The UUID is the identity that survives reboots and renumbering; an index-based id is only
  // acceptable when the driver cannot tell us the UUID at all.
  std::string uuid;
  if (api.device_get_uuid != nullptr) {
    auto got = device_string(api.device_get_uuid, device, kNvmlUuidBufferSize, rc);
    if (!got || got->empty()) {
      return make_error(ErrorKind::kIo,
                        where + ": nvmlDeviceGetUUID: " +
                            (got ? std::string("empty UUID") : library.error_string(rc)));
    }
    uuid = std::move(*got);
    channel.id = std::string(kBackend) + "/" + uuid;
    channel.identity.uuid = uuid;
  } else {
    channel.id = std::string(kBackend) + "/index-" + std::to_string(index);
  }

  if (api.device_get_name != nullptr) {
    if (auto name = device_string(api.device_get_name, device, kNvmlNameBufferSize, rc)) {
      channel.device = std::move(*name);
    }
  }
  if (channel.device.empty()) channel.device = "NVIDIA GPU " + std::to_string(index);

  channel.identity.bus_id = pci_address(api, device);
  channel.provenance = "NVML " + library.loaded_path() + ", index " + std::to_string(index);
  if (!uuid.empty()) channel.provenance += ", " + uuid;

  const std::string label = where + " " + channel.device + (uuid.empty() ? "" : " (" + uuid + ")");

  // Counters first (docs/ARCHITECTURE.md §4.1): the driver integrates between our samples.
  std::string energy_problem;
  bool counter_found = false;
  double first_read_s = 0.0;
  if (api.device_get_total_energy_consumption != nullptr) {
    unsigned long long mj = 0;
    const double before = thread_cpu_s();
    rc = api.device_get_total_energy_consumption(device, &mj);
    first_read_s = thread_cpu_s() - before;
    if (rc == kNvmlSuccess) {
      probed.gpu.source = NvmlSensor::Source::kEnergyCounter;
      counter_found = true;
      channel.quantity = Quantity::kEnergyCounter;
      channel.scale = kMilli;
      channel.raw_unit = "mJ";
      channel.wrap_modulus = 0;  // 64-bit; a decrease is a driver reload, handled as a reset
      channel.update_period_s = kEnergyUpdatePeriodS;
    } else {
      energy_problem = "nvmlDeviceGetTotalEnergyConsumption: " + library.error_string(rc);
    }
  } else {
    energy_problem = "this NVML does not export nvmlDeviceGetTotalEnergyConsumption";
  }

  std::string power_problem;
  if (!counter_found) {
    if (api.device_get_power_usage != nullptr) {
      unsigned int mw = 0;
      rc = api.device_get_power_usage(device, &mw);
      if (rc == kNvmlSuccess) {
        probed.gpu.source = NvmlSensor::Source::kPowerUsage;
        channel.quantity = Quantity::kInstantPower;
        channel.scale = kMilli;
        channel.raw_unit = "mW";
        channel.update_period_s = kPowerUpdatePeriodS;
        channel.note = kPowerNote;
      } else {
        power_problem = "nvmlDeviceGetPowerUsage: " + library.error_string(rc);
      }
    } else {
      power_problem = "this NVML does not export nvmlDeviceGetPowerUsage";
    }
    if (!power_problem.empty()) {
      const std::string why = energy_problem + "; " + power_problem;
      return make_error(ErrorKind::kUnsupported,
                        label + ": neither energy nor power readable (" + why + ")");
    }
  }

  if (counter_found) {
    probed.summary = label + ": energy counter (nvmlDeviceGetTotalEnergyConsumption, mJ)";
  } else {
    probed.summary = label + ": power integrated over time (nvmlDeviceGetPowerUsage, mW); " +
                     "no energy counter: " + energy_problem;
  }

  if (api.device_get_utilization_rates != nullptr) {
    NvmlUtilization utilisation{};
    if (api.device_get_utilization_rates(device, &utilisation) == kNvmlSuccess) {
      probed.gpu.utilisation = true;
      channel.reports_activity = true;
    }
  }
  // NVIDIA's only published figure is +/- 5 % of the power drawn, stated for Fermi and Kepler
  // (nvmlDeviceGetPowerUsage, docs/backends/nvml.md F5); no newer one exists, so it stands for
  // all.
  channel.calibration_error = kNvmlCalibrationError;

  if (api.device_get_enforced_power_limit != nullptr) {
    unsigned int limit_mw = 0;
    if (api.device_get_enforced_power_limit(device, &limit_mw) == kNvmlSuccess) {
      channel.max_power_w = static_cast<double>(limit_mw) * kMilli;
      if (limit_mw > 0) {  // a limit of 0 is no limit known, never a rating of 0 W
        channel.identity.rated_power_w = channel.max_power_w;
        channel.identity.rated_power_source = "NVML enforced power limit";
      }
    }
  }
  if (counter_found) {
    const double cost_s = counter_read_cpu_s(api, device, first_read_s);
    if (cost_s > kExpensiveCounterS) {
      if (const auto power = power_source(api, device)) {
        split_off_counter(probed, *power, cost_s);
      } else {
        probed.own_lane = true;
        probed.summary += fmt::format(
            "; the counter costs {:.2f} ms of CPU per read and no cheaper power reading exists, "
            "so it is read every {:g} s in its own thread",
            cost_s * 1e3, NvmlSensor::kCounterPeriodS);
      }
    }
  }
  return probed;
}

}  // namespace

NvmlSensor::NvmlSensor(std::shared_ptr<NvmlLibrary> library, std::vector<ChannelInfo> channels,
                       std::vector<Gpu> gpus, double min_interval_s)
    : library_(std::move(library)),
      channels_(std::move(channels)),
      gpus_(std::move(gpus)),
      min_interval_s_(min_interval_s) {}

namespace {

NvmlReturn read_source(const NvmlApi& api, const NvmlSensor::Gpu& gpu, std::uint64_t& raw) {
  switch (gpu.source) {
    case NvmlSensor::Source::kEnergyCounter: {
      unsigned long long mj = 0;
      const NvmlReturn rc = api.device_get_total_energy_consumption(gpu.device, &mj);
      raw = mj;
      return rc;
    }
    case NvmlSensor::Source::kInstantPower: return read_instant_power(api, gpu.device, raw);
    case NvmlSensor::Source::kPowerUsage: {
      unsigned int mw = 0;
      const NvmlReturn rc = api.device_get_power_usage(gpu.device, &mw);
      raw = mw;
      return rc;
    }
  }
  return kNvmlErrorUnknown;
}

}  // namespace

void NvmlSensor::read(std::span<Reading> out) {
  const NvmlApi& api = library_->api();
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
    const NvmlReturn rc = read_source(api, gpu, raw);
    const std::int64_t after = monotonic_ns();
    reading.half_width_ns = (after - before) / 2;
    reading.t_ns = before + reading.half_width_ns;
    if (rc == kNvmlSuccess) {
      reading.raw = raw;
      reading.status = Reading::Status::kOk;
      // Outside the timed bracket: utilisation does not need the energy read's timestamp.
      NvmlUtilization utilisation{};
      if (gpu.utilisation) {
        const NvmlReturn util_rc = api.device_get_utilization_rates(gpu.device, &utilisation);
        if (util_rc == kNvmlSuccess) {
          reading.activity_pct = static_cast<float>(std::min(utilisation.gpu, 100U));
        } else if (is_lost(util_rc)) {
          gpu.lost = true;  // this reading stands; the next one reports the loss
        }
      }
    } else if (is_lost(rc)) {
      gpu.lost = true;
      reading.status = Reading::Status::kLost;
    } else {
      reading.status = Reading::Status::kUnavailable;
    }
  }
}

ProbeOutcome probe_nvml(const ProbeContext& context) {
  ProbeOutcome outcome;
  const std::string path = resolve_nvml_library_path(context.nvml_library);
  auto library = NvmlLibrary::create(path);
  if (!library) {
    outcome.reports.push_back(probe_report(kBackend, library.error()));
    return outcome;
  }

  unsigned int count = 0;
  const NvmlReturn rc = (*library)->api().device_get_count_v2(&count);
  if (rc != kNvmlSuccess) {
    outcome.reports.push_back(make_report(
        ProbeReport::Status::kError,
        "nvmlDeviceGetCount_v2 failed (" + path + "): " + (*library)->error_string(rc)));
    return outcome;
  }
  if (count == 0) {
    outcome.reports.push_back(make_report(ProbeReport::Status::kAbsent,
                                          "no NVIDIA GPU (NVML " + path + " reports 0 devices)"));
    return outcome;
  }
  // No node holds more than a few dozen GPUs; a count past this is a broken driver, and asking
  // it about billions of indices would hang the probe.
  constexpr unsigned int kMostGpus = 1024;
  if (count > kMostGpus) {
    outcome.reports.push_back(make_report(
        ProbeReport::Status::kError, "NVML " + path + " reports " + std::to_string(count) +
                                         " devices, more than any node holds; GPUs not measured"));
    return outcome;
  }

  std::vector<ChannelInfo> channels;
  std::vector<NvmlSensor::Gpu> gpus;
  std::vector<std::pair<ChannelInfo, NvmlSensor::Gpu>> counter_lanes;
  for (unsigned int i = 0; i < count; ++i) {
    auto probed = probe_gpu(**library, i);
    if (!probed) {
      outcome.reports.push_back(
          make_report(ProbeReport::Status::kError, probed.error().message, probed.error().hint));
      continue;
    }
    // A UUID that two indices answer would be one channel id twice: the same GPU counted twice,
    // and a node profile with a repeated id does not load back. The first index keeps it.
    const auto same = std::find_if(channels.begin(), channels.end(), [&](const ChannelInfo& c) {
      return c.id == probed->channel.id;
    });
    if (same != channels.end()) {
      outcome.reports.push_back(make_report(
          ProbeReport::Status::kError, "GPU " + std::to_string(i) + ": same UUID as GPU " +
                                           std::to_string(same->identity.index) + " (channel " +
                                           same->id + "); measured once, as GPU " +
                                           std::to_string(same->identity.index)));
      continue;
    }
    outcome.reports.push_back(make_report(ProbeReport::Status::kPresent, probed->summary));
    if (probed->own_lane) {
      counter_lanes.emplace_back(std::move(probed->channel), probed->gpu);
      continue;
    }
    channels.push_back(std::move(probed->channel));
    gpus.push_back(probed->gpu);
    if (probed->counter_lane) counter_lanes.push_back(std::move(*probed->counter_lane));
  }
  std::shared_ptr<NvmlLibrary> shared = std::move(*library);
  if (!channels.empty()) {
    outcome.sensors.push_back(
        std::make_unique<NvmlSensor>(shared, std::move(channels), std::move(gpus)));
  }
  for (auto& [channel, gpu] : counter_lanes) {
    outcome.sensors.push_back(std::make_unique<NvmlSensor>(
        shared, std::vector<ChannelInfo>{std::move(channel)}, std::vector<NvmlSensor::Gpu>{gpu},
        NvmlSensor::kCounterPeriodS));
  }
  return outcome;
}

}  // namespace jt
