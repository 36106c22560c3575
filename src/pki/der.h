/* A strict DER reader for the X.509 certificates and CRLs on the DCAP
 * verification path (internal to libavow): tag-length-value steps over a
 * caller's buffer, definite minimal lengths only, every length checked against
 * what is left, no read past the end. Views only: nothing is copied.
 * Thread-safe: no state; a reader is a small value owned by its caller. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/time.h"

/* DER tags used by X.509 (universal class unless noted). */
enum {
    DER_BOOLEAN = 0x01,
    DER_INTEGER = 0x02,
    DER_BIT_STRING = 0x03,
    DER_OCTET_STRING = 0x04,
    DER_NULL = 0x05,
    DER_OID = 0x06,
    DER_ENUMERATED = 0x0a,
    DER_UTC_TIME = 0x17,
    DER_GENERALIZED_TIME = 0x18,
    DER_SEQUENCE = 0x30,
    DER_SET = 0x31,
    DER_CTX0 = 0xa0, /* [0] constructed */
    DER_CTX1 = 0xa1,
    DER_CTX3 = 0xa3,
};

typedef struct {
    const uint8_t *p;
    size_t len;
} avow_span;

/* A window of DER bytes; `off` is where the window starts in the outermost
 * object (for error messages). */
typedef struct {
    const uint8_t *p;
    size_t len;
    size_t pos;
    size_t off;
} avow_der;

/* One element: its tag, its whole encoding and its contents. */
typedef struct {
    uint8_t tag;
    avow_span tlv, val;
    size_t off; /* offset of the tag in the outermost object */
} avow_tlv;

static inline avow_der avow_der_init(const uint8_t *p, size_t len)
{
    return (avow_der){p, len, 0, 0};
}

static inline bool avow_der_empty(const avow_der *d)
{
    return d->pos == d->len;
}

/* Reads the next element; false at the end, on a malformed header (long-form
 * tag numbers, indefinite or non-minimal lengths, more than 4 length bytes)
 * or when its length runs past the window. */
bool avow_der_next(avow_der *d, avow_tlv *t);

/* The same, requiring `tag`. */
bool avow_der_expect(avow_der *d, uint8_t tag, avow_tlv *t);

/* Reads the next element only if its tag is `tag` (for OPTIONAL and DEFAULT
 * fields): true and `t` filled when present, false (and nothing consumed)
 * when absent or at the end. */
bool avow_der_optional(avow_der *d, uint8_t tag, avow_tlv *t);

/* A reader over the contents of `t`. */
avow_der avow_der_inside(const avow_tlv *t);

/* An INTEGER's contents are a minimal two's complement encoding (non-empty,
 * no redundant leading 0x00 / 0xff). */
bool avow_der_int_ok(avow_span v);

/* A non-negative INTEGER that fits `max` (for versions, pathLen). */
bool avow_der_small_uint(avow_span v, uint32_t max, uint32_t *out);

/* A BOOLEAN's contents: 0x00 or 0xff (DER). */
bool avow_der_bool(avow_span v, bool *out);

/* A BIT STRING's contents are DER: the unused-bits octet is 0..7, 0 when
 * there are no bits, and the unused bits are zero. */
bool avow_der_bits_ok(avow_span v);

/* A BIT STRING's contents with no unused bits: the bytes after the leading
 * 0x00 octet. */
bool avow_der_bits_whole(avow_span v, avow_span *out);

/* UTCTime (YYMMDDHHMMSSZ, 1950..2049) or GeneralizedTime (YYYYMMDDHHMMSSZ),
 * RFC 5280 profile, into unix seconds. */
bool avow_der_time(const avow_tlv *t, avow_time *out);

/* An OBJECT IDENTIFIER's contents are well formed (X.690 8.19): non-empty,
 * no subidentifier with a leading 0x80 octet, the last octet ending one. */
bool avow_der_oid_ok(avow_span v);

/* A universal string type allowed as a Name attribute value (UTF8String,
 * NumericString, PrintableString, TeletexString, IA5String,
 * UniversalString, BMPString; primitive) whose contents decode: UTF-8
 * without overlong forms, BMP and Universal in whole characters, every
 * character a Unicode scalar value (as OpenSSL requires to canonicalise a
 * Name). */
bool avow_der_dirstring_ok(uint8_t tag, avow_span v);

/* `v` equals the DER contents `oid` of `oid_len` bytes. */
static inline bool avow_der_oid_is(avow_span v, const uint8_t *oid, size_t oid_len)
{
    size_t i = 0;
    if (v.len != oid_len) return false;
    for (; i < oid_len && v.p[i] == oid[i]; i++)
        ;
    return i == oid_len;
}
