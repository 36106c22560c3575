/* Policy management bodies of the MAA REST API (docs/maa.md §1.7-§1.8),
 * without HTTP: PUT /policies (a policy JWS, unsigned or signed with an x5c
 * header), the PolicyResult claims, GET /policies claims, and policy-signer
 * certificate add/remove requests. JWS parsing and signature checks come from
 * include/avow/token.h. Thread-safe: no state. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "avow/encode.h"
#include "avow/policy.h"
#include "avow/token.h"
#include "pki/x509.h"

/* The compact JWS in a request body: raw (trimmed of ASCII whitespace) or a
 * JSON string literal holding it. malloc'd. */
static avow_err body_jws(const uint8_t *body, size_t len, char **out, avow_error *err)
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

static void b64url_sha256(const char *s, size_t len, char out[AVOW_POLICY_HASH_LEN])
{
    uint8_t md[32];
    avow_sha256((const uint8_t *)s, len, md);
    avow_base64url_encode(md, sizeof(md), out);
}

/* Is `der` one of the signer certificates (compared as DER)? */
static bool is_signer(const uint8_t *der, size_t der_len, const avow_policy_signers *signers)
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

static bool starts_with_version(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) i = 3;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return n - i >= 7 && !memcmp(s + i, "version", 7);
}

/* {"AttestationPolicy": b64url(text)} (or raw text, 2018 preview) -> text. */
static avow_err policy_text_from_payload(const uint8_t *payload, size_t len, char **text,
                                         avow_error *err)
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
    avow_err rc = AVOW_OK;
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
    avow_jws j;
    memset(&j, 0, sizeof(j));
    uint8_t *der = NULL;
    size_t der_len = 0;
    avow_err rc = body_jws(body, len, &u->jws, err);
    if (rc) goto fail;
    rc =
        avow_jws_parse(u->jws, strlen(u->jws),
                       AVOW_JWS_ALLOW_NONE | AVOW_JWS_ALLOW_RSA256 | AVOW_JWS_LENIENT_B64, &j, err);
    if (rc) {
        avow_error_prefix(err, "policy JWS");
        goto fail;
    }
    if (j.alg == AVOW_JWS_ALG_NONE) {
        if (mode == AVOW_POLICY_MODE_ISOLATED) {
            rc = avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                                "isolated mode: the policy must be signed (RS256 with x5c) by a "
                                "policy signer certificate; this one is unsigned (alg none)");
            goto fail;
        }
    } else {
        if ((rc = avow_jws_verify_x5c(&j, &der, &der_len, err))) {
            avow_error_prefix(err, "policy JWS");
            goto fail;
        }
        if (mode == AVOW_POLICY_MODE_ISOLATED && !is_signer(der, der_len, signers)) {
            rc = avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                                "isolated mode: the policy is signed by a certificate that is not "
                                "one of the policy signers");
            goto fail;
        }
        u->signed_ = true;
        if ((rc = avow_cert_der_to_pem(der, der_len, &u->signer_pem, err))) goto fail;
    }
    if ((rc = policy_text_from_payload(j.payload, j.payload_len, &u->text, err))) goto fail;
    rc = avow_policy_compile(u->text, strlen(u->text), NULL, &u->policy, &u->diag);
    if (rc) {
        avow_error_set(err, rc, AVOW_NO_OFFSET, "policy %s", u->diag.msg);
        goto fail;
    }
    b64url_sha256(u->jws, strlen(u->jws), u->token_hash);
    free(der);
    avow_jws_free(&j);
    return AVOW_OK;
fail:
    free(der);
    avow_jws_free(&j);
    {
        avow_policy_diag keep = u->diag;
        avow_policy_upload_free(u);
        u->diag = keep;
    }
    return rc;
}

avow_err avow_policy_jws_build(const char *text, size_t len, const char *key_pem,
                               const char *cert_pem, char **out, avow_error *err)
{
    if (!text || !out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no policy text");
    *out = NULL;
    if ((key_pem == NULL) != (cert_pem == NULL))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "signing needs both a key and its certificate");
    if (len > SIZE_MAX / 2) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "too long");
    avow_err rc = AVOW_OK;
    char *b64 = malloc(avow_base64_len(len)), *payload = NULL, *header = NULL, *x5c = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    avow_jws_key *key = NULL;
    json_t *p = NULL, *h = NULL;
    if (!b64) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        goto done;
    }
    avow_base64url_encode((const uint8_t *)text, len, b64);
    p = json_pack("{s:s}", "AttestationPolicy", b64);
    payload = p ? json_dumps(p, JSON_COMPACT) : NULL;
    if (!payload) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        goto done;
    }
    if (key_pem) {
        if ((rc = avow_jws_key_from_pem(key_pem, strlen(key_pem), &key, err))) goto done;
        if (avow_jws_key_alg(key) != AVOW_JWS_ALG_RS256 || !avow_jws_key_is_private(key)) {
            rc = avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                                "policy signing needs an RSA private key");
            goto done;
        }
        if ((rc = avow_cert_pem_to_der(cert_pem, strlen(cert_pem), &der, &der_len, err))) goto done;
        x5c = malloc(avow_base64_len(der_len));
        if (!x5c) {
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
            goto done;
        }
        avow_base64_encode(der, der_len, x5c);
        h = json_pack("{s:s,s:[s]}", "alg", "RS256", "x5c", x5c);
    } else {
        h = json_pack("{s:s}", "alg", "none");
    }
    header = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!header) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        goto done;
    }
    rc = avow_jws_sign(header, (const uint8_t *)payload, strlen(payload), key, out, err);
    if (!rc && key) {
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
done:
    avow_jws_key_free(key);
    json_decref(p);
    json_decref(h);
    free(b64);
    free(payload);
    free(header);
    free(x5c);
    free(der);
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
        if ((rc = body_jws((const uint8_t *)reset_jws, reset_len, &jws, err))) goto fail;
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
        if ((rc = avow_policy_jws_build(t, strlen(t), NULL, NULL, &built, err))) return rc;
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

/* ---- policy-signer certificates ------------------------------------------ */

void avow_cert_request_free(avow_cert_request *r)
{
    if (!r) return;
    free(r->cert_pem);
    free(r->signer_pem);
    memset(r, 0, sizeof(*r));
}

avow_err avow_cert_request_parse(const uint8_t *body, size_t len,
                                 const avow_policy_signers *signers, avow_cert_request *r,
                                 avow_error *err)
{
    if (!body || !r) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no body");
    memset(r, 0, sizeof(*r));
    char *compact = NULL;
    avow_jws j;
    memset(&j, 0, sizeof(j));
    uint8_t *der = NULL, *cert = NULL;
    size_t der_len = 0, cert_len = 0;
    json_t *o = NULL;
    avow_err rc = body_jws(body, len, &compact, err);
    if (rc) goto fail;
    if ((rc = avow_jws_parse(compact, strlen(compact), AVOW_JWS_ALLOW_RSA256 | AVOW_JWS_LENIENT_B64,
                             &j, err))) {
        avow_error_prefix(err, "certificate request JWS");
        goto fail;
    }
    if ((rc = avow_jws_verify_x5c(&j, &der, &der_len, err))) {
        avow_error_prefix(err, "certificate request JWS");
        goto fail;
    }
    if (!is_signer(der, der_len, signers)) {
        rc = avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                            "certificate request is not signed by a current policy signer");
        goto fail;
    }
    if ((rc = avow_cert_der_to_pem(der, der_len, &r->signer_pem, err))) goto fail;
    o = json_loadb((const char *)j.payload, j.payload_len, 0, NULL);
    json_t *jwk = o ? json_object_get(o, "policyCertificate") : NULL;
    if (!jwk && o) jwk = json_object_get(o, "maa-policyCertificate");
    json_t *x5c = json_is_object(jwk) ? json_object_get(jwk, "x5c") : NULL;
    json_t *first = json_is_array(x5c) ? json_array_get(x5c, 0) : NULL;
    if (!json_is_string(first)) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "certificate request payload needs {\"policyCertificate\": "
                            "{\"x5c\": [\"<base64 DER>\"]}}");
        goto fail;
    }
    if ((rc = avow_base64_decode_alloc(json_string_value(first), json_string_length(first), true,
                                       &cert, &cert_len, err))) {
        avow_error_prefix(err, "policyCertificate x5c[0]");
        goto fail;
    }
    if ((rc = avow_cert_der_to_pem(cert, cert_len, &r->cert_pem, err))) goto fail;
    if ((rc = avow_cert_thumbprint_sha1(cert, cert_len, r->thumbprint, err))) goto fail;
    goto done;
fail:
    avow_cert_request_free(r);
done:
    json_decref(o);
    free(compact);
    free(der);
    free(cert);
    avow_jws_free(&j);
    return rc;
}

avow_err avow_cert_request_apply(const avow_cert_request *r, avow_cert_op op,
                                 const avow_policy_signers *current, char ***new_list,
                                 size_t *new_n, avow_claims **result, avow_error *err)
{
    if (!r || !r->cert_pem || !current || !new_list || !new_n || !result)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "certificate apply: bad arguments");
    *new_list = NULL;
    *new_n = 0;
    *result = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    avow_err rc = avow_cert_pem_to_der(r->cert_pem, strlen(r->cert_pem), &der, &der_len, err);
    if (rc) return rc;
    char **list = calloc(current->n + 1, sizeof(char *));
    size_t n = 0;
    bool found = false;
    if (!list) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        goto fail;
    }
    for (size_t i = 0; i < current->n; i++) {
        uint8_t *d = NULL;
        size_t dl = 0;
        bool same = false;
        if (current->cert_pems[i] &&
            !avow_cert_pem_to_der(current->cert_pems[i], strlen(current->cert_pems[i]), &d, &dl,
                                  NULL))
            same = dl == der_len && !memcmp(d, der, dl);
        free(d);
        if (same) found = true;
        if (same && op == AVOW_CERT_OP_REMOVE) continue;
        if (!(list[n++] = strdup(current->cert_pems[i] ? current->cert_pems[i] : ""))) {
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
            goto fail;
        }
    }
    if (op == AVOW_CERT_OP_REMOVE && found && n == 0) {
        rc = avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                            "the last policy signer certificate cannot be removed");
        goto fail;
    }
    if (op == AVOW_CERT_OP_ADD && !found) {
        if (!(list[n++] = strdup(r->cert_pem))) {
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
            goto fail;
        }
    }
    avow_claims *cs = avow_claims_new();
    if (!cs ||
        avow_claims_add_string(cs, "x-ms-certificate-thumbprint", r->thumbprint,
                               AVOW_ISSUER_SERVICE) ||
        avow_claims_add_string(cs, "x-ms-policycertificates-result",
                               op == AVOW_CERT_OP_ADD ? "IsPresent" : "IsAbsent",
                               AVOW_ISSUER_SERVICE)) {
        avow_claims_free(cs);
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        goto fail;
    }
    free(der);
    *new_list = list;
    *new_n = n;
    *result = cs;
    return AVOW_OK;
fail:
    free(der);
    if (list)
        for (size_t i = 0; i < n; i++)
            free(list[i]);
    free(list);
    return rc;
}

avow_err avow_policy_certificates_claims(const avow_policy_signers *signers, avow_claims **out,
                                         avow_error *err)
{
    if (!out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no output");
    *out = NULL;
    json_t *keys = json_array(), *obj = NULL;
    char *text = NULL;
    avow_err rc = AVOW_OK;
    for (size_t i = 0; signers && i < signers->n && keys; i++) {
        char *jwk = NULL;
        if ((rc = avow_jwk_from_cert((const uint8_t *)signers->cert_pems[i],
                                     strlen(signers->cert_pems[i]), true, &jwk, err)))
            goto done;
        json_t *k = json_loads(jwk, 0, NULL);
        free(jwk);
        if (!k || json_array_append_new(keys, k)) {
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
            goto done;
        }
    }
    obj = keys ? json_pack("{s:O}", "keys", keys) : NULL;
    text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    avow_claims *cs = text ? avow_claims_new() : NULL;
    if (!cs || avow_claims_add_json(cs, "x-ms-policy-certificates", text, AVOW_ISSUER_SERVICE)) {
        avow_claims_free(cs);
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        goto done;
    }
    *out = cs;
done:
    json_decref(keys);
    json_decref(obj);
    free(text);
    return rc;
}
