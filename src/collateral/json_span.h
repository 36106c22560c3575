/* Internal: a small validating JSON tokenizer that reports the exact byte span
 * of a top-level member's value, so the signed `tcbInfo` / `enclaveIdentity`
 * bytes of a PCS body can be taken verbatim instead of re-serialised.
 * Thread-safe: no state. */
#pragma once

#include <stddef.h>

#include "avow/err.h"

/* Maximum nesting depth accepted (jansson accepts 2048; Intel collateral
 * needs 5). Deeper input is a format error. */
#define AVOW_JSON_SPAN_MAX_DEPTH 512

/* Checks that `json[0..len)` is exactly one JSON object (surrounding
 * whitespace allowed) whose top-level keys are unique (compared after
 * unescaping), and finds the member named `key`: on success *span points at
 * the first byte of its value inside `json` and *span_len covers the value
 * exactly. AVOW_ERR_NOT_FOUND if the object has no such member;
 * AVOW_ERR_FORMAT (with the byte offset) for malformed JSON. `key` == NULL
 * only validates. */
avow_err avow_json_member_span(const char *json, size_t len, const char *key, const char **span,
                               size_t *span_len, avow_error *err);

/* Checks that `json[0..len)` is exactly one JSON value of any kind with
 * nothing but whitespace around it; *is_object tells whether it is an object
 * (may be NULL). */
avow_err avow_json_validate(const char *json, size_t len, int *is_object, avow_error *err);
