/* libFuzzer target: avow_qe_identity_parse on arbitrary bytes. On success the
 * levels must be strictly descending by ISVSVN. */
#include <stdint.h>
#include <stdlib.h>

#include "avow/tcb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avow_qe_identity q;
    avow_error e;
    if (avow_qe_identity_parse((const char *)data, size, &q, &e) != AVOW_OK) return 0;
    if (q.n_levels == 0 || q.version != 2) abort();
    for (size_t i = 1; i < q.n_levels; i++)
        if (q.levels[i - 1].isvsvn <= q.levels[i].isvsvn) abort();
    avow_qe_identity_free(&q);
    return 0;
}
