/* Helpers shared by the C tests: locating and reading the real evidence in
 * tests/vectors/data and other repository test data. Tests get paths from the
 * environment CTest sets: AVOW_VECTORS (tests/vectors/data), AVOW_SOURCE
 * (repo root), AVOW_BUILD, AVOW_BIN (the avow CLI). Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "$AVOW_VECTORS/<rel>", rel relative to tests/vectors/data (for example
 * "dcap/P1-phala-sgx-v3/quote.bin"), as a malloc'd string. Fails the test if
 * AVOW_VECTORS is unset. tu_source_path: the same under the repository root. */
char *tu_vector_path(const char *rel);
char *tu_source_path(const char *rel);

/* Reads a whole file; fails the current test (cmocka fail_msg) if it cannot. */
uint8_t *tu_read_file(const char *path, size_t *len);
uint8_t *tu_read_vector(const char *rel, size_t *len);
uint8_t *tu_read_source(const char *rel, size_t *len);

/* Runs a shell command, captures stdout (malloc'd) and returns the exit code. */
int tu_run(const char *cmd, char **out);
