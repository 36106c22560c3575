/* Internals shared by the token layer's files (jws.c, jwt.c, jwks.c,
 * signer.c): the key type and OpenSSL helpers. Not part of the API.
 * Thread-safe: the helpers keep no state. */
#pragma once

#include <openssl/evp.h>

#include "avow/token.h"

struct avow_jws_key {
    EVP_PKEY *pkey;
    avow_jws_alg alg;
    bool priv;
};

/* Wraps `pkey` (ownership taken on success; freed on failure) as a key after
 * checking its type and size (RSA >= 1024 bits, >= 2048 to sign; EC P-256). */
avow_err tok_key_wrap(EVP_PKEY *pkey, bool priv, avow_jws_key **out, avow_error *err);

/* Signing in two parts, for signers that keep contexts: a signing context of
 * a private key set up for its algorithm over SHA-256 (NULL on failure; free
 * with EVP_PKEY_CTX_free), reusable for any number of signatures by one thread
 * at a time; and a signature over a SHA-256 `hash` with such a context. */
EVP_PKEY_CTX *tok_sign_ctx_new(const avow_jws_key *key);
avow_err tok_sign_hash(const avow_jws_key *key, EVP_PKEY_CTX *ctx, const uint8_t hash[32],
                       uint8_t **sig, size_t *sig_len, avow_error *err);

/* base64url (no padding) of `len` bytes into a malloc'd string. */
char *tok_b64url(const uint8_t *in, size_t len);

/* The last OpenSSL error as text (clears the queue). */
const char *tok_ossl_err(char *buf, size_t len);
