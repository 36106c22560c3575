/* Claims: the typed {type, value, valueType, issuer} records that MAA policies
 * read and that attestation tokens carry; an ordered claim set; the incoming
 * claims minted from a verified SGX quote (both MAA naming schemes plus Avow's
 * own TCB claims); and the token-body serializer.
 * Reference: docs/maa.md §2.2 (token claims), §3.3-§3.4.
 *
 * Values are String, Integer, Boolean, or JSON (an object or array kept as
 * compact JSON text, e.g. x-ms-sgx-collateral, x-ms-runtime). No jansson type
 * appears here.
 *
 * Thread-safety: a claim set is a plain value: not locked. Concurrent reads of
 * one set are fine; writes need the caller's exclusion. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    AVOW_CLAIM_STRING = 0,
    AVOW_CLAIM_INTEGER,
    AVOW_CLAIM_BOOLEAN,
    AVOW_CLAIM_JSON, /* object or array, compact JSON text in `str` */
} avow_claim_kind;

/* The valueType a policy sees: "String", "Integer", "Boolean"; a JSON claim is
 * "String" (MAA represents JSON values as String claims holding the JSON
 * text, and policy comparisons treat it so). Never NULL. */
const char *avow_claim_kind_name(avow_claim_kind k);

typedef enum {
    AVOW_ISSUER_CUSTOM = 0, /* "CustomClaim": supplied by the attester (MAA's default) */
    AVOW_ISSUER_SERVICE,    /* "AttestationService": minted by the service from evidence */
    AVOW_ISSUER_POLICY,     /* "AttestationPolicy": added by a policy rule */
} avow_claim_issuer;

/* "CustomClaim", "AttestationService", "AttestationPolicy". Never NULL. */
const char *avow_claim_issuer_name(avow_claim_issuer i);

typedef struct {
    avow_claim_kind kind;
    const char *str; /* STRING: UTF-8 text (may contain no NUL); JSON: compact JSON text */
    int64_t integer; /* INTEGER */
    bool boolean;    /* BOOLEAN */
} avow_claim_value;

typedef struct {
    const char *type;
    avow_claim_value value;
    avow_claim_issuer issuer;
} avow_claim;

/* An ordered list of claims; the same type may occur several times (e.g.
 * x-avow-sgx-advisory-ids, one claim per ID). Owns copies of all strings. */
typedef struct avow_claims avow_claims;

avow_claims *avow_claims_new(void); /* NULL on allocation failure */
void avow_claims_free(avow_claims *cs);
/* A deep copy; NULL on allocation failure. */
avow_claims *avow_claims_copy(const avow_claims *cs);

/* Append one claim (strings are copied). AVOW_ERR_ARG for a NULL/empty type,
 * AVOW_ERR_FORMAT when add_json's text is not a JSON object or array (the
 * stored text is re-serialized compactly). */
avow_err avow_claims_add(avow_claims *cs, const avow_claim *c);
avow_err avow_claims_add_string(avow_claims *cs, const char *type, const char *value,
                                avow_claim_issuer issuer);
avow_err avow_claims_add_int(avow_claims *cs, const char *type, int64_t value,
                             avow_claim_issuer issuer);
avow_err avow_claims_add_bool(avow_claims *cs, const char *type, bool value,
                              avow_claim_issuer issuer);
avow_err avow_claims_add_json(avow_claims *cs, const char *type, const char *json,
                              avow_claim_issuer issuer);
/* Appends every claim of `src` to `dst`, in order. */
avow_err avow_claims_add_all(avow_claims *dst, const avow_claims *src);
/* Removes every claim of this type; returns how many were removed. */
size_t avow_claims_remove(avow_claims *cs, const char *type);

/* Iteration in insertion order: for (i = 0; i < count; i++) at(cs, i). */
size_t avow_claims_count(const avow_claims *cs);
const avow_claim *avow_claims_at(const avow_claims *cs, size_t i);

/* The first claim of `type` at index >= *pos (start with *pos = 0); on a hit
 * *pos is set past it, so a loop visits every claim of that type. NULL when
 * there is none. `pos` may be NULL (then: the first claim of that type). */
const avow_claim *avow_claims_find(const avow_claims *cs, const char *type, size_t *pos);

/* Equality of two values: same kind and same value (JSON: same text). */
bool avow_claim_value_equal(const avow_claim_value *a, const avow_claim_value *b);

/* Token body: one JSON object, one key per type, keys sorted; a type that
 * occurs more than once becomes an array of its values in order. String ->
 * JSON string, Integer -> number, Boolean -> true/false, JSON -> embedded.
 * `*out` is malloc'd and NUL-terminated. */
avow_err avow_claims_to_json(const avow_claims *cs, char **out, avow_error *err);

/* The reverse (e.g. a token body or x-ms-runtime): each member becomes one
 * claim of the given issuer; an array becomes one claim per element when
 * `split_arrays` (objects and nested arrays stay JSON); reals are refused. */
avow_err avow_claims_from_json(const char *json, size_t len, avow_claim_issuer issuer,
                               bool split_arrays, avow_claims **out, avow_error *err);

#ifdef __cplusplus
}
#endif
