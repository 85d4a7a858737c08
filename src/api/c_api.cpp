// SPDX-License-Identifier: BSD-3-Clause
// The C entry points: each one catches everything, so no C++ exception crosses the API
// (docs/ARCHITECTURE.md §6), and reports what went wrong through a per-thread last-error text.

// First, so that the declarations get default visibility while everything else in the
// library is hidden (-fvisibility=hidden, plus the version script jouletrace.map).
#pragma GCC visibility push(default)
#include "jouletrace/jouletrace.h"
#pragma GCC visibility pop

#include <exception>
#include <string>

#include "api/api_runtime.hpp"

namespace jt {

namespace {

thread_local std::string t_last_error;

template <typename Fn>
jt_status guarded(const char* function, Fn&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    try {
      set_last_error(std::string(function) + ": internal error: " + e.what());
    } catch (...) {
    }
  } catch (...) {
    try {
      set_last_error(std::string(function) + ": internal error (unknown exception)");
    } catch (...) {
    }
  }
  return JT_ERR_INTERNAL;
}

ApiRuntime* live_runtime() {
  ApiRuntime* runtime = ApiRuntime::instance();
  if (runtime == nullptr) {
    set_last_error("jouletrace is not initialised: call jt_init first");
  }
  return runtime;
}

}  // namespace

void set_last_error(std::string_view message) { t_last_error.assign(message); }

}  // namespace jt

extern "C" {

jt_status jt_init(const jt_options* options) {
  return jt::guarded("jt_init", [&] { return jt::ApiRuntime::create_instance().init(options); });
}

jt_status jt_shutdown(void) {
  return jt::guarded("jt_shutdown", [] {
    jt::ApiRuntime* runtime = jt::live_runtime();
    return runtime == nullptr ? JT_ERR_NOT_INITIALIZED : runtime->shutdown();
  });
}

jt_mode jt_current_mode(void) {
  jt::ApiRuntime* runtime = jt::ApiRuntime::instance();
  return runtime == nullptr ? JT_MODE_UNINITIALIZED : runtime->mode();
}

const char* jt_energy_unavailable_reason(void) {
  jt::ApiRuntime* runtime = jt::ApiRuntime::instance();
  return runtime == nullptr ? nullptr : runtime->energy_unavailable_reason();
}

jt_status jt_window_begin(const char* name, jt_window* out) {
  return jt::guarded("jt_window_begin", [&] {
    jt::ApiRuntime* runtime = jt::live_runtime();
    return runtime == nullptr ? JT_ERR_NOT_INITIALIZED : runtime->begin(name, out);
  });
}

jt_status jt_window_end(jt_window window, jt_measurement* out) {
  return jt::guarded("jt_window_end", [&] {
    jt::ApiRuntime* runtime = jt::live_runtime();
    return runtime == nullptr ? JT_ERR_NOT_INITIALIZED : runtime->end(window, out);
  });
}

jt_status jt_window_add_items(jt_window window, uint64_t count) {
  return jt::guarded("jt_window_add_items", [&] {
    jt::ApiRuntime* runtime = jt::live_runtime();
    return runtime == nullptr ? JT_ERR_NOT_INITIALIZED : runtime->add_items(window, count);
  });
}

uint64_t jt_dropped_markers(void) {
  const jt::ApiRuntime* runtime = jt::ApiRuntime::instance();
  return runtime == nullptr ? 0 : runtime->dropped_markers();
}

uint64_t jt_unsent_markers(void) {
  const jt::ApiRuntime* runtime = jt::ApiRuntime::instance();
  return runtime == nullptr ? 0 : runtime->unsent_markers();
}

const char* jt_last_error(void) { return jt::t_last_error.c_str(); }

const char* jt_status_string(jt_status status) {
  switch (status) {
    case JT_OK: return "ok";
    case JT_ERR_INVALID_ARGUMENT: return "invalid argument";
    case JT_ERR_NOT_INITIALIZED: return "not initialised (call jt_init first)";
    case JT_ERR_UNKNOWN_WINDOW: return "unknown window";
    case JT_ERR_NOT_AVAILABLE: return "energy not available in this process";
    case JT_ERR_BUFFER_FULL: return "marker buffer full: marker dropped";
    case JT_ERR_VERSION: return "unsupported struct_size";
    case JT_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

}  // extern "C"
