// SPDX-License-Identifier: BSD-3-Clause
// jouletrace C++ API: RAII over the C API in jouletrace.h (header only, C++17).
//
//   jouletrace::Session session;              // jt_init; jt_shutdown at scope exit
//   {
//     jouletrace::Window train("train");      // jt_window_begin
//     ... train.add_items(batch_size); ...
//     if (auto m = train.end(); m && m->energy_j) std::printf("%.1f J\n", *m->energy_j);
//   }                                         // a window not ended is ended here
//
// Errors: the calls that can only fail through misuse (an unknown or already ended window, a
// call before the session, invalid arguments) or an internal error throw jouletrace::Error, a
// std::runtime_error carrying the jt_status. A dropped marker (JT_ERR_BUFFER_FULL) is not an
// error here: the operation itself took effect, only the record to the parent was lost, and
// jouletrace::dropped_markers() counts it. Destructors never throw.
#ifndef JOULETRACE_JOULETRACE_HPP_
#define JOULETRACE_JOULETRACE_HPP_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "jouletrace/jouletrace.h"

namespace jouletrace {

class Error : public std::runtime_error {
 public:
  Error(jt_status status, const std::string& what) : std::runtime_error(what), status_(status) {}
  jt_status status() const noexcept { return status_; }

 private:
  jt_status status_;
};

namespace detail {

inline void throw_on(jt_status status, const char* call) {
  if (status == JT_OK || status == JT_ERR_BUFFER_FULL) return;
  throw Error(status, std::string(call) + ": " + jt_status_string(status) + ": " + jt_last_error());
}

}  // namespace detail

enum class Mode { kUninitialized, kParent, kSelf };

inline Mode current_mode() noexcept {
  switch (jt_current_mode()) {
    case JT_MODE_PARENT: return Mode::kParent;
    case JT_MODE_SELF: return Mode::kSelf;
    default: return Mode::kUninitialized;
  }
}

inline std::uint64_t dropped_markers() noexcept { return jt_dropped_markers(); }
inline std::uint64_t unsent_markers() noexcept { return jt_unsent_markers(); }

// Unknown is empty, never 0.
struct ComponentEnergy {
  std::string id;      // "powercap/intel-rapl:0", "nvml/GPU-..."
  std::string domain;  // package, core, dram, gpu, node, ...
  std::string method;  // counter, power-integrated, model, none
  std::optional<double> energy_j;
  std::optional<double> uncertainty_j;
  bool in_total = false;      // part of the non-overlapping cover that makes Measurement::energy_j
  std::uint64_t samples = 0;  // readings inside the window
  double covered_s = 0.0;     // the part of the window the readings cover
  std::string provenance;     // the sensor's file or API
};

struct Measurement {
  double start_s = 0.0;  // seconds since the session started
  double duration_s = 0.0;
  std::optional<double> energy_j;  // empty: unknown here, `note` says why
  std::optional<double> uncertainty_j;
  std::string method;  // counter, power-integrated, model, mixed, none
  std::uint64_t items = 0;
  std::optional<double> energy_per_item_j;  // empty without items or energy
  bool short_window = false;  // shorter than 10 sensor update periods: see uncertainty_j
  std::string note;           // why the energy is unknown
  std::uint64_t samples = 0;  // readings of the total's components inside the window
  double covered_s = 0.0;     // the part of the window every component of the total covers
  std::vector<ComponentEnergy> components;

  static Measurement from_c(const jt_measurement& m) {
    Measurement out;
    out.start_s = m.start_s;
    out.duration_s = m.duration_s;
    if (m.energy_known != 0) {
      out.energy_j = m.energy_j;
      out.uncertainty_j = m.uncertainty_j;
      if (m.items > 0) out.energy_per_item_j = m.energy_per_item_j;
    }
    out.method = m.method;
    out.items = m.items;
    out.short_window = m.short_window != 0;
    out.note = m.note;
    out.samples = m.samples;
    out.covered_s = m.covered_s;
    for (std::uint32_t i = 0; i < m.component_count && i < JT_MAX_COMPONENTS; ++i) {
      const jt_component_energy& c = m.components[i];
      ComponentEnergy component{c.id,         c.domain,     c.method,
                                std::nullopt, std::nullopt, c.in_total != 0,
                                c.samples,    c.covered_s,  c.provenance};
      if (c.energy_known != 0) {
        component.energy_j = c.energy_j;
        component.uncertainty_j = c.uncertainty_j;
      }
      out.components.push_back(std::move(component));
    }
    return out;
  }
};

struct Options {
  double interval_s = 0.0;          // 0: 0.1 s
  std::string sysfs_root;           // empty: /sys
  std::string dev_root;             // empty: /dev
  std::string nvml_library;         // empty: $JOULETRACE_NVML_LIBRARY, then libnvidia-ml.so.1
  bool measure_in_process = false;  // JT_INIT_MEASURE_IN_PROCESS
  bool strict = false;  // JT_INIT_STRICT: a window whose energy is unknown here throws at end()
};

// The library for the lifetime of the object: jt_init, then jt_shutdown (which sends the
// markers still buffered). One per process; throws Error when jt_init fails.
class Session {
 public:
  explicit Session(const Options& options = Options()) {
    jt_options c{};
    c.struct_size = sizeof(c);
    c.flags = (options.measure_in_process ? JT_INIT_MEASURE_IN_PROCESS : 0u) |
              (options.strict ? JT_INIT_STRICT : 0u);
    c.interval_s = options.interval_s;
    c.sysfs_root = options.sysfs_root.empty() ? nullptr : options.sysfs_root.c_str();
    c.dev_root = options.dev_root.empty() ? nullptr : options.dev_root.c_str();
    c.nvml_library = options.nvml_library.empty() ? nullptr : options.nvml_library.c_str();
    detail::throw_on(jt_init(&c), "jt_init");
  }
  ~Session() { jt_shutdown(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Mode mode() const noexcept { return current_mode(); }
};

// A named window, begun at construction and ended by end() or, at the latest, the destructor.
// Windows nest and overlap freely. Movable, not copyable.
class Window {
 public:
  // Throws Error before a Session exists or for an empty name.
  explicit Window(const char* name) {
    detail::throw_on(jt_window_begin(name, &id_), "jt_window_begin");
  }
  explicit Window(const std::string& name) : Window(name.c_str()) {}
  ~Window() {
    if (id_ != 0) jt_window_end(id_, nullptr);
  }
  Window(Window&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
  Window& operator=(Window&& other) noexcept {
    if (this != &other) {
      if (id_ != 0) jt_window_end(id_, nullptr);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  jt_window id() const noexcept { return id_; }
  bool open() const noexcept { return id_ != 0; }

  // Counts processed items (samples, images, tokens). Throws Error once the window ended.
  void add_items(std::uint64_t count) {
    if (id_ == 0) throw_ended("add_items");
    detail::throw_on(jt_window_add_items(id_, count), "jt_window_add_items");
  }

  // Ends the window. std::nullopt under `jouletrace run` (the parent's report has the phase);
  // otherwise the window's Measurement, whose energy_j is empty when no sensor is readable
  // here (its note says why; a strict Session throws instead). Throws Error when the window
  // already ended.
  std::optional<Measurement> end() {
    if (id_ == 0) throw_ended("end");
    jt_measurement m{};
    m.struct_size = sizeof(m);
    const bool parent = current_mode() == Mode::kParent;
    const jt_status status = jt_window_end(std::exchange(id_, 0), &m);
    if (parent && (status == JT_OK || status == JT_ERR_NOT_AVAILABLE)) return std::nullopt;
    detail::throw_on(status, "jt_window_end");
    return Measurement::from_c(m);
  }

 private:
  [[noreturn]] static void throw_ended(const char* call) {
    throw Error(JT_ERR_UNKNOWN_WINDOW,
                std::string("jouletrace::Window::") + call + ": the window already ended");
  }

  jt_window id_ = 0;
};

}  // namespace jouletrace

#endif  // JOULETRACE_JOULETRACE_HPP_
