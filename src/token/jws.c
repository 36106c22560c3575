/* Compact JWS (RFC 7515) with OpenSSL: keys (RSA, EC P-256), RS256 / ES256
 * signatures (ES256 as raw r||s per RFC 7518 §3.4), signing under a verbatim
 * header, strict parsing (three segments, canonical unpadded base64url, a
 * JSON object header without duplicate members) and verification, including
 * with the header's own x5c[0] (MAA policy JWS). Thread-safe: no state; keys
 * are read-only after creation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "avow/encode.h"
#include "core/sha256.h"
#include "pki/cert.h"
#include "token/token_internal.h"

const char *tok_ossl_err(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (!e)
        snprintf(buf, len, "no OpenSSL detail");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

const char *avow_jws_alg_name(avow_jws_alg alg)
{
    switch (alg) {
        case AVOW_JWS_ALG_RS256:
            return "RS256";
        case AVOW_JWS_ALG_ES256:
            return "ES256";
        default:
            return "none";
    }
}

char *tok_b64url(const uint8_t *in, size_t len)
{
    char *out = malloc(avow_base64_len(len));
    if (out) avow_base64url_encode(in, len, out);
    return out;
}

/* ---- keys ---------------------------------------------------------------- */

avow_err tok_key_wrap(EVP_PKEY *pkey, bool priv, avow_jws_key **out, avow_error *err)
{
    avow_err rc = AVOW_OK;
    avow_jws_alg alg = AVOW_JWS_ALG_NONE;
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        int bits = EVP_PKEY_get_bits(pkey);
        if (bits < (priv ? 2048 : 1024)) {
            rc = avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                                "RSA key of %d bits is too small (minimum %d)", bits,
                                priv ? 2048 : 1024);
            goto done;
        }
        alg = AVOW_JWS_ALG_RS256;
    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        char curve[64] = "";
        size_t clen = 0;
        if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve),
                                            &clen) ||
            strcmp(curve, "prime256v1") != 0) {
            rc = avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                                "EC key on curve '%s': only P-256 (ES256) is supported", curve);
            goto done;
        }
        alg = AVOW_JWS_ALG_ES256;
    } else {
        rc = avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                            "key type %s: only RSA and EC P-256 are supported",
                            EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "?");
        goto done;
    }
    avow_jws_key *k = calloc(1, sizeof(*k));
    if (!k) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto done;
    }
    k->pkey = pkey;
    k->alg = alg;
    k->priv = priv;
    *out = k;
    return AVOW_OK;
done:
    EVP_PKEY_free(pkey);
    return rc;
}

avow_err avow_jws_key_from_pem(const char *pem, size_t len, avow_jws_key **out, avow_error *err)
{
    *out = NULL;
    if (!pem || len == 0) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "empty key PEM");
    EVP_PKEY *pk;
    bool priv;
    avow_err rc = avow_key_from_pem(pem, len, &pk, &priv, err);
    if (rc) {
        avow_error_prefix(err, "not a PEM private key, public key or certificate");
        return rc;
    }
    return tok_key_wrap(pk, priv, out, err);
}

avow_err avow_jws_key_from_cert_der(const uint8_t *der, size_t len, avow_jws_key **out,
                                    avow_error *err)
{
    *out = NULL;
    avow_cert_copy c;
    avow_err rc = avow_cert_copy_read(der, len, NULL, &c, err);
    if (rc) return rc;
    EVP_PKEY *pk;
    rc = avow_cert_pubkey(&c.c, &pk, err);
    avow_cert_copy_free(&c);
    return rc ? rc : tok_key_wrap(pk, false, out, err);
}

void avow_jws_key_free(avow_jws_key *k)
{
    if (!k) return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

avow_jws_alg avow_jws_key_alg(const avow_jws_key *k)
{
    return k ? k->alg : AVOW_JWS_ALG_NONE;
}

bool avow_jws_key_is_private(const avow_jws_key *k)
{
    return k && k->priv;
}

/* ---- raw signatures ------------------------------------------------------ */

EVP_PKEY_CTX *tok_sign_ctx_new(const avow_jws_key *key)
{
    if (!key->priv) return NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
    if (!c || EVP_PKEY_sign_init(c) != 1 ||
        (key->alg == AVOW_JWS_ALG_RS256 &&
         EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1) ||
        EVP_PKEY_CTX_set_signature_md(c, avow_sha256_md()) != 1) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    return c;
}

avow_err tok_sign_hash(const avow_jws_key *key, EVP_PKEY_CTX *ctx, const uint8_t hash[32],
                       uint8_t **sig, size_t *sig_len, avow_error *err)
{
    char eb[160];
    *sig = NULL;
    *sig_len = 0;
    /* RSA up to 4096 bits; a DER ECDSA-Sig-Value for P-256 is at most 72 bytes */
    uint8_t der[512];
    size_t n = sizeof(der);
    if (EVP_PKEY_sign(ctx, der, &n, hash, 32) != 1)
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "signing failed: %s",
                              tok_ossl_err(eb, sizeof(eb)));
    if (key->alg == AVOW_JWS_ALG_RS256) {
        if (!(*sig = malloc(n)))
            return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        memcpy(*sig, der, n);
        *sig_len = n;
        return AVOW_OK;
    }
    /* ES256: DER ECDSA-Sig-Value -> fixed 32-byte r || 32-byte s. */
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    uint8_t *raw = malloc(64);
    avow_err rc = AVOW_OK;
    if (!es || !raw || BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) != 32) {
        free(raw);
        rc = avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "ECDSA signature conversion");
    } else {
        *sig = raw;
        *sig_len = 64;
    }
    ECDSA_SIG_free(es);
    return rc;
}

/* Signs the SHA-256 of `data` with the JWS algorithm of `key` into a malloc'd
 * signature (RS256: PKCS#1 v1.5; ES256: raw 64-byte r||s). */
static avow_err tok_sign(const avow_jws_key *key, const uint8_t *data, size_t len, uint8_t **sig,
                         size_t *sig_len, avow_error *err)
{
    char eb[160];
    *sig = NULL;
    *sig_len = 0;
    if (!key->priv)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "signing needs a private key");
    EVP_PKEY_CTX *ctx = tok_sign_ctx_new(key);
    if (!ctx)
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "signing failed: %s",
                              tok_ossl_err(eb, sizeof(eb)));
    uint8_t hash[32];
    avow_sha256(data, len, hash);
    avow_err rc = tok_sign_hash(key, ctx, hash, sig, sig_len, err);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* AVOW_ERR_SIGNATURE when the signature does not verify. */
static avow_err tok_verify(const avow_jws_key *key, const uint8_t *data, size_t len,
                           const uint8_t *sig, size_t sig_len, avow_error *err)
{
    avow_err rc = AVOW_OK;
    unsigned char *der = NULL;
    const uint8_t *s = sig;
    size_t slen = sig_len;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *sv = NULL;
    if (key->alg == AVOW_JWS_ALG_ES256) {
        if (sig_len != 64)
            return avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_NO_OFFSET,
                                  "ES256 signature is %zu bytes, expected 64", sig_len);
        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, 32, NULL);
        sv = BN_bin2bn(sig + 32, 32, NULL);
        if (!es || !r || !sv || ECDSA_SIG_set0(es, r, sv) != 1) {
            BN_free(r);
            BN_free(sv);
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
            goto done;
        }
        int n = i2d_ECDSA_SIG(es, &der);
        if (n <= 0) {
            rc = avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "i2d_ECDSA_SIG failed");
            goto done;
        }
        s = der;
        slen = (size_t)n;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
             EVP_DigestVerify(ctx, s, slen, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok)
        rc = avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_NO_OFFSET, "%s signature does not verify",
                            avow_jws_alg_name(key->alg));
done:
    ECDSA_SIG_free(es);
    OPENSSL_free(der);
    return rc;
}

/* ---- JWS sign ------------------------------------------------------------ */

avow_err avow_jws_sign(const char *header_json, const uint8_t *payload, size_t payload_len,
                       const avow_jws_key *key, char **out, avow_error *err)
{
    *out = NULL;
    if (!header_json || (!payload && payload_len))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "jws: missing header");
    json_error_t je;
    json_t *h = json_loads(header_json, JSON_REJECT_DUPLICATES, &je);
    if (!h || !json_is_object(h)) {
        json_decref(h);
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "jws header is not a JSON object: %s", h ? "" : je.text);
    }
    const char *alg = json_string_value(json_object_get(h, "alg"));
    const char *want = key ? avow_jws_alg_name(key->alg) : "none";
    bool match = alg && !strcmp(alg, want);
    json_decref(h);
    if (!match)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "jws header alg must be \"%s\" for this key", want);

    avow_err rc = AVOW_OK;
    char *hb = tok_b64url((const uint8_t *)header_json, strlen(header_json));
    char *pb = tok_b64url(payload, payload_len);
    char *input = NULL, *sb = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    if (!hb || !pb) goto nomem;
    size_t ilen = strlen(hb) + 1 + strlen(pb);
    input = malloc(ilen + 1);
    if (!input) goto nomem;
    snprintf(input, ilen + 1, "%s.%s", hb, pb);
    if (key) {
        rc = tok_sign(key, (const uint8_t *)input, ilen, &sig, &sig_len, err);
        if (rc) goto done;
    }
    sb = tok_b64url(sig, sig_len);
    if (!sb) goto nomem;
    size_t olen = ilen + 1 + strlen(sb);
    *out = malloc(olen + 1);
    if (!*out) goto nomem;
    snprintf(*out, olen + 1, "%s.%s", input, sb);
    goto done;
nomem:
    rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
done:
    free(hb);
    free(pb);
    free(input);
    free(sb);
    free(sig);
    return rc;
}

/* ---- JWS parse ----------------------------------------------------------- */

void avow_jws_free(avow_jws *j)
{
    if (!j) return;
    free(j->alg_name);
    free(j->header);
    free(j->payload);
    free(j->signature);
    free(j->kid);
    free(j->typ);
    for (size_t i = 0; i < j->n_x5c; i++)
        free(j->x5c[i]);
    free(j->x5c);
    free(j->signing_input);
    memset(j, 0, sizeof(*j));
}

static avow_err decode_segment(const char *seg, size_t len, bool lenient, const char *what,
                               size_t offset, uint8_t **out, size_t *out_len, avow_error *err)
{
    avow_error sub;
    avow_error_clear(&sub);
    if (avow_base64url_decode_alloc(seg, len, lenient, out, out_len, &sub) != AVOW_OK)
        return avow_error_set(err, AVOW_ERR_FORMAT,
                              sub.offset == AVOW_NO_OFFSET ? offset : offset + sub.offset,
                              "jws %s: not canonical base64url: %s", what, sub.msg);
    return AVOW_OK;
}

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

avow_err avow_jws_parse(const char *compact, size_t len, unsigned flags, avow_jws *out,
                        avow_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!compact) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "jws: no input");
    bool lenient = flags & AVOW_JWS_LENIENT_B64;
    size_t start = 0, end = len;
    if (lenient) {
        while (start < end && strchr(" \t\r\n", compact[start]) && compact[start])
            start++;
        while (end > start && strchr(" \t\r\n", compact[end - 1]) && compact[end - 1])
            end--;
    }
    const char *s = compact + start;
    size_t n = end - start;
    const char *d1 = memchr(s, '.', n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - s)))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "jws: expected three segments separated by '.'");
    size_t hlen = (size_t)(d1 - s), plen = (size_t)(d2 - d1 - 1), slen = n - (size_t)(d2 + 1 - s);
    if (hlen == 0) return avow_error_set(err, AVOW_ERR_FORMAT, start, "jws: empty header");

    avow_err rc = AVOW_OK;
    uint8_t *hbytes = NULL;
    size_t hblen = 0;
    json_t *h = NULL;
    rc = decode_segment(s, hlen, lenient, "header", start, &hbytes, &hblen, err);
    if (rc) goto fail;
    json_error_t je;
    h = json_loadb((const char *)hbytes, hblen, JSON_REJECT_DUPLICATES, &je);
    if (!h || !json_is_object(h)) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, start, "jws header is not a JSON object%s%s",
                            h ? "" : ": ", h ? "" : je.text);
        goto fail;
    }
    const char *alg = json_string_value(json_object_get(h, "alg"));
    if (!alg) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, start, "jws header: missing string \"alg\"");
        goto fail;
    }
    if (!strcmp(alg, "RS256") || (!strcmp(alg, "RSA256") && (flags & AVOW_JWS_ALLOW_RSA256)))
        out->alg = AVOW_JWS_ALG_RS256;
    else if (!strcmp(alg, "ES256"))
        out->alg = AVOW_JWS_ALG_ES256;
    else if (!strcmp(alg, "none") && (flags & AVOW_JWS_ALLOW_NONE))
        out->alg = AVOW_JWS_ALG_NONE;
    else {
        rc =
            avow_error_set(err, AVOW_ERR_UNSUPPORTED, start, "jws alg \"%s\" is not accepted", alg);
        goto fail;
    }
    out->alg_name = strdup(alg);
    out->header = malloc(hblen + 1);
    if (!out->alg_name || !out->header) goto nomem;
    memcpy(out->header, hbytes, hblen);
    out->header[hblen] = '\0';

    json_t *kid = json_object_get(h, "kid"), *typ = json_object_get(h, "typ");
    json_t *x5c = json_object_get(h, "x5c");
    if ((kid && !json_is_string(kid)) || (typ && !json_is_string(typ)) ||
        (x5c && !json_is_array(x5c))) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, start,
                            "jws header: kid/typ must be strings and x5c an array");
        goto fail;
    }
    if ((kid && !(out->kid = dup_str(json_string_value(kid)))) ||
        (typ && !(out->typ = dup_str(json_string_value(typ)))))
        goto nomem;
    if (x5c && json_array_size(x5c)) {
        out->x5c = calloc(json_array_size(x5c), sizeof(char *));
        if (!out->x5c) goto nomem;
        for (size_t i = 0; i < json_array_size(x5c); i++) {
            const char *v = json_string_value(json_array_get(x5c, i));
            if (!v) {
                rc = avow_error_set(err, AVOW_ERR_FORMAT, start,
                                    "jws header: x5c[%zu] is not a string", i);
                goto fail;
            }
            if (!(out->x5c[i] = strdup(v))) goto nomem;
            out->n_x5c++;
        }
    }

    size_t poff = start + hlen + 1, soff = poff + plen + 1;
    rc = decode_segment(d1 + 1, plen, lenient, "payload", poff, &out->payload, &out->payload_len,
                        err);
    if (rc) goto fail;
    uint8_t *p = realloc(out->payload, out->payload_len + 1);
    if (!p) goto nomem;
    out->payload = p;
    out->payload[out->payload_len] = '\0';

    if (out->alg == AVOW_JWS_ALG_NONE) {
        if (slen) {
            rc = avow_error_set(err, AVOW_ERR_FORMAT, soff,
                                "jws alg \"none\" must have an empty signature");
            goto fail;
        }
    } else {
        if (!slen) {
            rc = avow_error_set(err, AVOW_ERR_FORMAT, soff, "jws: empty signature for %s", alg);
            goto fail;
        }
        rc = decode_segment(d2 + 1, slen, lenient, "signature", soff, &out->signature,
                            &out->signature_len, err);
        if (rc) goto fail;
    }
    out->signing_input_len = hlen + 1 + plen;
    out->signing_input = malloc(out->signing_input_len + 1);
    if (!out->signing_input) goto nomem;
    memcpy(out->signing_input, s, out->signing_input_len);
    out->signing_input[out->signing_input_len] = '\0';
    json_decref(h);
    free(hbytes);
    return AVOW_OK;
nomem:
    rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
fail:
    json_decref(h);
    free(hbytes);
    avow_jws_free(out);
    return rc;
}

/* ---- JWS verify ---------------------------------------------------------- */

avow_err avow_jws_verify(const avow_jws *j, const avow_jws_key *key, avow_error *err)
{
    if (!j || !key) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "jws: no key");
    if (j->alg == AVOW_JWS_ALG_NONE)
        return avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_NO_OFFSET,
                              "jws is unsigned (alg \"none\")");
    if (j->alg != key->alg)
        return avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_NO_OFFSET,
                              "jws alg %s does not match the %s key", j->alg_name,
                              avow_jws_alg_name(key->alg));
    return tok_verify(key, (const uint8_t *)j->signing_input, j->signing_input_len, j->signature,
                      j->signature_len, err);
}

avow_err avow_jws_verify_x5c(const avow_jws *j, uint8_t **signer_der, size_t *signer_der_len,
                             avow_error *err)
{
    if (signer_der) *signer_der = NULL;
    if (signer_der_len) *signer_der_len = 0;
    if (!j || j->n_x5c == 0)
        return avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_NO_OFFSET,
                              "jws header has no x5c certificate to verify with");
    uint8_t *der = NULL;
    size_t der_len = 0;
    avow_error sub;
    avow_error_clear(&sub);
    /* x5c is standard base64 (RFC 7517 §4.7); be lenient about padding. */
    if (avow_base64_decode_alloc(j->x5c[0], strlen(j->x5c[0]), true, &der, &der_len, &sub))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "jws header x5c[0] is not base64: %s", sub.msg);
    avow_jws_key *k = NULL;
    avow_err rc = avow_jws_key_from_cert_der(der, der_len, &k, err);
    if (rc) {
        avow_error_prefix(err, "jws header x5c[0]");
        free(der);
        return rc;
    }
    rc = avow_jws_verify(j, k, err);
    avow_jws_key_free(k);
    if (rc || !signer_der) {
        free(der);
        return rc;
    }
    *signer_der = der;
    if (signer_der_len) *signer_der_len = der_len;
    return AVOW_OK;
}
