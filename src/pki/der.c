/* Strict DER reading for certificates and CRLs (der.h). Hand-written for the
 * cold verification path: OpenSSL 3.0's d2i_X509 costs ~100-170 us per
 * certificate (it decodes the public key through OSSL_DECODER, see
 * docs/performance.md), while walking the few fields the checks need costs a
 * few microseconds. Thread-safe: no state. */
#include "pki/der.h"

#include "core/pem.h"

bool avow_der_next(avow_der *d, avow_tlv *t)
{
    const uint8_t *p = d->p + d->pos;
    size_t whole = avow_der_tlv_len(p, d->len - d->pos);
    if (whole == 0) return false;
    size_t hdr = p[1] & 0x80 ? 2 + (p[1] & 0x7fu) : 2;
    t->tag = p[0];
    t->tlv = (avow_span){p, whole};
    t->val = (avow_span){p + hdr, whole - hdr};
    t->off = d->off + d->pos;
    d->pos += whole;
    return true;
}

bool avow_der_expect(avow_der *d, uint8_t tag, avow_tlv *t)
{
    size_t pos = d->pos;
    if (!avow_der_next(d, t)) return false;
    if (t->tag != tag) {
        d->pos = pos;
        return false;
    }
    return true;
}

bool avow_der_optional(avow_der *d, uint8_t tag, avow_tlv *t)
{
    if (d->pos == d->len || d->p[d->pos] != tag) return false;
    return avow_der_expect(d, tag, t);
}

avow_der avow_der_inside(const avow_tlv *t)
{
    size_t hdr = t->tlv.len - t->val.len;
    return (avow_der){t->val.p, t->val.len, 0, t->off + hdr};
}

bool avow_der_int_ok(avow_span v)
{
    if (v.len == 0) return false;
    if (v.len > 1 && ((v.p[0] == 0x00 && !(v.p[1] & 0x80)) || (v.p[0] == 0xff && (v.p[1] & 0x80))))
        return false;
    return true;
}

bool avow_der_small_uint(avow_span v, uint32_t max, uint32_t *out)
{
    if (!avow_der_int_ok(v) || (v.p[0] & 0x80) || v.len > 5) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < v.len; i++)
        x = x << 8 | v.p[i];
    if (x > max) return false;
    *out = (uint32_t)x;
    return true;
}

bool avow_der_bool(avow_span v, bool *out)
{
    if (v.len != 1 || (v.p[0] != 0x00 && v.p[0] != 0xff)) return false;
    *out = v.p[0] == 0xff;
    return true;
}

bool avow_der_bits_ok(avow_span v)
{
    if (v.len < 1 || v.p[0] > 7 || (v.len == 1 && v.p[0] != 0)) return false;
    return v.len == 1 || !(v.p[v.len - 1] & ((1u << v.p[0]) - 1));
}

bool avow_der_bits_whole(avow_span v, avow_span *out)
{
    if (v.len < 1 || v.p[0] != 0) return false;
    *out = (avow_span){v.p + 1, v.len - 1};
    return true;
}

/* Two decimal digits at p, or -1. */
static int two(const uint8_t *p)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

bool avow_der_time(const avow_tlv *t, avow_time *out)
{
    const uint8_t *p = t->val.p;
    int year;
    if (t->tag == DER_UTC_TIME && t->val.len == 13) {
        int yy = two(p);
        if (yy < 0) return false;
        year = yy >= 50 ? 1900 + yy : 2000 + yy;
        p += 2;
    } else if (t->tag == DER_GENERALIZED_TIME && t->val.len == 15) {
        int hi = two(p), lo = two(p + 2);
        if (hi < 0 || lo < 0) return false;
        year = hi * 100 + lo;
        p += 4;
    } else {
        return false;
    }
    int mon = two(p), day = two(p + 2), hour = two(p + 4), min = two(p + 6), sec = two(p + 8);
    if (p[10] != 'Z' || mon < 1 || mon > 12 || day < 1 || hour < 0 || hour > 23 || min < 0 ||
        min > 59 || sec < 0 || sec > 59)
        return false;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > mdays[mon - 1] + (mon == 2 && leap)) return false;
    *out = avow_time_from_civil(year, mon, day, hour, min, sec);
    return true;
}

bool avow_der_oid_ok(avow_span v)
{
    if (v.len == 0 || (v.p[v.len - 1] & 0x80)) return false;
    for (size_t i = 0; i < v.len; i++)
        if (v.p[i] == 0x80 && (i == 0 || !(v.p[i - 1] & 0x80))) return false;
    return true;
}

static bool unicode_ok(uint32_t c)
{
    return c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);
}

/* One UTF-8 character at p (n bytes left): its length, or 0 if malformed. */
static size_t utf8_char(const uint8_t *p, size_t n, uint32_t *c)
{
    size_t k = p[0] < 0x80             ? 1
               : (p[0] & 0xe0) == 0xc0 ? 2
               : (p[0] & 0xf0) == 0xe0 ? 3
               : (p[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (k == 0 || k > n) return 0;
    uint32_t v = k == 1 ? p[0] : p[0] & (0x7fu >> k);
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        v = v << 6 | (p[i] & 0x3fu);
    }
    if (v < min[k]) return 0; /* overlong */
    *c = v;
    return k;
}

bool avow_der_dirstring_ok(uint8_t tag, avow_span v)
{
    uint32_t c;
    switch (tag) {
        case 0x12: /* NumericString */
        case 0x13: /* PrintableString */
        case 0x14: /* TeletexString */
        case 0x16: /* IA5String */
            return true;
        case 0x0c: /* UTF8String */
            for (size_t i = 0, k; i < v.len; i += k)
                if (!(k = utf8_char(v.p + i, v.len - i, &c)) || !unicode_ok(c)) return false;
            return true;
        case 0x1e: /* BMPString */
            if (v.len % 2) return false;
            for (size_t i = 0; i < v.len; i += 2)
                if (!unicode_ok((uint32_t)v.p[i] << 8 | v.p[i + 1])) return false;
            return true;
        case 0x1c: /* UniversalString */
            if (v.len % 4) return false;
            for (size_t i = 0; i < v.len; i += 4)
                if (!unicode_ok((uint32_t)v.p[i] << 24 | (uint32_t)v.p[i + 1] << 16 |
                                (uint32_t)v.p[i + 2] << 8 | v.p[i + 3]))
                    return false;
            return true;
    }
    return false;
}
