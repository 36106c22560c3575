/* avowd internals shared by the attestation and policy routes: the current
 * compiled policy per attestation type (policies.c) and token issuance
 * (token_claims.c). Thread-safety: avowd_pol snapshots are immutable and
 * refcounted; see each function. */
#pragma once

#include "avow/claims.h"
#include "avow/policy.h"
#include "server/server.h"

/* One attestation type's policy as in force: compiled once, immutable. */
typedef struct avowd_pol {
    atomic_int refs;
    const avow_policy *policy; /* == owned, or the built-in default */
    avow_policy *owned;
    char *jws;           /* stored JWS; NULL for the default policy */
    char *signer_pem;    /* the policy's signing certificate, or NULL */
    char *signer_jwk;    /* {"kty","x5c"} for x-ms-policy-signer, or NULL */
    char store_hash[48]; /* b64url(SHA-256(jws)) as stored; "" for the default */
} avowd_pol;

/* Index of a supported attestation type ("SgxEnclave" 0, "OpenEnclave" 1,
 * case-insensitive), or -1. */
int avowd_policy_type_index(const char *type);
/* The policy in force for a type index; release with avowd_pol_put. */
avowd_pol *avowd_pol_get(avowd *d, int type_index);
void avowd_pol_put(avowd_pol *p);

#define ATTEST_TOKEN_LIFETIME 28800 /* 8 h, as MAA */

/* Adds iss, iat, nbf, exp (= iat + lifetime), jti (real clock). */
avow_err avowd_claims_add_std(avowd *d, avow_claims *cs, int64_t lifetime, avow_error *err);
/* Responds 200 {"token": JWT of cs} signed with the active key, or unsigned
 * (alg none) for draft-policy results. */
int avowd_respond_token(avowd_req *r, const avow_claims *cs, bool unsigned_token);
