/* Unit tests of the DCAP quote parser (quote.h) and the report body view
 * (report.h): every real quote in tests/vectors/data, field values, the v4
 * nesting offsets, v5 and v4-SGX quotes built from real ones, truncation at
 * every length, corrupted length fields, bad headers and trailing bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/encode.h"
#include "avow/quote.h"
#include "avow/verify.h"
#include "avow/report.h"
#include "core/cursor.h"
#include "testutil.h"

#define P1   "dcap/P1-phala-sgx-v3/quote.bin"
#define P2   "dcap/P2-phala-tdx-v4/quote.bin"
#define O2   "dcap/O2-oasis-tdx-v4-nocrl/quote.bin"
#define G1   "dcap/G1-gotdx-tdx-v4-spr-e4/quote.bin"
#define EPID "dcap/O1-oasis-sgx-v3-nocrl/pcs-original/quote_v3_ecdsa_p256_eppid.bin"

static void assert_hex(const uint8_t *p, size_t n, const char *want)
{
    char *s = malloc(2 * n + 1);
    avow_hex_encode(p, n, s);
    assert_string_equal(s, want);
    free(s);
}

/* Parses a copy in a buffer of exactly len bytes (so ASan sees any over-read). */
static avow_err parse_exact(const uint8_t *q, size_t len, avow_quote *out, avow_error *e)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, q, len);
    avow_err r = avow_quote_parse(copy, len, out, e);
    free(copy);
    return r;
}

static void assert_msg_has(const avow_error *e, const char *needle)
{
    if (!strstr(e->msg, needle)) fail_msg("error \"%s\" does not mention \"%s\"", e->msg, needle);
}

static void test_all_vectors_parse(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        uint16_t version, cert_type;
        uint32_t tee;
        size_t end, trailing;
    } v[] = {
        {"dcap/F1-fortanix-sgx-v3-2020-tcbv2/quote.bin", 3, 5, 0, 4575, 0},
        {"dcap/I1-integritee-sgx-v3/quote.bin", 3, 5, 0, 4599, 0},
        {"dcap/O1-oasis-sgx-v3-nocrl/quote.bin", 3, 5, 0, 4730, 0},
        {O2, 4, 5, 0x81, 4936, 0},
        {P1, 3, 5, 0, 4600, 0},
        {P2, 4, 5, 0x81, 4936, 70},
        {"dcap/R1-dcaprs-sgx-v3-tcbv2/quote.bin", 3, 5, 0, 4734, 0},
        {"dcap/X-solana-sgx+phala/quote.bin", 3, 5, 0, 4600, 0},
        {EPID, 3, 3, 0, 1456, 0},
        {"maa/intel-sdk-quotes/enclave.info.debug.quote.bin", 3, 5, 0, 4600, 0},
        {"maa/intel-sdk-quotes/enclave.info.prodid.quote.bin", 3, 5, 0, 4600, 0},
        {"maa/intel-sdk-quotes/enclave.info.release.quote.bin", 3, 5, 0, 4600, 0},
        {"maa/intel-sdk-quotes/enclave.info.securityversion.quote.bin", 3, 5, 0, 4600, 0},
        {"maa/maa-exchange-2020/post.attest.body.quote.bin", 3, 5, 0, 4584, 0},
        {"maa/oe-sdk-quotes/enclave.info.debug.quote.bin", 3, 5, 0, 4584, 0},
        {"maa/oe-sdk-quotes/enclave.info.prodid.quote.bin", 3, 5, 0, 4584, 0},
        {"maa/oe-sdk-quotes/enclave.info.release.quote.bin", 3, 5, 0, 4584, 0},
        {"maa/oe-sdk-quotes/enclave.info.securityversion.quote.bin", 3, 5, 0, 4584, 0},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t len;
        uint8_t *b = tu_read_vector(v[i].path, &len);
        avow_quote q;
        avow_error e;
        avow_error_clear(&e);
        if (avow_quote_parse(b, len, &q, &e)) fail_msg("%s: %s", v[i].path, e.msg);
        assert_int_equal(q.version, v[i].version);
        assert_int_equal(q.att_key_type, AVOW_ATT_KEY_ECDSA_P256);
        assert_int_equal(q.tee_type, v[i].tee);
        assert_int_equal(q.cert_type, v[i].cert_type);
        assert_int_equal(q.end, v[i].end);
        assert_int_equal(q.trailing_len, v[i].trailing);
        assert_int_equal(q.end + q.trailing_len, len);
        assert_memory_equal(q.qe_vendor_id, AVOW_INTEL_QE_VENDOR_ID, 16);
        assert_ptr_equal(q.raw, b);
        assert_ptr_equal(q.signed_data, b);
        assert_ptr_equal(q.body, b + 48);
        assert_int_equal(q.signed_len, 48 + q.body_len);
        assert_int_equal(q.auth_data_size, q.end - q.signed_len - 4);
        assert_int_equal(q.qe_auth_data_len, 32);
        /* the QE report is Intel's QE (SGX QE3 8c4f5775..., TD-QE dc9e2a7c...) */
        assert_hex(q.qe.mr_signer, 32,
                   q.tee_type == AVOW_TEE_SGX
                       ? "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff"
                       : "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5");
        assert_true(q.qe.flags & AVOW_ATTR_PROVISIONKEY);
        assert_ptr_equal(q.qe.raw, q.qe_report);
        assert_ptr_equal(q.cert_data + q.cert_data_len, b + q.end);
        if (q.cert_type == AVOW_CERT_PCK_CHAIN)
            assert_non_null(
                memmem(q.cert_data, q.cert_data_len, "-----BEGIN CERTIFICATE-----", 27));
        free(b);
    }
}

static void test_p1_sgx_v3_fields(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = tu_read_vector(P1, &len);
    avow_quote q;
    avow_error e;
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_OK);
    assert_string_equal(avow_tee_name(q.tee_type), "SGX");
    assert_int_equal(q.body_type, AVOW_BODY_SGX);
    assert_int_equal(q.body_len, AVOW_REPORT_BODY_SIZE);
    assert_int_equal(q.qe_svn, 10);
    assert_int_equal(q.pce_svn, 15);
    assert_hex(q.user_data, 20, "3987622ee6968a54977c8626ef47123500000000");
    /* app report */
    assert_hex(q.report.mr_enclave, 32,
               "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
    assert_hex(q.report.mr_signer, 32,
               "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6");
    assert_int_equal(q.report.flags, AVOW_ATTR_INIT | AVOW_ATTR_MODE64BIT);
    assert_int_equal(q.report.xfrm, 0xe7);
    assert_false(avow_report_body_is_debug(&q.report));
    assert_int_equal(q.report.isv_prod_id, 0);
    assert_int_equal(q.report.isv_svn, 0);
    assert_memory_equal(q.report.report_data, "Hello, world!", 13);
    assert_ptr_equal(q.report.report_data, b + 48 + 320);
    /* auth data, offsets per docs/verification.md A1.3 */
    assert_int_equal(q.auth_data_size, 4164);
    assert_ptr_equal(q.signature, b + 436);
    assert_ptr_equal(q.attest_key, b + 500);
    assert_ptr_equal(q.qe_report, b + 564);
    assert_ptr_equal(q.qe_report_sig, b + 948);
    assert_ptr_equal(q.qe_auth_data, b + 1014);
    assert_ptr_equal(q.cert_data, b + 1052);
    assert_int_equal(q.outer_cert_type, AVOW_CERT_PCK_CHAIN);
    assert_int_equal(q.outer_cert_size, 3548);
    assert_int_equal(q.cert_data_len, 3548);
    assert_int_equal(q.qe.isv_prod_id, 1);
    assert_int_equal(q.qe.isv_svn, 10);
    /* the chain ends with a NUL byte */
    assert_int_equal(q.cert_data[q.cert_data_len - 1], 0);
    avow_quote_pck_id id;
    assert_int_equal(avow_quote_get_pck_id(&q, &id, &e), AVOW_ERR_UNSUPPORTED);
    free(b);
}

static void test_report_body_view(void **state)
{
    (void)state;
    uint8_t body[AVOW_REPORT_BODY_SIZE];
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)i;
    avow_report_body r;
    avow_report_body_view(body, &r);
    assert_ptr_equal(r.raw, body);
    assert_ptr_equal(r.cpu_svn, body);
    assert_int_equal(r.misc_select, 0x13121110u);
    assert_ptr_equal(r.isv_ext_prod_id, body + 32);
    assert_ptr_equal(r.attributes, body + 48);
    assert_int_equal(r.flags, 0x3736353433323130ULL);
    assert_int_equal(r.xfrm, 0x3f3e3d3c3b3a3938ULL);
    assert_ptr_equal(r.mr_enclave, body + 64);
    assert_ptr_equal(r.mr_signer, body + 128);
    assert_ptr_equal(r.config_id, body + 192);
    assert_int_equal(r.isv_prod_id, 0x0100);
    assert_int_equal(r.isv_svn, 0x0302);
    assert_int_equal(r.config_svn, 0x0504);
    assert_ptr_equal(r.isv_family_id, body + 304);
    assert_ptr_equal(r.report_data, body + 320);
    body[48] = 0x07;
    avow_report_body_view(body, &r);
    assert_true(avow_report_body_is_debug(&r));
}

static void test_p2_tdx_v4_nesting(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = tu_read_vector(P2, &len);
    assert_int_equal(len, 5006);
    avow_quote q;
    avow_error e;
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_OK);
    assert_string_equal(avow_tee_name(q.tee_type), "TDX");
    assert_int_equal(q.body_type, AVOW_BODY_TD10);
    assert_int_equal(q.body_len, AVOW_TD_REPORT10_SIZE);
    assert_int_equal(q.signed_len, 632);
    /* mr_td at body offset 136 */
    assert_hex(q.body + 136, 48,
               "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f2742"
               "8b2538873118b7");
    /* A1.3 offsets for the TDX v4 sample */
    assert_ptr_equal(q.signature, b + 636);
    assert_ptr_equal(q.attest_key, b + 700);
    assert_int_equal(q.outer_cert_type, AVOW_CERT_QE_REPORT);
    assert_int_equal(avow_le16(b + 764), 6);
    assert_int_equal(q.outer_cert_size, 4166);
    assert_ptr_equal(q.qe_report, b + 770);
    assert_ptr_equal(q.qe_report_sig, b + 1154);
    assert_int_equal(q.qe_auth_data_len, 32);
    assert_ptr_equal(q.qe_auth_data, b + 1220);
    assert_int_equal(q.cert_type, AVOW_CERT_PCK_CHAIN);
    assert_ptr_equal(q.cert_data, b + 1258);
    assert_int_equal(q.cert_data_len, 3678);
    assert_int_equal(q.end, 4936);
    assert_int_equal(q.trailing_len, 70);
    /* TDX: no SGX report view */
    assert_null(q.report.raw);
    free(b);
}

static void test_epid_cert_type3(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = tu_read_vector(EPID, &len);
    avow_quote q;
    avow_error e;
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_OK);
    assert_int_equal(q.cert_type, AVOW_CERT_PPID_RSA3072);
    assert_int_equal(q.cert_data_len, 404);
    assert_string_equal(avow_cert_type_name(q.cert_type), "ppid_rsa3072_encrypted");
    avow_quote_pck_id id;
    assert_int_equal(avow_quote_get_pck_id(&q, &id, &e), AVOW_OK);
    assert_int_equal(id.ppid_len, 384);
    assert_ptr_equal(id.ppid, q.cert_data);
    assert_hex(id.ppid, 4, "aa7a9308");
    assert_hex(id.cpu_svn, 16, "05050c0cffff01000000000000000000");
    assert_int_equal(id.pce_svn, 12);
    assert_hex(id.pce_id, 2, "0000");
    /* type 3 data must be exactly 404 bytes: grow it by one (and the auth data) */
    uint8_t *big = calloc(1, len + 1);
    memcpy(big, b, len);
    avow_put_le32(big + 432, avow_le32(b + 432) + 1);
    avow_put_le32(big + 1048, 405);
    assert_int_equal(avow_quote_parse(big, len + 1, &q, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "quote.cert_data_size at offset 1048: 405");
    assert_msg_has(&e, "404");
    free(big);
    free(b);
}

/* A v5 TDX quote: the v4 sample with a body descriptor (type 2, 584). */
static uint8_t *make_v5(const uint8_t *v4, size_t len, size_t *out_len)
{
    uint8_t *b = malloc(len + 6);
    memcpy(b, v4, 48);
    avow_put_le16(b, 5);
    avow_put_le16(b + 48, AVOW_BODY_TD10);
    avow_put_le32(b + 50, AVOW_TD_REPORT10_SIZE);
    memcpy(b + 54, v4 + 48, len - 48);
    *out_len = len + 6;
    return b;
}

static void test_v5(void **state)
{
    (void)state;
    size_t len, n;
    uint8_t *v4 = tu_read_vector(O2, &len);
    uint8_t *b = make_v5(v4, len, &n);
    avow_quote q;
    avow_error e;
    if (avow_quote_parse(b, n, &q, &e)) fail_msg("%s", e.msg);
    assert_int_equal(q.version, 5);
    assert_int_equal(q.body_type, AVOW_BODY_TD10);
    assert_ptr_equal(q.body, b + 54);
    assert_int_equal(q.signed_len, 638);
    assert_int_equal(q.end, n);
    assert_int_equal(q.cert_type, AVOW_CERT_PCK_CHAIN);

    avow_put_le32(b + 50, 585); /* size does not match the type */
    assert_int_equal(avow_quote_parse(b, n, &q, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "quote.body_size at offset 50: 585");
    avow_put_le32(b + 50, 584);
    avow_put_le16(b + 48, AVOW_BODY_SGX); /* SGX body in a TDX quote */
    assert_int_equal(avow_quote_parse(b, n, &q, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "quote.body_type at offset 48");
    avow_put_le16(b + 48, 4); /* unknown type */
    assert_int_equal(avow_quote_parse(b, n, &q, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "quote.body_type at offset 48: unknown body type 4");
    /* TD report 1.5 needs 64 more bytes than there are: type 3 + size 648 shifts everything */
    avow_put_le16(b + 48, AVOW_BODY_TD15);
    avow_put_le32(b + 50, AVOW_TD_REPORT15_SIZE);
    assert_int_not_equal(avow_quote_parse(b, n, &q, &e), AVOW_OK);
    free(b);
    free(v4);
}

/* A v4 SGX quote built from the v3 sample: auth data moves into a type-6 blob. */
static uint8_t *make_v4_sgx(const uint8_t *v3, size_t *out_len)
{
    avow_quote q;
    assert_int_equal(avow_quote_parse(v3, 4600, &q, NULL), AVOW_OK);
    size_t inner = 384 + 64 + 2 + q.qe_auth_data_len + 2 + 4 + q.cert_data_len;
    size_t auth = 64 + 64 + 2 + 4 + inner;
    size_t n = 432 + 4 + auth;
    uint8_t *b = malloc(n), *p = b;
    memcpy(p, v3, 432);
    avow_put_le16(p, 4);
    p += 432;
    avow_put_le32(p, (uint32_t)auth);
    p += 4;
    memcpy(p, q.signature, 128);
    p += 128;
    avow_put_le16(p, 6);
    avow_put_le32(p + 2, (uint32_t)inner);
    p += 6;
    memcpy(p, q.qe_report, 448);
    p += 448;
    avow_put_le16(p, q.qe_auth_data_len);
    memcpy(p + 2, q.qe_auth_data, q.qe_auth_data_len);
    p += 2 + q.qe_auth_data_len;
    avow_put_le16(p, 5);
    avow_put_le32(p + 2, q.cert_data_len);
    memcpy(p + 6, q.cert_data, q.cert_data_len);
    p += 6 + q.cert_data_len;
    assert_int_equal(p - b, n);
    *out_len = n;
    return b;
}

static void test_v4_sgx(void **state)
{
    (void)state;
    size_t len, n;
    uint8_t *v3 = tu_read_vector(P1, &len);
    uint8_t *b = make_v4_sgx(v3, &n);
    avow_quote q;
    avow_error e;
    if (avow_quote_parse(b, n, &q, &e)) fail_msg("%s", e.msg);
    assert_int_equal(q.version, 4);
    assert_int_equal(q.body_type, AVOW_BODY_SGX);
    assert_memory_equal(q.report.report_data, "Hello, world!", 13);
    assert_int_equal(q.outer_cert_type, 6);
    assert_int_equal(q.cert_type, 5);
    assert_int_equal(q.cert_data_len, 3548);
    assert_ptr_equal(q.qe_report, b + 436 + 128 + 6);
    assert_int_equal(q.end, n);
    free(b);
    free(v3);
}

static void truncate_all(const char *path)
{
    size_t len;
    uint8_t *b = tu_read_vector(path, &len);
    avow_quote q;
    avow_error e;
    assert_int_equal(avow_quote_parse(b, len, &q, NULL), AVOW_OK);
    size_t end = q.end;
    for (size_t n = 0; n < end; n++) {
        avow_error_clear(&e);
        avow_err r = parse_exact(b, n, &q, &e);
        if (r != AVOW_ERR_FORMAT) fail_msg("%s truncated to %zu: %d (%s)", path, n, r, e.msg);
        assert_true(e.msg[0] != '\0');
        assert_true(strstr(e.msg, "quote.") == e.msg);
        assert_true(strstr(e.msg, " at offset ") != NULL);
        assert_true(e.offset <= n);
    }
    /* cutting only trailing zero padding still parses */
    for (size_t n = end; n <= len; n++) {
        assert_int_equal(parse_exact(b, n, &q, &e), AVOW_OK);
        assert_int_equal(q.trailing_len, n - end);
    }
    free(b);
}

static void test_truncation_v3(void **state)
{
    (void)state;
    truncate_all(P1);
    truncate_all(EPID);
}

static void test_truncation_v4(void **state)
{
    (void)state;
    truncate_all(P2);
    truncate_all(O2);
}

static void test_truncation_v5(void **state)
{
    (void)state;
    size_t len, n;
    uint8_t *v4 = tu_read_vector(O2, &len);
    uint8_t *b = make_v5(v4, len, &n);
    avow_quote q;
    avow_error e;
    for (size_t k = 0; k < n; k++)
        assert_int_equal(parse_exact(b, k, &q, &e), AVOW_ERR_FORMAT);
    free(b);
    free(v4);
}

/* One rule (docs/security.md, "Trailing bytes in quotes"): bytes after the
 * auth data are accepted whatever they hold, reported, and change nothing
 * else; the flag of avow_quote_parse_ex has no effect any more. */
static void test_trailing(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = tu_read_vector(P2, &len);
    avow_quote q, q0;
    avow_error e;
    assert_int_equal(avow_quote_parse(b, len, &q0, &e), AVOW_OK); /* 70 zero bytes */
    b[5000] = 0x01;
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_OK);
    assert_int_equal(q.end, 4936);
    assert_int_equal(q.trailing_len, 70);
    assert_int_equal(q.signed_len, q0.signed_len);
    assert_int_equal(q.cert_data_len, q0.cert_data_len);
    assert_int_equal(avow_quote_parse_ex(b, len, AVOW_QUOTE_ALLOW_TRAILING, &q, &e), AVOW_OK);
    assert_int_equal(q.trailing_len, 70);
    free(b);

    /* v3 with one non-zero byte appended, then one zero byte */
    uint8_t *v3 = tu_read_vector(P1, &len);
    uint8_t *c = malloc(len + 1);
    memcpy(c, v3, len);
    for (int v = 0; v < 2; v++) {
        c[len] = v ? 0 : 0xff;
        assert_int_equal(avow_quote_parse(c, len + 1, &q, &e), AVOW_OK);
        assert_int_equal(q.end, 4600);
        assert_int_equal(q.trailing_len, 1);
    }
    /* avow_quote_platform_id follows the same rule: the same platform */
    uint8_t fm0[6], fm1[6];
    avow_pck_ca ca0, ca1;
    uint32_t tee0, tee1;
    c[len] = 0xff;
    assert_int_equal(avow_quote_platform_id(v3, len, fm0, &ca0, &tee0, &e), AVOW_OK);
    if (avow_quote_platform_id(c, len + 1, fm1, &ca1, &tee1, &e) != AVOW_OK)
        fail_msg("platform id with a trailing byte: %s", e.msg);
    assert_memory_equal(fm0, fm1, 6);
    assert_int_equal(ca0, ca1);
    assert_int_equal(tee0, tee1);
    free(c);
    free(v3);

    /* G1 carries 39 bytes of ASCII after its auth data */
    b = tu_read_vector(G1, &len);
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_OK);
    assert_int_equal(q.end, 4935);
    assert_int_equal(q.trailing_len, 39);
    assert_int_equal(q.cert_type, 5);
    free(b);
}

/* Sets the u16/u32 at `off` to `val` in a copy and expects an error whose
 * message contains every `needles` string. */
static void corrupt(const char *path, size_t off, int width, uint32_t val, const char *needle1,
                    const char *needle2)
{
    size_t len;
    uint8_t *b = tu_read_vector(path, &len);
    if (width == 2)
        avow_put_le16(b + off, (uint16_t)val);
    else
        avow_put_le32(b + off, val);
    avow_quote q;
    avow_error e;
    avow_error_clear(&e);
    avow_err r = parse_exact(b, len, &q, &e);
    if (r == AVOW_OK) fail_msg("%s: value %u at %zu parsed", path, val, off);
    assert_int_equal(r, AVOW_ERR_FORMAT);
    assert_msg_has(&e, needle1);
    if (needle2) assert_msg_has(&e, needle2);
    free(b);
}

static void test_length_fields_v3(void **state)
{
    (void)state;
    /* auth_data_size @432 = 4164 */
    corrupt(P1, 432, 4, 4165,
            "quote.auth_data_size at offset 432: 4165 exceeds the 4164 bytes left", NULL);
    corrupt(P1, 432, 4, 0xffffffff, "quote.auth_data_size at offset 432", NULL);
    corrupt(P1, 432, 4, 4163, "quote.cert_data_size at offset 1048: 3548 exceeds the 3547 bytes",
            "quote.auth_data_size (4163 at offset 432)");
    corrupt(P1, 432, 4, 100, "quote.attest_key", "quote.auth_data_size (100 at offset 432)");
    /* qe_auth_data_size @1012 = 32 */
    corrupt(P1, 1012, 2, 33, "quote.cert_data_type at offset 1047",
            "quote.qe_auth_data_size (33 at offset 1012)");
    corrupt(P1, 1012, 2, 31, "quote.cert_data_type", "quote.qe_auth_data_size (31 at offset 1012)");
    corrupt(P1, 1012, 2, 0, "quote.cert_data_type", "quote.qe_auth_data_size (0 at offset 1012)");
    corrupt(P1, 1012, 2, 0xffff, "quote.qe_auth_data_size at offset 1012: 65535 exceeds", NULL);
    /* cert_data_size @1048 = 3548 */
    corrupt(P1, 1048, 4, 3549, "quote.cert_data_size at offset 1048: 3549 exceeds the 3548 bytes",
            "quote.auth_data_size");
    corrupt(P1, 1048, 4, 3547, "quote.auth_data_size at offset 432: 4164, but its contents end 1",
            "quote.cert_data_size at offset 1048 is 3547");
    corrupt(P1, 1048, 4, 0, "quote.auth_data_size at offset 432",
            "quote.cert_data_size at offset 1048 is 0");
    /* cert_data_type @1014+32 */
    corrupt(P1, 1046, 2, 6, "quote.cert_data_type at offset 1046: 6", NULL);
    corrupt(P1, 1046, 2, 0, "quote.cert_data_type at offset 1046: 0", NULL);
}

static void test_length_fields_v4(void **state)
{
    (void)state;
    /* auth_data_size @632 = 4300 */
    corrupt(O2, 632, 4, 4301, "quote.auth_data_size at offset 632: 4301 exceeds", NULL);
    corrupt(O2, 632, 4, 4299, "quote.cert_data_size at offset 766: 4166 exceeds the 4165",
            "quote.auth_data_size (4299 at offset 632)");
    /* outer cert_data_size @766 = 4166 */
    corrupt(O2, 766, 4, 4167, "quote.cert_data_size at offset 766: 4167 exceeds",
            "quote.auth_data_size");
    corrupt(O2, 766, 4, 4165, "quote.inner_cert_data_size at offset 1254: 3678 exceeds the 3677",
            "quote.cert_data_size (4165 at offset 766)");
    corrupt(O2, 766, 4, 10, "quote.qe_report", "quote.cert_data_size (10 at offset 766)");
    /* outer type @764 must be 6 */
    corrupt(O2, 764, 2, 5, "quote.cert_data_type at offset 764: 5", "type 6");
    /* qe_auth_data_size @1218 = 32 */
    corrupt(O2, 1218, 2, 33, "quote.inner_cert_data_type",
            "quote.qe_auth_data_size (33 at offset 1218)");
    corrupt(O2, 1218, 2, 0xffff, "quote.qe_auth_data_size at offset 1218: 65535 exceeds",
            "quote.cert_data_size (4166 at offset 766)");
    /* inner cert_data_size @1254 = 3678 */
    corrupt(O2, 1254, 4, 3679, "quote.inner_cert_data_size at offset 1254: 3679 exceeds",
            "quote.cert_data_size");
    corrupt(O2, 1254, 4, 3677, "quote.cert_data_size at offset 766: 4166, but its contents end 1",
            "quote.inner_cert_data_size at offset 1254 is 3677");
    /* inner type 6 is not allowed */
    corrupt(O2, 1252, 2, 6, "quote.inner_cert_data_type at offset 1252: 6", NULL);
}

static void test_header_fields(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = tu_read_vector(P1, &len);
    avow_quote q;
    avow_error e;
    static const uint16_t bad_versions[] = {0, 1, 2, 6, 0xffff};
    for (size_t i = 0; i < sizeof(bad_versions) / sizeof(bad_versions[0]); i++) {
        avow_put_le16(b, bad_versions[i]);
        assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_ERR_UNSUPPORTED);
        assert_msg_has(&e, "quote.version at offset 0");
    }
    avow_put_le16(b, 3);
    avow_put_le16(b + 2, 3);
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_ERR_UNSUPPORTED);
    assert_msg_has(&e, "quote.att_key_type at offset 2: 3");
    avow_put_le16(b + 2, 0);
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "quote.att_key_type at offset 2");
    avow_put_le16(b + 2, 2);
    avow_put_le32(b + 4, 0x80);
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "quote.tee_type at offset 4: unknown");
    avow_put_le32(b + 4, AVOW_TEE_TDX); /* v3 is SGX only */
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "quote.tee_type at offset 4");
    avow_put_le32(b + 4, 0);
    b[20] ^= 1;
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_ERR_UNSUPPORTED);
    assert_msg_has(&e, "quote.qe_vendor_id at offset 12");
    b[20] ^= 1;
    assert_int_equal(avow_quote_parse(b, len, &q, &e), AVOW_OK);
    /* empty and tiny inputs */
    assert_int_equal(avow_quote_parse(b, 0, &q, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "quote.version at offset 0");
    assert_int_equal(avow_quote_parse(NULL, 0, &q, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_quote_parse(NULL, 10, &q, &e), AVOW_ERR_ARG);
    assert_string_equal(avow_tee_name(7), "unknown");
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_vectors_parse),
        cmocka_unit_test(test_p1_sgx_v3_fields),
        cmocka_unit_test(test_report_body_view),
        cmocka_unit_test(test_p2_tdx_v4_nesting),
        cmocka_unit_test(test_epid_cert_type3),
        cmocka_unit_test(test_v5),
        cmocka_unit_test(test_v4_sgx),
        cmocka_unit_test(test_truncation_v3),
        cmocka_unit_test(test_truncation_v4),
        cmocka_unit_test(test_truncation_v5),
        cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_length_fields_v3),
        cmocka_unit_test(test_length_fields_v4),
        cmocka_unit_test(test_header_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
