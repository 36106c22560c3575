/* libFuzzer target: the PCK SGX extension walker (avow_pck_ext_parse) and the
 * PEM splitter it is usually fed through (core/pem.h).
 * Thread-safe: no state. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "avow/pck.h"
#include "core/pem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avow_pck_ext x;
    avow_error e;
    if (avow_pck_ext_parse(data, size, &x, &e) == AVOW_OK) {
        if (x.sgx_type < 0 || x.sgx_type > 2) abort();
    } else if (e.msg[0] == '\0') {
        abort();
    }
    avow_der_blob *b;
    size_t n;
    if (avow_pem_split((const char *)data, size, NULL, &b, &n, NULL) == AVOW_OK) {
        if (n == 0) abort();
        for (size_t i = 0; i < n; i++)
            if (avow_der_tlv_len(b[i].der, b[i].len) != b[i].len) abort();
        avow_der_blobs_free(b, n);
    }
    return 0;
}
