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
