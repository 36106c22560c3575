/* x-ms-policy-hash (docs/maa.md §2.2):
 * BASE64URL(SHA256(UTF8(BASE64URL(UTF8(policy text))))), unpadded.
 * Thread-safe: no state. */
#include <stdlib.h>

#include "avow/encode.h"
#include "avow/policy.h"
#include "core/sha256.h"

avow_err avow_policy_hash(const char *text, size_t len, char out[AVOW_POLICY_HASH_LEN])
{
    if ((!text && len) || !out) return AVOW_ERR_ARG;
    if (len > SIZE_MAX / 2) return AVOW_ERR_ARG;
    char *b64 = malloc(avow_base64_len(len));
    if (!b64) return AVOW_ERR_NOMEM;
    avow_base64url_encode((const uint8_t *)(text ? text : ""), len, b64);
    uint8_t md[32];
    size_t n = 0;
    while (b64[n])
        n++;
    avow_sha256((const uint8_t *)b64, n, md);
    free(b64);
    avow_base64url_encode(md, sizeof(md), out);
    return AVOW_OK;
}
