/* Token signing keys: generation of an RSA-2048 key with a self-signed X.509
 * certificate, and the token signer that parses its key once and keeps the
 * encoded JWT header, so each token costs one SHA-256 and one RSA signature.
 * Thread-safe: generation is stateless; a signer is immutable after creation
 * except for its cache of signing contexts, each used by one thread at a time
 * (taken with an atomic flag). */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "avow/encode.h"
#include "core/pem.h"
#include "core/sha256.h"
#include "pki/cert.h"
#include "token/token_internal.h"

#define SIGNER_SLOTS 8 /* more than the request threads of a typical avowd */

/* ---- generation ---------------------------------------------------------- */

static char *bio_text(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    if (n <= 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

static bool add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    bool ok = ex && X509_add_ext(x, ex, -1) == 1;
    X509_EXTENSION_free(ex);
    return ok;
}

void avow_signing_material_free(avow_signing_material *m)
{
    if (!m) return;
    if (m->key_pem) {
        avow_wipe(m->key_pem, strlen(m->key_pem));
        free(m->key_pem);
    }
    free(m->cert_pem);
    memset(m, 0, sizeof(*m));
}

avow_err avow_signing_key_generate(const char *subject_cn, avow_time not_before, int valid_days,
                                   avow_signing_material *out, avow_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!subject_cn) subject_cn = AVOW_SIGNING_DEFAULT_CN;
    if (valid_days <= 0) valid_days = AVOW_SIGNING_DEFAULT_DAYS;
    if (!*subject_cn || strlen(subject_cn) > AVOW_SIGNING_MAX_CN)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "certificate CN must be 1..%d characters (got %zu)",
                              AVOW_SIGNING_MAX_CN, strlen(subject_cn));
    avow_err rc = AVOW_OK;
    char eb[160];
    /* Two-prime RSA-2048 on purpose. A 3-prime key (RFC 8017 multi-prime,
     * EVP_PKEY_CTX_set_rsa_keygen_primes) is the textbook ~2x CRT speed-up,
     * but OpenSSL 3.0 on x86-64 with AVX-512 IFMA signs 2-prime keys with its
     * dual 1024-bit exponentiation (BN_mod_exp_mont_consttime_x2) and has no
     * such path for 3 primes: on the avowd machine `openssl speed -primes 3
     * rsa2048` gave 1,556-1,852 sign/s against 2,913-3,232 for 2 primes, i.e.
     * 3-prime is ~1.75x slower (docs/performance.md, avowd section). */
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    X509 *x = X509_new();
    BIGNUM *serial = BN_new();
    BIO *kb = BIO_new(BIO_s_mem());
    unsigned char *der = NULL;
    int der_len = 0;
    uint8_t rnd[16];
    if (!pk || !x || !serial || !kb || RAND_bytes(rnd, sizeof(rnd)) != 1) goto ossl;
    rnd[0] &= 0x7f; /* positive, 16 bytes at most */
    rnd[0] |= 0x40;
    X509_NAME *name = X509_get_subject_name(x);
    if (!BN_bin2bn(rnd, sizeof(rnd), serial) ||
        !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
        X509_set_version(x, X509_VERSION_3) != 1 ||
        !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
        !ASN1_TIME_set(X509_getm_notAfter(x),
                       (time_t)(not_before + (avow_time)valid_days * 86400)) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)subject_cn, -1,
                                   -1, 0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, pk) != 1 ||
        !add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, NID_key_usage, "critical,digitalSignature") ||
        !add_ext(x, NID_subject_key_identifier, "hash") || X509_sign(x, pk, EVP_sha256()) <= 0)
        goto ossl;
    if (PEM_write_bio_PKCS8PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
        (der_len = i2d_X509(x, &der)) <= 0)
        goto ossl;
    out->key_pem = bio_text(kb);
    size_t pem_len = 0;
    if (!out->key_pem ||
        avow_pem_append(&out->cert_pem, &pem_len, "CERTIFICATE", der, (size_t)der_len, err)) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto done;
    }
    rc = avow_cert_kid((const uint8_t *)out->cert_pem, strlen(out->cert_pem), out->kid, err);
    goto done;
ossl:
    rc = avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "signing key generation failed: %s",
                        tok_ossl_err(eb, sizeof(eb)));
done:
    if (rc) avow_signing_material_free(out);
    /* The key BIO holds the private key: scrub before freeing. */
    if (kb) {
        char *data = NULL;
        long n = BIO_get_mem_data(kb, &data);
        if (n > 0) OPENSSL_cleanse(data, (size_t)n);
    }
    BIO_free(kb);
    OPENSSL_free(der);
    BN_free(serial);
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}

/* ---- token signer -------------------------------------------------------- */

struct avow_token_signer {
    avow_jws_key *key; /* private */
    avow_jws_key *pub; /* public part, for verification */
    /* Signing contexts, set up on first use and then reused: a fresh
     * EVP_DigestSign per token costs a provider fetch and ~16 allocations.
     * A caller takes a free slot by its flag; when every slot is busy it makes
     * a one-off context. */
    struct {
        atomic_bool busy;
        EVP_PKEY_CTX *ctx;
    } slot[SIGNER_SLOTS];
    char kid[AVOW_KID_LEN];
    char *cert_pem;
    char *header_b64; /* base64url of the JWT header */
    size_t header_b64_len;
};

avow_err avow_token_signer_new(const char *key_pem, const char *cert_pem, const char *jku,
                               avow_token_signer **out, avow_error *err)
{
    *out = NULL;
    if (!key_pem || !cert_pem)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "signer: key and certificate required");
    avow_token_signer *s = calloc(1, sizeof(*s));
    if (!s) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    avow_err rc = avow_jws_key_from_pem(key_pem, strlen(key_pem), &s->key, err);
    if (rc) {
        avow_error_prefix(err, "signing key");
        goto fail;
    }
    if (!s->key->priv) {
        rc = avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "signing key: not a private key");
        goto fail;
    }
    avow_cert_copy cert;
    if ((rc = avow_cert_copy_read((const uint8_t *)cert_pem, strlen(cert_pem), NULL, &cert, err))) {
        avow_error_prefix(err, "signing certificate");
        goto fail;
    }
    EVP_PKEY *pub = NULL;
    rc = avow_cert_pubkey(&cert.c, &pub, err);
    avow_cert_copy_free(&cert);
    if (rc) {
        avow_error_prefix(err, "signing certificate");
        goto fail;
    }
    bool match = EVP_PKEY_eq(pub, s->key->pkey) == 1;
    ERR_clear_error();
    if (!match) {
        EVP_PKEY_free(pub);
        rc = avow_error_set(err, AVOW_ERR_MISMATCH, AVOW_NO_OFFSET,
                            "signing key does not match its certificate");
        goto fail;
    }
    if ((rc = tok_key_wrap(pub, false, &s->pub, err))) goto fail;
    if ((rc = avow_cert_kid((const uint8_t *)cert_pem, strlen(cert_pem), s->kid, err))) goto fail;
    s->cert_pem = strdup(cert_pem);
    json_t *h = json_object();
    char *hs = NULL;
    if (h) {
        json_object_set_new(h, "alg", json_string(avow_jws_alg_name(s->key->alg)));
        if (jku) json_object_set_new(h, "jku", json_string(jku));
        json_object_set_new(h, "kid", json_string(s->kid));
        json_object_set_new(h, "typ", json_string("JWT"));
        hs = json_dumps(h, JSON_COMPACT);
        json_decref(h);
    }
    if (hs) s->header_b64 = tok_b64url((const uint8_t *)hs, strlen(hs));
    free(hs);
    if (!s->cert_pem || !s->header_b64) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto fail;
    }
    s->header_b64_len = strlen(s->header_b64);
    *out = s;
    return AVOW_OK;
fail:
    avow_token_signer_free(s);
    return rc;
}

void avow_token_signer_free(avow_token_signer *s)
{
    if (!s) return;
    avow_jws_key_free(s->key);
    avow_jws_key_free(s->pub);
    for (size_t i = 0; i < SIGNER_SLOTS; i++)
        EVP_PKEY_CTX_free(s->slot[i].ctx);
    free(s->cert_pem);
    free(s->header_b64);
    free(s);
}

const char *avow_token_signer_kid(const avow_token_signer *s)
{
    return s->kid;
}

const char *avow_token_signer_cert_pem(const avow_token_signer *s)
{
    return s->cert_pem;
}

const avow_jws_key *avow_token_signer_key(const avow_token_signer *s)
{
    return s->pub;
}

/* Signs with ctx, or reports why the context could not be set up. */
static avow_err sign_with(const avow_token_signer *s, EVP_PKEY_CTX *ctx, const uint8_t hash[32],
                          uint8_t **sig, size_t *sig_len, avow_error *err)
{
    if (!ctx) {
        char eb[160];
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET,
                              "cannot set up a signing context: %s", tok_ossl_err(eb, sizeof(eb)));
    }
    return tok_sign_hash(s->key, ctx, hash, sig, sig_len, err);
}

/* Signs with a slot's context, or a one-off one when all slots are busy. The
 * signer is logically immutable: the slots only cache contexts. */
static avow_err sign_hash(const avow_token_signer *cs, const uint8_t hash[32], uint8_t **sig,
                          size_t *sig_len, avow_error *err)
{
    avow_token_signer *s = (avow_token_signer *)cs;
    for (size_t i = 0; i < SIGNER_SLOTS; i++) {
        if (atomic_exchange_explicit(&s->slot[i].busy, true, memory_order_acquire)) continue;
        if (!s->slot[i].ctx) s->slot[i].ctx = tok_sign_ctx_new(s->key);
        avow_err rc = sign_with(s, s->slot[i].ctx, hash, sig, sig_len, err);
        atomic_store_explicit(&s->slot[i].busy, false, memory_order_release);
        return rc;
    }
    EVP_PKEY_CTX *ctx = tok_sign_ctx_new(s->key);
    avow_err rc = sign_with(s, ctx, hash, sig, sig_len, err);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

avow_err avow_token_signer_sign(const avow_token_signer *s, const char *claims_json, size_t len,
                                char **token, avow_error *err)
{
    *token = NULL;
    if (!s || !claims_json)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "signer: no claims");
    size_t plen = avow_base64_len(len) - 1; /* upper bound of the encoded payload */
    size_t cap = s->header_b64_len + 1 + plen + 1 + avow_base64_len(512) + 1;
    char *t = malloc(cap);
    if (!t) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    memcpy(t, s->header_b64, s->header_b64_len);
    t[s->header_b64_len] = '.';
    avow_base64url_encode((const uint8_t *)claims_json, len, t + s->header_b64_len + 1);
    size_t ilen = s->header_b64_len + 1 + strlen(t + s->header_b64_len + 1);
    uint8_t hash[32], *sig = NULL;
    size_t sig_len = 0;
    avow_sha256(t, ilen, hash);
    avow_err rc = sign_hash(s, hash, &sig, &sig_len, err);
    if (rc) {
        free(t);
        return rc;
    }
    if (sig_len > 512) { /* RSA up to 4096 bits */
        free(sig);
        free(t);
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "signature too long");
    }
    t[ilen] = '.';
    avow_base64url_encode(sig, sig_len, t + ilen + 1);
    free(sig);
    *token = t;
    return AVOW_OK;
}
