/* SHA-256 for the whole library (internal): one-shot and incremental, over
 * OpenSSL 3 with the digest fetched once per process (implicit fetches by
 * name cost a provider lookup on every call in OpenSSL 3).
 * Thread-safe: the fetched digest is set up once (pthread_once) and only read
 * afterwards; an incremental context belongs to one thread at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;

/* The SHA-256 digest (fetched once), for OpenSSL calls that take one. */
const EVP_MD *avow_sha256_md(void);

/* SHA-256 of `len` bytes (all-zero output if OpenSSL fails, which it does
 * only when out of memory). */
void avow_sha256(const void *data, size_t len, uint8_t out[32]);

/* Incremental SHA-256 (for hashing several pieces as one key). */
typedef struct {
    EVP_MD_CTX *ctx;
} avow_sha256_ctx;
bool avow_sha256_init(avow_sha256_ctx *c);
void avow_sha256_update(avow_sha256_ctx *c, const void *data, size_t len);
/* Adds a length prefix (u64 LE) then the bytes, so concatenations are unambiguous. */
void avow_sha256_update_lp(avow_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest and frees the context (all-zero output after a failed init). */
void avow_sha256_final(avow_sha256_ctx *c, uint8_t out[32]);
