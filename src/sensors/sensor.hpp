// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sensors/device_identity.hpp"

namespace jt {

// Which part of the node a channel measures. The report vocabulary (docs/ARCHITECTURE.md §3). A
// module is a board that holds a CPU socket, its memory and the GPU beside it (an NVIDIA Grace
// Hopper superchip): inside the node, around a psys and a GPU.
enum class Domain {
  kPackage,
  kCore,
  kUncore,
  kDram,
  kPsys,
  kGpu,
  kGpuMemory,
  kModule,
  kNode,
  kPsu,
  kOther
};

enum class Quantity {
  kEnergyCounter,  // cumulative energy, differenced
  kInstantPower,   // power at the read instant, integrated by the trapezoid rule
  kAveragePower,   // power averaged by the device over its own window, integrated likewise
};

const char* to_string(Domain domain);
// The identity of the device a channel of this domain measures, with the kind the domain
// implies (a package is part of a CPU, dram is memory); uuid, bus id and rating left empty.
DeviceIdentity identity_of(Domain domain, int index, Vendor vendor = Vendor::kUnknown);
const char* to_string(Quantity quantity);
std::optional<Domain> domain_from_string(std::string_view name);

struct ChannelInfo {
  std::string id;  // stable, e.g. "powercap/intel-rapl:0", "nvml/GPU-<uuid>"
  Domain domain = Domain::kOther;
  std::string device;       // human name: "package-0", "NVIDIA H100 80GB HBM3", ...
  DeviceIdentity identity;  // vendor, kind, socket or ordinal, UUID, bus id, rated power
  Quantity quantity = Quantity::kEnergyCounter;
  // Multiply a raw value by this to get joules (counters) or watts (power).
  double scale = 1.0;
  std::string raw_unit;  // unit of the raw value: "uJ", "mJ", "uW", "mW", "2^-14 J"
  // The smallest change the value makes, in J (counters) or W (power), where it is coarser than
  // one raw unit: Sapphire Rapids' psys counts whole joules in a uJ file. 0: one raw unit.
  double resolution = 0.0;
  // Counters: the raw value wraps to 0 on reaching this modulus; 0 = never wraps (64-bit).
  std::uint64_t wrap_modulus = 0;
  double update_period_s = 0.0;       // how often the hardware refreshes the value; 0 = unknown
  double max_power_w = 0.0;           // worst-case power, bounds the poll interval before a wrap
  std::string provenance;             // path, library + UUID, URL
  std::vector<std::string> contains;  // ids of channels whose energy is part of this one
  // Another reading of the meter with this id (a BMC's power beside its coarse kWh energy): the
  // two measure the same thing, and a run takes whichever is more precise.
  std::string same_meter_as;
  // An energy counter read too rarely to resolve phases on its own: it anchors the energy of the
  // channel with this id (the same device's power, read every round). The ledger joins the two
  // (ledger/anchored_energy.hpp); this channel is never a part of a total by itself.
  std::string anchors;
  std::string note;  // a caveat that belongs next to the number
  // The sensor also reports how busy the device was (Reading::activity_pct), so that idle
  // accelerators can be told from used ones.
  bool reports_activity = false;
  // Relative calibration error of this sensor type (0.05 = 5 %), a systematic term of the
  // uncertainty; 0 = unknown. Where it comes from belongs in `note` or the backend's docs.
  double calibration_error = 0.0;
  // A channel relayed by another source (the node agent serves every channel as a counter of
  // its energy): what the device itself measured, which decides the method reported.
  std::optional<Quantity> measured_as;
};

// One read of one channel. Timestamps bracket the read itself (docs/ARCHITECTURE.md §3).
struct Reading {
  enum class Status : std::uint8_t {
    kOk,
    kSkipped,      // torn, empty or unparsable: skip and count, never a spike
    kUnavailable,  // the read failed this time (I/O error, vanished file); may come back
    kLost,         // the device is gone for the rest of the run
  };
  std::int64_t t_ns = 0;           // midpoint of the read, CLOCK_MONOTONIC
  std::int64_t half_width_ns = 0;  // half the time the read took
  std::uint64_t raw = 0;
  Status status = Status::kUnavailable;
  // errno of a read that failed (kUnavailable, kLost) on a file or device, so that a warning can
  // say why; 0 where the backend has no errno (NVML, a BMC) or nothing failed. Sits in padding.
  std::uint16_t error_number = 0;
  // The value does not continue from the previous reading: the energy between the two is
  // unknown (a source that serves a counter across its own outages, as the agent does). The
  // time in between is a gap, never a zero.
  bool after_gap = false;
  // Channels with reports_activity: percent of the device's last sample period it was busy
  // (NVML utilisation); negative when unknown for this reading.
  float activity_pct = -1.0F;
};

// Reading::error_number for an errno; 0 for anything that is not one.
constexpr std::uint16_t reading_error_number(int err) {
  return err > 0 && err <= 0xFFFF ? static_cast<std::uint16_t>(err) : std::uint16_t{0};
}

class Sensor {
 public:
  virtual ~Sensor() = default;
  virtual std::string_view backend() const = 0;
  virtual std::span<const ChannelInfo> channels() const = 0;
  // Fills out[i] for channels()[i]. Must not throw; a failure is a Reading status.
  virtual void read(std::span<Reading> out) = 0;
  // A slow meter (a BMC over the network or IPMI) is polled in its own thread, no faster than
  // this, so that it never delays the fast sensors. 0: polled with the others.
  virtual double min_interval_s() const { return 0.0; }
};

// Where a backend finds its hardware. Every root is injectable so tests run the real code path.
struct ProbeContext {
  std::filesystem::path sysfs_root = "/sys";
  std::filesystem::path dev_root = "/dev";
  std::string nvml_library;     // empty: JOULETRACE_NVML_LIBRARY, then "libnvidia-ml.so.1"
  std::string amd_smi_library;  // empty: JOULETRACE_AMD_SMI_LIBRARY, then "libamd_smi.so"
  // empty: JOULETRACE_ROCM_SMI_LIBRARY, then librocm_smi64.so.5, .so.6, .so.7, .so.1
  std::string rocm_smi_library;
  std::string level_zero_library;  // empty: JOULETRACE_LEVEL_ZERO_LIBRARY, then libze_loader.so.1
  // Whether a backend may set a variable in this process's environment for a moment (a Level
  // Zero loader before 1.5 enables Sysman only through ZES_ENABLE_SYSMAN=1 at zeInit). The
  // jouletrace command may; the library inside someone's program must not (setenv races with
  // its threads' getenv).
  bool may_set_environment = false;
  std::filesystem::path proc_root = "/proc";
  // Redfish BMC settings (URL, credentials); empty: $JOULETRACE_REDFISH_CONFIG, then none.
  std::filesystem::path redfish_config;
  // Whole-node meters behind a BMC (Redfish, IPMI DCMI); off with --no-bmc.
  bool probe_bmc = true;
  // The node agent's socket (--agent); empty: $JOULETRACE_AGENT, then the default place. The
  // agent serves what this process cannot read itself; off with --no-agent.
  std::string agent_socket;
  bool use_agent = true;
  // Set by the registry once an earlier backend found CPU package energy (RAPL), so later
  // backends can drop their duplicates.
  bool rapl_found = false;
  // The channels of the backends probed before this one, so that a container can name parts
  // another backend reads (a Grace Hopper module meter holds the GPU NVML reads).
  std::vector<ChannelInfo> earlier_channels;
};

struct ProbeReport {
  enum class Status { kPresent, kAbsent, kPermissionDenied, kError, kNotUsed };
  std::string backend;
  Status status = Status::kAbsent;
  std::string detail;  // what was (not) found and why
  std::string hint;    // how to fix it, when there is a fix
};

const char* to_string(ProbeReport::Status status);

// The report of a probe that ended in `error`, its message and hint as they are: absent for
// kNotFound, permission denied for kPermissionDenied, an error for anything else. Probes turn an
// Error into a report here, once, so that every backend words the same failure alike.
ProbeReport probe_report(std::string_view backend, const Error& error);

struct ProbeOutcome {
  std::vector<std::unique_ptr<Sensor>> sensors;
  std::vector<ProbeReport> reports;
};

}  // namespace jt
