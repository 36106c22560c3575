/* JWT (RFC 7519) over the compact JWS of jws.c: signing with the MAA header
 * layout {"alg","jku","kid","typ":"JWT"} and verification of signature plus
 * exp / nbf against a caller-supplied time. Thread-safe: no state. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "token/token_internal.h"

avow_err avow_jwt_sign(const avow_jws_key *key, const char *kid, const char *jku,
                       const char *claims_json, char **out, avow_error *err)
{
    *out = NULL;
    if (!claims_json) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "jwt: no claims");
    json_error_t je;
    json_t *claims = json_loads(claims_json, JSON_REJECT_DUPLICATES, &je);
    bool is_obj = claims && json_is_object(claims);
    json_decref(claims);
    if (!is_obj)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "jwt claims are not a JSON object");
    /* jansson keeps insertion order: alg, jku, kid, typ as MAA writes them. */
    json_t *h = json_object();
    if (!h) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    json_object_set_new(h, "alg", json_string(key ? avow_jws_alg_name(key->alg) : "none"));
    if (key && jku) json_object_set_new(h, "jku", json_string(jku));
    if (key && kid) json_object_set_new(h, "kid", json_string(kid));
    json_object_set_new(h, "typ", json_string("JWT"));
    char *hs = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    if (!hs) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    avow_err rc =
        avow_jws_sign(hs, (const uint8_t *)claims_json, strlen(claims_json), key, out, err);
    free(hs);
    return rc;
}

static avow_err time_claim(json_t *claims, const char *name, bool *present, int64_t *v,
                           avow_error *err)
{
    json_t *j = json_object_get(claims, name);
    *present = j != NULL;
    if (!j) return AVOW_OK;
    if (json_is_integer(j))
        *v = json_integer_value(j);
    else if (json_is_real(j))
        *v = (int64_t)json_real_value(j);
    else
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "jwt claim \"%s\" is not a number", name);
    return AVOW_OK;
}

avow_err avow_jwt_verify(const char *token, size_t len, const avow_jws_key *key, avow_time at,
                         int64_t leeway, char **claims_json, avow_error *err)
{
    if (claims_json) *claims_json = NULL;
    if (!key) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "jwt: no key");
    avow_jws j;
    avow_err rc = avow_jws_parse(token, len, 0, &j, err);
    if (rc) return rc;
    rc = avow_jws_verify(&j, key, err);
    if (rc) goto done;
    json_error_t je;
    json_t *claims =
        json_loadb((const char *)j.payload, j.payload_len, JSON_REJECT_DUPLICATES, &je);
    if (!claims || !json_is_object(claims)) {
        json_decref(claims);
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "jwt payload is not a JSON object");
        goto done;
    }
    bool has_exp, has_nbf;
    int64_t exp = 0, nbf = 0;
    if ((rc = time_claim(claims, "exp", &has_exp, &exp, err)) ||
        (rc = time_claim(claims, "nbf", &has_nbf, &nbf, err))) {
        json_decref(claims);
        goto done;
    }
    json_decref(claims);
    if (has_exp && exp < at - leeway) {
        rc = avow_error_set(err, AVOW_ERR_EXPIRED, AVOW_NO_OFFSET, "jwt expired at %lld (now %lld)",
                            (long long)exp, (long long)at);
        goto done;
    }
    if (has_nbf && nbf > at + leeway) {
        rc = avow_error_set(err, AVOW_ERR_EXPIRED, AVOW_NO_OFFSET,
                            "jwt not valid before %lld (now %lld)", (long long)nbf, (long long)at);
        goto done;
    }
    if (claims_json) {
        *claims_json = (char *)j.payload; /* NUL-terminated by avow_jws_parse */
        j.payload = NULL;
    }
done:
    avow_jws_free(&j);
    return rc;
}
