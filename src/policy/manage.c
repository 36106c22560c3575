/* Policy management bodies of the MAA REST API (docs/maa.md §1.7), without
 * HTTP: PUT /policies (a policy JWS, unsigned or signed with an x5c header),
 * POST /policies:reset (a JWS with an empty payload), the PolicyResult
 * claims and GET /policies claims; plus the JWS helpers that certreq.c shares
 * (manage_int.h). Which requests are accepted, and why, is docs/security.md
 * "Policy management". JWS parsing and signature checks come from
 * include/avow/token.h. Thread-safe: no state. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "avow/encode.h"
#include "avow/policy.h"
#include "avow/token.h"
#include "core/sha256.h"
#include "policy/manage_int.h"

avow_err mgmt_body_jws(const uint8_t *body, size_t len, char **out, avow_error *err)
{
    *out = NULL;
    size_t a = 0, b = len;
    while (a < b && (body[a] == ' ' || body[a] == '\t' || body[a] == '\r' || body[a] == '\n'))
        a++;
    while (b > a && (body[b - 1] == ' ' || body[b - 1] == '\t' || body[b - 1] == '\r' ||
                     body[b - 1] == '\n'))
        b--;
    if (a == b) return avow_error_set(err, AVOW_ERR_FORMAT, 0, "empty body: expected a JWS");
    if (body[a] == '"') {
        json_error_t je;
        json_t *s = json_loadb((const char *)body + a, b - a, JSON_DECODE_ANY, &je);
        if (!s || !json_is_string(s)) {
            json_decref(s);
            return avow_error_set(err, AVOW_ERR_FORMAT, a,
                                  "body is not a JSON string holding a JWS");
        }
        *out = strdup(json_string_value(s));
        json_decref(s);
    } else {
        *out = strndup((const char *)body + a, b - a);
    }
    return *out ? AVOW_OK : avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
}

avow_err mgmt_jws_parse(const char *compact, bool allow_none, const char *what, avow_jws *j,
                        avow_error *err)
{
    unsigned flags = AVOW_JWS_ALLOW_RSA256 | AVOW_JWS_LENIENT_B64;
    if (allow_none) flags |= AVOW_JWS_ALLOW_NONE;
    avow_err rc = avow_jws_parse(compact, strlen(compact), flags, j, err);
    if (rc) avow_error_prefix(err, what);
    return rc;
}

bool mgmt_is_signer(const uint8_t *der, size_t der_len, const avow_policy_signers *signers)
{
    if (!signers) return false;
    for (size_t i = 0; i < signers->n; i++) {
        uint8_t *d = NULL;
        size_t dl = 0;
        if (!signers->cert_pems[i] ||
            avow_cert_pem_to_der(signers->cert_pems[i], strlen(signers->cert_pems[i]), &d, &dl,
                                 NULL))
            continue;
        bool same = dl == der_len && !memcmp(d, der, dl);
        free(d);
        if (same) return true;
    }
    return false;
}

/* The Python SDK 1.x writes the certificate as {"jwk":{"x5c":[...]}} rather
 * than a top-level "x5c" (docs/security.md "Request forms accepted"): copy it
 * into j->x5c when the header has no x5c of its own. The header is signed, so either place is
 * authenticated alike. */
static avow_err x5c_from_jwk(avow_jws *j, avow_error *err)
{
    if (j->n_x5c) return AVOW_OK;
    json_t *h = json_loads(j->header, 0, NULL);
    json_t *jwk = h ? json_object_get(h, "jwk") : NULL;
    json_t *x5c = json_is_object(jwk) ? json_object_get(jwk, "x5c") : NULL;
    avow_err rc = AVOW_OK;
    size_t n = json_is_array(x5c) ? json_array_size(x5c) : 0;
    if (n && !(j->x5c = calloc(n, sizeof(char *))))
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
    for (size_t i = 0; !rc && i < n; i++) {
        const char *v = json_string_value(json_array_get(x5c, i));
        if (!v)
            rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                "jws header: jwk.x5c[%zu] is not a string", i);
        else if (!(j->x5c[i] = strdup(v)))
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        else
            j->n_x5c = i + 1;
    }
    json_decref(h);
    return rc;
}

avow_err mgmt_jws_signer(avow_jws *j, const avow_policy_signers *signers, const char *what,
                         char **signer_pem, avow_error *err)
{
    uint8_t *der = NULL;
    size_t der_len = 0;
    avow_err rc = x5c_from_jwk(j, err);
    if (!rc && (rc = avow_jws_verify_x5c(j, &der, &der_len, err))) avow_error_prefix(err, what);
    if (!rc && signers && !mgmt_is_signer(der, der_len, signers)) {
        char thumb[41] = "?";
        avow_cert_thumbprint_sha1(der, der_len, thumb, NULL);
        rc = avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                            "%s is signed by certificate %s, which is not one of the %zu current "
                            "policy signers",
                            what, thumb, signers->n);
    }
    if (!rc && signer_pem) rc = avow_cert_der_to_pem(der, der_len, signer_pem, err);
    free(der);
    return rc;
}

avow_err mgmt_payload_iat(const void *obj, const char *what, int64_t *iat, avow_error *err)
{
    *iat = -1;
    json_t *v = json_object_get((const json_t *)obj, "iat");
    if (!v) return AVOW_OK;
    double d = json_is_integer(v) ? (double)json_integer_value(v)
               : json_is_real(v)  ? json_real_value(v)
                                  : -1;
    /* 2^53: beyond any date and exact in a double */
    if (!(d >= 0 && d <= 9007199254740992.0))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s: \"iat\" must be a NumericDate (seconds since 1970)", what);
    *iat = json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)floor(d);
    return AVOW_OK;
}

static void b64url_sha256(const char *s, size_t len, char out[AVOW_POLICY_HASH_LEN])
{
    uint8_t md[32];
    avow_sha256((const uint8_t *)s, len, md);
    avow_base64url_encode(md, sizeof(md), out);
}

static bool starts_with_version(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) i = 3;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return n - i >= 7 && !memcmp(s + i, "version", 7);
}

/* {"AttestationPolicy": b64url(text)} (or raw text, 2018 preview) -> text,
 * and the payload's "iat" (-1 when it has none). */
static avow_err policy_text_from_payload(const uint8_t *payload, size_t len, char **text,
                                         int64_t *iat, avow_error *err)
{
    *text = NULL;
    json_error_t je;
    json_t *o = json_loadb((const char *)payload, len, 0, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "policy JWS payload is not a JSON object");
    }
    json_t *v = NULL;
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        if (!strcasecmp(key, "AttestationPolicy")) v = val;
    }
    avow_err rc = mgmt_payload_iat(o, "policy JWS payload", iat, err);
    if (rc) goto done;
    if (!json_is_string(v)) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "policy JWS payload has no string \"AttestationPolicy\"");
        goto done;
    }
    const char *s = json_string_value(v);
    size_t sl = json_string_length(v);
    uint8_t *dec = NULL;
    size_t dl = 0;
    if (!avow_base64url_decode_alloc(s, sl, true, &dec, &dl, NULL) &&
        starts_with_version((const char *)dec, dl) && !memchr(dec, '\0', dl)) {
        *text = malloc(dl + 1);
        if (*text) {
            memcpy(*text, dec, dl);
            (*text)[dl] = '\0';
        }
    } else if (starts_with_version(s, sl) && !memchr(s, '\0', sl)) {
        *text = strndup(s, sl);
    } else {
        free(dec);
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "AttestationPolicy is neither base64url policy text nor policy text "
                            "(it must start with \"version\")");
        goto done;
    }
    free(dec);
    if (!*text) rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
done:
    json_decref(o);
    return rc;
}

void avow_policy_upload_free(avow_policy_upload *u)
{
    if (!u) return;
    avow_policy_free(u->policy);
    free(u->text);
    free(u->jws);
    free(u->signer_pem);
    memset(u, 0, sizeof(*u));
}

avow_err avow_policy_upload_parse(const uint8_t *body, size_t len, avow_policy_mode mode,
                                  const avow_policy_signers *signers, avow_policy_upload *u,
                                  avow_error *err)
{
    if (!body || !u) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no policy body");
    memset(u, 0, sizeof(*u));
    u->iat = -1;
    avow_jws j;
    memset(&j, 0, sizeof(j));
    bool isolated = mode == AVOW_POLICY_MODE_ISOLATED;
    avow_err rc = mgmt_body_jws(body, len, &u->jws, err);
    if (!rc) rc = mgmt_jws_parse(u->jws, true, "policy JWS", &j, err);
    if (rc) goto fail;
    if (j.alg == AVOW_JWS_ALG_NONE) {
        if (isolated) {
            rc = avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                                "isolated mode: the policy must be signed (RS256 with x5c) by a "
                                "policy signer certificate; this one is unsigned (alg none)");
            goto fail;
        }
    } else {
        if ((rc =
                 mgmt_jws_signer(&j, isolated ? signers : NULL, "policy JWS", &u->signer_pem, err)))
            goto fail;
        u->signed_ = true;
    }
    if ((rc = policy_text_from_payload(j.payload, j.payload_len, &u->text, &u->iat, err)))
        goto fail;
    rc = avow_policy_compile(u->text, strlen(u->text), NULL, &u->policy, &u->diag);
    if (rc) {
        avow_error_set(err, rc, AVOW_NO_OFFSET, "policy %s", u->diag.msg);
        goto fail;
    }
    b64url_sha256(u->jws, strlen(u->jws), u->token_hash);
    avow_jws_free(&j);
    return AVOW_OK;
fail:
    avow_jws_free(&j);
    {
        avow_policy_diag keep = u->diag;
        avow_policy_upload_free(u);
        u->diag = keep;
        u->iat = -1;
    }
    return rc;
}

void avow_policy_reset_free(avow_policy_reset *r)
{
    if (!r) return;
    free(r->jws);
    free(r->signer_pem);
    memset(r, 0, sizeof(*r));
}

/* What a non-empty reset payload carries, for the refusal: its first member
 * ("AttestationPolicy" for a policy JWS, "policyCertificate" for a
 * certificate request), or its size. */
static avow_err reset_payload_refused(const avow_jws *j, avow_error *err)
{
    json_t *o = json_loadb((const char *)j->payload, j->payload_len, 0, NULL);
    const char *first = NULL;
    if (json_is_object(o)) {
        void *it = json_object_iter(o);
        if (it) first = json_object_iter_key(it);
    }
    bool policy = first && !strcasecmp(first, "AttestationPolicy");
    if (first)
        avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                       "a reset request has an empty payload (as MAA's clients send it); this "
                       "JWS carries \"%.40s\"%s",
                       first, policy ? ": a policy JWS is never taken as a reset" : "");
    else
        avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                       "a reset request has an empty payload (as MAA's clients send it); this "
                       "JWS carries %zu bytes",
                       j->payload_len);
    json_decref(o);
    return AVOW_ERR_FORMAT;
}

avow_err avow_policy_reset_parse(const uint8_t *body, size_t len, avow_policy_mode mode,
                                 const avow_policy_signers *signers, avow_policy_reset *r,
                                 avow_error *err)
{
    if (!body || !r) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no reset body");
    memset(r, 0, sizeof(*r));
    avow_jws j;
    memset(&j, 0, sizeof(j));
    bool isolated = mode == AVOW_POLICY_MODE_ISOLATED;
    avow_err rc = mgmt_body_jws(body, len, &r->jws, err);
    if (!rc) rc = mgmt_jws_parse(r->jws, true, "reset request", &j, err);
    if (rc) goto fail;
    /* the JS and .NET clients and the Python SDK 1.x send "", its betas "null" */
    if (j.payload_len && !(j.payload_len == 4 && !memcmp(j.payload, "null", 4))) {
        rc = reset_payload_refused(&j, err);
        goto fail;
    }
    if (j.alg == AVOW_JWS_ALG_NONE) {
        if (isolated) {
            rc = avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                                "isolated mode: a reset must be signed by a policy-signer "
                                "certificate; this one is unsigned (alg none)");
            goto fail;
        }
    } else {
        if ((rc = mgmt_jws_signer(&j, isolated ? signers : NULL, "reset request", &r->signer_pem,
                                  err)))
            goto fail;
        r->signed_ = true;
    }
    avow_jws_free(&j);
    return AVOW_OK;
fail:
    avow_jws_free(&j);
    avow_policy_reset_free(r);
    return rc;
}

avow_err mgmt_sign_x5c(const char *payload, const char *key_pem, const char *cert_pem, char **out,
                       avow_error *err)
{
    *out = NULL;
    avow_jws_key *key = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    char *x5c = NULL, *header = NULL;
    json_t *h = NULL;
    avow_err rc = avow_jws_key_from_pem(key_pem, strlen(key_pem), &key, err);
    if (rc) goto done;
    if (avow_jws_key_alg(key) != AVOW_JWS_ALG_RS256 || !avow_jws_key_is_private(key)) {
        rc = avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                            "policy signing needs an RSA private key");
        goto done;
    }
    if ((rc = avow_cert_pem_to_der(cert_pem, strlen(cert_pem), &der, &der_len, err))) goto done;
    if (!(x5c = malloc(avow_base64_len(der_len)))) goto nomem;
    avow_base64_encode(der, der_len, x5c);
    h = json_pack("{s:s,s:[s]}", "alg", "RS256", "x5c", x5c);
    if (!(header = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL)) goto nomem;
    rc = avow_jws_sign(header, (const uint8_t *)payload, strlen(payload), key, out, err);
    if (!rc) {
        /* The key must belong to the certificate, or the JWS cannot verify. */
        avow_jws j;
        if (avow_jws_parse(*out, strlen(*out), 0, &j, NULL) == AVOW_OK) {
            avow_err v = avow_jws_verify_x5c(&j, NULL, NULL, NULL);
            avow_jws_free(&j);
            if (v) {
                free(*out);
                *out = NULL;
                rc = avow_error_set(err, AVOW_ERR_MISMATCH, AVOW_NO_OFFSET,
                                    "the signing key does not match the certificate");
            }
        }
    }
    goto done;
nomem:
    rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
done:
    avow_jws_key_free(key);
    json_decref(h);
    free(header);
    free(x5c);
    free(der);
    return rc;
}

avow_err avow_policy_jws_build(const char *text, size_t len, const char *key_pem,
                               const char *cert_pem, int64_t iat, char **out, avow_error *err)
{
    if (!text || !out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no policy text");
    *out = NULL;
    if ((key_pem == NULL) != (cert_pem == NULL))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "signing needs both a key and its certificate");
    if (len > SIZE_MAX / 2) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "too long");
    avow_err rc = AVOW_OK;
    char *b64 = malloc(avow_base64_len(len)), *payload = NULL;
    json_t *p = NULL;
    if (!b64) goto nomem;
    avow_base64url_encode((const uint8_t *)text, len, b64);
    p = iat >= 0 ? json_pack("{s:s,s:I}", "AttestationPolicy", b64, "iat", (json_int_t)iat)
                 : json_pack("{s:s}", "AttestationPolicy", b64);
    if (!(payload = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL)) goto nomem;
    if (key_pem)
        rc = mgmt_sign_x5c(payload, key_pem, cert_pem, out, err);
    else
        rc = avow_jws_sign("{\"alg\":\"none\"}", (const uint8_t *)payload, strlen(payload), NULL,
                           out, err);
    goto done;
nomem:
    rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
done:
    json_decref(p);
    free(b64);
    free(payload);
    return rc;
}

static avow_err add_signer_jwk(avow_claims *cs, const char *type, const char *pem, avow_error *err)
{
    char *jwk = NULL;
    avow_err rc = avow_jwk_from_cert((const uint8_t *)pem, strlen(pem), true, &jwk, err);
    if (rc) return rc;
    rc = avow_claims_add_json(cs, type, jwk, AVOW_ISSUER_SERVICE);
    free(jwk);
    if (rc) avow_error_set(err, rc, AVOW_NO_OFFSET, "%s: cannot add the JWK", type);
    return rc;
}

avow_err avow_policy_result_claims(const avow_policy_upload *u, const char *reset_jws,
                                   size_t reset_len, bool include_jws, avow_claims **out,
                                   avow_error *err)
{
    if (!out || (!u && !reset_jws))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no upload and no reset body");
    *out = NULL;
    avow_claims *cs = avow_claims_new();
    if (!cs) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
    avow_err rc;
    char hash[AVOW_POLICY_HASH_LEN];
    const avow_claim_issuer S = AVOW_ISSUER_SERVICE;
    if (u) {
        if ((rc = avow_claims_add_string(cs, "x-ms-policy-result", "Updated", S))) goto fail;
        if ((rc = avow_claims_add_string(cs, "x-ms-policy-token-hash", u->token_hash, S)))
            goto fail;
        if (u->signer_pem && (rc = add_signer_jwk(cs, "x-ms-policy-signer", u->signer_pem, err)))
            goto fail;
        if (include_jws && (rc = avow_claims_add_string(cs, "x-ms-policy", u->jws, S))) goto fail;
    } else {
        /* the reset body, trimmed like an upload */
        char *jws = NULL;
        if ((rc = mgmt_body_jws((const uint8_t *)reset_jws, reset_len, &jws, err))) goto fail;
        b64url_sha256(jws, strlen(jws), hash);
        free(jws);
        if ((rc = avow_claims_add_string(cs, "x-ms-policy-result", "Removed", S))) goto fail;
        if ((rc = avow_claims_add_string(cs, "x-ms-policy-token-hash", hash, S))) goto fail;
    }
    *out = cs;
    return AVOW_OK;
fail:
    avow_claims_free(cs);
    if (err && err->code == AVOW_OK)
        avow_error_set(err, rc, AVOW_NO_OFFSET, "policy result claims");
    return rc;
}

avow_err avow_policy_get_claims(const char *stored_jws, const char *signer_pem, avow_claims **out,
                                avow_error *err)
{
    if (!out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no output");
    *out = NULL;
    char *built = NULL;
    avow_err rc = AVOW_OK;
    if (!stored_jws) {
        const char *t = avow_policy_default_text();
        if ((rc = avow_policy_jws_build(t, strlen(t), NULL, NULL, -1, &built, err))) return rc;
        stored_jws = built;
    }
    avow_claims *cs = avow_claims_new();
    if (!cs) {
        free(built);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
    }
    rc = avow_claims_add_string(cs, "x-ms-policy", stored_jws, AVOW_ISSUER_SERVICE);
    if (!rc && signer_pem) rc = add_signer_jwk(cs, "x-ms-policy-signer", signer_pem, err);
    free(built);
    if (rc) {
        avow_claims_free(cs);
        return avow_error_set(err, rc, AVOW_NO_OFFSET, "policy get claims");
    }
    *out = cs;
    return AVOW_OK;
}
