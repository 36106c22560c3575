/* Reading whole files, for the programs and the simulated platform's folder.
 * The library's verification code never touches files; this is the one
 * place that does the read loop. Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "avow/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads all of `f` into a malloc'd buffer with a NUL after the last byte.
 * More than `max` bytes (0 = no limit) is an error. With `secret`, every
 * buffer given up while growing, and the buffer on failure, is wiped first
 * (keys must not linger in freed memory). `what` names the source in errors. */
avow_err avow_file_read_stream(FILE *f, const char *what, size_t max, bool secret, uint8_t **out,
                               size_t *len, avow_error *err);

/* The same for a path; "path: reason" in errors. */
avow_err avow_file_read(const char *path, size_t max, bool secret, uint8_t **out, size_t *len,
                        avow_error *err);

#ifdef __cplusplus
}
#endif
