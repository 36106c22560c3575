/* avowd token issuance (token_claims.c): the claims the signer adds to every
 * token and signing into MAA's {"token": JWT} response (the rest of an
 * attestation token's claims come from libavow, attest.h).
 * Thread-safety: no state; the signer snapshot is refcounted. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "avow/claims.h"
#include "avow/err.h"
#include "avow/policy.h"
#include "server/policies.h"
#include "server/request.h"
#include "server/service.h"

#define ATTEST_TOKEN_LIFETIME 28800 /* 8 h, as MAA */

/* Adds iss, iat, nbf, exp (= iat + lifetime), jti (real clock). */
avow_err avowd_claims_add_std(avowd *d, avow_claims *cs, int64_t lifetime, avow_error *err);
/* Responds 200 {"token": JWT of cs} signed with the active key, or unsigned
 * (alg none) for draft-policy results. */
int avowd_respond_token(avowd_req *r, const avow_claims *cs, bool unsigned_token);
