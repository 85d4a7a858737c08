// SPDX-License-Identifier: BSD-3-Clause
/* A program outside the jouletrace tree, built against an installed prefix by
 * tests/install/consumers_test.sh, once with CMake's find_package and once with pkg-config.
 * argv[1]: an empty sysfs tree, so that no sensor of the test machine is probed. */
#include <jouletrace/jouletrace.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  jt_options options;
  memset(&options, 0, sizeof options);
  options.struct_size = sizeof options;
  options.flags = JT_INIT_QUIET;
  options.sysfs_root = argc > 1 ? argv[1] : NULL;
  options.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  jt_status status = jt_init(&options);
  if (status != JT_OK) {
    fprintf(stderr, "jt_init: %s\n", jt_last_error());
    return 1;
  }
  jt_window window = 0;
  jt_measurement measurement;
  memset(&measurement, 0, sizeof measurement);
  measurement.struct_size = sizeof measurement;
  status = jt_window_begin("consumer", &window);
  if (status == JT_OK) status = jt_window_add_items(window, 3);
  if (status == JT_OK) status = jt_window_end(window, &measurement);
  printf("consumer: api %d, mode %s, window %s, items %llu\n", JT_API_VERSION,
         jt_current_mode() == JT_MODE_SELF ? "self" : "other", jt_status_string(status),
         (unsigned long long)measurement.items);
  jt_shutdown();
  return status == JT_OK ? 0 : 1;
}
