/* libFuzzer target: avow_collateral_from_bundle on arbitrary bytes; whatever
 * parses must survive to_bundle -> from_bundle unchanged, and writing twice
 * must give the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avow/collateral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avow_collateral a, b, c;
    avow_error e;
    if (avow_collateral_from_bundle(data, size, &a, &e) != AVOW_OK) return 0;
    char *s1, *s2;
    if (avow_collateral_to_bundle(&a, &s1, &e) != AVOW_OK) abort();
    if (avow_collateral_from_bundle((const uint8_t *)s1, strlen(s1), &b, &e) != AVOW_OK) abort();
    if (!avow_collateral_equal(&a, &b)) abort();
    if (avow_collateral_to_bundle(&b, &s2, &e) != AVOW_OK) abort();
    if (strcmp(s1, s2) != 0) abort();
    if (avow_collateral_copy(&b, &c) != AVOW_OK || !avow_collateral_equal(&a, &c)) abort();
    free(s1);
    free(s2);
    avow_collateral_free(&a);
    avow_collateral_free(&b);
    avow_collateral_free(&c);
    return 0;
}
