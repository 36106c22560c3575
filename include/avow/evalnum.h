/* TCB evaluation data numbers: Intel's signed list of the evaluation numbers
 * it still serves collateral for, with the date of each TCB recovery event
 * (docs/verification.md A13). Intel's PCS answers
 *
 *   GET /sgx|tdx/certification/v4/tcbevaluationdatanumbers
 *   {"tcbEvaluationDataNumbers":{"id":"SGX","version":1,"issueDate":...,
 *    "nextUpdate":...,"tcbEvalNumbers":[{"tcbEvaluationDataNumber":17,
 *    "tcbRecoveryEventDate":"...","tcbDate":"..."},...]},"signature":"hex"}
 *
 * with header TCB-Evaluation-Data-Numbers-Issuer-Chain; the signature is the
 * TCB Signing key's over the exact bytes of the inner object, like TCB Info.
 *
 * Here: the parser (bytes in, numbers out) and the raw form kept and served.
 * The check of a document against a verifier's roots (the very chain and
 * signature checks TCB Info gets) and the days since a TCB recovery are the
 * verifier's (verify.h: avow_evalnums_check, avow_days_since_tcb_recovery).
 * Thread-safety: no shared state; a verifier may be shared (verify.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"
#include "avow/tcb.h"
#include "avow/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many numbers in one document (Intel lists about ten). */
#define AVOW_EVALNUM_MAX 256

typedef struct {
    int number;              /* tcbEvaluationDataNumber */
    avow_time recovery_date; /* tcbRecoveryEventDate */
    avow_time tcb_date;      /* tcbDate */
} avow_evalnum_entry;

typedef struct {
    uint32_t tee_type; /* AVOW_TEE_SGX ("id":"SGX") or AVOW_TEE_TDX ("TDX") */
    int version;       /* 1 */
    avow_time issue_date, next_update;
    avow_evalnum_entry *entries; /* ascending by number, numbers unique */
    size_t n_entries;
} avow_evalnums;

void avow_evalnums_free(avow_evalnums *d);

/* Parses the signed inner object (the exact bytes of tcbEvaluationDataNumbers'
 * value). AVOW_ERR_FORMAT naming the JSON path ("tcbEvaluationDataNumbers.
 * tcbEvalNumbers[2].tcbDate: ...") on anything malformed, a duplicate number
 * or more than AVOW_EVALNUM_MAX entries. */
avow_err avow_evalnums_parse(const char *json, size_t len, avow_evalnums *out, avow_error *err);

/* The entry of `number`, or NULL. */
const avow_evalnum_entry *avow_evalnums_find(const avow_evalnums *d, int number);
/* The highest number listed (0 when none). */
int avow_evalnums_newest(const avow_evalnums *d);

/* A document as served and kept: the exact signed span, its signature, the
 * issuer chain (PEM). */
typedef struct {
    char *signed_json; /* exact bytes of the inner object, NUL-terminated */
    size_t signed_len;
    uint8_t sig[64];
    char *issuer_chain; /* PEM */
} avow_evalnums_raw;

void avow_evalnums_raw_free(avow_evalnums_raw *r);

/* Splits a response body `{"tcbEvaluationDataNumbers":{...},"signature":"hex"}`
 * into `out` (copies) and takes `chain_pem` (copied; may be NULL, then the
 * check below fails). */
avow_err avow_evalnums_raw_from_body(const char *body, size_t len, const char *chain_pem,
                                     avow_evalnums_raw *out, avow_error *err);
/* The body again, byte-exact around the signed span (malloc'd). */
avow_err avow_evalnums_raw_to_body(const avow_evalnums_raw *r, char **out, avow_error *err);

#ifdef __cplusplus
}
#endif
