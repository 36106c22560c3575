/* JWT (RFC 7519) over the compact JWS of jws.c: signing with the MAA header
 * layout {"alg","jku","kid","typ":"JWT"} and verification of signature plus
 * exp (required) / nbf against a caller-supplied time, iat checked for
 * form. Thread-safe: no state. */
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

/* The NumericDate claims (RFC 7519 section 2) this layer reads. The rule
 * (docs/security.md, "JWT time claims"): each is a JSON integer of whole
 * seconds in 0..INT64_MAX. A fraction, an exponent form (1e300, 1.7e9), a
 * negative value or an integer beyond 64 bits is refused, naming the claim,
 * rather than rounded, saturated or wrapped into a time that passes. */
static const char *const time_claims[] = {"exp", "nbf", "iat"};

static avow_err time_claim(json_t *claims, const char *name, bool *present, int64_t *v,
                           avow_error *err)
{
    json_t *j = json_object_get(claims, name);
    *present = j != NULL;
    if (!j) return AVOW_OK;
    if (json_is_real(j))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "jwt claim \"%s\" is not an integer (%g): NumericDate claims "
                              "must be whole seconds",
                              name, json_real_value(j));
    if (!json_is_integer(j))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "jwt claim \"%s\" is not a number", name);
    json_int_t n = json_integer_value(j);
    if (n < 0)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "jwt claim \"%s\" is negative (%lld)", name, (long long)n);
    *v = (int64_t)n;
    return AVOW_OK;
}

/* The payload did not parse as JSON. When jansson's reason is an integer
 * beyond 64 bits, name the claim if it is one of ours (the payload parsed
 * again with integers as doubles shows which); otherwise say where. */
static avow_err payload_error(const avow_jws *j, const json_error_t *je, avow_error *err)
{
    if (json_error_code(je) == json_error_numeric_overflow) {
        json_error_t je2;
        json_t *c = json_loadb((const char *)j->payload, j->payload_len,
                               JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je2);
        const char *name = NULL;
        for (size_t i = 0; c && !name && i < sizeof(time_claims) / sizeof(time_claims[0]); i++) {
            json_t *v = json_object_get(c, time_claims[i]);
            double d = json_is_real(v) ? json_real_value(v) : 0;
            if (d >= 9223372036854775808.0 || d <= -9223372036854775808.0) /* +-2^63 */
                name = time_claims[i];
        }
        json_decref(c);
        if (name)
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "jwt claim \"%s\" is out of range (beyond a 64-bit integer)",
                                  name);
        return avow_error_set(err, AVOW_ERR_FORMAT, (size_t)je->position,
                              "jwt payload: a number out of range at line %d column %d", je->line,
                              je->column);
    }
    return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                          "jwt payload is not a JSON object: %s (line %d column %d)", je->text,
                          je->line, je->column);
}

avow_err avow_jwt_verify(const char *token, size_t len, const avow_jws_key *key, avow_time at,
                         int64_t leeway, char **claims_json, avow_error *err)
{
    if (claims_json) *claims_json = NULL;
    if (!key) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "jwt: no key");
    if (leeway < 0)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "jwt: negative leeway %lld",
                              (long long)leeway);
    avow_jws j;
    avow_err rc = avow_jws_parse(token, len, 0, &j, err);
    if (rc) return rc;
    rc = avow_jws_verify(&j, key, err);
    if (rc) goto done;
    json_error_t je;
    json_t *claims =
        json_loadb((const char *)j.payload, j.payload_len, JSON_REJECT_DUPLICATES, &je);
    if (!claims) {
        rc = payload_error(&j, &je, err);
        goto done;
    }
    if (!json_is_object(claims)) {
        json_decref(claims);
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "jwt payload is not a JSON object");
        goto done;
    }
    bool has[3];
    int64_t t[3] = {0, 0, 0};
    for (size_t i = 0; i < 3 && rc == AVOW_OK; i++)
        rc = time_claim(claims, time_claims[i], &has[i], &t[i], err);
    json_decref(claims);
    if (rc) goto done;
    int64_t exp = t[0], nbf = t[1];
    if (!has[0]) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "jwt has no \"exp\" claim: a token without an expiry is refused");
        goto done;
    }
    /* Differences in unsigned arithmetic: with exp, nbf >= 0 the true
     * difference to any `at` fits in 64 unsigned bits, so nothing wraps. */
    if (exp < at && (uint64_t)at - (uint64_t)exp > (uint64_t)leeway) {
        rc = avow_error_set(err, AVOW_ERR_EXPIRED, AVOW_NO_OFFSET, "jwt expired at %lld (now %lld)",
                            (long long)exp, (long long)at);
        goto done;
    }
    if (has[1] && nbf > at && (uint64_t)nbf - (uint64_t)at > (uint64_t)leeway) {
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
