/* avowd service claims and token issuance: the claims the service itself puts
 * in every token (iss, iat, nbf, exp, jti, nonce, x-ms-policy-hash,
 * x-ms-policy-signer), the attestation token body (service x-ms-sgx-* claims
 * from the incoming set, MAA's deprecated maa-ehd / aas-ehd /
 * maa-attestationcollateral, Avow's x-avow-* claims, then what the policy
 * issued), and signing into MAA's {"token": JWT} response.
 * Thread-safety: no state; the signer snapshot is refcounted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "avow/encode.h"
#include "server/keys.h"
#include "server/token_claims.h"

#define ATTEST_TOKEN_LIFETIME 28800 /* 8 h, as MAA */

avow_err avowd_claims_add_std(avowd *d, avow_claims *cs, int64_t lifetime, avow_error *err)
{
    avow_time now = avow_time_now(); /* tokens keep the real clock even under --clock */
    uint8_t rnd[32];
    char jti[65];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "RAND_bytes failed");
    avow_hex_encode(rnd, sizeof(rnd), jti);
    if (avow_claims_add_string(cs, "iss", d->base_url, AVOW_ISSUER_SERVICE) ||
        avow_claims_add_int(cs, "iat", now, AVOW_ISSUER_SERVICE) ||
        avow_claims_add_int(cs, "nbf", now, AVOW_ISSUER_SERVICE) ||
        avow_claims_add_int(cs, "exp", now + lifetime, AVOW_ISSUER_SERVICE) ||
        avow_claims_add_string(cs, "jti", jti, AVOW_ISSUER_SERVICE))
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    return AVOW_OK;
}

int avowd_respond_token(avowd_req *r, const avow_claims *cs, bool unsigned_token)
{
    avow_error err;
    avow_error_clear(&err);
    char *json = NULL, *token = NULL;
    if (avow_claims_to_json(cs, &json, &err) != AVOW_OK)
        return avowd_error(r, 500, "InternalError", "cannot serialize the token claims: %s",
                           err.msg);
    avow_err e;
    if (unsigned_token) {
        e = avow_jwt_sign(NULL, NULL, NULL, json, &token, &err);
    } else {
        avowd_keys *k = avowd_keys_get(r->d);
        if (!k) {
            free(json);
            return avowd_error(r, 503, "ServiceUnavailable", "no token signing key loaded");
        }
        e = avow_token_signer_sign(k->signer, json, strlen(json), &token, &err);
        avowd_keys_put(k);
    }
    free(json);
    if (e != AVOW_OK)
        return avowd_error(r, 500, "InternalError", "cannot sign the token: %s", err.msg);
    size_t tl = strlen(token);
    char *body = malloc(tl + 13);
    if (!body) {
        free(token);
        return avowd_error(r, 500, "InternalError", "out of memory");
    }
    memcpy(body, "{\"token\":\"", 10);
    memcpy(body + 10, token, tl);
    memcpy(body + 10 + tl, "\"}", 3);
    free(token);
    return avowd_respond_take(r, 200, AVOWD_JSON, body, tl + 12);
}

/* Claim names only the service may set; a policy issuing one is ignored. */
static bool reserved(const char *t)
{
    static const char *const names[] = {
        "iss",   "iat", "nbf",     "exp",     "jti",
        "nonce", "cnf", "maa-ehd", "aas-ehd", "maa-attestationcollateral"};
    if (!strncmp(t, "x-ms-", 5) || !strncmp(t, "x-avow-", 7)) return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(t, names[i])) return true;
    return false;
}

avow_err avowd_attest_claims(avowd *d, const avow_claims *incoming, const avow_policy_result *pr,
                             const avowd_pol *pol, const char *nonce, avow_claims **out,
                             avow_error *err)
{
    avow_claims *cs = avow_claims_new();
    if (!cs) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    avow_err e = AVOW_OK;
#define TRY(x)                                                                          \
    do {                                                                                \
        if ((e = (x)) != AVOW_OK) {                                                     \
            if (e == AVOW_ERR_NOMEM || !err->msg[0])                                    \
                avow_error_set(err, e, AVOW_NO_OFFSET, "building token claims failed"); \
            goto fail;                                                                  \
        }                                                                               \
    } while (0)

    /* service claims: the incoming set minus the $ aliases; advisory IDs as one array */
    size_t n = avow_claims_count(incoming);
    json_t *adv_arr = json_array();
    char *adv = NULL;
    if (!adv_arr) {
        e = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const avow_claim *c = avow_claims_at(incoming, i);
        if (c->type[0] == '$') continue;
        if (!strcmp(c->type, "x-avow-sgx-advisory-ids")) {
            if (c->value.kind == AVOW_CLAIM_STRING)
                json_array_append_new(adv_arr, json_string(c->value.str));
            continue;
        }
        e = avow_claims_add(cs, c);
        if (e == AVOW_OK && !strcmp(c->type, "x-ms-sgx-ehd")) {
            avow_claim alias = *c;
            alias.type = "maa-ehd";
            e = avow_claims_add(cs, &alias);
            alias.type = "aas-ehd";
            if (e == AVOW_OK) e = avow_claims_add(cs, &alias);
        } else if (e == AVOW_OK && !strcmp(c->type, "x-ms-sgx-collateral")) {
            avow_claim alias = *c;
            alias.type = "maa-attestationcollateral";
            e = avow_claims_add(cs, &alias);
        }
        if (e != AVOW_OK) break;
    }
    adv = e == AVOW_OK ? json_dumps(adv_arr, JSON_COMPACT) : NULL;
    json_decref(adv_arr);
    if (!adv) {
        if (e == AVOW_OK) e = AVOW_ERR_NOMEM;
        avow_error_set(err, e, AVOW_NO_OFFSET, "building token claims failed");
        goto fail;
    }
    e = avow_claims_add_json(cs, "x-avow-sgx-advisory-ids", adv, AVOW_ISSUER_SERVICE);
    free(adv);
    TRY(e);

    TRY(avow_claims_add_string(cs, "x-ms-policy-hash", avow_policy_get_hash(pol->policy),
                               AVOW_ISSUER_SERVICE));
    if (pol->signer_jwk)
        TRY(avow_claims_add_json(cs, "x-ms-policy-signer", pol->signer_jwk, AVOW_ISSUER_SERVICE));
    if (nonce) TRY(avow_claims_add_string(cs, "nonce", nonce, AVOW_ISSUER_SERVICE));
    TRY(avowd_claims_add_std(d, cs, ATTEST_TOKEN_LIFETIME, err));

    /* what the policy issued, at top level as MAA does */
    if (pr && pr->issued) {
        size_t ni = avow_claims_count(pr->issued);
        for (size_t i = 0; i < ni; i++) {
            const avow_claim *c = avow_claims_at(pr->issued, i);
            if (reserved(c->type)) continue;
            TRY(avow_claims_add(cs, c));
        }
    }
#undef TRY
    *out = cs;
    return AVOW_OK;
fail:
    avow_claims_free(cs);
    return e;
}
