// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/hwmon/hwmon_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "core/sysfs_file.hpp"
#include "sensors/cpu_topology.hpp"

namespace jt {

namespace fs = std::filesystem;

namespace {

struct RailName {
  std::string_view prefix;
  Domain domain;
  std::string_view slug;
};

// NVIDIA's firmware names one ACPI power meter per rail and socket (docs/backends/hwmon.md).
constexpr std::array<RailName, 4> kGraceRails{{
    {"Module Power Socket ", Domain::kModule, "module"},
    {"Grace Power Socket ", Domain::kPsys, "grace"},
    {"CPU Power Socket ", Domain::kCore, "cpu"},
    {"SysIO Power Socket ", Domain::kUncore, "sysio"},
}};

ChannelInfo* rail_of(std::vector<ChannelInfo>& channels, const std::map<Domain, std::size_t>& rails,
                     Domain domain) {
  const auto it = rails.find(domain);
  return it == rails.end() ? nullptr : &channels[it->second];
}

// Within a socket: the Grace rail holds the CPU and SysIO rails (and the memory no rail of its
// own measures); the module holds the Grace rail (and the GPU, linked below).
void link_grace_sockets(std::vector<ChannelInfo>& channels, const std::vector<HwmonRole>& roles) {
  std::map<int, std::map<Domain, std::size_t>> sockets;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (roles[i].kind == HwmonRole::Kind::kGraceRail) {
      sockets[channels[i].identity.index].emplace(channels[i].domain, i);
    }
  }
  for (const auto& [socket, rails] : sockets) {
    std::vector<std::string> rails_inside;
    for (const Domain d : {Domain::kCore, Domain::kUncore}) {
      if (const ChannelInfo* rail = rail_of(channels, rails, d)) rails_inside.push_back(rail->id);
    }
    ChannelInfo* grace = rail_of(channels, rails, Domain::kPsys);
    if (grace != nullptr) grace->contains = rails_inside;
    if (ChannelInfo* module = rail_of(channels, rails, Domain::kModule)) {
      module->contains = grace != nullptr ? std::vector<std::string>{grace->id} : rails_inside;
    }
  }
}

// Which module holds each GPU an earlier backend found: by the GPU's PCI NUMA node; with one
// module, that one; else by order when the GPUs divide evenly among the modules, said as an
// assumption.
std::vector<std::string> link_module_gpus(std::vector<ChannelInfo>& channels,
                                          const std::vector<HwmonRole>& roles,
                                          const ProbeContext& context) {
  std::vector<ChannelInfo*> modules;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (roles[i].kind == HwmonRole::Kind::kGraceRail && channels[i].domain == Domain::kModule) {
      modules.push_back(&channels[i]);
    }
  }
  std::vector<std::string> notes;
  if (modules.empty()) return notes;
  std::sort(modules.begin(), modules.end(), [](const ChannelInfo* a, const ChannelInfo* b) {
    return a->identity.index < b->identity.index;
  });
  std::vector<const ChannelInfo*> gpus;
  for (const auto& c : context.earlier_channels) {
    // A GPU's counter read apart from its power (NVML) is the same GPU, not another one.
    if (c.domain == Domain::kGpu && c.anchors.empty()) gpus.push_back(&c);
  }
  for (std::size_t k = 0; k < gpus.size(); ++k) {
    const ChannelInfo& gpu = *gpus[k];
    ChannelInfo* module = modules.size() == 1 ? modules.front() : nullptr;
    if (module == nullptr) {
      if (const auto socket = socket_of_pci_device(context.sysfs_root, gpu.identity.bus_id)) {
        const auto it = std::find_if(modules.begin(), modules.end(), [&](const ChannelInfo* m) {
          return m->identity.index == *socket;
        });
        if (it != modules.end()) module = *it;
      }
    }
    if (module == nullptr && gpus.size() % modules.size() == 0) {
      module = modules[k / (gpus.size() / modules.size())];
      notes.push_back(
          fmt::format("{}: its socket is not known from PCI; taken to be on socket {} by its order",
                      gpu.id, module->identity.index));
    }
    if (module == nullptr) {
      notes.push_back(fmt::format(
          "{}: which Grace module holds it is unknown; it is counted beside the modules, which "
          "may count it twice",
          gpu.id));
      continue;
    }
    module->contains.push_back(gpu.id);
  }
  return notes;
}

// An APU's power is its whole chip's: the CPU packages read by RAPL (or amd_energy) are in it.
void link_apus(std::vector<ChannelInfo>& channels, const std::vector<HwmonRole>& roles,
               const ProbeContext& context) {
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (roles[i].kind != HwmonRole::Kind::kApu) continue;
    std::vector<std::string> packages;
    for (const auto& c : context.earlier_channels) {
      if (c.domain == Domain::kPackage) packages.push_back(c.id);
    }
    for (const auto& c : channels) {
      if (c.domain == Domain::kPackage) packages.push_back(c.id);
    }
    channels[i].contains = std::move(packages);
  }
}

// An Intel xe card's energy holds its GPU package's.
void link_cards(std::vector<ChannelInfo>& channels, const std::vector<HwmonRole>& roles) {
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (roles[i].kind != HwmonRole::Kind::kCard) continue;
    for (std::size_t j = 0; j < channels.size(); ++j) {
      if (roles[j].kind == HwmonRole::Kind::kCardPackage && roles[j].device == roles[i].device) {
        channels[i].contains.push_back(channels[j].id);
      }
    }
  }
}

}  // namespace

std::optional<GraceRail> grace_rail(std::string_view oem_info) {
  for (const auto& rail : kGraceRails) {
    if (!oem_info.starts_with(rail.prefix)) continue;
    const auto socket = parse_u64(oem_info.substr(rail.prefix.size()));
    if (!socket || *socket > 1024) return std::nullopt;
    return GraceRail{rail.domain, std::string(rail.slug), static_cast<int>(*socket)};
  }
  return std::nullopt;
}

std::string grace_rail_device(const GraceRail& rail) {
  switch (rail.domain) {
    case Domain::kModule: return fmt::format("module {} (Grace + GPU)", rail.socket);
    case Domain::kPsys: return fmt::format("Grace {} (CPU, SysIO, memory)", rail.socket);
    case Domain::kCore: return fmt::format("Grace {} CPU rail", rail.socket);
    case Domain::kUncore: return fmt::format("Grace {} SysIO rail", rail.socket);
    default: break;
  }
  return fmt::format("Grace {} rail", rail.socket);
}

bool is_amd_apu(const fs::path& device_dir) {
  // amdgpu_pm.c creates in1 ("vddnb") only on APUs, and names power1 "slowPPT" only on Van
  // Gogh, an APU (docs/backends/hwmon.md).
  const auto vddnb = read_text_file(device_dir / "in1_label");
  if (vddnb && *vddnb == "vddnb") return true;
  const auto power_label = read_text_file(device_dir / "power1_label");
  return power_label && *power_label == "slowPPT";
}

std::vector<std::string> link_hwmon_containers(std::vector<ChannelInfo>& channels,
                                               const std::vector<HwmonRole>& roles,
                                               const ProbeContext& context) {
  link_grace_sockets(channels, roles);
  link_apus(channels, roles, context);
  link_cards(channels, roles);
  return link_module_gpus(channels, roles, context);
}

}  // namespace jt
