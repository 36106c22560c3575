/* Certificate-chain text for collateral readers (pem_chain.h): URL decoding
 * of PCS issuer-chain headers. Reading the certificates is pki's
 * (avow_cert_chain_read), chain *validation* the verifier's.
 * Thread-safe: no state. */
#include "collateral/pem_chain.h"

#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"

static bool has_text(const char *s, size_t len, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= len; i++)
        if (memcmp(s + i, needle, k) == 0) return true;
    return false;
}

/* Looks URL-encoded ("-----BEGIN%20CERTIFICATE..."): it has a '%' (PEM
 * itself never does) and no literal "-----BEGIN ". */
static bool is_urlencoded(const char *s, size_t len)
{
    /* Decoded text always holds a literal "-----BEGIN ", so decoding is
     * never applied twice (which would make a write/read cycle lossy). */
    return memchr(s, '%', len) != NULL && !has_text(s, len, "-----BEGIN ");
}

avow_err coll_pem_text(const char *s, size_t len, const char *what, char **out, size_t *out_len,
                       avow_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (is_urlencoded(s, len)) {
        avow_err e = avow_percent_decode_alloc(s, len, out, out_len, err);
        if (e) {
            avow_error_prefix(err, what);
            return e;
        }
        if (memchr(*out, '\0', *out_len)) {
            free(*out);
            *out = NULL;
            *out_len = 0;
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s: URL-encoded text decodes to a NUL byte", what);
        }
        return AVOW_OK;
    }
    char *c = malloc(len + 1);
    if (!c) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    memcpy(c, s, len);
    c[len] = '\0';
    *out = c;
    *out_len = len;
    return AVOW_OK;
}
