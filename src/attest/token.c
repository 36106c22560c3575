/* The claim set of an attestation token (attest_int.h): what avowd signs and
 * `avow policy eval` prints as token_claims, built once here so the two can
 * never disagree (docs/maa.md §2.2).
 * Thread-safe: no state. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attest/attest_int.h"

bool avow_attest_claim_reserved(const char *t)
{
    static const char *const names[] = {
        "iss",     "iat",    "nbf",        "exp",     "jti",
        "nonce",   "cnf",    "maa-ehd",    "aas-ehd", "maa-attestationcollateral",
        "dbgstat", "intuse", "eat_profile"};
    /* the service's names: MAA's x-ms-*, Avow's x-avow-*, the TDX profile's
     * tdx_* and attester_* (docs/maa.md §2.2) */
    if (!strncmp(t, "x-ms-", 5) || !strncmp(t, "x-avow-", 7) || !strncmp(t, "tdx_", 4) ||
        !strncmp(t, "attester_", 9))
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(t, names[i])) return true;
    return false;
}

/* The service's claims of the incoming set, MAA's deprecated copies beside
 * them, and the advisory IDs (`adv`: one claim each in the incoming set, so
 * a policy can test each) as one array. */
static avow_err service_claims(const avow_claims *incoming, const char *adv, avow_claims *cs)
{
    json_t *adv_arr = json_array();
    if (!adv_arr) return AVOW_ERR_NOMEM;
    avow_err e = AVOW_OK;
    size_t n = avow_claims_count(incoming);
    for (size_t i = 0; i < n && e == AVOW_OK; i++) {
        const avow_claim *c = avow_claims_at(incoming, i);
        if (c->type[0] == '$') continue;
        if (!strcmp(c->type, adv)) {
            if (c->value.kind == AVOW_CLAIM_STRING &&
                json_array_append_new(adv_arr, json_string(c->value.str)))
                e = AVOW_ERR_NOMEM;
            continue;
        }
        e = avow_claims_add(cs, c);
        const char *alias[2] = {NULL, NULL};
        if (!strcmp(c->type, "x-ms-sgx-ehd")) {
            alias[0] = "maa-ehd";
            alias[1] = "aas-ehd";
        } else if (!strcmp(c->type, "x-ms-sgx-collateral")) {
            alias[0] = "maa-attestationcollateral";
        }
        for (int k = 0; k < 2 && alias[k] && e == AVOW_OK; k++) {
            avow_claim copy = *c;
            copy.type = alias[k];
            e = avow_claims_add(cs, &copy);
        }
    }
    char *ids = e == AVOW_OK ? json_dumps(adv_arr, JSON_COMPACT) : NULL;
    json_decref(adv_arr);
    if (e == AVOW_OK && !ids) e = AVOW_ERR_NOMEM;
    if (e == AVOW_OK) e = avow_claims_add_json(cs, adv, ids, AVOW_ISSUER_SERVICE);
    free(ids);
    return e;
}

avow_err attest_token_claims(avow_attestation *a, const avow_attest_request *req,
                             const char *signer_jwk, avow_error *err)
{
    avow_claims *cs = avow_claims_new();
    const char *adv =
        req->type == AVOW_ATTEST_TDX_VM ? "x-avow-tdx-advisory-ids" : "x-avow-sgx-advisory-ids";
    avow_err e = cs ? service_claims(a->incoming, adv, cs) : AVOW_ERR_NOMEM;
    if (e == AVOW_OK)
        e = avow_claims_add_string(cs, "x-ms-policy-hash", a->policy_hash, AVOW_ISSUER_SERVICE);
    if (e == AVOW_OK && signer_jwk)
        e = avow_claims_add_json(cs, "x-ms-policy-signer", signer_jwk, AVOW_ISSUER_SERVICE);
    if (e == AVOW_OK && req->nonce)
        e = avow_claims_add_string(cs, "nonce", req->nonce, AVOW_ISSUER_SERVICE);
    /* what the policy issued, at top level as MAA does */
    size_t ni = a->policy.issued ? avow_claims_count(a->policy.issued) : 0;
    for (size_t i = 0; i < ni && e == AVOW_OK; i++) {
        const avow_claim *c = avow_claims_at(a->policy.issued, i);
        if (!avow_attest_claim_reserved(c->type)) e = avow_claims_add(cs, c);
    }
    if (e != AVOW_OK) {
        avow_claims_free(cs);
        return avow_error_set(err, e, AVOW_NO_OFFSET, "building the token's claims failed: %s",
                              avow_err_name(e));
    }
    a->token = cs;
    return AVOW_OK;
}
