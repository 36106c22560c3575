/* avowd service claims and token issuance (token_claims.c): the claims the
 * service puts in every token, the attestation token body, and signing into
 * MAA's {"token": JWT} response.
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

/* Adds iss, iat, nbf, exp (= iat + lifetime), jti (real clock). */
avow_err avowd_claims_add_std(avowd *d, avow_claims *cs, int64_t lifetime, avow_error *err);
/* Responds 200 {"token": JWT of cs} signed with the active key, or unsigned
 * (alg none) for draft-policy results. */
int avowd_respond_token(avowd_req *r, const avow_claims *cs, bool unsigned_token);
/* The attestation token body (see token_claims.c). */
avow_err avowd_attest_claims(avowd *d, const avow_claims *incoming, const avow_policy_result *pr,
                             const avowd_pol *pol, const char *nonce, avow_claims **out,
                             avow_error *err);
