// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "api/marker_flusher.hpp"
#include "api/marker_ring.hpp"
#include "api/self_measurement.hpp"
#include "api/window_table.hpp"
#include "core/unique_fd.hpp"
#include "jouletrace/jouletrace.h"

namespace jt {

// Sets the calling thread's jt_last_error() text (defined next to the C entry points).
void set_last_error(std::string_view message);

// The state behind the C API. One per process, created by the first jt_init and never
// destroyed: a marker call racing with jt_shutdown, or made while the process exits, only
// ever touches live memory. Between jt_init and jt_shutdown the marker calls lock nothing.
class ApiRuntime {
 public:
  static constexpr std::size_t kRingRecords = 4096;  // 1 MiB of 256-byte records
  static constexpr std::size_t kWindowSlots = 1024;  // windows open at once

  // nullptr until the first jt_init.
  static ApiRuntime* instance() { return instance_.load(std::memory_order_acquire); }
  static ApiRuntime& create_instance();

  jt_status init(const jt_options* options);
  jt_status shutdown();
  jt_mode mode() const;

  jt_status begin(const char* name, jt_window* out);
  jt_status end(jt_window window, jt_measurement* out);
  jt_status add_items(jt_window window, std::uint64_t count);
  // Null when windows get their energy in this process; otherwise why they do not.
  const char* energy_unavailable_reason() const;

  std::uint64_t dropped_markers() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t unsent_markers() const {
    return flusher_shared_.unsent.load(std::memory_order_relaxed);
  }

 private:
  enum StateBits : std::uint32_t { kInitialized = 1, kSink = 2, kMeasure = 4, kStrict = 8 };

  ApiRuntime();

  // Appends a record; false (and counted) when the ring is full.
  bool push(MarkerKind kind, std::int64_t t_ns, std::uint64_t window, std::uint64_t count,
            const char* name, std::size_t name_length);
  jt_status init_locked(const jt_options* options);
  void shutdown_locked();
  void fill_measurement(jt_measurement* out, std::int64_t begin_ns, std::int64_t end_ns,
                        std::uint64_t items) const;
  // A window that ended without a known energy: JT_OK and the reason, or the error if strict.
  jt_status unknown_energy(jt_measurement* out, const std::string& reason, std::uint32_t state,
                           bool dropped);
  static void flush_at_exit();
  static void before_fork();
  static void after_fork_in_parent();
  static void after_fork_in_child();

  static std::atomic<ApiRuntime*> instance_;

  std::atomic<std::uint32_t> state_{0};
  MarkerRing ring_{kRingRecords};
  WindowTable table_{kWindowSlots};
  FlusherShared flusher_shared_;
  std::atomic<std::uint64_t> dropped_{0};
  // Producers wake a sleeping flusher once per eighth of the ring, not for every record (a
  // futex call each time would cost more than the marker); the margin covers a flusher that
  // waits a few ms for a CPU on a busy node.
  const std::uint64_t wake_mask_ = kRingRecords / 8 - 1;

  // Written under lifecycle_mutex_ before state_ is published.
  std::int64_t init_ns_ = 0;

  std::mutex lifecycle_mutex_;  // init, shutdown, fork
  std::mutex self_mutex_;       // self_ while a window is measured
  std::unique_ptr<MarkerFlusher> flusher_;
  UniqueFd agent_channel_;  // JOULETRACE_MARKERS=agent:...: the connection the flusher writes to
  std::unique_ptr<SelfMeasurement> self_;
  std::string unavailable_reason_;  // set at init when windows get no energy here
  bool hooks_registered_ = false;
};

}  // namespace jt
