/* ECDSA P-256 with raw signatures and raw public keys (pki/ecdsa.h), the
 * primitive of DCAP (quote, QE report, TCB Info and QE Identity are signed
 * with raw r||s; the attestation key is a raw X||Y point); SHA-256 is core's.
 * Thread-safe: a P-256 template key is made once with pthread_once and then
 * only read; each call uses its own contexts. */
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "core/sha256.h"
#include "pki/ecdsa.h"
#include "pki/roots.h"

/* One DER INTEGER from a 32-byte big-endian unsigned value. */
static size_t der_uint(const uint8_t v[32], uint8_t *out)
{
    size_t i = 0;
    while (i < 31 && v[i] == 0)
        i++;
    size_t n = 32 - i;
    bool pad = (v[i] & 0x80) != 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(n + pad);
    size_t o = 2;
    if (pad) out[o++] = 0;
    memcpy(out + o, v + i, n);
    return o + n;
}

/* Raw r||s (32+32 big-endian) -> DER ECDSA-Sig-Value; its length (<= 72). */
static size_t sig_raw_to_der(const uint8_t sig[64], uint8_t der[72])
{
    uint8_t body[70];
    size_t n = der_uint(sig, body);
    n += der_uint(sig + 32, body + n);
    der[0] = 0x30;
    der[1] = (uint8_t)n; /* at most 70: short form */
    memcpy(der + 2, body, n);
    return n + 2;
}

avow_err avow_ecdsa_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    uint8_t der[72];
    size_t der_len = sig_raw_to_der(sig, der);
    return avow_ecdsa_verify_der(key, msg, len, der, der_len);
}

avow_err avow_ecdsa_verify_der(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *der,
                               size_t der_len)
{
    if (!key) return AVOW_ERR_ARG;
    uint8_t hash[32];
    avow_sha256(msg, len, hash);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (!pctx) return AVOW_ERR_NOMEM;
    avow_err rc = AVOW_ERR_SIGNATURE;
    if (EVP_PKEY_verify_init(pctx) == 1 &&
        EVP_PKEY_verify(pctx, der, der_len, hash, sizeof(hash)) == 1)
        rc = AVOW_OK;
    else
        ERR_clear_error(); /* a bad signature is an answer, not an error to keep */
    EVP_PKEY_CTX_free(pctx);
    return rc;
}

/* A P-256 key from a 65-byte uncompressed point with EVP_PKEY_fromdata: the
 * documented way, but it builds the EC group from its name on every call
 * (~210 k instructions, 17-28 us on OpenSSL 3.0). */
static avow_err key_fromdata(const uint8_t point[65], EVP_PKEY **out)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, 65),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx) return AVOW_ERR_NOMEM;
    avow_err rc = AVOW_ERR_FORMAT;
    if (EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1 && *out)
        rc = AVOW_OK;
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* A P-256 key made once (the Intel root key, a constant) whose duplicates
 * share the group: duplicating it and setting another public point costs
 * ~50 k instructions, a quarter of EVP_PKEY_fromdata. */
static EVP_PKEY *g_p256_template;
static pthread_once_t g_template_once = PTHREAD_ONCE_INIT;

static void make_template(void)
{
    if (key_fromdata(AVOW_INTEL_ROOT_PUBKEY, &g_p256_template) != AVOW_OK) g_p256_template = NULL;
}

avow_err avow_ecdsa_key_from_point(const uint8_t point[65], EVP_PKEY **out)
{
    *out = NULL;
    if (point[0] != 0x04) return AVOW_ERR_FORMAT;
    pthread_once(&g_template_once, make_template);
    if (!g_p256_template) return key_fromdata(point, out);
    EVP_PKEY *k = EVP_PKEY_dup(g_p256_template);
    if (!k) return AVOW_ERR_NOMEM;
    /* oct2point: rejects a point that is not on the curve */
    if (EVP_PKEY_set1_encoded_public_key(k, point, 65) != 1) {
        EVP_PKEY_free(k);
        ERR_clear_error();
        return AVOW_ERR_FORMAT;
    }
    *out = k;
    return AVOW_OK;
}

avow_err avow_ecdsa_key_from_raw(const uint8_t xy[64], EVP_PKEY **out)
{
    uint8_t point[65];
    point[0] = 0x04;
    memcpy(point + 1, xy, 64);
    return avow_ecdsa_key_from_point(point, out);
}
