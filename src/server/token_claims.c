/* avowd token issuance: the claims the signer adds to every token (iss, iat,
 * nbf, exp, jti; the rest of an attestation token's claims come from
 * libavow, attest.h) and signing into MAA's {"token": JWT} response.
 * Thread-safety: no state; the signer snapshot is refcounted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "avow/encode.h"
#include "server/keys.h"
#include "server/token_claims.h"

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
