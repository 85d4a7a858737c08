// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace jt {

// Our own minimal Level Zero Sysman declarations (zes_api.h, ze_api.h): no Intel header at build
// time (docs/backends/intel.md I1). Handles are opaque; structures are ABI, never reorder.
typedef struct _zes_driver_handle_t* zes_driver_handle_t;
typedef struct _zes_device_handle_t* zes_device_handle_t;
typedef struct _zes_pwr_handle_t* zes_pwr_handle_t;
typedef struct _zes_engine_handle_t* zes_engine_handle_t;

using ZeResult = int;  // ze_result_t
inline constexpr ZeResult kZeSuccess = 0;
inline constexpr ZeResult kZeErrorDeviceLost = 0x70000001;
inline constexpr ZeResult kZeErrorInsufficientPermissions = 0x70010000;
inline constexpr ZeResult kZeErrorUninitialized = 0x78000001;
inline constexpr ZeResult kZeErrorUnsupportedFeature = 0x78000003;
inline constexpr ZeResult kZeErrorUnknown = 0x7ffffffe;

inline constexpr int kZesStructureTypeDeviceProperties = 0x1;  // ZES_STRUCTURE_TYPE_*
inline constexpr int kZesStructureTypePciProperties = 0x2;
inline constexpr int kZesStructureTypePowerProperties = 0xd;
inline constexpr int kZesStructureTypeEngineProperties = 0x5;
inline constexpr int kZesEngineGroupAll = 0;  // ZES_ENGINE_GROUP_ALL: all engines combined

// ze_device_properties_t
struct ZeDeviceProperties {
  int stype;
  void* next;
  int type;
  std::uint32_t vendor_id;
  std::uint32_t device_id;
  std::uint32_t flags;
  std::uint32_t subdevice_id;
  std::uint32_t core_clock_rate;
  std::uint64_t max_mem_alloc_size;
  std::uint32_t max_hardware_contexts;
  std::uint32_t max_command_queue_priority;
  std::uint32_t num_threads_per_eu;
  std::uint32_t physical_eu_simd_width;
  std::uint32_t num_eus_per_subslice;
  std::uint32_t num_subslices_per_slice;
  std::uint32_t num_slices;
  std::uint64_t timer_resolution;
  std::uint32_t timestamp_valid_bits;
  std::uint32_t kernel_timestamp_valid_bits;
  std::uint8_t uuid[16];  // ZE_MAX_DEVICE_UUID_SIZE
  char name[256];         // ZE_MAX_DEVICE_NAME
};

// zes_device_properties_t (ZES_STRING_PROPERTY_SIZE 64)
struct ZesDeviceProperties {
  int stype;
  void* next;
  ZeDeviceProperties core;
  std::uint32_t num_subdevices;
  char serial_number[64];
  char board_number[64];
  char brand_name[64];
  char model_name[64];
  char vendor_name[64];
  char driver_version[64];
};

// zes_pci_properties_t
struct ZesPciProperties {
  int stype;
  void* next;
  std::uint32_t domain;
  std::uint32_t bus;
  std::uint32_t device;
  std::uint32_t function;
  std::int32_t max_gen;
  std::int32_t max_width;
  std::int64_t max_bandwidth;
  std::uint8_t have_bandwidth_counters;
  std::uint8_t have_packet_counters;
  std::uint8_t have_replay_counters;
};

// zes_power_properties_t
struct ZesPowerProperties {
  int stype;
  void* next;
  std::uint8_t on_subdevice;
  std::uint32_t subdevice_id;
  std::uint8_t can_control;
  std::uint8_t is_energy_threshold_supported;
  std::int32_t default_limit_mw;  // -1: not known
  std::int32_t min_limit_mw;
  std::int32_t max_limit_mw;
};

// zes_power_energy_counter_t: energy in uJ, a timestamp in us of its own base.
struct ZesEnergyCounter {
  std::uint64_t energy_uj;
  std::uint64_t timestamp_us;
};

// zes_engine_properties_t
struct ZesEngineProperties {
  int stype;
  void* next;
  int type;  // zes_engine_group_t
  std::uint8_t on_subdevice;
  std::uint32_t subdevice_id;
};

// zes_engine_stats_t: busy time and a timestamp, both in us; busy % = d(active) / d(timestamp).
struct ZesEngineStats {
  std::uint64_t active_time_us;
  std::uint64_t timestamp_us;
};

struct ZesApi {
  ZeResult (*init)(std::uint32_t flags) = nullptr;
  ZeResult (*driver_get)(std::uint32_t*, zes_driver_handle_t*) = nullptr;
  ZeResult (*device_get)(zes_driver_handle_t, std::uint32_t*, zes_device_handle_t*) = nullptr;
  ZeResult (*device_get_properties)(zes_device_handle_t, ZesDeviceProperties*) = nullptr;
  ZeResult (*device_pci_get_properties)(zes_device_handle_t, ZesPciProperties*) = nullptr;
  ZeResult (*device_enum_power_domains)(zes_device_handle_t, std::uint32_t*,
                                        zes_pwr_handle_t*) = nullptr;
  ZeResult (*power_get_properties)(zes_pwr_handle_t, ZesPowerProperties*) = nullptr;
  ZeResult (*power_get_energy_counter)(zes_pwr_handle_t, ZesEnergyCounter*) = nullptr;
  // Optional: utilisation, null where the loader lacks them.
  ZeResult (*device_enum_engine_groups)(zes_device_handle_t, std::uint32_t*,
                                        zes_engine_handle_t*) = nullptr;
  ZeResult (*engine_get_properties)(zes_engine_handle_t, ZesEngineProperties*) = nullptr;
  ZeResult (*engine_get_activity)(zes_engine_handle_t, ZesEngineStats*) = nullptr;
};

inline constexpr std::string_view kDefaultLevelZeroLibrary = "libze_loader.so.1";
inline constexpr const char* kLevelZeroLibraryEnv = "JOULETRACE_LEVEL_ZERO_LIBRARY";
inline constexpr const char* kSysmanEnvironmentVariable = "ZES_ENABLE_SYSMAN";

// The configured path, else $JOULETRACE_LEVEL_ZERO_LIBRARY, else libze_loader.so.1.
std::string resolve_level_zero_library_path(std::string_view configured);

// A loaded loader with Sysman initialised: by zesInit, or, in a loader before 1.5 (Debian 12's
// libze1 1.8), by zeInit with ZES_ENABLE_SYSMAN=1, whose device handles are Sysman's too
// (docs/backends/intel.md I1). Level Zero has no shut-down call: the library is unloaded with
// this object.
class LevelZeroLibrary {
 public:
  // Error kinds: kNotFound (not loadable, no Sysman driver, or an old loader whose Sysman needs
  // ZES_ENABLE_SYSMAN=1 where this process may not set it), kPermissionDenied, kUnsupported (a
  // required entry point missing), kIo.
  static Result<std::unique_ptr<LevelZeroLibrary>> create(const std::string& path,
                                                          bool may_set_environment = false);
  ~LevelZeroLibrary();
  LevelZeroLibrary(const LevelZeroLibrary&) = delete;
  LevelZeroLibrary& operator=(const LevelZeroLibrary&) = delete;

  const ZesApi& api() const { return api_; }
  const std::string& path() const { return path_; }
  // Sysman initialised by zeInit and ZES_ENABLE_SYSMAN (a loader before 1.5).
  bool through_core() const { return through_core_; }

 private:
  LevelZeroLibrary(std::string path, void* handle) : path_(std::move(path)), handle_(handle) {}
  Result<void> init_through_core(bool may_set_environment);
  std::string path_;
  void* handle_ = nullptr;
  ZesApi api_;
  bool through_core_ = false;
};

// "ZE_RESULT_ERROR_DEVICE_LOST (0x70000001)" and the like.
std::string ze_result_text(ZeResult result);

}  // namespace jt
