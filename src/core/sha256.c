/* SHA-256 helpers (core/sha256.h) over OpenSSL 3's EVP interface with the
 * digest fetched once. Thread-safe: the digest is made once with pthread_once
 * and then only read; each call or context uses its own EVP_MD_CTX. */
#include "core/sha256.h"

#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

static EVP_MD *g_sha256;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void fetch_digest(void)
{
    g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *avow_sha256_md(void)
{
    pthread_once(&g_once, fetch_digest);
    return g_sha256 ? g_sha256 : EVP_sha256();
}

void avow_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    if (!EVP_Digest(data, len, out, &n, avow_sha256_md(), NULL)) memset(out, 0, 32);
}

bool avow_sha256_init(avow_sha256_ctx *c)
{
    c->ctx = EVP_MD_CTX_new();
    if (!c->ctx) return false;
    if (!EVP_DigestInit_ex(c->ctx, avow_sha256_md(), NULL)) {
        EVP_MD_CTX_free(c->ctx);
        c->ctx = NULL;
        return false;
    }
    return true;
}

void avow_sha256_update(avow_sha256_ctx *c, const void *data, size_t len)
{
    if (c->ctx && len) EVP_DigestUpdate(c->ctx, data, len);
}

void avow_sha256_update_lp(avow_sha256_ctx *c, const void *data, size_t len)
{
    uint8_t n[8];
    for (int i = 0; i < 8; i++)
        n[i] = (uint8_t)((uint64_t)len >> (8 * i));
    avow_sha256_update(c, n, sizeof(n));
    if (data) avow_sha256_update(c, data, len);
}

void avow_sha256_final(avow_sha256_ctx *c, uint8_t out[32])
{
    unsigned int n = 32;
    if (!c->ctx || !EVP_DigestFinal_ex(c->ctx, out, &n)) memset(out, 0, 32);
    EVP_MD_CTX_free(c->ctx);
    c->ctx = NULL;
}
