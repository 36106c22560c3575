/* The SGX extension of PCK certificates (pck.h, OID 1.2.840.113741.1.13.1).
 *
 * The extension value is walked by hand with a tiny strict DER reader rather
 * than with OpenSSL's ASN.1 templates: the structure is fixed and small, this
 * is on the hot path of every quote verification, and a walk that knows the
 * exact shape can enforce Intel's rules (5 or 7 entries, 18 TCB entries, each
 * item exactly once, INTEGER ranges, minimal DER, no trailing bytes) and say
 * which item is wrong and at which offset of the extension. OIDs are compared
 * as encoded byte strings. Only definite, minimal lengths are accepted.
 *
 * The extension is found in a certificate read by pki/cert.h, which has
 * already refused a second SGX extension.
 * Layout: docs/verification.md A3, docs/formats.md §6.4.
 * Thread-safe: no state. */
#include "avow/pck.h"

#include <stdio.h>
#include <string.h>

#include "pki/pck_cert.h"

/* DER contents of OID 1.2.840.113741.1.13.1 (the extension and the prefix of
 * every item's OID). */
static const uint8_t SGX_OID[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
#define SGX_OID_LEN sizeof(SGX_OID)

enum {
    TAG_BOOLEAN = 0x01,
    TAG_INTEGER = 0x02,
    TAG_OCTETS = 0x04,
    TAG_OID = 0x06,
    TAG_ENUM = 0x0a,
    TAG_SEQUENCE = 0x30
};

/* A window of the extension: [off, end) with offsets relative to its start. */
typedef struct {
    const uint8_t *base;
    size_t off, end;
    avow_error *err;
} der;

typedef struct {
    uint8_t tag;
    size_t off;  /* offset of the tag byte */
    size_t voff; /* offset of the value */
    size_t len;
} tlv;

static const char *tag_name(uint8_t tag)
{
    switch (tag) {
        case TAG_BOOLEAN:
            return "BOOLEAN";
        case TAG_INTEGER:
            return "INTEGER";
        case TAG_OCTETS:
            return "OCTET STRING";
        case TAG_OID:
            return "OBJECT IDENTIFIER";
        case TAG_ENUM:
            return "ENUMERATED";
        case TAG_SEQUENCE:
            return "SEQUENCE";
    }
    return "element";
}

/* Reads the next TLV of the window, which must have tag `tag`. */
static avow_err next(der *d, uint8_t tag, const char *field, tlv *t)
{
    size_t o = d->off, left = d->end - d->off;
    if (left < 2)
        return avow_error_set(d->err, AVOW_ERR_FORMAT, o,
                              "pck_ext.%s at offset %zu: missing (%s expected, %zu bytes left)",
                              field, o, tag_name(tag), left);
    if (d->base[o] != tag)
        return avow_error_set(d->err, AVOW_ERR_FORMAT, o,
                              "pck_ext.%s at offset %zu: tag 0x%02x, expected %s (0x%02x)", field,
                              o, d->base[o], tag_name(tag), tag);
    size_t hdr = 2, n = d->base[o + 1];
    if (n == 0x80)
        return avow_error_set(d->err, AVOW_ERR_FORMAT, o + 1,
                              "pck_ext.%s at offset %zu: indefinite length is not DER", field,
                              o + 1);
    if (n & 0x80) {
        size_t k = n & 0x7f;
        if (k > 2)
            return avow_error_set(d->err, AVOW_ERR_FORMAT, o + 1,
                                  "pck_ext.%s at offset %zu: a %zu-byte length is too long", field,
                                  o + 1, k);
        if (left - 2 < k)
            return avow_error_set(d->err, AVOW_ERR_FORMAT, o + 1,
                                  "pck_ext.%s at offset %zu: length truncated (%zu bytes left)",
                                  field, o + 1, left - 2);
        n = 0;
        for (size_t i = 0; i < k; i++)
            n = n << 8 | d->base[o + 2 + i];
        if (d->base[o + 2] == 0 || n < 0x80)
            return avow_error_set(d->err, AVOW_ERR_FORMAT, o + 1,
                                  "pck_ext.%s at offset %zu: length %zu is not minimally encoded",
                                  field, o + 1, n);
        hdr += k;
    }
    if (n > left - hdr)
        return avow_error_set(d->err, AVOW_ERR_FORMAT, o + 1,
                              "pck_ext.%s at offset %zu: length %zu exceeds the %zu bytes left",
                              field, o + 1, n, left - hdr);
    t->tag = tag;
    t->off = o;
    t->voff = o + hdr;
    t->len = n;
    d->off = o + hdr + n;
    return AVOW_OK;
}

/* A window over the contents of a constructed TLV. */
static der inside(const der *d, const tlv *t)
{
    der in = {d->base, t->voff, t->voff + t->len, d->err};
    return in;
}

/* Number of elements in a window (each a well-formed TLV of any tag). */
static avow_err count(const der *d, const char *field, size_t *n)
{
    der w = *d;
    *n = 0;
    while (w.off < w.end) {
        tlv t;
        uint8_t tag = w.base[w.off];
        if (next(&w, tag, field, &t)) return AVOW_ERR_FORMAT;
        (*n)++;
    }
    return AVOW_OK;
}

/* Non-negative DER INTEGER/ENUMERATED value <= max, minimal encoding. */
static avow_err uint_value(const der *d, const tlv *t, const char *field, uint32_t max, uint32_t *v)
{
    const uint8_t *p = d->base + t->voff;
    if (t->len == 0)
        return avow_error_set(d->err, AVOW_ERR_FORMAT, t->off, "pck_ext.%s at offset %zu: empty %s",
                              field, t->off, tag_name(t->tag));
    if (p[0] & 0x80)
        return avow_error_set(d->err, AVOW_ERR_FORMAT, t->off,
                              "pck_ext.%s at offset %zu: negative %s", field, t->off,
                              tag_name(t->tag));
    if (t->len > 1 && p[0] == 0 && !(p[1] & 0x80))
        return avow_error_set(d->err, AVOW_ERR_FORMAT, t->off,
                              "pck_ext.%s at offset %zu: %s is not minimally encoded (leading "
                              "zero)",
                              field, t->off, tag_name(t->tag));
    if (t->len > 5 || (t->len == 5 && p[0] != 0))
        return avow_error_set(d->err, AVOW_ERR_FORMAT, t->off,
                              "pck_ext.%s at offset %zu: %s of %zu bytes exceeds %u", field, t->off,
                              tag_name(t->tag), t->len, max);
    uint64_t x = 0;
    for (size_t i = 0; i < t->len; i++)
        x = x << 8 | p[i];
    if (x > max)
        return avow_error_set(d->err, AVOW_ERR_FORMAT, t->off,
                              "pck_ext.%s at offset %zu: %llu is out of range 0..%u", field, t->off,
                              (unsigned long long)x, max);
    *v = (uint32_t)x;
    return AVOW_OK;
}

static avow_err octets(der *d, const char *field, uint8_t *out, size_t want)
{
    tlv t;
    avow_err e = next(d, TAG_OCTETS, field, &t);
    if (e) return e;
    if (t.len != want)
        return avow_error_set(d->err, AVOW_ERR_FORMAT, t.off,
                              "pck_ext.%s at offset %zu: OCTET STRING of %zu bytes, expected %zu",
                              field, t.off, t.len, want);
    memcpy(out, d->base + t.voff, want);
    return AVOW_OK;
}

static avow_err boolean(der *d, const char *field, bool *out)
{
    tlv t;
    avow_err e = next(d, TAG_BOOLEAN, field, &t);
    if (e) return e;
    uint8_t b = t.len == 1 ? d->base[t.voff] : 0x01;
    if (t.len != 1 || (b != 0x00 && b != 0xff))
        return avow_error_set(d->err, AVOW_ERR_FORMAT, t.off,
                              "pck_ext.%s at offset %zu: BOOLEAN is not DER (one byte, 00 or FF)",
                              field, t.off);
    *out = b == 0xff;
    return AVOW_OK;
}

static avow_err no_trailing(const der *d, const char *field)
{
    if (d->off == d->end) return AVOW_OK;
    return avow_error_set(d->err, AVOW_ERR_FORMAT, d->off,
                          "pck_ext.%s at offset %zu: %zu unexpected bytes at the end", field,
                          d->off, d->end - d->off);
}

/* Reads "SEQUENCE { OID prefix.arc, value }" header: opens the entry and
 * returns its arc (the last OID byte after `prefix`) and a window positioned
 * at the value. */
static avow_err entry(der *d, const char *field, const uint8_t *prefix, size_t prefix_len,
                      unsigned *arc, size_t *oid_off, der *value)
{
    tlv seq, oid;
    avow_err e;
    if ((e = next(d, TAG_SEQUENCE, field, &seq))) return e;
    *value = inside(d, &seq);
    if ((e = next(value, TAG_OID, field, &oid))) return e;
    const uint8_t *p = d->base + oid.voff;
    *oid_off = oid.off;
    if (oid.len != prefix_len + 1 || memcmp(p, prefix, prefix_len) != 0 || p[prefix_len] & 0x80)
        return avow_error_set(d->err, AVOW_ERR_FORMAT, oid.off,
                              "pck_ext.%s at offset %zu: unexpected OID (not an item of this "
                              "sequence)",
                              field, oid.off);
    *arc = p[prefix_len];
    return AVOW_OK;
}

static const char *const comp_names[16] = {"tcb.comp01", "tcb.comp02", "tcb.comp03", "tcb.comp04",
                                           "tcb.comp05", "tcb.comp06", "tcb.comp07", "tcb.comp08",
                                           "tcb.comp09", "tcb.comp10", "tcb.comp11", "tcb.comp12",
                                           "tcb.comp13", "tcb.comp14", "tcb.comp15", "tcb.comp16"};

static avow_err parse_tcb(der *seq, avow_pck_ext *out, size_t seq_off)
{
    uint8_t prefix[SGX_OID_LEN + 1];
    memcpy(prefix, SGX_OID, SGX_OID_LEN);
    prefix[SGX_OID_LEN] = 2;
    size_t n;
    avow_err e;
    if ((e = count(seq, "tcb", &n))) return e;
    if (n != 18)
        return avow_error_set(seq->err, AVOW_ERR_FORMAT, seq_off,
                              "pck_ext.tcb at offset %zu: %zu entries, expected 18", seq_off, n);
    uint32_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned arc;
        size_t oid_off;
        der v;
        if ((e = entry(seq, "tcb", prefix, sizeof(prefix), &arc, &oid_off, &v))) return e;
        if (arc < 1 || arc > 18)
            return avow_error_set(seq->err, AVOW_ERR_FORMAT, oid_off,
                                  "pck_ext.tcb at offset %zu: unknown item .2.%u", oid_off, arc);
        if (seen & (1u << arc))
            return avow_error_set(seq->err, AVOW_ERR_FORMAT, oid_off,
                                  "pck_ext.tcb at offset %zu: item .2.%u appears twice", oid_off,
                                  arc);
        seen |= 1u << arc;
        const char *field = arc <= 16   ? comp_names[arc - 1]
                            : arc == 17 ? "tcb.pcesvn"
                                        : "tcb.cpusvn";
        if (arc == 18) {
            if ((e = octets(&v, field, out->cpusvn, 16))) return e;
        } else {
            tlv t;
            uint32_t x;
            if ((e = next(&v, TAG_INTEGER, field, &t))) return e;
            if ((e = uint_value(&v, &t, field, arc == 17 ? 65535 : 255, &x))) return e;
            if (arc == 17)
                out->pcesvn = (uint16_t)x;
            else
                out->comp_svn[arc - 1] = (uint8_t)x;
        }
        if ((e = no_trailing(&v, field))) return e;
    }
    return no_trailing(seq, "tcb");
}

static avow_err parse_configuration(der *seq, avow_pck_ext *out)
{
    uint8_t prefix[SGX_OID_LEN + 1];
    memcpy(prefix, SGX_OID, SGX_OID_LEN);
    prefix[SGX_OID_LEN] = 7;
    static const char *const names[3] = {"configuration.dynamic_platform",
                                         "configuration.cached_keys", "configuration.smt_enabled"};
    bool *const dst[3] = {&out->dynamic_platform, &out->cached_keys, &out->smt_enabled};
    bool *const has[3] = {&out->has_dynamic_platform, &out->has_cached_keys, &out->has_smt_enabled};
    unsigned seen = 0;
    avow_err e;
    while (seq->off < seq->end) {
        unsigned arc;
        size_t oid_off;
        der v;
        if ((e = entry(seq, "configuration", prefix, sizeof(prefix), &arc, &oid_off, &v))) return e;
        if (arc < 1 || arc > 3)
            return avow_error_set(seq->err, AVOW_ERR_FORMAT, oid_off,
                                  "pck_ext.configuration at offset %zu: unknown item .7.%u",
                                  oid_off, arc);
        if (seen & (1u << arc))
            return avow_error_set(seq->err, AVOW_ERR_FORMAT, oid_off,
                                  "pck_ext.configuration at offset %zu: item .7.%u appears twice",
                                  oid_off, arc);
        seen |= 1u << arc;
        if ((e = boolean(&v, names[arc - 1], dst[arc - 1]))) return e;
        if ((e = no_trailing(&v, names[arc - 1]))) return e;
        *has[arc - 1] = true;
    }
    out->has_configuration = true;
    return AVOW_OK;
}

static const char *const item_names[8] = {
    "", "ppid", "tcb", "pce_id", "fmspc", "sgx_type", "platform_instance_id", "configuration"};

avow_err avow_pck_ext_parse(const uint8_t *buf, size_t len, avow_pck_ext *out, avow_error *err)
{
    if (!out || (!buf && len))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "pck_ext: no input or output");
    memset(out, 0, sizeof(*out));
    der top = {buf, 0, len, err};
    tlv outer;
    avow_err e;
    if ((e = next(&top, TAG_SEQUENCE, "sequence", &outer))) return e;
    if ((e = no_trailing(&top, "sequence"))) return e;
    der seq = inside(&top, &outer);
    size_t n;
    if ((e = count(&seq, "sequence", &n))) return e;
    if (n != 5 && n != 7)
        return avow_error_set(err, AVOW_ERR_FORMAT, 0,
                              "pck_ext.sequence at offset 0: %zu entries, expected 5 (Processor "
                              "CA) or 7 (Platform CA)",
                              n);
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned arc;
        size_t oid_off;
        der v;
        if ((e = entry(&seq, "sequence", SGX_OID, SGX_OID_LEN, &arc, &oid_off, &v))) return e;
        if (arc < 1 || arc > 7)
            return avow_error_set(err, AVOW_ERR_FORMAT, oid_off,
                                  "pck_ext.sequence at offset %zu: unknown item "
                                  "1.2.840.113741.1.13.1.%u",
                                  oid_off, arc);
        const char *field = item_names[arc];
        if (seen & (1u << arc))
            return avow_error_set(err, AVOW_ERR_FORMAT, oid_off,
                                  "pck_ext.%s at offset %zu: appears twice", field, oid_off);
        seen |= 1u << arc;
        tlv t;
        uint32_t x;
        switch (arc) {
            case 1:
                e = octets(&v, field, out->ppid, 16);
                break;
            case 2:
                if (!(e = next(&v, TAG_SEQUENCE, field, &t))) {
                    der tcb = inside(&v, &t);
                    e = parse_tcb(&tcb, out, t.off);
                }
                break;
            case 3:
                e = octets(&v, field, out->pce_id, 2);
                break;
            case 4:
                e = octets(&v, field, out->fmspc, 6);
                break;
            case 5:
                if (!(e = next(&v, TAG_ENUM, field, &t)) && !(e = uint_value(&v, &t, field, 2, &x)))
                    out->sgx_type = (int)x;
                break;
            case 6:
                e = octets(&v, field, out->platform_instance_id, 16);
                out->has_platform_instance_id = !e;
                break;
            case 7:
                if (!(e = next(&v, TAG_SEQUENCE, field, &t))) {
                    der cfg = inside(&v, &t);
                    e = parse_configuration(&cfg, out);
                }
                break;
        }
        if (e) return e;
        if ((e = no_trailing(&v, field))) return e;
    }
    /* n is 5 or 7 and no item repeats: check the required ones are there */
    unsigned need = n == 5 ? 0x3e : 0xfe;
    for (unsigned arc = 1; arc <= 7; arc++)
        if ((need & (1u << arc)) && !(seen & (1u << arc)))
            return avow_error_set(err, AVOW_ERR_FORMAT, 0,
                                  "pck_ext.%s: missing (required in a %zu-entry extension)",
                                  item_names[arc], n);
    return AVOW_OK;
}

avow_err avow_pck_ext_from_cert(const avow_cert *cert, avow_pck_ext *out, avow_error *err)
{
    if (!cert->sgx_ext.p)
        return avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                              "pck_ext: the certificate has no SGX extension (%s)",
                              AVOW_SGX_EXT_OID);
    return avow_pck_ext_parse(cert->sgx_ext.p, cert->sgx_ext.len, out, err);
}

avow_err avow_pck_ext_from_cert_der(const uint8_t *cert, size_t len, avow_pck_ext *out,
                                    avow_error *err)
{
    if (!cert || !out || len == 0 || len > 0x7fffffff)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "pck_ext: no certificate");
    /* pki/cert.h, not d2i_X509: this runs per request in the service
     * (avow_quote_platform_id), and d2i_X509 costs 100-170 us on OpenSSL 3.0 */
    avow_cert c;
    avow_error e;
    avow_error_clear(&e);
    if (avow_cert_parse(cert, len, &c, &e) != AVOW_OK)
        return avow_error_set(err, AVOW_ERR_FORMAT, e.offset, "pck_ext: %s", e.msg);
    return avow_pck_ext_from_cert(&c, out, err);
}

const char *avow_pck_ca_name(avow_pck_ca ca)
{
    switch (ca) {
        case AVOW_PCK_CA_PROCESSOR:
            return "processor";
        case AVOW_PCK_CA_PLATFORM:
            return "platform";
        case AVOW_PCK_CA_UNKNOWN:
            break;
    }
    return "unknown";
}

const char *avow_pck_sgx_type_name(int sgx_type)
{
    switch (sgx_type) {
        case 0:
            return "Standard";
        case 1:
            return "Scalable";
        case 2:
            return "ScalableWithIntegrity";
        default:
            return NULL;
    }
}
