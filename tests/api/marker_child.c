// SPDX-License-Identifier: BSD-3-Clause
/* A C program marking phases, for the API tests: it checks that jouletrace.h is plain C and
 * stands in for a workload under `jouletrace run` (JOULETRACE_MARKERS in its environment).
 *
 *   api_marker_child MODE PAIRS NAME
 *   MODE: shutdown  begin/add_items/end PAIRS times, then jt_shutdown
 *         exit      the same, then return from main without jt_shutdown (the atexit flush)
 * Prints "pid=<pid> dropped=<n> statuses=<non-ok count>" on stdout. */
#define _POSIX_C_SOURCE 200809L /* nanosleep in strict C99 */

#include <jouletrace/jouletrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s shutdown|exit PAIRS NAME\n", argv[0]);
    return 2;
  }
  const int shutdown = strcmp(argv[1], "shutdown") == 0;
  const long pairs = strtol(argv[2], NULL, 10);
  const char* name = argv[3];
  jt_status status = jt_init(NULL);
  if (status != JT_OK) {
    fprintf(stderr, "jt_init: %s: %s\n", jt_status_string(status), jt_last_error());
    return 1;
  }
  if (jt_current_mode() != JT_MODE_PARENT) {
    fprintf(stderr, "expected JT_MODE_PARENT, got %d\n", (int)jt_current_mode());
    return 1;
  }
  long not_ok = 0;
  for (long i = 0; i < pairs; ++i) {
    jt_window w = 0;
    if (jt_window_begin(name, &w) != JT_OK) ++not_ok;
    if (jt_window_add_items(w, (uint64_t)i + 1) != JT_OK) ++not_ok;
    if (jt_window_end(w, NULL) != JT_OK) ++not_ok;
    if (i % 64 == 63) {
      /* Paced like a real program's phases, so the ring never has to drop. */
      const struct timespec pause = {0, 1000000};
      nanosleep(&pause, NULL);
    }
  }
  printf("pid=%ld dropped=%llu statuses=%ld\n", (long)getpid(),
         (unsigned long long)jt_dropped_markers(), not_ok);
  fflush(stdout);
  if (shutdown && jt_shutdown() != JT_OK) return 1;
  return 0;
}
