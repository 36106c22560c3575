/* Compact JSON text for the simulated PCS (sim_internal.h): a growing string
 * buffer that records allocation failure instead of returning it at every
 * call, upper-case hex as Intel's PCS writes it, RFC 3339 dates, advisory
 * ID arrays. Written by hand because the TCB Info and QE Identity are signed
 * over their exact bytes: what is built here is what gets signed.
 * Thread-safe: a buffer is used by one thread. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/sim_internal.h"

#define DAY 86400LL

void sim_sb_printf(sim_sb *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 1024;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

char *sim_sb_take(sim_sb *b)
{
    char *s = b->oom ? NULL : b->p;
    if (b->oom) free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}

void sim_upper_hex(const uint8_t *in, size_t n, char *out)
{
    static const char H[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = H[in[i] >> 4];
        out[2 * i + 1] = H[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void sim_put_date(sim_sb *b, const char *key, avow_time t)
{
    char d[21];
    avow_time_format(t, d);
    sim_sb_printf(b, "\"%s\":\"%s\"", key, d);
}

void sim_put_advisories(sim_sb *b, const char *const *ids, size_t n)
{
    if (!n) return;
    sim_sb_printf(b, ",\"advisoryIDs\":[");
    for (size_t i = 0; i < n; i++)
        sim_sb_printf(b, "%s\"%s\"", i ? "," : "", ids[i]);
    sim_sb_printf(b, "]");
}

avow_time sim_day_floor(avow_time t)
{
    return t - ((t % DAY) + DAY) % DAY;
}
