/* Error codes and error details (include/avow/err.h). Thread-safe. */
#include "avow/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *avow_err_name(avow_err code)
{
    switch (code) {
    case AVOW_OK: return "ok";
    case AVOW_ERR_ARG: return "argument";
    case AVOW_ERR_FORMAT: return "format";
    case AVOW_ERR_UNSUPPORTED: return "unsupported";
    case AVOW_ERR_SIGNATURE: return "signature";
    case AVOW_ERR_CHAIN: return "chain";
    case AVOW_ERR_REVOKED: return "revoked";
    case AVOW_ERR_EXPIRED: return "expired";
    case AVOW_ERR_MISMATCH: return "mismatch";
    case AVOW_ERR_NOT_FOUND: return "not_found";
    case AVOW_ERR_IO: return "io";
    case AVOW_ERR_NOMEM: return "out_of_memory";
    case AVOW_ERR_INTERNAL: return "internal";
    case AVOW_ERR_AGAIN: return "again";
    }
    return "unknown";
}

avow_err avow_error_set(avow_error *e, avow_err code, size_t offset, const char *fmt, ...)
{
    if (!e) return code;
    e->code = code;
    e->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return code;
}

void avow_error_prefix(avow_error *e, const char *what)
{
    if (!e || !what || !*what) return;
    char tmp[sizeof(e->msg)];
    size_t w = strlen(what);
    if (w > sizeof(tmp) - 3) w = sizeof(tmp) - 3;
    memcpy(tmp, what, w);
    tmp[w] = ':';
    tmp[w + 1] = ' ';
    size_t room = sizeof(tmp) - w - 3, m = strlen(e->msg);
    if (m > room) m = room;
    memcpy(tmp + w + 2, e->msg, m);
    tmp[w + 2 + m] = '\0';
    memcpy(e->msg, tmp, sizeof(tmp));
}

void avow_error_clear(avow_error *e)
{
    if (!e) return;
    e->code = AVOW_OK;
    e->offset = AVOW_NO_OFFSET;
    e->msg[0] = '\0';
}
