// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/level_zero/level_zero_sensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "sensors/backends.hpp"
#include "sensors/gpu_driver_presence.hpp"

namespace jt {

namespace {

constexpr const char* kBackend = "level_zero";
constexpr std::uint32_t kMostHandles = 1024;
// The update period of the energy counters is assumed, not measured (docs/backends/intel.md I3).
constexpr double kEnergyUpdatePeriodS = 0.001;

ProbeReport make_report(ProbeReport::Status status, std::string detail, std::string hint = {}) {
  return ProbeReport{kBackend, status, std::move(detail), std::move(hint)};
}

// The two-call enumeration of Level Zero: the count, then the handles.
template <typename Handle, typename Call>
Result<std::vector<Handle>> enumerate(Call&& call, const char* what) {
  std::uint32_t count = 0;
  ZeResult result = call(&count, nullptr);
  if (result != kZeSuccess) {
    return make_error(ErrorKind::kIo, std::string(what) + ": " + ze_result_text(result));
  }
  count = std::min(count, kMostHandles);
  std::vector<Handle> handles(count);
  result = call(&count, handles.data());
  if (result != kZeSuccess) {
    return make_error(ErrorKind::kIo, std::string(what) + ": " + ze_result_text(result));
  }
  handles.resize(std::min<std::size_t>(count, handles.size()));
  return handles;
}

std::string clean_text(const char* text, std::size_t size) {
  std::string out(text, ::strnlen(text, size));
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E || c == ',' || c == '"') c = '?';
  }
  return out;
}

// The device's identity from Sysman: its UUID as hex, name, PCI address.
DeviceIdentity identify(const ZesApi& api, zes_device_handle_t device, int ordinal,
                        std::string& name) {
  DeviceIdentity identity;
  identity.vendor = Vendor::kIntel;
  identity.kind = HardwareKind::kGpu;
  identity.index = ordinal;
  ZesDeviceProperties properties{};
  properties.stype = kZesStructureTypeDeviceProperties;
  if (api.device_get_properties(device, &properties) == kZeSuccess) {
    std::string hex;
    for (const std::uint8_t byte : properties.core.uuid) hex += fmt::format("{:02x}", byte);
    if (hex.find_first_not_of('0') != std::string::npos) identity.uuid = hex;
    name = clean_text(properties.core.name, sizeof properties.core.name);
  }
  ZesPciProperties pci{};
  pci.stype = kZesStructureTypePciProperties;
  if (api.device_pci_get_properties(device, &pci) == kZeSuccess) {
    identity.bus_id =
        fmt::format("{:04x}:{:02x}:{:02x}.{}", pci.domain, pci.bus, pci.device, pci.function);
  }
  return identity;
}

// The device-wide all-engines group, whose activity tells an idle GPU from a busy one; null where
// the loader or the driver lacks it.
zes_engine_handle_t all_engines(const ZesApi& api, zes_device_handle_t device) {
  if (api.device_enum_engine_groups == nullptr || api.engine_get_properties == nullptr ||
      api.engine_get_activity == nullptr) {
    return nullptr;
  }
  auto engines = enumerate<zes_engine_handle_t>(
      [&](std::uint32_t* n, zes_engine_handle_t* h) {
        return api.device_enum_engine_groups(device, n, h);
      },
      "zesDeviceEnumEngineGroups");
  if (!engines) return nullptr;
  for (zes_engine_handle_t engine : *engines) {
    ZesEngineProperties properties{};
    properties.stype = kZesStructureTypeEngineProperties;
    if (api.engine_get_properties(engine, &properties) == kZeSuccess &&
        properties.type == kZesEngineGroupAll && properties.on_subdevice == 0) {
      return engine;
    }
  }
  return nullptr;
}

struct ProbedDevice {
  std::vector<ChannelInfo> channels;
  std::vector<LevelZeroSensor::Domain> domains;
  std::string summary;
};

// One power domain's channel; nullopt (with the reason) when its counter cannot be read.
std::optional<ChannelInfo> domain_channel(const ZesApi& api, zes_pwr_handle_t power,
                                          const ChannelInfo& device_channel, std::string& why) {
  ZesPowerProperties properties{};
  properties.stype = kZesStructureTypePowerProperties;
  if (const ZeResult r = api.power_get_properties(power, &properties); r != kZeSuccess) {
    why = "zesPowerGetProperties: " + ze_result_text(r);
    return std::nullopt;
  }
  ZesEnergyCounter counter{};
  if (const ZeResult r = api.power_get_energy_counter(power, &counter); r != kZeSuccess) {
    why = "zesPowerGetEnergyCounter: " + ze_result_text(r);
    return std::nullopt;
  }
  ChannelInfo channel = device_channel;
  const bool tile = properties.on_subdevice != 0;
  channel.id += tile ? fmt::format("/tile{}", properties.subdevice_id) : "/device";
  channel.device += tile ? fmt::format(" tile {}", properties.subdevice_id) : "";
  channel.provenance += tile ? fmt::format(", tile {}", properties.subdevice_id) : ", device";
  if (!tile && properties.default_limit_mw > 0) {
    channel.max_power_w = properties.default_limit_mw * 1e-3;
    channel.identity.rated_power_w = channel.max_power_w;
    channel.identity.rated_power_source = "Level Zero default power limit";
  }
  return channel;
}

ProbedDevice probe_device(const LevelZeroLibrary& library, zes_device_handle_t device, int ordinal,
                          ProbeOutcome& outcome) {
  const ZesApi& api = library.api();
  ProbedDevice probed;
  ChannelInfo base;
  std::string name;
  base.identity = identify(api, device, ordinal, name);
  base.device = name.empty() ? fmt::format("Intel GPU {}", ordinal) : name;
  const std::string key = !base.identity.uuid.empty()     ? base.identity.uuid
                          : !base.identity.bus_id.empty() ? base.identity.bus_id
                                                          : fmt::format("index-{}", ordinal);
  base.id = fmt::format("{}/{}", kBackend, key);
  base.domain = jt::Domain::kGpu;
  base.quantity = Quantity::kEnergyCounter;
  base.scale = 1e-6;
  base.raw_unit = "uJ";
  base.update_period_s = kEnergyUpdatePeriodS;
  base.provenance = fmt::format("Level Zero Sysman {}, GPU {}, {}", library.path(), ordinal, key);
  auto powers = enumerate<zes_pwr_handle_t>(
      [&](std::uint32_t* n, zes_pwr_handle_t* h) {
        return api.device_enum_power_domains(device, n, h);
      },
      "zesDeviceEnumPowerDomains");
  const std::string label = fmt::format("GPU {} {} ({})", ordinal, base.device, key);
  if (!powers) {
    outcome.reports.push_back(
        make_report(ProbeReport::Status::kError, label + ": " + powers.error().message));
    return probed;
  }
  for (zes_pwr_handle_t power : *powers) {
    std::string why;
    auto channel = domain_channel(api, power, base, why);
    if (!channel) {
      outcome.reports.push_back(
          make_report(ProbeReport::Status::kError, fmt::format("{}: {}", label, why)));
      continue;
    }
    if (std::ranges::any_of(probed.channels,
                            [&](const ChannelInfo& c) { return c.id == channel->id; })) {
      continue;  // a second domain of the same scope measures the same energy
    }
    LevelZeroSensor::Domain domain;
    domain.handle = power;
    if (channel->id.ends_with("/device")) {
      domain.engines = all_engines(api, device);
      channel->reports_activity = domain.engines != nullptr;
    }
    probed.channels.push_back(std::move(*channel));
    probed.domains.push_back(domain);
  }
  if (powers->empty()) {
    outcome.reports.push_back(make_report(ProbeReport::Status::kError,
                                          label + ": no power domain (zesDeviceEnumPowerDomains)"));
  }
  return probed;
}

// The device's own domain holds its tiles' (docs/backends/intel.md I4).
void link_tiles(std::vector<ChannelInfo>& channels) {
  for (auto& whole : channels) {
    if (!whole.id.ends_with("/device")) continue;
    const std::string prefix = whole.id.substr(0, whole.id.size() - 6);
    for (const auto& part : channels) {
      if (part.id.starts_with(prefix + "tile")) whole.contains.push_back(part.id);
    }
  }
}

}  // namespace

LevelZeroSensor::LevelZeroSensor(std::shared_ptr<LevelZeroLibrary> library,
                                 std::vector<ChannelInfo> channels, std::vector<Domain> domains)
    : library_(std::move(library)), channels_(std::move(channels)), domains_(std::move(domains)) {}

namespace {

// Percent of the time between this read and the last that any engine was busy; negative when
// unknown (the first read, a failed call, a clock that did not move).
float engine_activity(const ZesApi& api, LevelZeroSensor::Domain& domain) {
  ZesEngineStats now{};
  if (domain.engines == nullptr || api.engine_get_activity(domain.engines, &now) != kZeSuccess) {
    return -1.0F;
  }
  const ZesEngineStats before = domain.last_engines;
  const bool had = domain.has_last_engines;
  domain.last_engines = now;
  domain.has_last_engines = true;
  if (!had || now.timestamp_us <= before.timestamp_us ||
      now.active_time_us < before.active_time_us) {
    return -1.0F;
  }
  const double busy = static_cast<double>(now.active_time_us - before.active_time_us) /
                      static_cast<double>(now.timestamp_us - before.timestamp_us);
  return static_cast<float>(std::clamp(busy * 100.0, 0.0, 100.0));
}

}  // namespace

void LevelZeroSensor::read(std::span<Reading> out) {
  const ZesApi& api = library_->api();
  const std::size_t n = std::min(out.size(), domains_.size());
  for (std::size_t i = 0; i < n; ++i) {
    Domain& domain = domains_[i];
    Reading& reading = out[i];
    reading.raw = 0;
    reading.activity_pct = -1.0F;
    if (domain.lost) {
      reading.t_ns = monotonic_ns();
      reading.half_width_ns = 0;
      reading.status = Reading::Status::kLost;
      continue;
    }
    ZesEnergyCounter counter{};
    const std::int64_t before = monotonic_ns();
    const ZeResult result = api.power_get_energy_counter(domain.handle, &counter);
    const std::int64_t after = monotonic_ns();
    reading.half_width_ns = (after - before) / 2;
    reading.t_ns = before + reading.half_width_ns;
    if (result == kZeSuccess) {
      reading.raw = counter.energy_uj;
      reading.status = Reading::Status::kOk;
      reading.activity_pct = engine_activity(api, domain);
    } else if (result == kZeErrorDeviceLost) {
      domain.lost = true;
      reading.status = Reading::Status::kLost;
    } else {
      reading.status = Reading::Status::kUnavailable;
    }
  }
}

ProbeOutcome probe_level_zero(const ProbeContext& context) {
  ProbeOutcome outcome;
  if (auto skipped = skip_vendor_library(
          context, {kBackend, "the Level Zero loader", "--level-zero-library",
                    context.level_zero_library, kLevelZeroLibraryEnv, kIntelGpuDrivers})) {
    outcome.reports.push_back(std::move(*skipped));
    return outcome;
  }
  auto library = LevelZeroLibrary::create(
      resolve_level_zero_library_path(context.level_zero_library), context.may_set_environment);
  if (!library) {
    outcome.reports.push_back(probe_report(kBackend, library.error()));
    return outcome;
  }
  const ZesApi& api = (*library)->api();
  auto drivers = enumerate<zes_driver_handle_t>(
      [&](std::uint32_t* n, zes_driver_handle_t* h) { return api.driver_get(n, h); },
      "zesDriverGet");
  if (!drivers) {
    outcome.reports.push_back(make_report(ProbeReport::Status::kError, drivers.error().message));
    return outcome;
  }
  std::vector<ChannelInfo> channels;
  std::vector<LevelZeroSensor::Domain> domains;
  int ordinal = 0;
  for (zes_driver_handle_t driver : *drivers) {
    auto devices = enumerate<zes_device_handle_t>(
        [&](std::uint32_t* n, zes_device_handle_t* h) { return api.device_get(driver, n, h); },
        "zesDeviceGet");
    if (!devices) {
      outcome.reports.push_back(make_report(ProbeReport::Status::kError, devices.error().message));
      continue;
    }
    for (zes_device_handle_t device : *devices) {
      ProbedDevice probed = probe_device(**library, device, ordinal++, outcome);
      for (std::size_t i = 0; i < probed.channels.size(); ++i) {
        // Two devices answering one UUID would be one channel id twice: the same GPU counted
        // twice. The first keeps it.
        if (std::ranges::any_of(
                channels, [&](const ChannelInfo& c) { return c.id == probed.channels[i].id; })) {
          outcome.reports.push_back(
              make_report(ProbeReport::Status::kError,
                          fmt::format("GPU {}: same id as an earlier GPU ({}); measured once",
                                      probed.channels[i].identity.index, probed.channels[i].id)));
          continue;
        }
        outcome.reports.push_back(
            make_report(ProbeReport::Status::kPresent,
                        fmt::format("{} {}: energy counter (zesPowerGetEnergyCounter, uJ)",
                                    probed.channels[i].id, probed.channels[i].device)));
        channels.push_back(std::move(probed.channels[i]));
        domains.push_back(probed.domains[i]);
      }
    }
  }
  if (channels.empty()) {
    if (ordinal == 0) {
      outcome.reports.push_back(make_report(ProbeReport::Status::kAbsent,
                                            "no Intel GPU (Level Zero Sysman reports 0 devices)"));
    }
    return outcome;
  }
  link_tiles(channels);
  outcome.sensors.push_back(
      std::make_unique<LevelZeroSensor>(std::shared_ptr<LevelZeroLibrary>(std::move(*library)),
                                        std::move(channels), std::move(domains)));
  return outcome;
}

}  // namespace jt
