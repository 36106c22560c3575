/* Bounds-checked little-endian reader over a caller's buffer (internal).
 * Every read names the field it reads, so a failure says what and where:
 * "quote.auth_data_size at offset 432: needs 4 bytes, 2 left".
 * Not thread-safe per cursor; cursors are cheap values. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

typedef struct {
    const uint8_t *buf;
    size_t len; /* end of the readable window (absolute) */
    size_t off; /* absolute offset of the next read */
    avow_error *err;
    const char *what; /* prefix for messages, e.g. "quote" */
} avow_cursor;

void avow_cursor_init(avow_cursor *c, const uint8_t *buf, size_t len, const char *what,
                      avow_error *err);

static inline size_t avow_cursor_left(const avow_cursor *c)
{
    return c->len - c->off;
}

/* Each returns AVOW_OK or AVOW_ERR_FORMAT (with the field name and offset). */
avow_err avow_cursor_u16(avow_cursor *c, const char *field, uint16_t *v);
avow_err avow_cursor_u32(avow_cursor *c, const char *field, uint32_t *v);
avow_err avow_cursor_u64(avow_cursor *c, const char *field, uint64_t *v);
/* A view of the next n bytes (no copy). */
avow_err avow_cursor_bytes(avow_cursor *c, const char *field, size_t n, const uint8_t **p);

/* Little-endian loads from a known-valid pointer. */
static inline uint16_t avow_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t avow_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t avow_le64(const uint8_t *p)
{
    return (uint64_t)avow_le32(p) | (uint64_t)avow_le32(p + 4) << 32;
}
static inline void avow_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void avow_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void avow_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
