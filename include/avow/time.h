/* Time as an input: every verification takes its "now" from the caller, so
 * any verification can be replayed exactly. Unix seconds (UTC) throughout.
 * Thread-safe: no state. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t avow_time; /* seconds since 1970-01-01T00:00:00Z */

/* Parses unix seconds ("1751624924") or RFC 3339 ("2025-07-04T10:28:44Z",
 * fractional seconds and numeric offsets accepted). */
avow_err avow_time_parse(const char *s, avow_time *out, avow_error *err);

/* Parses exactly `len` bytes of an RFC 3339 / ISO 8601 UTC date-time as used by
 * Intel collateral ("2025-06-19T10:56:11Z"). */
avow_err avow_time_parse_rfc3339(const char *s, size_t len, avow_time *out, avow_error *err);

/* Formats as "YYYY-MM-DDTHH:MM:SSZ" into `out` (at least 21 bytes). */
void avow_time_format(avow_time t, char out[21]);

/* Days since the epoch <-> civil date, proleptic Gregorian (no libc TZ use). */
avow_time avow_time_from_civil(int year, int month, int day, int hour, int min, int sec);

/* The wall clock (for defaults only; libavow never calls it itself). */
avow_time avow_time_now(void);

#ifdef __cplusplus
}
#endif
