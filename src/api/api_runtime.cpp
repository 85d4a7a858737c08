// SPDX-License-Identifier: BSD-3-Clause
#include "api/api_runtime.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/clock.hpp"
#include "core/unique_fd.hpp"
#include "markers/agent_marker_channel.hpp"

namespace jt {

namespace {

constexpr double kDefaultIntervalS = 0.1;

template <std::size_t N>
void copy_text(char (&to)[N], std::string_view from) {
  const std::size_t n = std::min(from.size(), N - 1);
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

struct MarkerChannel {
  int fd = -1;          // -1: no parent
  UniqueFd owned;       // the agent connection (agent:...), which this library opened
  std::string problem;  // set when JOULETRACE_MARKERS names nothing usable
};

// How long jt_init may wait for an agent whose backlog is full: the training process must not
// stall on a stuck agent; it measures by itself instead.
constexpr int kAgentConnectTimeoutMs = 100;

// JOULETRACE_MARKERS=agent:<job_id>.<step_id> (docs/MARKERS.md, "Under a Slurm step"): the
// connection is ours and the flusher writes records to it as it would to the parent's pipe.
MarkerChannel agent_marker_channel(std::string_view text) {
  MarkerChannel channel;
  auto fd =
      open_agent_marker_channel(text.substr(kAgentMarkersPrefix.size()), kAgentConnectTimeoutMs);
  if (!fd) {
    channel.problem = fmt::format("JOULETRACE_MARKERS={}: {}", text, fd.error().message);
    return channel;
  }
  channel.fd = fd->get();
  channel.owned = std::move(*fd);
  return channel;
}

// JOULETRACE_MARKERS=fd:N (docs/MARKERS.md). The variable is inherited further than the fd:
// a launcher may close descriptors (or srun may carry the environment to another node), so
// N must still be a pipe open for writing here, or markers would go into whatever file now
// has that number.
MarkerChannel marker_channel_from_environment() {
  MarkerChannel channel;
  const char* value = std::getenv("JOULETRACE_MARKERS");
  if (value == nullptr || *value == '\0') return channel;
  const std::string_view text(value);
  if (text.starts_with(kAgentMarkersPrefix)) return agent_marker_channel(text);
  int fd = -1;
  if (text.substr(0, 3) == "fd:") {
    const auto digits = text.substr(3);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), fd);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty()) fd = -1;
  }
  if (fd < 0) {
    channel.problem =
        fmt::format("JOULETRACE_MARKERS={} is not of the form fd:N or agent:JOB.STEP", text);
    return channel;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    channel.problem = fmt::format(
        "JOULETRACE_MARKERS={}: descriptor {} is not open in this process (closed by a "
        "launcher, or inherited from another node)",
        text, fd);
    return channel;
  }
  const int flags = ::fcntl(fd, F_GETFL);
  const int access = flags < 0 ? -1 : (flags & O_ACCMODE);
  if (!S_ISFIFO(st.st_mode) || (access != O_WRONLY && access != O_RDWR)) {
    channel.problem = fmt::format(
        "JOULETRACE_MARKERS={}: descriptor {} is not a pipe open for writing", text, fd);
    return channel;
  }
  channel.fd = fd;
  return channel;
}

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

// A measured window into the C struct: the components of the total first, so that truncation
// to JT_MAX_COMPONENTS keeps them.
void copy_window(WindowEnergy energy, std::uint64_t items, jt_measurement* out) {
  const Measurement& total = energy.total;
  out->energy_known = total.energy_j ? 1 : 0;
  out->energy_j = total.energy_j.value_or(kUnknown);
  out->uncertainty_j = total.energy_j ? total.uncertainty_j() : kUnknown;
  copy_text(out->method, to_string(total.method));
  if (!total.energy_j) copy_text(out->note, "a sensor of the total had too few readings");
  out->energy_per_item_j = energy_per_item(total.energy_j, items).value_or(kUnknown);
  out->short_window = energy.short_window ? 1 : 0;
  out->samples = total.samples;
  out->covered_s = total.covered_s;
  std::stable_partition(energy.components.begin(), energy.components.end(),
                        [](const WindowComponent& c) { return c.in_total; });
  std::uint32_t n = 0;
  for (const auto& component : energy.components) {
    if (n == JT_MAX_COMPONENTS) break;
    const Measurement& m = component.measured;
    jt_component_energy& to = out->components[n++];
    copy_text(to.id, component.id);
    copy_text(to.domain, to_string(component.domain));
    copy_text(to.method, to_string(m.method));
    to.energy_known = m.energy_j ? 1 : 0;
    to.energy_j = m.energy_j.value_or(kUnknown);
    to.uncertainty_j = m.energy_j ? m.uncertainty_j() : kUnknown;
    to.in_total = component.in_total ? 1 : 0;
    to.samples = m.samples;
    to.covered_s = m.covered_s;
    copy_text(to.provenance, m.provenance);
  }
  out->component_count = n;
}

}  // namespace

std::atomic<ApiRuntime*> ApiRuntime::instance_{nullptr};

ApiRuntime::ApiRuntime() = default;

ApiRuntime& ApiRuntime::create_instance() {
  static std::mutex creation;
  std::lock_guard lock(creation);
  ApiRuntime* runtime = instance_.load(std::memory_order_acquire);
  if (runtime == nullptr) {
    // Never deleted: see the class comment.
    runtime = new ApiRuntime();
    instance_.store(runtime, std::memory_order_release);
  }
  return *runtime;
}

jt_status ApiRuntime::init(const jt_options* options) {
  std::lock_guard lock(lifecycle_mutex_);
  if ((state_.load(std::memory_order_acquire) & kInitialized) != 0) return JT_OK;
  return init_locked(options);
}

jt_status ApiRuntime::init_locked(const jt_options* options) {
  jt_options opts{};
  opts.struct_size = sizeof(jt_options);
  if (options != nullptr) {
    if (options->struct_size < sizeof(jt_options)) {
      set_last_error(fmt::format("jt_options.struct_size is {}; this library needs {}",
                                 options->struct_size, sizeof(jt_options)));
      return JT_ERR_VERSION;
    }
    opts = *options;
  }
  if ((opts.flags & ~(JT_INIT_MEASURE_IN_PROCESS | JT_INIT_STRICT | JT_INIT_QUIET)) != 0) {
    set_last_error(fmt::format("unknown jt_init flags 0x{:x}", opts.flags));
    return JT_ERR_INVALID_ARGUMENT;
  }
  if (!std::isfinite(opts.interval_s) || opts.interval_s < 0.0) {
    set_last_error(
        fmt::format("interval_s must be 0 (default) or positive, not {}", opts.interval_s));
    return JT_ERR_INVALID_ARGUMENT;
  }
  const double interval_s = opts.interval_s > 0.0 ? opts.interval_s : kDefaultIntervalS;

  const std::int64_t init_ns = monotonic_ns();
  MarkerChannel channel = marker_channel_from_environment();
  if (!channel.problem.empty()) {
    // Markers cannot reach any parent: measuring here is the only way the program still gets
    // its phases. Said on stderr once, since nothing else would tell the user.
    (void)std::fprintf(stderr, "jouletrace: %s; measuring in this process instead\n",
                       channel.problem.c_str());
  }
  const bool sink = channel.fd >= 0;
  const bool measure = !sink || (opts.flags & JT_INIT_MEASURE_IN_PROCESS) != 0;

  std::unique_ptr<SelfMeasurement> self;
  if (measure) {
    ProbeContext context;
    if (opts.sysfs_root != nullptr) context.sysfs_root = opts.sysfs_root;
    if (opts.dev_root != nullptr) context.dev_root = opts.dev_root;
    if (opts.nvml_library != nullptr) context.nvml_library = opts.nvml_library;
    // In-process windows are cut from the fast timeline; a node meter polled every second
    // cannot resolve them, and every process logging in to the BMC would be a burden on it.
    // `jouletrace run` (the parent) reads the node meters.
    context.probe_bmc = false;
    self = std::make_unique<SelfMeasurement>(context, interval_s);
  }
  std::string unavailable;
  if (!measure) {
    unavailable =
        "the window's energy is in the report of the parent `jouletrace run` (JT_INIT_MEASURE_IN_"
        "PROCESS also measures it here)";
  } else if (!self->has_channels()) {
    unavailable = "no energy sensor is readable in this process: " + self->probe_summary();
    // Said once, at once, so that nobody waits hours for windows that will have no energy.
    if ((opts.flags & JT_INIT_QUIET) == 0) {
      (void)std::fprintf(stderr, "jouletrace: %s; windows will end with their energy unknown\n",
                         unavailable.c_str());
    }
  }
  const std::int64_t pid = ::getpid();
  std::unique_ptr<MarkerFlusher> flusher;
  if (sink) {
    MarkerFlusher::Options flusher_options;
    flusher_options.fd = channel.fd;
    flusher_options.pid = pid;
    flusher = std::make_unique<MarkerFlusher>(ring_, flusher_shared_, flusher_options);
    flusher->start();
  }

  if (!hooks_registered_) {
    // Markers still in the ring at a normal exit() reach the parent even without
    // jt_shutdown; a forked child starts uninitialised (our threads do not exist there).
    if (std::atexit(&ApiRuntime::flush_at_exit) != 0 ||
        ::pthread_atfork(&ApiRuntime::before_fork, &ApiRuntime::after_fork_in_parent,
                         &ApiRuntime::after_fork_in_child) != 0) {
      set_last_error("could not register the exit and fork handlers");
      return JT_ERR_INTERNAL;
    }
    hooks_registered_ = true;
  }

  {
    std::lock_guard self_lock(self_mutex_);
    self_ = std::move(self);
  }
  flusher_ = std::move(flusher);
  agent_channel_ = std::move(channel.owned);
  unavailable_reason_ = std::move(unavailable);
  init_ns_ = init_ns;
  dropped_.store(0, std::memory_order_relaxed);
  flusher_shared_.sent.store(0, std::memory_order_relaxed);
  flusher_shared_.unsent.store(0, std::memory_order_relaxed);
  flusher_shared_.write_failures.store(0, std::memory_order_relaxed);
  std::uint32_t state = kInitialized;
  if (sink) state |= kSink;
  if (measure) state |= kMeasure;
  if ((opts.flags & JT_INIT_STRICT) != 0) state |= kStrict;
  state_.store(state, std::memory_order_release);
  return JT_OK;
}

jt_status ApiRuntime::shutdown() {
  std::lock_guard lock(lifecycle_mutex_);
  if ((state_.load(std::memory_order_acquire) & kInitialized) == 0) {
    set_last_error("jt_shutdown: the library is not initialised");
    return JT_ERR_NOT_INITIALIZED;
  }
  shutdown_locked();
  return JT_OK;
}

void ApiRuntime::shutdown_locked() {
  // New marker calls see "not initialised" from here on; the flusher then sends everything
  // that was pushed before.
  state_.store(0, std::memory_order_release);
  if (flusher_) {
    flusher_->stop();
    flusher_.reset();
  }
  // After the flusher sent the last records: the agent then sees the end of the stream. Its
  // answer came long before; nothing is waited for.
  close_agent_marker_channel(agent_channel_, 0);
  {
    std::lock_guard self_lock(self_mutex_);
    self_.reset();
  }
  table_.clear();
}

jt_mode ApiRuntime::mode() const {
  const std::uint32_t state = state_.load(std::memory_order_acquire);
  if ((state & kInitialized) == 0) return JT_MODE_UNINITIALIZED;
  return (state & kMeasure) != 0 ? JT_MODE_SELF : JT_MODE_PARENT;
}

bool ApiRuntime::push(MarkerKind kind, std::int64_t t_ns, std::uint64_t window, std::uint64_t count,
                      const char* name, std::size_t name_length) {
  std::uint64_t position = 0;
  const bool pushed = ring_.try_push(
      [&](RawMarker& record) {
        record.t_ns = t_ns;
        record.window_id = window;
        record.count = count;
        record.kind = kind;
        record.name_length = static_cast<std::uint8_t>(name_length);
        std::memcpy(record.name, name, name_length);
      },
      &position);
  if (!pushed) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if ((position & wake_mask_) == wake_mask_) flusher_shared_.wake_if_sleeping();
  return true;
}

namespace {

jt_status not_initialized() {
  set_last_error("jouletrace is not initialised: call jt_init first");
  return JT_ERR_NOT_INITIALIZED;
}

jt_status buffer_full() {
  set_last_error(
      "the marker was dropped: its buffer is full (the flusher fell behind); "
      "jt_dropped_markers() counts them");
  return JT_ERR_BUFFER_FULL;
}

jt_status unknown_window(jt_window window) {
  set_last_error(fmt::format(
      "unknown window {}: never begun, already ended, forgotten as the oldest of too many open "
      "windows, or from before jt_shutdown",
      window));
  return JT_ERR_UNKNOWN_WINDOW;
}

}  // namespace

jt_status ApiRuntime::begin(const char* name, jt_window* out) {
  const std::int64_t t_ns = monotonic_ns();
  const std::uint32_t state = state_.load(std::memory_order_acquire);
  if ((state & kInitialized) == 0) return not_initialized();
  if (name == nullptr || out == nullptr) {
    set_last_error("jt_window_begin: name and out must not be NULL");
    return JT_ERR_INVALID_ARGUMENT;
  }
  const std::size_t name_length = record_name_length(name);
  if (name_length == 0) {
    set_last_error("jt_window_begin: the name must not be empty");
    return JT_ERR_INVALID_ARGUMENT;
  }
  bool dropped = false;
  const std::uint64_t handle =
      table_.open(t_ns, name, name_length, [&](std::uint64_t window, const WindowTable::Slot&) {
        if ((state & kSink) != 0) {
          dropped = !push(MarkerKind::kBegin, t_ns, window, 0, name, name_length);
        }
      });
  *out = handle;
  if (handle == 0) {
    set_last_error("jt_window_begin: every window slot is being opened or closed right now");
    return JT_ERR_INTERNAL;
  }
  return dropped ? buffer_full() : JT_OK;
}

jt_status ApiRuntime::add_items(jt_window window, std::uint64_t count) {
  const std::int64_t t_ns = monotonic_ns();
  const std::uint32_t state = state_.load(std::memory_order_acquire);
  if ((state & kInitialized) == 0) return not_initialized();
  bool dropped = false;
  const bool known = table_.with_open(window, [&](WindowTable::Slot& slot) {
    slot.items.fetch_add(count, std::memory_order_relaxed);
    if ((state & kSink) != 0 && count > 0) {
      dropped = !push(MarkerKind::kItems, t_ns, window, count, slot.name, slot.name_length);
    }
  });
  if (!known) return unknown_window(window);
  return dropped ? buffer_full() : JT_OK;
}

jt_status ApiRuntime::end(jt_window window, jt_measurement* out) {
  const std::int64_t t_ns = monotonic_ns();
  const std::uint32_t state = state_.load(std::memory_order_acquire);
  if ((state & kInitialized) == 0) return not_initialized();
  if (out != nullptr && out->struct_size < sizeof(jt_measurement)) {
    // Checked before anything happens, so the caller can fix the call and end the window.
    set_last_error(fmt::format("jt_measurement.struct_size is {}; this library needs {}",
                               out->struct_size, sizeof(jt_measurement)));
    return JT_ERR_VERSION;
  }
  std::int64_t begin_ns = 0;
  std::uint64_t items = 0;
  bool dropped = false;
  const bool known = table_.close(window, [&](const WindowTable::Slot& slot) {
    begin_ns = slot.begin_ns.load(std::memory_order_relaxed);
    items = slot.items.load(std::memory_order_relaxed);
    if ((state & kSink) != 0) {
      dropped = !push(MarkerKind::kEnd, t_ns, window, 0, slot.name, slot.name_length);
    }
  });
  if (!known) return unknown_window(window);
  if (out == nullptr) return dropped ? buffer_full() : JT_OK;

  fill_measurement(out, begin_ns, t_ns, items);
  if ((state & kMeasure) == 0) return unknown_energy(out, unavailable_reason_, state, dropped);
  WindowEnergy energy;
  {
    std::lock_guard self_lock(self_mutex_);
    if (!self_) return not_initialized();  // jt_shutdown ran meanwhile
    if (!self_->has_channels()) return unknown_energy(out, unavailable_reason_, state, dropped);
    energy = self_->measure(begin_ns, t_ns);
  }
  copy_window(energy, items, out);
  return dropped ? buffer_full() : JT_OK;
}

jt_status ApiRuntime::unknown_energy(jt_measurement* out, const std::string& reason,
                                     std::uint32_t state, bool dropped) {
  copy_text(out->note, reason);
  if ((state & kStrict) != 0) {
    set_last_error("the window ended, but " + reason);
    return JT_ERR_NOT_AVAILABLE;
  }
  return dropped ? buffer_full() : JT_OK;
}

const char* ApiRuntime::energy_unavailable_reason() const {
  if ((state_.load(std::memory_order_acquire) & kInitialized) == 0) return nullptr;
  return unavailable_reason_.empty() ? nullptr : unavailable_reason_.c_str();
}

void ApiRuntime::fill_measurement(jt_measurement* out, std::int64_t begin_ns, std::int64_t end_ns,
                                  std::uint64_t items) const {
  const std::uint32_t size = out->struct_size;
  std::memset(static_cast<void*>(out), 0, sizeof(jt_measurement));
  out->struct_size = size;
  out->start_s = ns_to_s(begin_ns - init_ns_);
  out->duration_s = ns_to_s(end_ns - begin_ns);
  out->energy_j = std::numeric_limits<double>::quiet_NaN();
  out->uncertainty_j = std::numeric_limits<double>::quiet_NaN();
  out->energy_per_item_j = std::numeric_limits<double>::quiet_NaN();
  copy_text(out->method, "none");
  out->items = items;
}

void ApiRuntime::flush_at_exit() {
  ApiRuntime* runtime = instance();
  if (runtime == nullptr) return;
  try {
    std::lock_guard lock(runtime->lifecycle_mutex_);
    if ((runtime->state_.load(std::memory_order_acquire) & kInitialized) != 0) {
      runtime->shutdown_locked();
    }
  } catch (...) {
    // Nothing can be reported at exit; the program's exit status must not change.
  }
}

void ApiRuntime::before_fork() {
  ApiRuntime* runtime = instance();
  if (runtime == nullptr) return;
  // Held across fork() so that the child gets them unlocked and consistent.
  runtime->lifecycle_mutex_.lock();
  runtime->self_mutex_.lock();
}

void ApiRuntime::after_fork_in_parent() {
  ApiRuntime* runtime = instance();
  if (runtime == nullptr) return;
  runtime->self_mutex_.unlock();
  runtime->lifecycle_mutex_.unlock();
}

void ApiRuntime::after_fork_in_child() {
  ApiRuntime* runtime = instance();
  if (runtime == nullptr) return;
  // Only this thread exists in the child: the flusher and the sampler stayed in the parent,
  // which also sends the markers still in the ring. The child starts uninitialised and may
  // call jt_init (it then has its own pid in the records).
  runtime->state_.store(0, std::memory_order_relaxed);
  // The parent keeps the agent connection; a copy held here would hide its end from the agent.
  runtime->agent_channel_.reset();
  if (runtime->flusher_) {
    runtime->flusher_->abandon_after_fork();
    (void)runtime->flusher_.release();
  }
  if (runtime->self_) {
    runtime->self_->abandon_after_fork();
    (void)runtime->self_.release();
  }
  runtime->ring_.reset();
  runtime->table_.reset_after_fork();
  runtime->flusher_shared_.sleeping.store(0, std::memory_order_relaxed);
  runtime->self_mutex_.unlock();
  runtime->lifecycle_mutex_.unlock();
}

}  // namespace jt
