/* Certificate identities and JWK / JWKS: kid (base64url SHA-256 of the
 * certificate DER), SHA-1 thumbprint (MAA), PEM <-> DER, one JWK per
 * certificate (RSA n/e or EC x/y plus x5c) and the /certs key set.
 * Thread-safe: no state. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "avow/encode.h"
#include "pki/x509.h"
#include "token/token_internal.h"

static avow_err cert_der_of(const uint8_t *cert, size_t len, uint8_t **der, size_t *der_len,
                            X509 **x_out, avow_error *err)
{
    X509 *x = tok_cert_parse(cert, len, err);
    if (!x) return err ? err->code : AVOW_ERR_FORMAT;
    avow_err rc = tok_cert_der(x, der, der_len, err);
    if (rc || !x_out)
        X509_free(x);
    else
        *x_out = x;
    return rc;
}

avow_err avow_cert_kid(const uint8_t *cert, size_t len, char kid[AVOW_KID_LEN], avow_error *err)
{
    uint8_t *der;
    size_t dlen;
    avow_err rc = cert_der_of(cert, len, &der, &dlen, NULL, err);
    if (rc) return rc;
    uint8_t h[32];
    avow_sha256(der, dlen, h);
    free(der);
    avow_base64url_encode(h, sizeof(h), kid);
    return AVOW_OK;
}

avow_err avow_cert_thumbprint_sha1(const uint8_t *cert, size_t len, char hex[41], avow_error *err)
{
    uint8_t *der;
    size_t dlen;
    avow_err rc = cert_der_of(cert, len, &der, &dlen, NULL, err);
    if (rc) return rc;
    uint8_t h[20];
    SHA1(der, dlen, h);
    free(der);
    avow_hex_encode(h, sizeof(h), hex);
    return AVOW_OK;
}

avow_err avow_cert_pem_to_der(const char *pem, size_t len, uint8_t **der, size_t *der_len,
                              avow_error *err)
{
    *der = NULL;
    *der_len = 0;
    if (!pem || !memmem(pem, len, "-----BEGIN CERTIFICATE", 22))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "no PEM certificate");
    return cert_der_of((const uint8_t *)pem, len, der, der_len, NULL, err);
}

avow_err avow_cert_der_to_pem(const uint8_t *der, size_t len, char **pem, avow_error *err)
{
    *pem = NULL;
    const unsigned char *p = der;
    X509 *x = len && len <= INT32_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
    if (!x || p != der + len) {
        X509_free(x);
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "not a DER certificate");
    }
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n = 0;
    avow_err rc = AVOW_OK;
    if (!b || PEM_write_bio_X509(b, x) != 1 || (n = BIO_get_mem_data(b, &data)) <= 0 ||
        !(*pem = malloc((size_t)n + 1))) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "PEM encoding failed");
    } else {
        memcpy(*pem, data, (size_t)n);
        (*pem)[n] = '\0';
    }
    BIO_free(b);
    X509_free(x);
    return rc;
}

/* base64url of a big number, optionally left-padded to `pad` bytes. */
static json_t *bn_b64url(EVP_PKEY *pk, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    if (!EVP_PKEY_get_bn_param(pk, param, &bn)) return NULL;
    int n = pad ? pad : BN_num_bytes(bn);
    uint8_t *buf = malloc((size_t)(n ? n : 1));
    json_t *s = NULL;
    if (buf && BN_bn2binpad(bn, buf, n) == n) {
        char *t = tok_b64url(buf, (size_t)n);
        if (t) s = json_string(t);
        free(t);
    }
    free(buf);
    BN_free(bn);
    return s;
}

static avow_err jwk_object(const uint8_t *cert, size_t len, bool minimal, json_t **out,
                           avow_error *err)
{
    *out = NULL;
    uint8_t *der = NULL;
    size_t dlen = 0;
    X509 *x = NULL;
    avow_err rc = cert_der_of(cert, len, &der, &dlen, &x, err);
    if (rc) return rc;
    EVP_PKEY *pk = X509_get0_pubkey(x);
    bool rsa = pk && EVP_PKEY_is_a(pk, "RSA"), ec = pk && EVP_PKEY_is_a(pk, "EC");
    json_t *o = json_object();
    char *x5c = tok_b64(der, dlen);
    if (!o || !x5c) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto done;
    }
    if (!rsa && !ec) {
        rc = avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                            "certificate key is neither RSA nor EC");
        goto done;
    }
    if (!minimal) {
        uint8_t h[32];
        char kid[AVOW_KID_LEN];
        avow_sha256(der, dlen, h);
        avow_base64url_encode(h, sizeof(h), kid);
        json_object_set_new(o, "kid", json_string(kid));
    }
    json_object_set_new(o, "kty", json_string(rsa ? "RSA" : "EC"));
    if (!minimal) {
        json_object_set_new(o, "use", json_string("sig"));
        if (rsa) {
            json_t *n = bn_b64url(pk, OSSL_PKEY_PARAM_RSA_N, 0);
            json_t *e = bn_b64url(pk, OSSL_PKEY_PARAM_RSA_E, 0);
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
            char curve[64] = "";
            size_t cl = 0;
            EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve),
                                           &cl);
            if (strcmp(curve, "prime256v1")) {
                rc = avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                                    "EC curve %s: only P-256", curve);
                goto done;
            }
            json_t *px = bn_b64url(pk, OSSL_PKEY_PARAM_EC_PUB_X, 32);
            json_t *py = bn_b64url(pk, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
            if (!px || !py) {
                json_decref(px);
                json_decref(py);
                rc = avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "EC key parameters");
                goto done;
            }
            json_object_set_new(o, "alg", json_string("ES256"));
            json_object_set_new(o, "crv", json_string("P-256"));
            json_object_set_new(o, "x", px);
            json_object_set_new(o, "y", py);
        }
    }
    json_t *arr = json_array();
    json_array_append_new(arr, json_string(x5c));
    json_object_set_new(o, "x5c", arr);
    *out = o;
    o = NULL;
done:
    json_decref(o);
    free(x5c);
    free(der);
    X509_free(x);
    return rc;
}

avow_err avow_jwk_from_cert(const uint8_t *cert, size_t len, bool minimal, char **out_json,
                            avow_error *err)
{
    *out_json = NULL;
    json_t *o;
    avow_err rc = jwk_object(cert, len, minimal, &o, err);
    if (rc) return rc;
    *out_json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return *out_json ? AVOW_OK
                     : avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
}

avow_err avow_jwks_build(const char *const *cert_pems, size_t n, char **out_json, avow_error *err)
{
    *out_json = NULL;
    json_t *keys = json_array(), *root = json_object();
    avow_err rc = AVOW_OK;
    if (!keys || !root) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *k;
        rc = jwk_object((const uint8_t *)cert_pems[i], strlen(cert_pems[i]), false, &k, err);
        if (rc) {
            avow_error_prefix(err, "jwks");
            goto done;
        }
        json_array_append_new(keys, k);
    }
    json_object_set(root, "keys", keys);
    *out_json = json_dumps(root, JSON_COMPACT);
    if (!*out_json) rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
done:
    json_decref(keys);
    json_decref(root);
    return rc;
}
