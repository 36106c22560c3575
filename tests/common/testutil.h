/* Helpers shared by the C tests: locating and reading ../shared vectors and
 * repository test data. Tests get paths from the environment CTest sets:
 * AVOW_SHARED (the shared/ folder), AVOW_SOURCE (repo root), AVOW_BUILD,
 * AVOW_BIN (the avow CLI). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "$AVOW_SHARED/<rel>" (static buffer per call site is not needed: returns a
 * malloc'd string). Aborts the test if AVOW_SHARED is unset. */
char *tu_shared_path(const char *rel);
char *tu_source_path(const char *rel);

/* Reads a whole file; fails the current test (cmocka fail_msg) if it cannot. */
uint8_t *tu_read_file(const char *path, size_t *len);
uint8_t *tu_read_shared(const char *rel, size_t *len);
uint8_t *tu_read_source(const char *rel, size_t *len);

/* Runs a shell command, captures stdout (malloc'd) and returns the exit code. */
int tu_run(const char *cmd, char **out);
