/* Internal: strict typed access to jansson values for the collateral parsers.
 * Every failure is AVOW_ERR_FORMAT with a message that starts with the JSON
 * path of the offending value ("tcbInfo.tcbLevels[3].tcb.pcesvn: ...").
 * `path` arguments name the object that holds `key`. Thread-safe: no state. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"
#include "avow/tcb.h"
#include "avow/time.h"

/* Room for any path these parsers build. */
#define JF_PATH_MAX 160

/* snprintf into a path buffer of JF_PATH_MAX bytes (truncates silently). */
void jf_pathf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses `json[0..len)` strictly (duplicate keys, trailing data, NUL and bad
 * UTF-8 rejected) and requires an object. `what` names it in messages. */
avow_err jf_load_object(const char *json, size_t len, const char *what, json_t **out,
                        avow_error *err);
/* jf_load_object, then `parse` of the object into `out`; when that fails,
 * `release(out)` (a parser's whole life cycle in one call). */
avow_err jf_parse_with(const char *json, size_t len, const char *what,
                       avow_err (*parse)(json_t *root, void *out, avow_error *err), void *out,
                       void (*release)(void *out), avow_error *err);

/* Member `key` of `obj`: required object / array / string / unsigned integer.
 * Arrays may be required non-empty. Integers must be JSON integers (no
 * fraction or exponent) in [0, max]. */
avow_err jf_object(json_t *obj, const char *path, const char *key, json_t **out, avow_error *err);
avow_err jf_array(json_t *obj, const char *path, const char *key, bool nonempty, json_t **out,
                  avow_error *err);
avow_err jf_string(json_t *obj, const char *path, const char *key, const char **s, size_t *len,
                   avow_error *err);
avow_err jf_uint(json_t *obj, const char *path, const char *key, uint64_t max, uint64_t *out,
                 avow_error *err);

/* A string of exactly 2*n hex digits (either case), decoded into out[n]. */
avow_err jf_hex(json_t *obj, const char *path, const char *key, uint8_t *out, size_t n,
                avow_error *err);
/* An RFC 3339 date-time string. */
avow_err jf_date(json_t *obj, const char *path, const char *key, avow_time *out, avow_error *err);
/* A TCB status string; `allowed` limits it (bit (1 << status)). */
avow_err jf_status(json_t *obj, const char *path, const char *key, unsigned allowed,
                   avow_tcb_status *out, avow_error *err);
#define JF_STATUS_BIT(s) (1u << (s))
#define JF_TCB_STATUSES                                                                 \
    (JF_STATUS_BIT(AVOW_TCB_UP_TO_DATE) | JF_STATUS_BIT(AVOW_TCB_SW_HARDENING_NEEDED) | \
     JF_STATUS_BIT(AVOW_TCB_CONFIGURATION_NEEDED) |                                     \
     JF_STATUS_BIT(AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED) |                    \
     JF_STATUS_BIT(AVOW_TCB_OUT_OF_DATE) |                                              \
     JF_STATUS_BIT(AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) | JF_STATUS_BIT(AVOW_TCB_REVOKED))
#define JF_IDENTITY_STATUSES                                                    \
    (JF_STATUS_BIT(AVOW_TCB_UP_TO_DATE) | JF_STATUS_BIT(AVOW_TCB_OUT_OF_DATE) | \
     JF_STATUS_BIT(AVOW_TCB_REVOKED))

/* Optional `advisoryIDs`: absent gives (NULL, 0); else an array of strings,
 * copied into a malloc'd array of malloc'd strings. */
avow_err jf_advisories(json_t *obj, const char *path, char ***ids, size_t *n, avow_error *err);
void jf_free_strings(char **v, size_t n);

/* An optional member that, when present, must be a string. */
avow_err jf_opt_string(json_t *obj, const char *path, const char *key, avow_error *err);

/* Enclave-identity style levels ([{tcb:{isvsvn}, tcbDate, tcbStatus,
 * advisoryIDs?}], non-empty), isvsvn in [0, max_isvsvn], sorted descending
 * by isvsvn; equal isvsvn twice is an error. `path` names the array. */
avow_err jf_identity_levels(json_t *arr, const char *path, uint64_t max_isvsvn, avow_qe_level **out,
                            size_t *n_out, avow_error *err);
void jf_free_identity_levels(avow_qe_level *levels, size_t n);

/* The TEE of a TCB Info object: AVOW_TEE_TDX for id "TDX", else
 * AVOW_TEE_SGX (v2 has no id). Fails only if it is not a JSON object. */
avow_err jf_tee_type(const char *tcb_info, size_t len, uint32_t *tee, avow_error *err);

/* Describes a JSON value's type for messages ("a number with a fraction"). */
const char *jf_type_name(const json_t *v);
