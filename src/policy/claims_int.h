/* Internal layout of an avow_claims set (include/avow/claims.h), shared by the
 * files of src/policy that need direct, allocation-free access (the policy
 * evaluator). Not part of the API. Not thread-safe for writes. */
#pragma once

#include "avow/claims.h"

struct avow_claims {
    avow_claim *v; /* each claim owns its type and value.str */
    size_t n, cap;
};

/* The token body as jansson writes it (avow_claims_to_json without its fast
 * path): the reference that path must equal, byte for byte
 * (tests/fuzz/fuzz_claims_json.c). */
avow_err avow_claims_to_json_jansson(const avow_claims *cs, char **out, avow_error *err);
