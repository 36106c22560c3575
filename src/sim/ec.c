/* P-256 keys and raw (r||s) ECDSA-SHA256 signatures for the simulated QE, PCE
 * and PKI, and PEM conversion of private keys.
 * Thread-safe: no shared state. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include "avow/encode.h"
#include "core/pem.h"
#include "core/sha256.h"
#include "sim/sim_internal.h"

EVP_PKEY *sim_ec_generate(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

EVP_PKEY *sim_ec_from_private(const uint8_t d[32])
{
    EVP_PKEY *k = NULL;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *bn = BN_secure_new();
    EC_POINT *pub = g ? EC_POINT_new(g) : NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    uint8_t pt[65];
    if (!g || !bn || !BN_bin2bn(d, 32, bn) || !pub || !bld || !ctx) goto done;
    BN_set_flags(bn, BN_FLG_CONSTTIME);
    if (!EC_POINT_mul(g, pub, bn, NULL, NULL, NULL) ||
        EC_POINT_point2oct(g, pub, POINT_CONVERSION_UNCOMPRESSED, pt, sizeof pt, NULL) != 65)
        goto done;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt))
        goto done;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params) <= 0)
        k = NULL;
done:
    OSSL_PARAM_free(params); /* the scalar went into the secure (cleared) block */
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    EC_POINT_free(pub);
    BN_clear_free(bn);
    EC_GROUP_free(g);
    return k;
}

avow_err sim_ecdsa_sign(EVP_PKEY *k, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    avow_err rc = AVOW_ERR_INTERNAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t der_len = sizeof der;
    ECDSA_SIG *es = NULL;
    if (!md || EVP_DigestSignInit(md, NULL, avow_sha256_md(), NULL, k) != 1 ||
        EVP_DigestSign(md, der, &der_len, msg, len) != 1)
        goto done;
    const uint8_t *pp = der;
    es = d2i_ECDSA_SIG(NULL, &pp, (long)der_len);
    if (!es) goto done;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32) goto done;
    rc = AVOW_OK;
done:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    return rc;
}

avow_err sim_ec_pub_raw(EVP_PKEY *k, uint8_t out[64])
{
    uint8_t pt[65];
    size_t n = 0;
    if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &n) ||
        n != 65 || pt[0] != 0x04)
        return AVOW_ERR_INTERNAL;
    memcpy(out, pt + 1, 64);
    return AVOW_OK;
}

static char *bio_to_string(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = '\0';
    }
    return s;
}

char *sim_key_to_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_secmem());
    char *s = NULL;
    if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) s = bio_to_string(b);
    BIO_free(b);
    return s;
}

EVP_PKEY *sim_key_from_pem(const char *pem, size_t len)
{
    EVP_PKEY *k = NULL;
    if (avow_pem_private_key(pem, len, &k, NULL) == AVOW_OK && !EVP_PKEY_is_a(k, "EC")) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    return k;
}
