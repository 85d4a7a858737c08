// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/msr/msr_sensor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "core/clock.hpp"
#include "core/sysfs_file.hpp"
#include "sensors/backends.hpp"
#include "sensors/cpu_topology.hpp"

namespace jt {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBackend = "msr";

// Energy status registers are 32 bits wide; bits 63:32 are reserved (docs/backends/msr.md F4).
constexpr std::uint64_t kCounterMask = 0xFFFFFFFFull;
constexpr std::uint64_t kWrapModulus = 1ull << 32;
// RAPL refreshes its counters about every millisecond (docs/backends/powercap.md F9).
constexpr double kUpdatePeriodS = 0.001;
// Upper bounds that only size the poll interval before a wrap: generous on purpose.
constexpr double kDefaultPackageMaxPowerW = 500.0;
constexpr double kDramMaxPowerW = 200.0;
constexpr double kPsysMaxPowerW = 1000.0;
// The kernel's fixed DRAM unit on HSX-class servers (rapl_defaults_hsw_server, 15300 nJ). perf uses
// 2^-16 J instead; we follow powercap so that both backends agree (docs/backends/powercap.md F6).
constexpr double kHswDramJoulesPerLsb = 15.3e-6;
constexpr std::uint64_t kThermalSpecPowerMask = 0x7FFF;  // MSR_PKG_POWER_INFO bits 14:0

constexpr const char* kModprobeHint = "load the msr driver: modprobe msr";
constexpr const char* kPermissionHint =
    "reading MSRs needs root (CAP_SYS_RAWIO): run jouletrace as root, or have the node agent run "
    "(`jouletrace agent`, docs/AGENT.md), which jouletrace then asks without being told";

std::string hex(std::uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, 16);
  (void)ec;  // 16 hex digits always fit
  return "0x" + std::string(buf, end);
}

std::string family_text(int family) {
  return family < 10 ? std::to_string(family) : hex(static_cast<std::uint64_t>(family));
}

// Models in the kernel's rapl_defaults_hsw_server table (family 6): Haswell-X, Broadwell-X,
// Skylake-X (also Cascade Lake and Cooper Lake), Icelake-X, Icelake-D, Knights Landing and Mill.
constexpr std::array<int, 7> kFixedDramUnitModels{0x3F, 0x4F, 0x55, 0x6A, 0x6C, 0x57, 0x85};

bool has_fixed_dram_unit(const CpuIdentity& id) {
  return id.vendor == CpuVendor::kIntel && id.family == 6 &&
         std::ranges::find(kFixedDramUnitModels, id.model) != kFixedDramUnitModels.end();
}

struct Unit {
  double joules_per_lsb = 1.0;
  std::string raw_unit;
};

Unit decoded_unit(unsigned esu) {
  return {std::ldexp(1.0, -static_cast<int>(esu)), "2^-" + std::to_string(esu) + " J"};
}

ProbeReport report(ProbeReport::Status status, std::string detail, std::string hint = {}) {
  return ProbeReport{std::string(kBackend), status, std::move(detail), std::move(hint)};
}

// An msr device that cannot be opened, with what to do about it.
Error open_failure(Error error, const fs::path& path) {
  if (error.kind == ErrorKind::kNotFound) {
    error.message = "no " + path.string();
    error.hint = kModprobeHint;
  } else if (error.kind == ErrorKind::kPermissionDenied) {
    error.hint = kPermissionHint;
  }
  return error;
}

struct Package {
  int lead_cpu = 0;
  std::set<int> dies;
};

// Everything the probe builds before the sensor exists.
class Builder {
 public:
  explicit Builder(const ProbeContext& context) : context_(context) {}

  // Index into files_ of the open msr device of `cpu`, opening it on first use.
  Result<std::size_t> file_for(int cpu) {
    if (auto it = file_of_cpu_.find(cpu); it != file_of_cpu_.end()) return it->second;
    const fs::path path = context_.dev_root / "cpu" / std::to_string(cpu) / "msr";
    auto file = MsrFile::open(path);
    if (!file) return std::unexpected(open_failure(file.error(), path));
    files_.push_back(std::move(*file));
    file_of_cpu_.emplace(cpu, files_.size() - 1);
    return files_.size() - 1;
  }

  const MsrFile& file(std::size_t index) const { return files_[index]; }

  // Adds a channel when its counter reads and is non-zero, the kernel's rule for a present domain
  // (rapl_check_domain): an unimplemented or unused domain reads 0 or faults.
  bool add(std::size_t file_index, std::uint32_t address, ChannelInfo info) {
    const auto value = files_[file_index].read(address);
    if (!value.ok || value.value == 0) return false;
    info.quantity = Quantity::kEnergyCounter;
    info.wrap_modulus = kWrapModulus;
    info.update_period_s = kUpdatePeriodS;
    info.provenance = files_[file_index].path().string() + " @" + hex(address);
    channels_.push_back(std::move(info));
    sources_.push_back({file_index, address});
    return true;
  }

  std::vector<ChannelInfo>& channels() { return channels_; }

  struct SourceRef {
    std::size_t file;
    std::uint32_t address;
  };
  const std::vector<SourceRef>& sources() const { return sources_; }
  std::vector<MsrFile> take_files() { return std::move(files_); }
  std::vector<ChannelInfo> take_channels() { return std::move(channels_); }

 private:
  const ProbeContext& context_;
  std::vector<MsrFile> files_;
  std::map<int, std::size_t> file_of_cpu_;
  std::vector<ChannelInfo> channels_;
  std::vector<SourceRef> sources_;
};

ChannelInfo make_channel(std::string id, Domain domain, int index, std::string device,
                         const Unit& unit, double max_power_w) {
  ChannelInfo info;
  info.id = std::move(id);
  info.domain = domain;
  info.identity = identity_of(domain, index);
  info.device = std::move(device);
  info.scale = unit.joules_per_lsb;
  info.raw_unit = unit.raw_unit;
  info.max_power_w = max_power_w;
  return info;
}

std::string package_id(int package) { return "msr/package-" + std::to_string(package); }

std::string package_name(int package) { return "package-" + std::to_string(package); }

// The CPU as RAPL sees it: its identity, its name in reports, and which register map it uses.
struct RaplCpu {
  CpuIdentity id;
  std::string name;
  bool amd_style = false;
};

// kNotFound (the probe reports absent): a CPU without RAPL MSRs. Any other kind is an error.
Result<RaplCpu> identify_rapl_cpu(const ProbeContext& context) {
  auto identity = read_cpu_identity(context.sysfs_root);
  if (!identity) {
    // A modalias without an x86 vendor field is another architecture, which has no RAPL MSRs.
    if (identity.error().kind == ErrorKind::kInvalidData) {
      return make_error(ErrorKind::kNotFound,
                        "no RAPL MSRs on this CPU: " + identity.error().message);
    }
    return make_error(ErrorKind::kIo, "cannot identify the CPU: " + identity.error().message);
  }
  RaplCpu cpu;
  cpu.id = *identity;
  cpu.name = std::string(to_string(cpu.id.vendor)) + " family " + family_text(cpu.id.family) +
             " model " + hex(static_cast<std::uint64_t>(cpu.id.model));
  switch (cpu.id.vendor) {
    case CpuVendor::kIntel: break;
    case CpuVendor::kAmd:
      cpu.amd_style = cpu.id.family == 0x17 || cpu.id.family == 0x19 || cpu.id.family == 0x1A;
      if (!cpu.amd_style) return make_error(ErrorKind::kNotFound, "no RAPL MSRs on " + cpu.name);
      break;
    case CpuVendor::kHygon:
      cpu.amd_style = cpu.id.family == 0x18;
      if (!cpu.amd_style) return make_error(ErrorKind::kNotFound, "no RAPL MSRs on " + cpu.name);
      break;
    case CpuVendor::kUnknown:
      return make_error(ErrorKind::kNotFound, "no RAPL MSRs on this CPU vendor");
  }
  return cpu;
}

// Package, DRAM and PSys counters are package-scoped: one lead CPU (the lowest-numbered) per
// package reads them (docs/backends/msr.md F1). AMD core counters are per physical core
// (docs/backends/msr.md F3).
struct LeadCpus {
  std::map<int, Package> packages;
  std::map<std::tuple<int, int, int>, int> core_leads;  // (package, die, core) -> lead CPU
};

Result<LeadCpus> find_lead_cpus(const ProbeContext& context) {
  auto topology = read_cpu_topology(context.sysfs_root);
  if (!topology) {
    return make_error(ErrorKind::kIo, "cannot read the CPU topology: " + topology.error().message);
  }
  LeadCpus leads;
  // The topology is sorted by CPU number, so the first CPU seen of a package or core is its lead.
  for (const LogicalCpu& cpu : *topology) {
    auto [it, inserted] = leads.packages.try_emplace(cpu.package);
    if (inserted) it->second.lead_cpu = cpu.cpu;
    it->second.dies.insert(cpu.die);
    leads.core_leads.try_emplace(std::make_tuple(cpu.package, cpu.die, cpu.core), cpu.cpu);
  }
  return leads;
}

struct PackageFile {
  int package;
  std::size_t file;
  Unit unit;
};

// What building the package channels leaves for the PSys channel and the summary.
struct Findings {
  std::set<unsigned> esus;
  bool multi_die = false;
  std::size_t amd_cores = 0;
  std::vector<std::string> contained_by_psys;
  std::vector<PackageFile> package_files;  // for PSys, which any package may hold
  bool has_psys = false;
};

// The lead CPU's msr file of a package and what its RAPL unit register says.
struct PackageUnits {
  std::size_t file = 0;
  unsigned esu = 0;
  unsigned power_unit = 0;
};

Result<PackageUnits> read_package_units(Builder& builder, const RaplCpu& cpu, int lead_cpu,
                                        bool first) {
  const std::uint32_t unit_address = cpu.amd_style ? msr::kAmdRaplPowerUnit : msr::kRaplPowerUnit;
  auto file_index = builder.file_for(lead_cpu);
  if (!file_index) return std::unexpected(file_index.error());
  const MsrFile& file = builder.file(*file_index);
  const auto unit_raw = file.read(unit_address);
  if (!unit_raw.ok) {
    std::string why = unit_raw.err != 0 ? std::string(": ") + std::strerror(unit_raw.err) : "";
    std::string detail =
        "RAPL unit register " + hex(unit_address) + " unreadable on " + file.path().string() + why;
    // No unit register on the first package: this CPU has no RAPL. On a later one: the node is
    // inconsistent, and counting only some packages would undercount silently.
    return make_error(first ? ErrorKind::kNotFound : ErrorKind::kIo, std::move(detail));
  }
  return PackageUnits{*file_index, static_cast<unsigned>((unit_raw.value >> 8) & 0x1F),
                      static_cast<unsigned>(unit_raw.value & 0xF)};
}

double package_max_power_w(const MsrFile& file, bool amd_style, unsigned power_unit) {
  if (amd_style) return kDefaultPackageMaxPowerW;
  // Twice the thermal design power leaves room for turbo bursts above TDP.
  const auto power_info = file.read(msr::kPkgPowerInfo);
  if (power_info.ok && (power_info.value & kThermalSpecPowerMask) != 0) {
    return 2.0 * static_cast<double>(power_info.value & kThermalSpecPowerMask) *
           std::ldexp(1.0, -static_cast<int>(power_unit));
  }
  return kDefaultPackageMaxPowerW;
}

// What every channel of one package shares: the lead's file, the unit, the bound and the names.
struct PackageScope {
  int package = 0;
  std::size_t file = 0;
  Unit unit;
  double max_power_w = 0.0;
  std::string id;
  std::string name;
};

// The ids of the package's AMD core channels that read non-zero.
Result<std::vector<std::string>> add_amd_cores(
    Builder& builder, const PackageScope& scope,
    const std::map<std::tuple<int, int, int>, int>& core_leads) {
  // Key on the die too in case a kernel numbers cores per die; name the die only then.
  std::map<int, int> dies_of_core;
  for (const auto& [key, cpu] : core_leads) {
    if (std::get<0>(key) == scope.package) ++dies_of_core[std::get<2>(key)];
  }
  std::vector<std::string> inside;
  for (const auto& [key, cpu] : core_leads) {
    const auto [core_package, die, core] = key;
    if (core_package != scope.package) continue;
    auto core_file = builder.file_for(cpu);
    if (!core_file) return std::unexpected(core_file.error());
    const std::string core_name =
        dies_of_core[core] > 1 ? "die-" + std::to_string(die) + "-core-" + std::to_string(core)
                               : "core-" + std::to_string(core);
    ChannelInfo channel =
        make_channel(fmt::format("{}/{}", scope.id, core_name), Domain::kCore, scope.package,
                     fmt::format("{} {}", scope.name, core_name), scope.unit, scope.max_power_w);
    if (builder.add(*core_file, msr::kAmdCoreEnergyStatus, std::move(channel))) {
      inside.push_back(builder.channels().back().id);
    }
  }
  return inside;
}

// The ids of the package's Intel core (PP0) and uncore (PP1) channels that read non-zero.
std::vector<std::string> add_intel_core_and_uncore(Builder& builder, const PackageScope& scope) {
  struct Sub {
    std::uint32_t address;
    Domain domain;
    const char* name;
  };
  std::vector<std::string> inside;
  for (const Sub sub : {Sub{msr::kPp0EnergyStatus, Domain::kCore, "core"},
                        Sub{msr::kPp1EnergyStatus, Domain::kUncore, "uncore"}}) {
    if (builder.add(scope.file, sub.address,
                    make_channel(scope.id + "/" + sub.name, sub.domain, scope.package,
                                 scope.name + " " + sub.name, scope.unit, scope.max_power_w))) {
      inside.push_back(builder.channels().back().id);
    }
  }
  return inside;
}

bool add_intel_dram(Builder& builder, const PackageScope& scope, bool fixed_dram_unit) {
  const Unit dram_unit = fixed_dram_unit ? Unit{kHswDramJoulesPerLsb, "15.3 uJ"} : scope.unit;
  ChannelInfo dram = make_channel(scope.id + "/dram", Domain::kDram, scope.package,
                                  scope.name + " dram", dram_unit, kDramMaxPowerW);
  if (fixed_dram_unit) dram.note = "DRAM unit fixed at 15.3 uJ (HSX-class quirk)";
  return builder.add(scope.file, msr::kDramEnergyStatus, std::move(dram));
}

// Whether the package has several dies of which only the lead's is read.
bool complete_package_channel(ChannelInfo& channel, std::vector<std::string> inside,
                              const Package& info, bool amd_style) {
  channel.contains = std::move(inside);
  if (amd_style || info.dies.size() <= 1) return false;
  // Cascade Lake-AP counts package energy per die (docs/backends/powercap.md F7); reading
  // one CPU per package then covers the lead's die only, which the numbers must not hide.
  channel.note = "package has " + std::to_string(info.dies.size()) +
                 " dies; where RAPL counts per die (Cascade Lake-AP) only the die of cpu " +
                 std::to_string(info.lead_cpu) + " is read";
  return true;
}

Result<void> add_package(Builder& builder, const RaplCpu& cpu, const LeadCpus& leads, int package,
                         const Package& info, Findings& found) {
  // Each earlier package either added its file or ended the probe.
  const bool first = found.package_files.empty();
  auto units = read_package_units(builder, cpu, info.lead_cpu, first);
  if (!units) return std::unexpected(units.error());
  found.esus.insert(units->esu);
  const Unit unit = decoded_unit(units->esu);
  found.package_files.push_back({package, units->file, unit});
  const PackageScope scope{.package = package,
                           .file = units->file,
                           .unit = unit,
                           .max_power_w = package_max_power_w(builder.file(units->file),
                                                              cpu.amd_style, units->power_unit),
                           .id = package_id(package),
                           .name = package_name(package)};
  const std::uint32_t pkg_address =
      cpu.amd_style ? msr::kAmdPkgEnergyStatus : msr::kPkgEnergyStatus;
  const std::size_t package_slot = builder.channels().size();
  const bool has_package = builder.add(
      scope.file, pkg_address,
      make_channel(scope.id, Domain::kPackage, package, scope.name, unit, scope.max_power_w));
  if (has_package) found.contained_by_psys.push_back(scope.id);
  std::vector<std::string> inside;
  if (cpu.amd_style) {
    auto cores = add_amd_cores(builder, scope, leads.core_leads);
    if (!cores) return std::unexpected(cores.error());
    found.amd_cores += cores->size();
    inside = std::move(*cores);
  } else {
    inside = add_intel_core_and_uncore(builder, scope);
    if (add_intel_dram(builder, scope, has_fixed_dram_unit(cpu.id))) {
      found.contained_by_psys.push_back(scope.id + "/dram");
    }
  }
  if (has_package && complete_package_channel(builder.channels()[package_slot], std::move(inside),
                                              info, cpu.amd_style)) {
    found.multi_die = true;
  }
  return {};
}

Result<Findings> add_package_channels(Builder& builder, const RaplCpu& cpu, const LeadCpus& leads) {
  Findings found;
  for (const auto& [package, info] : leads.packages) {
    auto added = add_package(builder, cpu, leads, package, info, found);
    if (!added) return std::unexpected(added.error());
  }
  return found;
}

// PSys is one counter for the node; on multi-socket servers only the master package reads
// non-zero (docs/backends/powercap.md F7), hence the first non-zero one.
bool add_psys(Builder& builder, const CpuIdentity& id, const Findings& found) {
  for (const auto& [package, file_index, unit] : found.package_files) {
    const Unit psys_unit = has_joule_psys_unit(id) ? Unit{1.0, "1 J"} : unit;
    ChannelInfo psys =
        make_channel("msr/psys", Domain::kPsys, package, "psys", psys_unit, kPsysMaxPowerW);
    if (has_joule_psys_unit(id)) psys.note = "PSys unit fixed at 1 J (SPR/EMR)";
    psys.contains = found.contained_by_psys;
    if (builder.add(file_index, msr::kPlatformEnergyStatus, std::move(psys))) return true;
  }
  return false;
}

bool has_domain(const std::vector<ChannelInfo>& channels, Domain domain) {
  return std::any_of(channels.begin(), channels.end(),
                     [&](const ChannelInfo& c) { return c.domain == domain; });
}

// Which domains exist at all, in the report's order.
std::string domain_list(const std::vector<ChannelInfo>& channels, bool amd_style,
                        std::size_t amd_cores) {
  std::string domains;
  for (const Domain domain :
       {Domain::kPackage, Domain::kCore, Domain::kUncore, Domain::kDram, Domain::kPsys}) {
    if (!has_domain(channels, domain)) continue;
    if (!domains.empty()) domains += ", ";
    domains += to_string(domain);
    if (domain == Domain::kCore && amd_style) {
      domains += " (" + std::to_string(amd_cores) + " cores)";
    }
  }
  return domains;
}

std::string summarise(const RaplCpu& cpu, std::size_t packages,
                      const std::vector<ChannelInfo>& channels, const Findings& found) {
  std::string esu_text;
  for (const unsigned esu : found.esus) {
    esu_text += (esu_text.empty() ? "" : "/") + std::to_string(esu);
  }
  std::string summary = cpu.name + ", " + std::to_string(packages) +
                        (packages == 1 ? " package: " : " packages: ") +
                        domain_list(channels, cpu.amd_style, found.amd_cores) + "; ESU=" + esu_text;
  if (has_fixed_dram_unit(cpu.id) && has_domain(channels, Domain::kDram)) {
    summary += "; DRAM unit 15.3 uJ (HSX-class)";
  }
  if (found.has_psys && has_joule_psys_unit(cpu.id)) summary += "; PSys unit 1 J";
  if (found.multi_die) summary += "; multi-die packages read on one die only";
  return summary;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MsrFile

Result<MsrFile> MsrFile::open(const fs::path& path) {
  MsrFile file;
  file.path_ = path;
  file.fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.fd_.valid()) return std::unexpected(error_from_errno(errno, path));
  return file;
}

MsrFile::Value MsrFile::read(std::uint32_t address) const noexcept {
  std::uint64_t value = 0;
  ssize_t n;
  do {
    n = ::pread(fd_.get(), &value, sizeof value, static_cast<off_t>(address));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return {false, 0, errno};
  // The driver returns whole registers or an error; a short read only happens on a plain file
  // that ends before the register, which is as good as a missing register.
  if (n != static_cast<ssize_t>(sizeof value)) return {false, 0, 0};
  return {true, value, 0};
}

// ---------------------------------------------------------------------------------------------
// MsrSensor

MsrSensor::MsrSensor(std::vector<MsrFile> files, std::vector<ChannelInfo> channels,
                     std::vector<Source> sources) noexcept
    : files_(std::move(files)), channels_(std::move(channels)), sources_(std::move(sources)) {}

void MsrSensor::read(std::span<Reading> out) {
  const std::size_t n = std::min(out.size(), sources_.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Source& source = sources_[i];
    const std::int64_t before = monotonic_ns();
    const MsrFile::Value value = files_[source.file].read(source.address);
    const std::int64_t after = monotonic_ns();
    Reading& reading = out[i];
    reading.half_width_ns = (after - before) / 2;
    reading.t_ns = before + reading.half_width_ns;
    reading.raw = value.ok ? (value.value & kCounterMask) : 0;
    reading.status = value.ok ? Reading::Status::kOk : Reading::Status::kUnavailable;
    reading.error_number = reading_error_number(value.err);
  }
}

Result<MsrSensor::Created> MsrSensor::create(const ProbeContext& context) {
  auto cpu = identify_rapl_cpu(context);
  if (!cpu) return std::unexpected(cpu.error());
  auto leads = find_lead_cpus(context);
  if (!leads) return std::unexpected(leads.error());

  Builder builder(context);
  auto found = add_package_channels(builder, *cpu, *leads);
  if (!found) return std::unexpected(found.error());
  found->has_psys = !cpu->amd_style && add_psys(builder, cpu->id, *found);

  std::vector<ChannelInfo> channels = builder.take_channels();
  for (auto& channel : channels) channel.identity.vendor = vendor_of(cpu->id.vendor);
  if (channels.empty()) {
    return make_error(ErrorKind::kNotFound,
                      cpu->name + ": every RAPL energy counter is unreadable or zero");
  }
  std::string summary = summarise(*cpu, leads->packages.size(), channels, *found);

  std::vector<Source> sources;
  sources.reserve(builder.sources().size());
  for (const auto& ref : builder.sources()) sources.push_back({ref.file, ref.address});
  std::unique_ptr<MsrSensor> sensor(
      new MsrSensor(builder.take_files(), std::move(channels), std::move(sources)));
  return Created{std::move(sensor), std::move(summary)};
}

ProbeOutcome probe_msr(const ProbeContext& context) {
  ProbeOutcome outcome;
  auto created = MsrSensor::create(context);
  if (!created) {
    outcome.reports.push_back(probe_report(kBackend, created.error()));
    return outcome;
  }
  outcome.reports.push_back(report(ProbeReport::Status::kPresent, std::move(created->summary)));
  outcome.sensors.push_back(std::move(created->sensor));
  return outcome;
}

}  // namespace jt
