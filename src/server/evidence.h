/* avowd evidence intake (evidence.c): the parsed MAA attest request and the
 * runtimeData / initTimeData bindings. Thread-safety: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"
#include "avow/quote.h"

typedef struct {
    bool present;
    bool is_json;  /* dataType "JSON" */
    uint8_t *data; /* decoded bytes */
    size_t len;
    char *json; /* compact JSON object when is_json (x-ms-runtime / x-ms-inittime) */
} avowd_data;

typedef struct {
    uint8_t *evidence; /* decoded quote (SGX) or OE report */
    size_t evidence_len;
    const uint8_t *quote; /* the SGX quote inside `evidence` */
    size_t quote_len;
    avowd_data runtime, inittime;
    char *draft_policy; /* draftPolicyForAttestation text, or NULL */
    size_t draft_len;
    char *nonce; /* or NULL */
} avowd_evidence;

void avowd_evidence_init(avowd_evidence *ev);
void avowd_evidence_free(avowd_evidence *ev);

/* Parses the request body of POST /attest/SgxEnclave (open_enclave false:
 * "quote") or /attest/OpenEnclave ("report", unwrapped). AVOW_ERR_FORMAT with
 * a message naming the member on any problem. */
avow_err avowd_evidence_parse(const uint8_t *body, size_t len, bool open_enclave,
                              avowd_evidence *ev, avow_error *err);

/* MAA's bindings (AVOW_ERR_MISMATCH with both digests in the message). */
avow_err avowd_evidence_bind(const avowd_evidence *ev, const avow_quote *q, avow_error *err);
