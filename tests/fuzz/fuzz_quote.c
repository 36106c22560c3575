/* libFuzzer target: avow_quote_parse over arbitrary bytes, with and without
 * the AVOW_QUOTE_ALLOW_TRAILING flag (no effect since trailing bytes are one
 * rule, docs/security.md);
 * on success every view must lie inside the input and agree with the sizes.
 * Thread-safe: no state. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "avow/quote.h"

#define INSIDE(p, n) ((p) >= data && (n) <= size && (size_t)((p)-data) <= size - (n))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (unsigned flags = 0; flags <= AVOW_QUOTE_ALLOW_TRAILING; flags++) {
        avow_quote q;
        avow_error e;
        if (avow_quote_parse_ex(data, size, flags, &q, &e) != AVOW_OK) {
            if (e.msg[0] == '\0') abort(); /* every error says something */
            continue;
        }
        if (!INSIDE(q.body, q.body_len) || !INSIDE(q.signature, 64) || !INSIDE(q.attest_key, 64) ||
            !INSIDE(q.qe_report, 384) || !INSIDE(q.qe_report_sig, 64) ||
            !INSIDE(q.qe_auth_data, q.qe_auth_data_len) || !INSIDE(q.cert_data, q.cert_data_len) ||
            q.end + q.trailing_len != size || q.signed_len + 4 + q.auth_data_size != q.end ||
            q.cert_data + q.cert_data_len != data + q.end)
            abort();
        avow_quote_pck_id id;
        if (avow_quote_get_pck_id(&q, &id, NULL) == AVOW_OK && !INSIDE(id.pce_id, 2)) abort();
    }
    return 0;
}
