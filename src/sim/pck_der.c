/* DER encoder for the SGX extension of PCK certificates (OID
 * 1.2.840.113741.1.13.1, docs/formats.md §6.4): SEQUENCE OF SEQUENCE {OID,
 * value} with PPID, TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC,
 * SGX Type and, for Platform-CA certificates, PlatformInstanceID and
 * Configuration. Hand-written (a fixed, small structure; OpenSSL's ASN.1
 * templates would need a whole module definition for it).
 * Thread-safe: no state. */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} dbuf;

static void put(dbuf *b, const void *src, size_t n)
{
    if (b->oom || !n) return; /* an empty SEQUENCE (no Configuration flag) has no contents */
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_tlv(dbuf *b, uint8_t tag, const void *v, size_t n)
{
    uint8_t h[4];
    size_t hn = 0;
    h[hn++] = tag;
    if (n < 0x80) {
        h[hn++] = (uint8_t)n;
    } else if (n < 0x100) {
        h[hn++] = 0x81;
        h[hn++] = (uint8_t)n;
    } else {
        h[hn++] = 0x82;
        h[hn++] = (uint8_t)(n >> 8);
        h[hn++] = (uint8_t)n;
    }
    put(b, h, hn);
    put(b, v, n);
}

/* Wraps b's contents in a TLV appended to `out`. */
static void wrap(dbuf *out, uint8_t tag, dbuf *in)
{
    if (in->oom)
        out->oom = true;
    else
        put_tlv(out, tag, in->p, in->len);
    free(in->p);
    memset(in, 0, sizeof *in);
}

/* OID 1.2.840.113741.1.13.1[.a[.b]] */
static void put_oid(dbuf *b, int a, int sub)
{
    uint8_t oid[12] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
    size_t n = 9;
    if (a) oid[n++] = (uint8_t)a;
    if (sub) oid[n++] = (uint8_t)sub;
    put_tlv(b, 0x06, oid, n);
}

static void put_int(dbuf *b, uint32_t v)
{
    uint8_t tmp[5];
    size_t n = 0;
    uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    size_t i = 0;
    while (i < 3 && be[i] == 0)
        i++;
    if (be[i] & 0x80) tmp[n++] = 0;
    for (; i < 4; i++)
        tmp[n++] = be[i];
    put_tlv(b, 0x02, tmp, n);
}

/* SEQUENCE { OID(a.sub), value } where the value is built by the caller into v. */
static void item(dbuf *out, int a, int sub, dbuf *v)
{
    dbuf s = {0};
    put_oid(&s, a, sub);
    if (v->oom)
        s.oom = true;
    else
        put(&s, v->p, v->len);
    free(v->p);
    memset(v, 0, sizeof *v);
    wrap(out, 0x30, &s);
}

static void item_octets(dbuf *out, int a, int sub, const uint8_t *p, size_t n)
{
    dbuf v = {0};
    put_tlv(&v, 0x04, p, n);
    item(out, a, sub, &v);
}

avow_err sim_pck_ext_der(const avow_pck_ext *e, bool platform_ca, uint8_t **der, size_t *len)
{
    dbuf top = {0}, tcb = {0}, v = {0};
    item_octets(&top, 1, 0, e->ppid, 16);
    for (int i = 0; i < 16; i++) {
        put_int(&v, e->comp_svn[i]);
        item(&tcb, 2, i + 1, &v);
    }
    put_int(&v, e->pcesvn);
    item(&tcb, 2, 17, &v);
    item_octets(&tcb, 2, 18, e->cpusvn, 16);
    wrap(&v, 0x30, &tcb);
    item(&top, 2, 0, &v);
    item_octets(&top, 3, 0, e->pce_id, 2);
    item_octets(&top, 4, 0, e->fmspc, 6);
    uint8_t t = (uint8_t)e->sgx_type;
    put_tlv(&v, 0x0a, &t, 1);
    item(&top, 5, 0, &v);
    if (platform_ca) {
        item_octets(&top, 6, 0, e->platform_instance_id, 16);
        dbuf cfg = {0};
        const bool flags[3] = {e->dynamic_platform, e->cached_keys, e->smt_enabled};
        const bool has[3] = {e->has_dynamic_platform, e->has_cached_keys, e->has_smt_enabled};
        for (int i = 0; i < 3; i++) {
            if (!has[i]) continue; /* left out (tests of the undefined state) */
            uint8_t bv = flags[i] ? 0xff : 0x00;
            put_tlv(&v, 0x01, &bv, 1);
            item(&cfg, 7, i + 1, &v);
        }
        wrap(&v, 0x30, &cfg);
        item(&top, 7, 0, &v);
    }
    dbuf out = {0};
    wrap(&out, 0x30, &top);
    if (out.oom) {
        free(out.p);
        return AVOW_ERR_NOMEM;
    }
    *der = out.p;
    *len = out.len;
    return AVOW_OK;
}
