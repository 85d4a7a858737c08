// SPDX-License-Identifier: BSD-3-Clause
/* jouletrace C API: mark phases of a program (training, inference, an epoch ...) and count the
 * items they process, so that energy can be reported per phase and per item.
 *
 * Under `jouletrace run` the markers go to the parent, which puts them on the run's timeline.
 * Without a parent the library samples the node's sensors itself and a window's energy can be
 * read back in-process. Marker calls only take a timestamp and append to a lock-free buffer.
 * No C++ exception crosses this API; every call returns a status. Thread-safe. */
#ifndef JOULETRACE_JOULETRACE_H_
#define JOULETRACE_JOULETRACE_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JT_API_VERSION 2

typedef enum jt_status {
  JT_OK = 0,
  JT_ERR_INVALID_ARGUMENT = 1,
  JT_ERR_NOT_INITIALIZED = 2,
  JT_ERR_UNKNOWN_WINDOW = 3, /* never begun, already ended, or too old to be remembered */
  JT_ERR_NOT_AVAILABLE = 4,  /* JT_INIT_STRICT only: the window's energy is unknown here */
  JT_ERR_BUFFER_FULL = 5,    /* the marker was dropped (and counted): the flusher fell behind */
  JT_ERR_VERSION = 6,        /* a struct_size this library does not know */
  JT_ERR_INTERNAL = 99
} jt_status;

typedef enum jt_mode {
  JT_MODE_UNINITIALIZED = 0,
  JT_MODE_PARENT = 1, /* markers go to `jouletrace run` through JOULETRACE_MARKERS */
  JT_MODE_SELF = 2    /* this process samples the sensors and measures its own windows */
} jt_mode;

/* Sample in this process even under `jouletrace run` (markers still reach the parent). */
#define JT_INIT_MEASURE_IN_PROCESS 0x1u
/* jt_window_end returns JT_ERR_NOT_AVAILABLE when a window's energy is unknown in this process
 * (no readable sensor, or the energy is in the parent's report). Without it the window ends with
 * JT_OK and energy_known = 0: measuring never breaks the program measured. */
#define JT_INIT_STRICT 0x2u
/* Do not print the one stderr line jt_init writes when no sensor is readable in this process
 * (for wrappers that report it their own way, such as the Python module). */
#define JT_INIT_QUIET 0x4u

typedef struct jt_options {
  uint32_t struct_size;     /* sizeof(jt_options): lets later versions add fields */
  uint32_t flags;           /* JT_INIT_* */
  double interval_s;        /* self-measurement sampling interval; 0: 0.1 s */
  const char* sysfs_root;   /* NULL: "/sys" */
  const char* dev_root;     /* NULL: "/dev" */
  const char* nvml_library; /* NULL: $JOULETRACE_NVML_LIBRARY, then "libnvidia-ml.so.1" */
} jt_options;

/* A window: a named interval, nestable and overlapping. 0 is never a valid window. */
typedef uint64_t jt_window;

#define JT_MAX_COMPONENTS 32
#define JT_ID_LENGTH 96
#define JT_PROVENANCE_LENGTH 128

/* Unknown is never 0: an energy that is not known is NaN (test with isnan()) and its
 * energy_known is 0. */
typedef struct jt_component_energy {
  char id[JT_ID_LENGTH]; /* "powercap/intel-rapl:0", "nvml/GPU-...", "model/cpu" */
  char domain[16];       /* package, core, uncore, dram, psys, gpu, node, other */
  char method[20];       /* counter, power-integrated, model, none */
  double energy_j;       /* NaN when unknown */
  double uncertainty_j;  /* NaN when the energy is unknown */
  int32_t in_total;      /* 1 when part of the non-overlapping cover that makes energy_j */
  int32_t energy_known;  /* 1 when energy_j is measured or estimated */
  uint64_t samples;      /* readings inside the window */
  double covered_s;      /* the part of the window the readings cover */
  char provenance[JT_PROVENANCE_LENGTH]; /* the sensor's file or API */
} jt_component_energy;

typedef struct jt_measurement {
  uint32_t struct_size; /* sizeof(jt_measurement) */
  double start_s;       /* seconds since jt_init */
  double duration_s;
  double energy_j;      /* total over the non-overlapping cover of the node; NaN when unknown */
  double uncertainty_j; /* NaN when the energy is unknown */
  char method[20];      /* counter, power-integrated, model, mixed, none */
  uint64_t items;
  double energy_per_item_j; /* NaN when items is 0 or the energy is unknown */
  int32_t short_window;     /* 1: shorter than 10 update periods of a sensor; see uncertainty */
  int32_t energy_known;     /* 1 when energy_j is measured or estimated; 0: see note */
  char note[160];           /* why the energy is unknown; empty when it is known */
  uint32_t component_count;
  jt_component_energy components[JT_MAX_COMPONENTS];
  uint64_t samples; /* readings of the total's components inside the window */
  double covered_s; /* the part of the window every component of the total covers */
} jt_measurement;

/* Starts the library. options may be NULL. Calling it again is harmless (JT_OK). */
jt_status jt_init(const jt_options* options);
/* Flushes pending markers and stops the sampler. Windows still open are dropped. */
jt_status jt_shutdown(void);
jt_mode jt_current_mode(void);

jt_status jt_window_begin(const char* name, jt_window* out);
/* Ends the window. With out != NULL, fills what is known of it: in JT_MODE_SELF its energy;
 * under a parent `jouletrace run` (without JT_INIT_MEASURE_IN_PROCESS), or when no sensor is
 * readable, energy_known = 0 with the reason in note, and JT_OK (JT_ERR_NOT_AVAILABLE with
 * JT_INIT_STRICT). */
jt_status jt_window_end(jt_window window, jt_measurement* out);
/* NULL when this process measures the energy of its windows; otherwise why not (the parent
 * `jouletrace run` has it, or no sensor is readable here). Valid until jt_shutdown. */
const char* jt_energy_unavailable_reason(void);
/* Adds processed items (samples, images, tokens) to an open window. */
jt_status jt_window_add_items(jt_window window, uint64_t count);

/* Markers dropped because the buffer was full, since jt_init. */
uint64_t jt_dropped_markers(void);
/* Markers that left the buffer but could not be written to the parent (it exited, or stopped
 * reading for 2 s at shutdown), since jt_init. After the first failed write no more are sent. */
uint64_t jt_unsent_markers(void);
/* What went wrong in the calling thread's last failed call; never NULL. */
const char* jt_last_error(void);
const char* jt_status_string(jt_status status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* JOULETRACE_JOULETRACE_H_ */
