/* Helpers of the C tests that use the simulated platform (sim/sim.h): a
 * platform issued at a time, a verifier trusting its root, a quote of a fixed
 * enclave, and the store the store tests use (AVOW_TEST_STORE, else a fresh SQLite
 * folder). Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "avow/verify.h"
#include "sim/sim.h"
#include "store/store.h"

/* A new platform with the default options issued at `now`; fails the test
 * if it cannot be made. */
avow_sim_platform *tu_sim_platform(avow_time now);

/* A verifier trusting Intel's root and `p`'s simulated root. */
avow_verifier *tu_sim_verifier(const avow_sim_platform *p);

/* An SGX v3 quote (malloc'd) of a fixed simulated enclave (MRENCLAVE 42..,
 * MRSIGNER 43.., 64-bit) on `p`, REPORTDATA zero. */
void tu_sim_quote(const avow_sim_platform *p, uint8_t **quote, size_t *len);

/* Opens the store at `location`; fails the test if it cannot. */
avow_store *tu_store_open(const char *location);

/* The store the store tests open: $AVOW_TEST_STORE (a directory or a
 * postgresql:// URI) when set, else "<fresh temporary folder>/data"; true
 * in the second case (the caller removes the folder: tu_store_cleanup). */
bool tu_store_location(char *out, size_t n);
void tu_store_cleanup(const char *location);
