/* avowd policies (policies.c): the compiled policy in force per attestation
 * type, and the policy management routes (GET/PUT /policies/{type}, POST
 * /policies/{type}:reset, GET /certificates, POST /certificates:add|remove).
 * Thread-safety: avowd_pol snapshots are immutable and refcounted; the
 * current ones are swapped under a lock; writes are serialised. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>

#include "avow/err.h"
#include "avow/policy.h"
#include "server/request.h"
#include "server/service.h"

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

/* Loads the stored policies (default where none). */
bool avowd_policies_init(avowd *d, avow_error *err);
void avowd_policies_free(avowd *d);
/* Re-reads stored policies (another replica may have changed them). */
void avowd_policies_refresh(avowd *d);

/* Index of a supported attestation type ("SgxEnclave" 0, "OpenEnclave" 1,
 * "TdxVm" 2, case-insensitive), or -1. */
int avowd_policy_type_index(const char *type);
/* The policy in force for a type index; release with avowd_pol_put. */
avowd_pol *avowd_pol_get(avowd *d, int type_index);
void avowd_pol_put(avowd_pol *p);

/* GET/PUT /policies/{type}, POST /policies/{type}:reset. */
int avowd_handle_policy(avowd_req *r, const char *type);
/* GET /certificates, POST /certificates:add|remove. */
int avowd_handle_certificates(avowd_req *r);
