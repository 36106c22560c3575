/* libFuzzer target: the signed-JSON span finder. Any span found lies inside
 * the input; a split body re-joined and split again gives the same span
 * bytes and signature. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avow/collateral.h"
#include "collateral/json_span.h"

static void check_key(const uint8_t *data, size_t size, const char *key)
{
    const char *body = (const char *)data, *span;
    size_t n;
    avow_error e;
    if (avow_json_member_span(body, size, key, &span, &n, &e) == AVOW_OK) {
        if (span < body || n == 0 || (size_t)(span - body) + n > size) abort();
        if (avow_json_validate(span, n, NULL, &e) != AVOW_OK) abort(); /* a value on its own */
    }
    uint8_t sig[64], sig2[64];
    if (avow_signed_json_split(body, size, key, &span, &n, sig, &e) != AVOW_OK) return;
    if (span[0] != '{' || span[n - 1] != '}') abort();
    char *joined;
    if (avow_signed_json_join(key, span, n, sig, &joined, &e) != AVOW_OK) abort();
    const char *span2;
    size_t n2;
    if (avow_signed_json_split(joined, strlen(joined), key, &span2, &n2, sig2, &e) != AVOW_OK)
        abort();
    if (n2 != n || memcmp(span, span2, n) != 0 || memcmp(sig, sig2, 64) != 0) abort();
    free(joined);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_key(data, size, "tcbInfo");
    check_key(data, size, "enclaveIdentity");
    return 0;
}
