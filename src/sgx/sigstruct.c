/* SIGSTRUCT: parse and serialize the 1808-byte structure, MRSIGNER, and the
 * RSA-3072 (e = 3) PKCS#1 v1.5 SHA-256 signature with its Q1/Q2 helpers:
 * verify, sign with a PEM key, generate a key. Big integers are stored
 * little-endian (docs/formats.md §5). RSA arithmetic uses OpenSSL BIGNUMs.
 * Thread-safe: no shared state. */
#include "avow/enclave.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "avow/encode.h"
#include "core/cursor.h"
#include "core/pem.h"
#include "core/sha256.h"

const uint8_t avow_sigstruct_header[16] = {0x06, 0, 0, 0, 0xe1, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0};
const uint8_t avow_sigstruct_header2[16] = {0x01, 0x01, 0, 0, 0x60, 0, 0, 0,
                                            0x60, 0,    0, 0, 0x01, 0, 0, 0};

/* SHA-256 DigestInfo prefix for PKCS#1 v1.5. */
static const uint8_t DIGEST_INFO[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* Reserved ranges that must be zero: [start, end). */
static const struct {
    size_t start, end;
    const char *name;
} RESERVED[] = {
    {44, 128, "reserved1"},
    {910, 912, "reserved2"},
    {992, 1008, "reserved3"},
    {1028, 1040, "reserved4"},
};

avow_err avow_sigstruct_parse(const uint8_t *buf, size_t len, avow_sigstruct *out, avow_error *err)
{
    if (!buf || !out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sigstruct: NULL");
    if (len != AVOW_SIGSTRUCT_SIZE)
        return avow_error_set(
            err, AVOW_ERR_FORMAT, len < AVOW_SIGSTRUCT_SIZE ? len : AVOW_SIGSTRUCT_SIZE,
            "sigstruct: %zu bytes, expected exactly %d", len, AVOW_SIGSTRUCT_SIZE);
    if (memcmp(buf, avow_sigstruct_header, 12) != 0)
        return avow_error_set(err, AVOW_ERR_FORMAT, 0,
                              "sigstruct.header at offset 0: not the SIGSTRUCT constant");
    uint32_t type = avow_le32(buf + 12);
    if (type != 0 && type != 0x80000000u)
        return avow_error_set(err, AVOW_ERR_FORMAT, 12,
                              "sigstruct.header at offset 12: 0x%08x is neither 0 nor the "
                              "debug-signing bit",
                              type);
    if (memcmp(buf + AVOW_SS_HEADER2, avow_sigstruct_header2, 16) != 0)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_SS_HEADER2,
                              "sigstruct.header2 at offset %d: not the SIGSTRUCT constant",
                              AVOW_SS_HEADER2);
    uint32_t vendor = avow_le32(buf + AVOW_SS_VENDOR);
    if (vendor != 0 && vendor != 0x8086)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_SS_VENDOR,
                              "sigstruct.vendor at offset %d: 0x%x is neither 0 nor 0x8086",
                              AVOW_SS_VENDOR, vendor);
    uint32_t exponent = avow_le32(buf + AVOW_SS_EXPONENT);
    if (exponent != 3)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_SS_EXPONENT,
                              "sigstruct.exponent at offset %d: %u, must be 3", AVOW_SS_EXPONENT,
                              exponent);
    for (size_t i = 0; i < sizeof RESERVED / sizeof RESERVED[0]; i++)
        if (!all_zero(buf + RESERVED[i].start, RESERVED[i].end - RESERVED[i].start))
            return avow_error_set(err, AVOW_ERR_FORMAT, RESERVED[i].start,
                                  "sigstruct.%s at offset %zu: reserved bytes are not zero",
                                  RESERVED[i].name, RESERVED[i].start);
    memset(out, 0, sizeof *out);
    memcpy(out->header, buf, 16);
    out->vendor = vendor;
    out->date = avow_le32(buf + AVOW_SS_DATE);
    memcpy(out->header2, buf + AVOW_SS_HEADER2, 16);
    out->swdefined = avow_le32(buf + AVOW_SS_SWDEFINED);
    memcpy(out->modulus, buf + AVOW_SS_MODULUS, AVOW_RSA3072_SIZE);
    out->exponent = exponent;
    memcpy(out->signature, buf + AVOW_SS_SIGNATURE, AVOW_RSA3072_SIZE);
    out->misc_select = avow_le32(buf + AVOW_SS_MISCSELECT);
    out->misc_mask = avow_le32(buf + AVOW_SS_MISCMASK);
    out->cet_attributes = buf[AVOW_SS_CET_ATTRIBUTES];
    out->cet_attributes_mask = buf[AVOW_SS_CET_ATTRIBUTES_MASK];
    memcpy(out->isv_family_id, buf + AVOW_SS_ISVFAMILYID, 16);
    out->attr_flags = avow_le64(buf + AVOW_SS_ATTRIBUTES);
    out->attr_xfrm = avow_le64(buf + AVOW_SS_ATTRIBUTES + 8);
    out->attr_mask_flags = avow_le64(buf + AVOW_SS_ATTRIBUTEMASK);
    out->attr_mask_xfrm = avow_le64(buf + AVOW_SS_ATTRIBUTEMASK + 8);
    memcpy(out->enclave_hash, buf + AVOW_SS_ENCLAVEHASH, 32);
    memcpy(out->isv_ext_prod_id, buf + AVOW_SS_ISVEXTPRODID, 16);
    out->isv_prod_id = avow_le16(buf + AVOW_SS_ISVPRODID);
    out->isv_svn = avow_le16(buf + AVOW_SS_ISVSVN);
    memcpy(out->q1, buf + AVOW_SS_Q1, AVOW_RSA3072_SIZE);
    memcpy(out->q2, buf + AVOW_SS_Q2, AVOW_RSA3072_SIZE);
    return AVOW_OK;
}

void avow_sigstruct_serialize(const avow_sigstruct *s, uint8_t out[AVOW_SIGSTRUCT_SIZE])
{
    memset(out, 0, AVOW_SIGSTRUCT_SIZE);
    memcpy(out, s->header, 16);
    avow_put_le32(out + AVOW_SS_VENDOR, s->vendor);
    avow_put_le32(out + AVOW_SS_DATE, s->date);
    memcpy(out + AVOW_SS_HEADER2, s->header2, 16);
    avow_put_le32(out + AVOW_SS_SWDEFINED, s->swdefined);
    memcpy(out + AVOW_SS_MODULUS, s->modulus, AVOW_RSA3072_SIZE);
    avow_put_le32(out + AVOW_SS_EXPONENT, s->exponent);
    memcpy(out + AVOW_SS_SIGNATURE, s->signature, AVOW_RSA3072_SIZE);
    avow_put_le32(out + AVOW_SS_MISCSELECT, s->misc_select);
    avow_put_le32(out + AVOW_SS_MISCMASK, s->misc_mask);
    out[AVOW_SS_CET_ATTRIBUTES] = s->cet_attributes;
    out[AVOW_SS_CET_ATTRIBUTES_MASK] = s->cet_attributes_mask;
    memcpy(out + AVOW_SS_ISVFAMILYID, s->isv_family_id, 16);
    avow_put_le64(out + AVOW_SS_ATTRIBUTES, s->attr_flags);
    avow_put_le64(out + AVOW_SS_ATTRIBUTES + 8, s->attr_xfrm);
    avow_put_le64(out + AVOW_SS_ATTRIBUTEMASK, s->attr_mask_flags);
    avow_put_le64(out + AVOW_SS_ATTRIBUTEMASK + 8, s->attr_mask_xfrm);
    memcpy(out + AVOW_SS_ENCLAVEHASH, s->enclave_hash, 32);
    memcpy(out + AVOW_SS_ISVEXTPRODID, s->isv_ext_prod_id, 16);
    avow_put_le16(out + AVOW_SS_ISVPRODID, s->isv_prod_id);
    avow_put_le16(out + AVOW_SS_ISVSVN, s->isv_svn);
    memcpy(out + AVOW_SS_Q1, s->q1, AVOW_RSA3072_SIZE);
    memcpy(out + AVOW_SS_Q2, s->q2, AVOW_RSA3072_SIZE);
}

void avow_sigstruct_signed_bytes(const avow_sigstruct *s, uint8_t out[AVOW_SIGSTRUCT_SIGNED])
{
    uint8_t full[AVOW_SIGSTRUCT_SIZE];
    avow_sigstruct_serialize(s, full);
    memcpy(out, full, 128);
    memcpy(out + 128, full + 900, 128);
}

void avow_sigstruct_mrsigner(const avow_sigstruct *s, uint8_t mrsigner[32])
{
    avow_sha256(s->modulus, AVOW_RSA3072_SIZE, mrsigner);
}

void avow_sigstruct_init(avow_sigstruct *s)
{
    memset(s, 0, sizeof *s);
    memcpy(s->header, avow_sigstruct_header, 16);
    memcpy(s->header2, avow_sigstruct_header2, 16);
    s->exponent = 3;
}

/* q1 = floor(s^2 / n), q2 = floor(((s^2 mod n) * s) / n). */
static bool compute_q(const BIGNUM *s, const BIGNUM *n, BIGNUM *q1, BIGNUM *q2, BN_CTX *ctx)
{
    BN_CTX_start(ctx);
    BIGNUM *sq = BN_CTX_get(ctx), *r = BN_CTX_get(ctx), *t = BN_CTX_get(ctx);
    bool ok = t && BN_sqr(sq, s, ctx) && BN_div(q1, r, sq, n, ctx) && BN_mul(t, r, s, ctx) &&
              BN_div(q2, NULL, t, n, ctx);
    BN_CTX_end(ctx);
    return ok;
}

avow_err avow_sigstruct_verify(const avow_sigstruct *s, avow_error *err)
{
    if (s->exponent != 3)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_SS_EXPONENT,
                              "sigstruct.exponent: %u, must be 3", s->exponent);
    avow_err rc = AVOW_ERR_INTERNAL;
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *n = BN_lebin2bn(s->modulus, AVOW_RSA3072_SIZE, NULL);
    BIGNUM *sig = BN_lebin2bn(s->signature, AVOW_RSA3072_SIZE, NULL);
    BIGNUM *e = BN_new(), *m = BN_new(), *q1 = BN_new(), *q2 = BN_new();
    uint8_t em[AVOW_RSA3072_SIZE], want[AVOW_RSA3072_SIZE], buf[AVOW_RSA3072_SIZE];
    if (!ctx || !n || !sig || !e || !m || !q1 || !q2 || !BN_set_word(e, 3)) goto done;
    if (BN_num_bits(n) != 3072) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_SS_MODULUS,
                            "sigstruct.modulus at offset %d: %d bits, must be 3072",
                            AVOW_SS_MODULUS, BN_num_bits(n));
        goto done;
    }
    if (BN_cmp(sig, n) >= 0) {
        rc = avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_SS_SIGNATURE,
                            "sigstruct.signature at offset %d: not below the modulus",
                            AVOW_SS_SIGNATURE);
        goto done;
    }
    if (!BN_mod_exp(m, sig, e, n, ctx) || BN_bn2binpad(m, em, sizeof em) < 0) goto done;
    /* 00 01 FF..FF 00 DigestInfo SHA-256(signed bytes) */
    uint8_t msg[AVOW_SIGSTRUCT_SIGNED];
    avow_sigstruct_signed_bytes(s, msg);
    size_t ps = sizeof want - 3 - sizeof DIGEST_INFO - 32;
    want[0] = 0x00;
    want[1] = 0x01;
    memset(want + 2, 0xff, ps);
    want[2 + ps] = 0x00;
    memcpy(want + 3 + ps, DIGEST_INFO, sizeof DIGEST_INFO);
    avow_sha256(msg, sizeof msg, want + sizeof want - 32);
    if (memcmp(em, want, sizeof em) != 0) {
        rc = avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_SS_SIGNATURE,
                            "sigstruct.signature at offset %d: does not verify with the "
                            "modulus over the signed bytes",
                            AVOW_SS_SIGNATURE);
        goto done;
    }
    if (!compute_q(sig, n, q1, q2, ctx)) goto done;
    if (BN_bn2lebinpad(q1, buf, sizeof buf) < 0 || memcmp(buf, s->q1, sizeof buf) != 0) {
        rc = avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_SS_Q1,
                            "sigstruct.q1 at offset %d: not floor(s^2 / n)", AVOW_SS_Q1);
        goto done;
    }
    if (BN_bn2lebinpad(q2, buf, sizeof buf) < 0 || memcmp(buf, s->q2, sizeof buf) != 0) {
        rc = avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_SS_Q2,
                            "sigstruct.q2 at offset %d: not floor((s^3 - q1*s*n) / n)", AVOW_SS_Q2);
        goto done;
    }
    rc = AVOW_OK;
done:
    if (rc == AVOW_ERR_INTERNAL)
        avow_error_set(err, rc, AVOW_NO_OFFSET, "sigstruct: RSA arithmetic failed");
    BN_CTX_free(ctx);
    BN_free(n);
    BN_free(sig);
    BN_free(e);
    BN_free(m);
    BN_free(q1);
    BN_free(q2);
    return rc;
}

static EVP_PKEY *load_rsa3072(const char *pem, size_t len, avow_error *err)
{
    if (!pem || len > INT32_MAX) {
        avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "signing key: no PEM given");
        return NULL;
    }
    EVP_PKEY *k = NULL;
    if (avow_pem_private_key(pem, len, &k, NULL) != AVOW_OK) {
        avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                       "signing key: not a PEM private key (PKCS#1 or PKCS#8)");
        return NULL;
    }
    BIGNUM *e = NULL;
    bool ok = EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) == 3072 &&
              EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) && BN_is_word(e, 3);
    BN_free(e);
    if (!ok) {
        EVP_PKEY_free(k);
        avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                       "signing key: SGX needs RSA-3072 with public exponent 3");
        return NULL;
    }
    return k;
}

avow_err avow_rsa3072_sign_digest(const char *key_pem, size_t key_len, const uint8_t digest[32],
                                  uint8_t sig_le[AVOW_RSA3072_SIZE],
                                  uint8_t q1_le[AVOW_RSA3072_SIZE],
                                  uint8_t q2_le[AVOW_RSA3072_SIZE],
                                  uint8_t modulus_le[AVOW_RSA3072_SIZE], avow_error *err)
{
    EVP_PKEY *k = load_rsa3072(key_pem, key_len, err);
    if (!k) return AVOW_ERR_ARG;
    avow_err rc = AVOW_ERR_INTERNAL;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *n = NULL, *s = NULL, *q1 = BN_new(), *q2 = BN_new();
    uint8_t be[AVOW_RSA3072_SIZE];
    size_t be_len = sizeof be;
    if (!pctx || !ctx || !q1 || !q2 || EVP_PKEY_sign_init(pctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(pctx, avow_sha256_md()) <= 0 ||
        EVP_PKEY_sign(pctx, be, &be_len, digest, 32) <= 0 || be_len != sizeof be)
        goto done;
    if (!EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n)) goto done;
    s = BN_bin2bn(be, (int)be_len, NULL);
    if (!s || !compute_q(s, n, q1, q2, ctx)) goto done;
    if ((sig_le && BN_bn2lebinpad(s, sig_le, AVOW_RSA3072_SIZE) < 0) ||
        (q1_le && BN_bn2lebinpad(q1, q1_le, AVOW_RSA3072_SIZE) < 0) ||
        (q2_le && BN_bn2lebinpad(q2, q2_le, AVOW_RSA3072_SIZE) < 0) ||
        (modulus_le && BN_bn2lebinpad(n, modulus_le, AVOW_RSA3072_SIZE) < 0))
        goto done;
    rc = AVOW_OK;
done:
    if (rc != AVOW_OK) avow_error_set(err, rc, AVOW_NO_OFFSET, "RSA-3072 signing failed");
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(k);
    BN_CTX_free(ctx);
    BN_free(n);
    BN_free(s);
    BN_free(q1);
    BN_free(q2);
    return rc;
}

avow_err avow_sigstruct_sign(avow_sigstruct *s, const char *key_pem, size_t key_len,
                             avow_error *err)
{
    /* The modulus is not signed, but set it first so the caller's struct is
     * complete; the signed bytes do not depend on it. */
    uint8_t msg[AVOW_SIGSTRUCT_SIGNED], digest[32];
    s->exponent = 3;
    avow_sigstruct_signed_bytes(s, msg);
    avow_sha256(msg, sizeof msg, digest);
    return avow_rsa3072_sign_digest(key_pem, key_len, digest, s->signature, s->q1, s->q2,
                                    s->modulus, err);
}

avow_err avow_rsa3072_generate_pem(char **pem, size_t *pem_len, avow_error *err)
{
    avow_err rc = AVOW_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *k = NULL;
    BIGNUM *e = BN_new();
    BIO *bio = BIO_new(BIO_s_secmem()); /* cleared when freed */
    char *data;
    if (!ctx || !e || !bio || !BN_set_word(e, 3) || EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) <= 0 ||
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_keygen(ctx, &k) <= 0 ||
        !PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL))
        goto done;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || !(*pem = malloc((size_t)n + 1))) goto done;
    memcpy(*pem, data, (size_t)n);
    (*pem)[n] = '\0';
    if (pem_len) *pem_len = (size_t)n;
    rc = AVOW_OK;
done:
    if (rc != AVOW_OK) avow_error_set(err, rc, AVOW_NO_OFFSET, "RSA-3072 key generation failed");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(k);
    BN_free(e);
    BIO_free_all(bio);
    return rc;
}
