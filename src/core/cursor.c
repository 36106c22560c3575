/* Bounds-checked reader (cursor.h). */
#include "core/cursor.h"

void avow_cursor_init(avow_cursor *c, const uint8_t *buf, size_t len, const char *what,
                      avow_error *err)
{
    c->buf = buf;
    c->len = len;
    c->off = 0;
    c->err = err;
    c->what = what ? what : "input";
}

avow_err avow_cursor_bytes(avow_cursor *c, const char *field, size_t n, const uint8_t **p)
{
    if (n > avow_cursor_left(c))
        return avow_error_set(c->err, AVOW_ERR_FORMAT, c->off,
                              "%s.%s at offset %zu: needs %zu bytes, only %zu left", c->what,
                              field, c->off, n, avow_cursor_left(c));
    *p = c->buf + c->off;
    c->off += n;
    return AVOW_OK;
}

avow_err avow_cursor_u16(avow_cursor *c, const char *field, uint16_t *v)
{
    const uint8_t *p = NULL;
    avow_err e = avow_cursor_bytes(c, field, 2, &p);
    if (!e) *v = avow_le16(p);
    return e;
}

avow_err avow_cursor_u32(avow_cursor *c, const char *field, uint32_t *v)
{
    const uint8_t *p = NULL;
    avow_err e = avow_cursor_bytes(c, field, 4, &p);
    if (!e) *v = avow_le32(p);
    return e;
}

avow_err avow_cursor_u64(avow_cursor *c, const char *field, uint64_t *v)
{
    const uint8_t *p = NULL;
    avow_err e = avow_cursor_bytes(c, field, 8, &p);
    if (!e) *v = avow_le64(p);
    return e;
}
