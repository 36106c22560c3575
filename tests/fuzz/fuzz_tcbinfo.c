/* libFuzzer target: avow_tcb_info_parse on arbitrary bytes. On success the
 * levels must come out strictly descending in Intel's order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avow/tcb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avow_tcb_info t;
    avow_error e;
    if (avow_tcb_info_parse((const char *)data, size, &t, &e) != AVOW_OK) return 0;
    if (t.n_levels == 0 || (t.version != 2 && t.version != 3)) abort();
    for (size_t i = 1; i < t.n_levels; i++) {
        const avow_tcb_level *a = &t.levels[i - 1], *b = &t.levels[i];
        int c = memcmp(a->sgx_comp, b->sgx_comp, 16);
        if (c == 0) c = (a->pcesvn > b->pcesvn) - (a->pcesvn < b->pcesvn);
        if (c == 0) c = memcmp(a->tdx_comp, b->tdx_comp, 16);
        if (c <= 0) abort();
    }
    if (t.is_tdx != t.has_tdx_module) abort();
    avow_tcb_info_free(&t);
    return 0;
}
