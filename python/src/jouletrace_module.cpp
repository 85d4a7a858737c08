// SPDX-License-Identifier: BSD-3-Clause
// The `_jouletrace` extension: a thin pybind11 layer over the C API (jouletrace/jouletrace.h).
// It maps statuses to the package's exception type and a measurement to a dict; everything a user
// sees (phases, decorators, Measurement objects, sync hooks) is in jouletrace/__init__.py.
#include <jouletrace/jouletrace.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace py = pybind11;

namespace {

// The package's jouletrace.Error, registered by jouletrace/__init__.py at import. Held for the
// lifetime of the interpreter (a strong reference that is never released on purpose: the module is
// never unloaded).
PyObject* g_error_type = nullptr;

const char* status_name(jt_status status) {
  switch (status) {
    case JT_OK: return "ok";
    case JT_ERR_INVALID_ARGUMENT: return "invalid_argument";
    case JT_ERR_NOT_INITIALIZED: return "not_initialized";
    case JT_ERR_UNKNOWN_WINDOW: return "unknown_window";
    case JT_ERR_NOT_AVAILABLE: return "not_available";
    case JT_ERR_BUFFER_FULL: return "buffer_full";
    case JT_ERR_VERSION: return "version";
    case JT_ERR_INTERNAL: return "internal";
  }
  return "unknown";
}

// A failed C API call; turned into jouletrace.Error(message, code, status) by the translator.
class ApiError : public std::runtime_error {
 public:
  ApiError(jt_status status, std::string message)
      : std::runtime_error(std::move(message)), status_(status) {}
  jt_status status() const { return status_; }

 private:
  jt_status status_;
};

// Must be called right after the failing call, on the same thread (jt_last_error is per thread).
[[noreturn]] void raise_status(jt_status status) {
  const char* text = jt_last_error();
  std::string message = (text != nullptr && *text != '\0') ? text : jt_status_string(status);
  throw ApiError(status, std::move(message));
}

void check(jt_status status) {
  if (status != JT_OK) raise_status(status);
}

void translate(std::exception_ptr error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const ApiError& e) {
    if (g_error_type == nullptr) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
      return;
    }
    try {
      const py::handle type(g_error_type);
      const py::object instance =
          type(py::str(e.what()), static_cast<int>(e.status()), status_name(e.status()));
      PyErr_SetObject(g_error_type, instance.ptr());
    } catch (py::error_already_set& nested) {
      nested.restore();  // constructing the exception failed: report that instead
    }
  }
}

std::string_view fixed_string(const char* field, std::size_t capacity) {
  return {field, strnlen(field, capacity)};
}

// Unknown is None, never 0.
py::object known(bool is_known, double value) {
  return is_known ? py::object(py::float_(value)) : py::object(py::none());
}

py::dict to_dict(const jt_measurement& m) {
  py::dict result;
  const bool energy_known = m.energy_known != 0;
  result["start_s"] = m.start_s;
  result["duration_s"] = m.duration_s;
  result["energy_j"] = known(energy_known, m.energy_j);
  result["uncertainty_j"] = known(energy_known, m.uncertainty_j);
  result["method"] = py::str(fixed_string(m.method, sizeof m.method));
  result["items"] = m.items;
  result["energy_per_item_j"] = known(energy_known && m.items > 0, m.energy_per_item_j);
  result["short_window"] = m.short_window != 0;
  result["note"] = py::str(fixed_string(m.note, sizeof m.note));
  result["samples"] = m.samples;
  result["covered_s"] = m.covered_s;
  py::list components;
  const uint32_t count =
      m.component_count < JT_MAX_COMPONENTS ? m.component_count : JT_MAX_COMPONENTS;
  for (uint32_t i = 0; i < count; ++i) {
    const jt_component_energy& c = m.components[i];
    py::dict component;
    component["id"] = py::str(fixed_string(c.id, sizeof c.id));
    component["domain"] = py::str(fixed_string(c.domain, sizeof c.domain));
    component["method"] = py::str(fixed_string(c.method, sizeof c.method));
    component["energy_j"] = known(c.energy_known != 0, c.energy_j);
    component["uncertainty_j"] = known(c.energy_known != 0, c.uncertainty_j);
    component["in_total"] = c.in_total != 0;
    component["samples"] = c.samples;
    component["covered_s"] = c.covered_s;
    component["provenance"] = py::str(fixed_string(c.provenance, sizeof c.provenance));
    components.append(std::move(component));
  }
  result["components"] = std::move(components);
  return result;
}

void init(double interval_s, std::optional<std::string> sysfs_root,
          std::optional<std::string> dev_root, std::optional<std::string> nvml_library,
          bool measure_in_process, bool strict) {
  jt_options options{};
  options.struct_size = sizeof options;
  // The package warns through Python's warnings module instead of the C library's stderr line.
  options.flags = (measure_in_process ? JT_INIT_MEASURE_IN_PROCESS : 0u) | JT_INIT_QUIET |
                  (strict ? JT_INIT_STRICT : 0u);
  options.interval_s = interval_s;
  options.sysfs_root = sysfs_root ? sysfs_root->c_str() : nullptr;
  options.dev_root = dev_root ? dev_root->c_str() : nullptr;
  options.nvml_library = nvml_library ? nvml_library->c_str() : nullptr;
  jt_status status = JT_OK;
  {
    const py::gil_scoped_release unlocked;  // probes the sensors and starts the sampler
    status = jt_init(&options);
  }
  check(status);
}

void shutdown() {
  jt_status status = JT_OK;
  {
    const py::gil_scoped_release unlocked;  // joins the sampler and the flusher
    status = jt_shutdown();
  }
  check(status);
}

// A dropped marker (the in-process buffer was full) is no reason to stop a training loop: the
// call took effect, only the parent misses the record, and jt_dropped_markers() counts it.
void warn_dropped_text(const std::string& text) {
  if (PyErr_WarnEx(PyExc_RuntimeWarning, text.c_str(), 1) != 0) throw py::error_already_set();
}

void warn_dropped() { warn_dropped_text(jt_last_error()); }

// The marker protocol keeps 1 to 200 bytes (docs/MARKERS.md); the C library cuts longer names,
// possibly inside a UTF-8 character, so they are refused here instead.
constexpr std::size_t kMaxNameBytes = 200;

uint64_t begin(const std::string& name) {
  if (name.size() > kMaxNameBytes) {
    throw ApiError(JT_ERR_INVALID_ARGUMENT,
                   "a window name is at most " + std::to_string(kMaxNameBytes) +
                       " bytes in UTF-8; this one has " + std::to_string(name.size()));
  }
  if (name.find('\0') != std::string::npos) {
    throw ApiError(JT_ERR_INVALID_ARGUMENT, "a window name cannot contain a NUL character");
  }
  jt_window window = 0;
  const jt_status status = jt_window_begin(name.c_str(), &window);
  if (status == JT_ERR_BUFFER_FULL && window != 0) {
    warn_dropped();
  } else {
    check(status);
  }
  return window;
}

// None when the energy is in the parent's report (JT_ERR_NOT_AVAILABLE: the window was ended).
std::optional<py::dict> end(uint64_t window) {
  jt_measurement m{};
  m.struct_size = sizeof m;
  jt_status status = JT_OK;
  std::string error_text;
  {
    // In self mode this reads every sensor once more before cutting the window's energy.
    const py::gil_scoped_release unlocked;
    status = jt_window_end(window, &m);
    if (status != JT_OK) {
      const char* text = jt_last_error();  // per thread: read it before anything else runs here
      error_text = (text != nullptr && *text != '\0') ? text : jt_status_string(status);
    }
  }
  // Under a parent `jouletrace run` the energy is in its report. In a process that measures
  // itself, "not available" comes only with strict=True: an error its caller asked for.
  if ((status == JT_OK || status == JT_ERR_NOT_AVAILABLE) && jt_current_mode() == JT_MODE_PARENT) {
    return std::nullopt;
  }
  if (status == JT_ERR_BUFFER_FULL) {
    warn_dropped_text(error_text);  // the window ended and was measured; only its record was lost
  } else if (status != JT_OK) {
    throw ApiError(status, std::move(error_text));
  }
  return to_dict(m);
}

void add_items(uint64_t window, uint64_t count) {
  const jt_status status = jt_window_add_items(window, count);
  if (status == JT_ERR_BUFFER_FULL) {
    warn_dropped();  // the items were counted in this process; only the record was lost
  } else {
    check(status);
  }
}

}  // namespace

PYBIND11_MODULE(_jouletrace, m) {
  m.doc() = "Low-level binding of the jouletrace C API; use the `jouletrace` package instead.";
  py::register_exception_translator(&translate);

  m.attr("API_VERSION") = JT_API_VERSION;
  m.attr("VERSION") = JT_PY_VERSION;
  m.attr("MAX_COMPONENTS") = JT_MAX_COMPONENTS;
  m.attr("MODE_UNINITIALIZED") = static_cast<int>(JT_MODE_UNINITIALIZED);
  m.attr("MODE_PARENT") = static_cast<int>(JT_MODE_PARENT);
  m.attr("MODE_SELF") = static_cast<int>(JT_MODE_SELF);
  m.attr("ERR_INVALID_ARGUMENT") = static_cast<int>(JT_ERR_INVALID_ARGUMENT);
  m.attr("ERR_NOT_INITIALIZED") = static_cast<int>(JT_ERR_NOT_INITIALIZED);
  m.attr("ERR_UNKNOWN_WINDOW") = static_cast<int>(JT_ERR_UNKNOWN_WINDOW);
  m.attr("ERR_NOT_AVAILABLE") = static_cast<int>(JT_ERR_NOT_AVAILABLE);
  m.attr("ERR_BUFFER_FULL") = static_cast<int>(JT_ERR_BUFFER_FULL);

  m.def(
      "_set_error_type",
      [](py::object type) {
        if (!PyType_Check(type.ptr()) || PyObject_IsSubclass(type.ptr(), PyExc_Exception) != 1) {
          throw py::type_error("the error type must be an Exception subclass");
        }
        Py_XDECREF(g_error_type);
        g_error_type = type.release().ptr();
      },
      py::arg("type"), "Sets the exception class raised for a failed C API call.");
  m.def("init", &init, py::arg("interval_s"), py::arg("sysfs_root"), py::arg("dev_root"),
        py::arg("nvml_library"), py::arg("measure_in_process"), py::arg("strict"), "jt_init");
  m.def(
      "unavailable_reason",
      []() -> std::optional<std::string> {
        const char* reason = jt_energy_unavailable_reason();
        if (reason == nullptr) return std::nullopt;
        return std::string(reason);
      },
      "jt_energy_unavailable_reason: None when windows are measured in this process");
  m.def("shutdown", &shutdown, "jt_shutdown");
  m.def(
      "mode", [] { return static_cast<int>(jt_current_mode()); }, "jt_current_mode");
  m.def("begin", &begin, py::arg("name"), "jt_window_begin: returns the window id");
  m.def("end", &end, py::arg("window"),
        "jt_window_end: the measurement as a dict, or None under a parent `jouletrace run`");
  m.def("add_items", &add_items, py::arg("window"), py::arg("count"), "jt_window_add_items");
  m.def("dropped_markers", &jt_dropped_markers, "jt_dropped_markers");
}
