/* Certificates from text (cert.h): one certificate from PEM or DER with its
 * own copy of the bytes, every certificate of a PEM chain, and the JWK of a
 * certificate; and, over those, the identities and encodings of
 * include/avow/cert.h (kid, SHA-1 thumbprint, PEM <-> DER, subject CN, JWK
 * text). PEM is read by core/pem.h only; certificates by avow_cert_parse only.
 * Thread-safe: no state. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include "avow/cert.h"
#include "avow/encode.h"
#include "core/sha256.h"
#include "pki/cert.h"

static avow_err nomem(avow_error *err)
{
    return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
}

avow_err avow_cert_copy_read(const uint8_t *in, size_t len, const char *what, avow_cert_copy *out,
                             avow_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!what) what = "certificate";
    if (!in || len == 0)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "%s: no bytes", what);
    avow_err rc;
    if (in[0] == DER_SEQUENCE) {
        if (!(out->der = malloc(len))) return nomem(err);
        memcpy(out->der, in, len);
        out->len = len;
    } else {
        avow_der_blob *b;
        if ((rc = avow_pem_first((const char *)in, len, "CERTIFICATE", &b, err))) {
            avow_error_prefix(err, what);
            return rc;
        }
        out->der = b->der; /* taken over */
        out->len = b->len;
        free(b);
    }
    if ((rc = avow_cert_parse(out->der, out->len, &out->c, err))) {
        avow_error_prefix(err, what);
        avow_cert_copy_free(out);
    }
    return rc;
}

void avow_cert_copy_free(avow_cert_copy *c)
{
    if (!c) return;
    free(c->der);
    memset(c, 0, sizeof(*c));
}

avow_err avow_cert_chain_read(const char *pem, size_t len, const char *what, avow_cert_chain *out,
                              avow_error *err)
{
    memset(out, 0, sizeof(*out));
    avow_error sub;
    avow_error_clear(&sub);
    avow_err rc = avow_pem_split(pem, len, NULL, &out->blobs, &out->n, &sub);
    if (rc) {
        if (rc == AVOW_ERR_FORMAT && !memmem(pem, len, "-----BEGIN ", 11))
            return avow_error_set(err, rc, AVOW_NO_OFFSET, "%s: no PEM certificate", what);
        return avow_error_set(err, rc, sub.offset, "%s: %s", what, sub.msg);
    }
    if (!(out->certs = calloc(out->n, sizeof(*out->certs)))) {
        avow_cert_chain_free(out);
        return nomem(err);
    }
    for (size_t i = 0; i < out->n && !rc; i++) {
        const avow_der_blob *b = &out->blobs[i];
        if (strcmp(b->label, "CERTIFICATE") != 0)
            rc = avow_error_set(err, AVOW_ERR_FORMAT, b->off,
                                "%s: PEM block %zu is '%s', not a CERTIFICATE", what, i + 1,
                                b->label);
        else if (avow_cert_parse(b->der, b->len, &out->certs[i], &sub) != AVOW_OK)
            rc = avow_error_set(err, AVOW_ERR_FORMAT, b->off,
                                "%s: certificate %zu is not valid DER: %s", what, i + 1, sub.msg);
    }
    if (rc) avow_cert_chain_free(out);
    return rc;
}

void avow_cert_chain_free(avow_cert_chain *ch)
{
    if (!ch) return;
    avow_der_blobs_free(ch->blobs, ch->n);
    free(ch->certs);
    memset(ch, 0, sizeof(*ch));
}

/* kid: base64url of SHA-256 of the DER. */
static void kid_of(const uint8_t *der, size_t len, char kid[AVOW_KID_LEN])
{
    uint8_t h[32];
    avow_sha256(der, len, h);
    avow_base64url_encode(h, sizeof(h), kid);
}

/* MAA's thumbprint: lower-case hex of SHA-1 of the DER. */
static void thumbprint_of(const uint8_t *der, size_t len, char hex[41])
{
    uint8_t h[20];
    SHA1(der, len, h);
    avow_hex_encode(h, sizeof(h), hex);
}

/* ---- JWK ------------------------------------------------------------------ */

static json_t *b64url(const uint8_t *p, size_t n)
{
    char *t = malloc(avow_base64_len(n));
    if (!t) return NULL;
    avow_base64url_encode(p, n, t);
    json_t *s = json_string(t);
    free(t);
    return s;
}

/* base64url of a key parameter (a big number). */
static json_t *bn_b64url(EVP_PKEY *pk, const char *param)
{
    BIGNUM *bn = NULL;
    if (!EVP_PKEY_get_bn_param(pk, param, &bn)) return NULL;
    int n = BN_num_bytes(bn);
    uint8_t *buf = malloc((size_t)(n ? n : 1));
    json_t *s = buf && BN_bn2binpad(bn, buf, n) == n ? b64url(buf, (size_t)n) : NULL;
    free(buf);
    BN_free(bn);
    return s;
}

avow_err avow_cert_jwk(const avow_cert *c, bool minimal, json_t **out, avow_error *err)
{
    *out = NULL;
    EVP_PKEY *pk = NULL;
    avow_error ignore;
    avow_cert_pubkey(c, &pk, &ignore); /* NULL: neither RSA nor EC below */
    bool rsa = pk && EVP_PKEY_is_a(pk, "RSA"), ec = pk && EVP_PKEY_is_a(pk, "EC");
    avow_err rc = AVOW_OK;
    json_t *o = json_object(), *x5c = json_array();
    if (!o || !x5c) {
        rc = nomem(err);
        goto done;
    }
    if (!rsa && !ec) {
        rc = avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                            "certificate key is neither RSA nor EC");
        goto done;
    }
    if (!minimal) {
        char kid[AVOW_KID_LEN];
        kid_of(c->der.p, c->der.len, kid);
        json_object_set_new(o, "kid", json_string(kid));
    }
    json_object_set_new(o, "kty", json_string(rsa ? "RSA" : "EC"));
    if (!minimal) {
        json_object_set_new(o, "use", json_string("sig"));
        if (rsa) {
            json_t *n = bn_b64url(pk, OSSL_PKEY_PARAM_RSA_N);
            json_t *e = bn_b64url(pk, OSSL_PKEY_PARAM_RSA_E);
            if (!n || !e) {
                json_decref(n);
                json_decref(e);
                rc = avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "RSA key parameters");
                goto done;
            }
            json_object_set_new(o, "alg", json_string("RS256"));
            json_object_set_new(o, "n", n);
            json_object_set_new(o, "e", e);
        } else {
            if (!c->key_p256) {
                char curve[64] = "";
                size_t cl = 0;
                EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve),
                                               &cl);
                rc = avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                                    "EC curve %s: only P-256", curve);
                goto done;
            }
            /* the point is 04 || X || Y, checked on the curve by avow_cert_pubkey */
            json_object_set_new(o, "alg", json_string("ES256"));
            json_object_set_new(o, "crv", json_string("P-256"));
            json_object_set_new(o, "x", b64url(c->key.p + 1, 32));
            json_object_set_new(o, "y", b64url(c->key.p + 33, 32));
        }
    }
    char *der64 = malloc(avow_base64_len(c->der.len));
    if (!der64) {
        rc = nomem(err);
        goto done;
    }
    avow_base64_encode(c->der.p, c->der.len, der64);
    json_array_append_new(x5c, json_string(der64));
    free(der64);
    json_object_set_new(o, "x5c", x5c);
    x5c = NULL;
    *out = o;
    o = NULL;
done:
    json_decref(o);
    json_decref(x5c);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return rc;
}

/* ---- include/avow/cert.h ---------------------------------------------------- */

avow_err avow_cert_kid(const uint8_t *cert, size_t len, char kid[AVOW_KID_LEN], avow_error *err)
{
    avow_cert_copy c;
    avow_err rc = avow_cert_copy_read(cert, len, NULL, &c, err);
    if (rc) return rc;
    kid_of(c.der, c.len, kid);
    avow_cert_copy_free(&c);
    return AVOW_OK;
}

avow_err avow_cert_thumbprint_sha1(const uint8_t *cert, size_t len, char hex[41], avow_error *err)
{
    avow_cert_copy c;
    avow_err rc = avow_cert_copy_read(cert, len, NULL, &c, err);
    if (rc) return rc;
    thumbprint_of(c.der, c.len, hex);
    avow_cert_copy_free(&c);
    return AVOW_OK;
}

avow_err avow_cert_pem_to_der(const char *pem, size_t len, uint8_t **der, size_t *der_len,
                              avow_error *err)
{
    *der = NULL;
    *der_len = 0;
    if (!pem || !memmem(pem, len, "-----BEGIN CERTIFICATE", 22))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "no PEM certificate");
    avow_cert_copy c;
    avow_err rc = avow_cert_copy_read((const uint8_t *)pem, len, NULL, &c, err);
    if (rc) return rc;
    *der = c.der; /* taken over */
    *der_len = c.len;
    return AVOW_OK;
}

avow_err avow_cert_der_to_pem(const uint8_t *der, size_t len, char **pem, avow_error *err)
{
    *pem = NULL;
    avow_cert c;
    avow_error sub;
    if (!der || avow_cert_parse(der, len, &c, &sub) != AVOW_OK)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "not a DER certificate");
    size_t n = 0;
    return avow_pem_append(pem, &n, "CERTIFICATE", der, len, err);
}

avow_err avow_cert_subject_cn(const uint8_t *cert, size_t len, char *cn, size_t n, avow_error *err)
{
    if (n) cn[0] = '\0';
    avow_cert_copy c;
    avow_err rc = avow_cert_copy_read(cert, len, NULL, &c, err);
    if (rc) return rc;
    avow_cert_text(c.c.subject_cn, cn, n);
    avow_cert_copy_free(&c);
    return AVOW_OK;
}

avow_err avow_jwk_from_cert(const uint8_t *cert, size_t len, bool minimal, char **out_json,
                            avow_error *err)
{
    *out_json = NULL;
    avow_cert_copy c;
    avow_err rc = avow_cert_copy_read(cert, len, NULL, &c, err);
    if (rc) return rc;
    json_t *o;
    rc = avow_cert_jwk(&c.c, minimal, &o, err);
    avow_cert_copy_free(&c);
    if (rc) return rc;
    *out_json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return *out_json ? AVOW_OK : nomem(err);
}

avow_err avow_cert_pem_canonical(const char *pem, size_t len, char **canonical, char thumb[41],
                                 avow_error *err)
{
    *canonical = NULL;
    uint8_t *der;
    size_t der_len;
    avow_err rc = avow_cert_pem_to_der(pem, len, &der, &der_len, err);
    if (rc) return rc;
    thumbprint_of(der, der_len, thumb);
    size_t n = 0;
    rc = avow_pem_append(canonical, &n, "CERTIFICATE", der, der_len, err);
    free(der);
    return rc;
}
