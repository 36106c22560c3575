/* Unit tests of the PCK SGX extension walker (pck.h): the real single- and
 * multi-package certificates, the PCK leaf inside P1's quote, and malformed
 * DER built with a small DER writer (wrong counts, bad lengths, overlong or
 * out-of-range integers, missing and repeated items, truncation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/encode.h"
#include "avow/pck.h"
#include "avow/quote.h"
#include "core/pem.h"
#include "testutil.h"

static void assert_hex(const uint8_t *p, size_t n, const char *want)
{
    char s[129];
    assert_true(n <= 64);
    avow_hex_encode(p, n, s);
    assert_string_equal(s, want);
}

static void assert_msg_has(const avow_error *e, const char *needle)
{
    if (!strstr(e->msg, needle)) fail_msg("error \"%s\" does not mention \"%s\"", e->msg, needle);
}

/* ---- a tiny DER writer ------------------------------------------------- */

typedef struct {
    uint8_t b[4096];
    size_t n;
} buf;

static void put(buf *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof(o->b));
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put_tlv(buf *o, uint8_t tag, const void *v, size_t n)
{
    uint8_t h[4] = {tag};
    size_t hl = 2;
    if (n < 0x80) {
        h[1] = (uint8_t)n;
    } else if (n < 0x100) {
        h[1] = 0x81, h[2] = (uint8_t)n, hl = 3;
    } else {
        h[1] = 0x82, h[2] = (uint8_t)(n >> 8), h[3] = (uint8_t)n, hl = 4;
    }
    put(o, h, hl);
    put(o, v, n);
}

static const uint8_t SGX[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* SEQUENCE { OID SGX.path..., raw value TLV } */
static void put_item(buf *o, const uint8_t *path, size_t plen, const void *val, size_t vlen)
{
    buf in = {.n = 0}, oid = {.n = 0};
    put(&oid, SGX, sizeof(SGX));
    put(&oid, path, plen);
    put_tlv(&in, 0x06, oid.b, oid.n);
    put(&in, val, vlen);
    put_tlv(o, 0x30, in.b, in.n);
}

/* Knobs for building an extension; zero values mean "like the P1 leaf". */
typedef struct {
    int top;      /* 5 (default) or 7, or other counts */
    int tcb;      /* 18 (default) or fewer/more */
    int bad_comp; /* 1..16: replace that component's INTEGER with comp_raw */
    const uint8_t *comp_raw;
    size_t comp_raw_len;
    const uint8_t *pcesvn_raw; /* replaces the PCESVN INTEGER */
    size_t pcesvn_raw_len;
    int dup_top; /* replace the last top item with a repeat of item 4 */
    int fmspc_len;
    uint8_t sgx_type;
    uint8_t bool_byte; /* Configuration booleans (default 0xff) */
    int bools_false;   /* Configuration booleans all 0x00 */
} knobs;

static const uint8_t PPID[16] = {0xd0, 0x4e, 0xc0, 0x6d, 0x4e, 0x6d, 0x92, 0xdc,
                                 0x90, 0xd0, 0xad, 0x3c, 0xf5, 0xee, 0x2d, 0xdf};
static const uint8_t COMPS[16] = {11, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static void put_top_item(buf *seq, int arc, const knobs *k)
{
    uint8_t path[1] = {(uint8_t)arc};
    buf v = {.n = 0};
    switch (arc) {
        case 1:
            put_tlv(&v, 0x04, PPID, 16);
            break;
        case 2: {
            buf tcb = {.n = 0};
            int ntcb = k->tcb ? k->tcb : 18;
            for (int i = 1; i <= ntcb; i++) {
                int a = i > 18 ? 1 : i; /* extra entries repeat comp01 */
                uint8_t p2[2] = {2, (uint8_t)a};
                buf iv = {.n = 0};
                if (a <= 16) {
                    if (a == k->bad_comp) {
                        put(&iv, k->comp_raw, k->comp_raw_len);
                    } else {
                        uint8_t c = COMPS[a - 1];
                        uint8_t enc[2] = {0, c};
                        if (c & 0x80)
                            put_tlv(&iv, 0x02, enc, 2);
                        else
                            put_tlv(&iv, 0x02, enc + 1, 1);
                    }
                } else if (a == 17) {
                    if (k->pcesvn_raw)
                        put(&iv, k->pcesvn_raw, k->pcesvn_raw_len);
                    else
                        put_tlv(&iv, 0x02, "\x0d", 1);
                } else {
                    put_tlv(&iv, 0x04, COMPS, 16);
                }
                put_item(&tcb, p2, 2, iv.b, iv.n);
            }
            put_tlv(&v, 0x30, tcb.b, tcb.n);
            break;
        }
        case 3:
            put_tlv(&v, 0x04, "\x00\x00", 2);
            break;
        case 4:
            put_tlv(&v, 0x04, "\x00\xa0\x67\x11\x00\x00\x00\x00", k->fmspc_len ? k->fmspc_len : 6);
            break;
        case 5:
            put_tlv(&v, 0x0a, &k->sgx_type, 1);
            break;
        case 6:
            put_tlv(&v, 0x04, PPID, 16);
            break;
        case 7: {
            buf cfg = {.n = 0};
            uint8_t bb = k->bools_false ? 0x00 : k->bool_byte ? k->bool_byte : 0xff;
            for (uint8_t i = 1; i <= 3; i++) {
                uint8_t p2[2] = {7, i};
                buf bv = {.n = 0};
                put_tlv(&bv, 0x01, &bb, 1);
                put_item(&cfg, p2, 2, bv.b, bv.n);
            }
            put_tlv(&v, 0x30, cfg.b, cfg.n);
            break;
        }
        default:
            put_tlv(&v, 0x05, "", 0);
            break; /* NULL for unknown arcs */
    }
    put_item(seq, path, 1, v.b, v.n);
}

static size_t build(const knobs *k, uint8_t *out)
{
    buf seq = {.n = 0}, o = {.n = 0};
    int top = k->top ? k->top : 5;
    for (int arc = 1; arc <= top; arc++) {
        int a = (k->dup_top && arc == top) ? 4 : arc;
        put_top_item(&seq, a, k);
    }
    put_tlv(&o, 0x30, seq.b, seq.n);
    memcpy(out, o.b, o.n);
    return o.n;
}

/* ---- the real certificates --------------------------------------------- */

/* The extension value inside a DER certificate, found by its OID bytes. */
static const uint8_t *ext_in_cert(const uint8_t *der, size_t len, size_t *ext_len)
{
    static const uint8_t oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
    const uint8_t *p = memmem(der, len, oid, sizeof(oid));
    assert_non_null(p);
    p += sizeof(oid);
    assert_int_equal(p[0], 0x04);
    assert_int_equal(p[1], 0x82);
    *ext_len = (size_t)p[2] << 8 | p[3];
    return p + 4;
}

/* The DER of the PCK leaf in P1's quote (first certificate of the chain). */
static uint8_t *p1_leaf(size_t *len)
{
    size_t qlen;
    uint8_t *q = tu_read_vector("dcap/P1-phala-sgx-v3/quote.bin", &qlen);
    avow_quote quote;
    assert_int_equal(avow_quote_parse(q, qlen, &quote, NULL), AVOW_OK);
    avow_der_blob *certs;
    size_t n;
    avow_error e;
    assert_int_equal(avow_pem_split((const char *)quote.cert_data, quote.cert_data_len,
                                    "CERTIFICATE", &certs, &n, &e),
                     AVOW_OK);
    assert_int_equal(n, 3);
    uint8_t *leaf = malloc(certs[0].len);
    memcpy(leaf, certs[0].der, certs[0].len);
    *len = certs[0].len;
    avow_der_blobs_free(certs, n);
    free(q);
    return leaf;
}

static void test_p1_leaf(void **state)
{
    (void)state;
    size_t len;
    uint8_t *leaf = p1_leaf(&len);
    avow_pck_ext x;
    avow_error e;
    if (avow_pck_ext_from_cert_der(leaf, len, &x, &e)) fail_msg("%s", e.msg);
    assert_hex(x.ppid, 16, "d04ec06d4e6d92dc90d0ad3cf5ee2ddf");
    assert_memory_equal(x.comp_svn, COMPS, 16);
    assert_int_equal(x.pcesvn, 13);
    assert_hex(x.cpusvn, 16, "0b0b0202ff0100000000000000000000");
    assert_hex(x.pce_id, 2, "0000");
    assert_hex(x.fmspc, 6, "00a067110000");
    assert_int_equal(x.sgx_type, 0);
    assert_false(x.has_platform_instance_id);
    assert_false(x.has_configuration);
    assert_false(x.has_dynamic_platform || x.has_cached_keys || x.has_smt_enabled);

    /* the DER writer reproduces the real extension byte for byte */
    size_t ext_len;
    const uint8_t *ext = ext_in_cert(leaf, len, &ext_len);
    uint8_t built[4096];
    knobs k = {0};
    assert_int_equal(build(&k, built), ext_len);
    assert_memory_equal(built, ext, ext_len);

    /* a trailing byte after the certificate */
    uint8_t *more = malloc(len + 1);
    memcpy(more, leaf, len);
    more[len] = 0;
    assert_int_equal(avow_pck_ext_from_cert_der(more, len + 1, &x, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_pck_ext_from_cert_der(leaf, len - 1, &x, &e), AVOW_ERR_FORMAT);
    free(more);
    free(leaf);
}

static void test_single_pck(void **state)
{
    (void)state;
    size_t len;
    uint8_t *der = tu_read_vector("sgx/pck-certs/single_pck.crt", &len);
    avow_pck_ext x;
    avow_error e;
    if (avow_pck_ext_from_cert_der(der, len, &x, &e)) fail_msg("%s", e.msg);
    assert_hex(x.ppid, 16, "945e4ca143a17855df8fd2a7d9124cf2");
    static const uint8_t comps[16] = {6, 6, 2, 2, 2, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(x.comp_svn, comps, 16);
    assert_int_equal(x.pcesvn, 10);
    assert_hex(x.cpusvn, 16, "06060202020104000000000000000000");
    assert_hex(x.fmspc, 6, "00706e470000");
    assert_int_equal(x.sgx_type, 0);
    assert_false(x.has_platform_instance_id);
    free(der);
}

static void test_multi_pck(void **state)
{
    (void)state;
    size_t len;
    uint8_t *der = tu_read_vector("sgx/pck-certs/multi_pck.crt", &len);
    avow_pck_ext x;
    avow_error e;
    if (avow_pck_ext_from_cert_der(der, len, &x, &e)) fail_msg("%s", e.msg);
    assert_hex(x.ppid, 16, "5183fc7b8b0bcdfb04e1375ba12c8345");
    static const uint8_t comps[16] = {4, 4, 3, 3, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(x.comp_svn, comps, 16);
    assert_int_equal(x.pcesvn, 11);
    assert_hex(x.cpusvn, 16, "04040303ffff00000000000000000000");
    assert_hex(x.fmspc, 6, "00606a000000");
    assert_int_equal(x.sgx_type, 1);
    assert_true(x.has_platform_instance_id);
    assert_hex(x.platform_instance_id, 16, "5073eb6b1cda5a704c8a0fc122e0dfba");
    assert_true(x.has_configuration);
    assert_true(x.dynamic_platform);
    assert_true(x.cached_keys);
    assert_true(x.smt_enabled);
    assert_true(x.has_dynamic_platform && x.has_cached_keys && x.has_smt_enabled);

    /* truncating the extension value at every length fails cleanly */
    size_t ext_len;
    const uint8_t *ext = ext_in_cert(der, len, &ext_len);
    for (size_t n = 0; n < ext_len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, ext, n);
        avow_error_clear(&e);
        assert_int_equal(avow_pck_ext_parse(copy, n, &x, &e), AVOW_ERR_FORMAT);
        assert_true(strncmp(e.msg, "pck_ext.", 8) == 0);
        free(copy);
    }
    assert_int_equal(avow_pck_ext_parse(ext, ext_len, &x, &e), AVOW_OK);
    free(der);
}

static void test_no_extension(void **state)
{
    (void)state;
    size_t len;
    uint8_t *pem = tu_read_vector("roots/intel_sgx_root_ca.pem", &len);
    avow_der_blob *certs;
    size_t n;
    assert_int_equal(avow_pem_split((char *)pem, len, "CERTIFICATE", &certs, &n, NULL), AVOW_OK);
    avow_pck_ext x;
    avow_error e;
    assert_int_equal(avow_pck_ext_from_cert_der(certs[0].der, certs[0].len, &x, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_msg_has(&e, "1.2.840.113741.1.13.1");
    assert_int_equal(avow_pck_ext_from_cert_der((const uint8_t *)"\x30\x00", 2, &x, &e),
                     AVOW_ERR_FORMAT);
    avow_der_blobs_free(certs, n);
    free(pem);
    assert_string_equal(avow_pck_ca_name(AVOW_PCK_CA_PROCESSOR), "processor");
    assert_string_equal(avow_pck_ca_name(AVOW_PCK_CA_PLATFORM), "platform");
    assert_string_equal(avow_pck_ca_name(AVOW_PCK_CA_UNKNOWN), "unknown");
}

static avow_err parse_built(const knobs *k, avow_pck_ext *x, avow_error *e)
{
    uint8_t b[4096];
    size_t n = build(k, b);
    uint8_t *copy = malloc(n);
    memcpy(copy, b, n);
    avow_error_clear(e);
    avow_err r = avow_pck_ext_parse(copy, n, x, e);
    free(copy);
    return r;
}

static void expect_bad(const knobs *k, const char *needle)
{
    avow_pck_ext x;
    avow_error e;
    avow_err r = parse_built(k, &x, &e);
    if (r != AVOW_ERR_FORMAT)
        fail_msg("expected a format error mentioning \"%s\", got %d", needle, r);
    assert_msg_has(&e, needle);
}

static void test_built_good(void **state)
{
    (void)state;
    avow_pck_ext x;
    avow_error e;
    knobs k = {.top = 7, .sgx_type = 2, .bools_false = 1};
    if (parse_built(&k, &x, &e)) fail_msg("%s", e.msg);
    assert_int_equal(x.sgx_type, 2);
    assert_true(x.has_platform_instance_id && x.has_configuration);
    assert_false(x.dynamic_platform || x.cached_keys || x.smt_enabled);
    assert_true(x.has_dynamic_platform && x.has_cached_keys && x.has_smt_enabled);
    /* PCESVN 65535 = 02 03 00 FF FF is the maximum */
    knobs p = {.pcesvn_raw = (const uint8_t *)"\x02\x03\x00\xff\xff", .pcesvn_raw_len = 5};
    assert_int_equal(parse_built(&p, &x, &e), AVOW_OK);
    assert_int_equal(x.pcesvn, 65535);
}

static void test_counts(void **state)
{
    (void)state;
    expect_bad(&(knobs){.top = 4}, "4 entries, expected 5");
    expect_bad(&(knobs){.top = 6}, "6 entries, expected 5 (Processor CA) or 7");
    expect_bad(&(knobs){.top = 8}, "8 entries");
    expect_bad(&(knobs){.top = 5, .dup_top = 1}, "pck_ext.fmspc at offset");
    expect_bad(&(knobs){.top = 5, .dup_top = 1}, "appears twice");
    expect_bad(&(knobs){.top = 7, .dup_top = 1}, "appears twice");
    expect_bad(&(knobs){.tcb = 17}, "pck_ext.tcb at offset");
    expect_bad(&(knobs){.tcb = 17}, "17 entries, expected 18");
    expect_bad(&(knobs){.tcb = 19}, "19 entries, expected 18");
    expect_bad(&(knobs){.fmspc_len = 5}, "pck_ext.fmspc at offset");
    expect_bad(&(knobs){.fmspc_len = 7}, "7 bytes, expected 6");
    expect_bad(&(knobs){.sgx_type = 3}, "pck_ext.sgx_type");
    expect_bad(&(knobs){.top = 7, .bool_byte = 0x01}, "configuration.dynamic_platform");
}

static void test_integers(void **state)
{
    (void)state;
    /* 255 encoded without the leading zero is negative */
    expect_bad(
        &(knobs){.bad_comp = 5, .comp_raw = (const uint8_t *)"\x02\x01\xff", .comp_raw_len = 3},
        "pck_ext.tcb.comp05 at offset");
    expect_bad(
        &(knobs){.bad_comp = 5, .comp_raw = (const uint8_t *)"\x02\x01\xff", .comp_raw_len = 3},
        "negative");
    /* a needless leading zero */
    expect_bad(
        &(knobs){.bad_comp = 1, .comp_raw = (const uint8_t *)"\x02\x02\x00\x0b", .comp_raw_len = 4},
        "not minimally encoded");
    /* 256 is out of range for a component */
    expect_bad(
        &(knobs){.bad_comp = 2, .comp_raw = (const uint8_t *)"\x02\x02\x01\x00", .comp_raw_len = 4},
        "256 is out of range 0..255");
    /* overlong INTEGER */
    expect_bad(&(knobs){.bad_comp = 3,
                        .comp_raw = (const uint8_t *)"\x02\x08\x01\x00\x00\x00\x00\x00\x00\x00",
                        .comp_raw_len = 10},
               "pck_ext.tcb.comp03");
    /* empty INTEGER */
    expect_bad(&(knobs){.bad_comp = 16, .comp_raw = (const uint8_t *)"\x02\x00", .comp_raw_len = 2},
               "empty INTEGER");
    /* wrong type */
    expect_bad(
        &(knobs){.bad_comp = 4, .comp_raw = (const uint8_t *)"\x04\x01\x01", .comp_raw_len = 3},
        "expected INTEGER");
    /* PCESVN 65536 */
    expect_bad(&(knobs){.pcesvn_raw = (const uint8_t *)"\x02\x03\x01\x00\x00", .pcesvn_raw_len = 5},
               "pck_ext.tcb.pcesvn at offset");
    /* a missing value */
    expect_bad(&(knobs){.bad_comp = 7, .comp_raw = (const uint8_t *)"", .comp_raw_len = 0},
               "pck_ext.tcb.comp07 at offset");
    expect_bad(&(knobs){.bad_comp = 7, .comp_raw = (const uint8_t *)"", .comp_raw_len = 0},
               "missing");
    /* an extra element after the value */
    expect_bad(
        &(knobs){
            .bad_comp = 8, .comp_raw = (const uint8_t *)"\x02\x01\x00\x05\x00", .comp_raw_len = 5},
        "unexpected bytes at the end");
}

static void test_missing_item(void **state)
{
    (void)state;
    /* 5 entries where the fifth is PlatformInstanceID: SGX type is missing */
    uint8_t b[4096];
    buf seq = {.n = 0}, o = {.n = 0};
    knobs k = {0};
    int arcs[5] = {1, 2, 3, 4, 6};
    for (int i = 0; i < 5; i++)
        put_top_item(&seq, arcs[i], &k);
    put_tlv(&o, 0x30, seq.b, seq.n);
    memcpy(b, o.b, o.n);
    avow_pck_ext x;
    avow_error e;
    assert_int_equal(avow_pck_ext_parse(b, o.n, &x, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "pck_ext.sgx_type: missing");
    /* an unknown item arc .9 */
    seq.n = o.n = 0;
    int arcs2[5] = {1, 2, 3, 4, 9};
    for (int i = 0; i < 5; i++)
        put_top_item(&seq, arcs2[i], &k);
    put_tlv(&o, 0x30, seq.b, seq.n);
    assert_int_equal(avow_pck_ext_parse(o.b, o.n, &x, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "unknown item 1.2.840.113741.1.13.1.9");
}

static void test_lengths(void **state)
{
    (void)state;
    uint8_t b[4096];
    knobs k = {0};
    size_t n = build(&k, b);
    avow_pck_ext x;
    avow_error e;
    assert_int_equal(avow_pck_ext_parse(b, n, &x, &e), AVOW_OK);
    /* outer length one too big / too small */
    assert_int_equal(b[1], 0x82);
    b[3]++;
    assert_int_equal(avow_pck_ext_parse(b, n, &x, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "pck_ext.sequence at offset 1: length");
    assert_msg_has(&e, "exceeds");
    b[3] -= 2;
    assert_int_equal(avow_pck_ext_parse(b, n, &x, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "unexpected bytes at the end");
    b[3]++;
    /* trailing byte after the extension */
    b[n] = 0;
    assert_int_equal(avow_pck_ext_parse(b, n + 1, &x, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "pck_ext.sequence at offset");
    /* indefinite length */
    static const uint8_t indef[] = {0x30, 0x80, 0x00, 0x00};
    assert_int_equal(avow_pck_ext_parse(indef, sizeof(indef), &x, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "indefinite");
    /* long form for a short length */
    static const uint8_t nonmin[] = {0x30, 0x81, 0x02, 0x05, 0x00};
    assert_int_equal(avow_pck_ext_parse(nonmin, sizeof(nonmin), &x, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "not minimally encoded");
    /* a PPID item whose inner length overruns its SEQUENCE: 30 1e 06 0a ... 04 10 -> 04 11 */
    n = build(&k, b);
    assert_int_equal(b[4], 0x30);
    assert_int_equal(b[18], 0x04);
    b[19] = 0x11;
    assert_int_equal(avow_pck_ext_parse(b, n, &x, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "pck_ext.ppid at offset 19: length 17 exceeds");
    /* wrong outer tag */
    n = build(&k, b);
    b[0] = 0x31;
    assert_int_equal(avow_pck_ext_parse(b, n, &x, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "expected SEQUENCE");
    assert_int_equal(avow_pck_ext_parse(NULL, 0, &x, &e), AVOW_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_p1_leaf),    cmocka_unit_test(test_single_pck),
        cmocka_unit_test(test_multi_pck),  cmocka_unit_test(test_no_extension),
        cmocka_unit_test(test_built_good), cmocka_unit_test(test_counts),
        cmocka_unit_test(test_integers),   cmocka_unit_test(test_missing_item),
        cmocka_unit_test(test_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
