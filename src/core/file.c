/* Whole-file reads (include/avow/file.h). Thread-safe: no state. */
#include "avow/file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"

static void release(uint8_t *b, size_t n, bool secret)
{
    if (b && secret) avow_wipe(b, n);
    free(b);
}

avow_err avow_file_read_stream(FILE *f, const char *what, size_t max, bool secret, uint8_t **out,
                               size_t *len, avow_error *err)
{
    *out = NULL;
    *len = 0;
    size_t cap = 8192, n = 0;
    uint8_t *b = malloc(cap + 1);
    if (!b) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "%s: out of memory", what);
    for (;;) {
        n += fread(b + n, 1, cap - n, f);
        if (ferror(f)) {
            release(b, cap + 1, secret);
            return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: read error", what);
        }
        if (max && n > max) {
            release(b, cap + 1, secret);
            return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: larger than %zu bytes",
                                  what, max);
        }
        if (n < cap) break; /* end of file */
        /* grow by hand rather than realloc, so a secret is never left behind */
        uint8_t *nb = cap > SIZE_MAX / 2 - 1 ? NULL : malloc(cap * 2 + 1);
        if (!nb) {
            release(b, cap + 1, secret);
            return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "%s: out of memory", what);
        }
        memcpy(nb, b, n);
        release(b, cap + 1, secret);
        b = nb;
        cap *= 2;
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return AVOW_OK;
}

avow_err avow_file_read(const char *path, size_t max, bool secret, uint8_t **out, size_t *len,
                        avow_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: %s", path, strerror(errno));
    avow_err rc = avow_file_read_stream(f, path, max, secret, out, len, err);
    fclose(f);
    return rc;
}
