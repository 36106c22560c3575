/* Error codes shared by every libavow function, and an error detail that says
 * what went wrong and where (field name and byte offset for parsers).
 * Thread-safe: plain values, no global state. */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Few on purpose: the trace (trace.h) and the detail message explain. */
typedef enum {
    AVOW_OK = 0,
    AVOW_ERR_ARG,         /* caller passed something unusable */
    AVOW_ERR_FORMAT,      /* malformed input: truncated, bad length, bad JSON/DER/PEM */
    AVOW_ERR_UNSUPPORTED, /* well-formed but not supported (e.g. TDX verify, cert type 3) */
    AVOW_ERR_SIGNATURE,   /* a signature or MAC does not verify */
    AVOW_ERR_CHAIN,       /* chain of trust broken: issuer, untrusted root, wrong CA */
    AVOW_ERR_REVOKED,     /* a certificate or TCB level is revoked */
    AVOW_ERR_EXPIRED,     /* outside a validity window at the verification time */
    AVOW_ERR_MISMATCH,    /* evidence does not match collateral (FMSPC, QE identity, ...) */
    AVOW_ERR_NOT_FOUND,   /* a looked-up item is absent */
    AVOW_ERR_IO,          /* file, network or database failure */
    AVOW_ERR_NOMEM,
    AVOW_ERR_INTERNAL, /* a library bug or an OpenSSL failure that should not happen */
    AVOW_ERR_AGAIN,    /* not ready yet (a fetch under way, or too many): ask again later */
} avow_err;

/* Stable lower-case name of a code, e.g. "format". Never NULL. */
const char *avow_err_name(avow_err code);

/* Detail of the last failure of a call that takes an `avow_error *`.
 * `offset` is the byte offset in the input where the problem is, or
 * AVOW_NO_OFFSET. `msg` names the field and the reason, e.g.
 * "quote.auth_data_size: 4096 exceeds the 3160 bytes left". */
#define AVOW_NO_OFFSET ((size_t)-1)
typedef struct {
    avow_err code;
    size_t offset;
    char msg[256];
} avow_error;

/* Fills `e` (which may be NULL) and returns `code`; printf-style message. */
avow_err avow_error_set(avow_error *e, avow_err code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefixes e->msg with "what: " (for context as an error travels up). */
void avow_error_prefix(avow_error *e, const char *what);

void avow_error_clear(avow_error *e);

#ifdef __cplusplus
}
#endif
