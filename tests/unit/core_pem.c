/* Unit tests of the PEM bundle splitter (core/pem.h): the PCK chain inside
 * P1's quote (trailing NUL), CRLF, junk between blocks, other labels, and
 * malformed blocks (bad base64, missing END, headers, extra bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/sha.h>

#include "avow/encode.h"
#include "avow/quote.h"
#include "core/pem.h"
#include "testutil.h"

static void assert_msg_has(const avow_error *e, const char *needle)
{
    if (!strstr(e->msg, needle)) fail_msg("error \"%s\" does not mention \"%s\"", e->msg, needle);
}

static char *root_pem(size_t *len)
{
    return (char *)tu_read_vector("roots/intel_sgx_root_ca.pem", len);
}

static void test_root_fingerprint(void **state)
{
    (void)state;
    size_t len, n;
    char *pem = root_pem(&len);
    avow_der_blob *b;
    avow_error e;
    assert_int_equal(avow_pem_split(pem, len, "CERTIFICATE", &b, &n, &e), AVOW_OK);
    assert_int_equal(n, 1);
    uint8_t md[32];
    SHA256(b[0].der, b[0].len, md);
    char hex[65];
    avow_hex_encode(md, 32, hex);
    assert_string_equal(hex, "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
    assert_int_equal(avow_der_tlv_len(b[0].der, b[0].len), b[0].len);
    avow_der_blobs_free(b, n);
    free(pem);
}

static void test_quote_chain(void **state)
{
    (void)state;
    size_t qlen, n;
    uint8_t *q = tu_read_vector("dcap/P1-phala-sgx-v3/quote.bin", &qlen);
    avow_quote quote;
    assert_int_equal(avow_quote_parse(q, qlen, &quote, NULL), AVOW_OK);
    avow_der_blob *b;
    avow_error e;
    /* the chain ends with a NUL byte */
    assert_int_equal(quote.cert_data[quote.cert_data_len - 1], 0);
    assert_int_equal(avow_pem_split((const char *)quote.cert_data, quote.cert_data_len,
                                    "CERTIFICATE", &b, &n, &e),
                     AVOW_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(b[i].der[0], 0x30);
        assert_int_equal(avow_der_tlv_len(b[i].der, b[i].len), b[i].len);
    }
    /* the third is the Intel root */
    size_t rlen, rn;
    char *rp = root_pem(&rlen);
    avow_der_blob *r;
    assert_int_equal(avow_pem_split(rp, rlen, NULL, &r, &rn, &e), AVOW_OK);
    assert_int_equal(b[2].len, r[0].len);
    assert_memory_equal(b[2].der, r[0].der, r[0].len);
    avow_der_blobs_free(r, rn);
    free(rp);

    /* CRLF line ends, junk between blocks and another label in between */
    const char *pem = (const char *)quote.cert_data;
    size_t plen = quote.cert_data_len;
    char *crlf = malloc(plen * 2 + 200);
    size_t m = 0;
    m += (size_t)sprintf(crlf + m,
                         "junk before\r\n-----BEGIN PRIVATE KEY-----\r\nAAAA\r\n"
                         "-----END PRIVATE KEY-----\r\n");
    for (size_t i = 0; i < plen; i++) {
        if (pem[i] == '\n') crlf[m++] = '\r';
        crlf[m++] = pem[i];
        if (i + 1 < plen && pem[i] == '\n' && !strncmp(pem + i + 1, "-----BEGIN", 10))
            m += (size_t)sprintf(crlf + m, "some junk: between blocks\r\n");
    }
    avow_der_blob *c;
    size_t cn;
    assert_int_equal(avow_pem_split(crlf, m, "CERTIFICATE", &c, &cn, &e), AVOW_OK);
    assert_int_equal(cn, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(c[i].len, b[i].len);
        assert_memory_equal(c[i].der, b[i].der, b[i].len);
    }
    avow_der_blobs_free(c, cn);
    /* with label NULL the private-key block counts too (and "AAAA" is not DER) */
    assert_int_equal(avow_pem_split(crlf, m, NULL, &c, &cn, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "pem block 1 at offset 13");
    assert_msg_has(&e, "extra bytes");
    free(crlf);
    avow_der_blobs_free(b, n);
    free(q);
}

static void expect_bad(const char *pem, const char *needle)
{
    avow_der_blob *b = (avow_der_blob *)1;
    size_t n = 99;
    avow_error e;
    avow_error_clear(&e);
    char *copy = malloc(strlen(pem) + 1);
    memcpy(copy, pem, strlen(pem)); /* no NUL inside the length */
    avow_err r = avow_pem_split(copy, strlen(pem), "CERTIFICATE", &b, &n, &e);
    free(copy);
    if (r != AVOW_ERR_FORMAT) fail_msg("%d for <%s>", r, pem);
    assert_null(b);
    assert_int_equal(n, 0);
    assert_msg_has(&e, needle);
}

#define BEGIN "-----BEGIN CERTIFICATE-----\n"
#define END   "-----END CERTIFICATE-----\n"

static void test_malformed(void **state)
{
    (void)state;
    /* 30 03 02 01 05 = SEQUENCE { INTEGER 5 } -> "MAMCAQU=" */
    size_t n;
    avow_der_blob *b;
    avow_error e;
    const char *ok = BEGIN "MAMC\nAQU=\n" END;
    assert_int_equal(avow_pem_split(ok, strlen(ok), "CERTIFICATE", &b, &n, &e), AVOW_OK);
    assert_int_equal(n, 1);
    assert_int_equal(b[0].len, 5);
    assert_memory_equal(b[0].der, "\x30\x03\x02\x01\x05", 5);
    avow_der_blobs_free(b, n);

    expect_bad("", "no -----BEGIN CERTIFICATE----- block");
    expect_bad("just text\n", "no -----BEGIN CERTIFICATE----- block");
    expect_bad(BEGIN "MAMCAQU=\n", "pem block 1 at offset 0: no END line");
    expect_bad(BEGIN "MAMC*AQU=\n" END, "byte 0x2a at offset 32 is not base64");
    expect_bad(BEGIN "MAMCAQU\n" END, "missing padding");
    expect_bad(BEGIN "MAMCAQV=\n" END, "non-canonical");
    expect_bad(BEGIN "MA=MCAQU=\n" END, "pem block 1");
    expect_bad(BEGIN "Proc-Type: 4,ENCRYPTED\n\nMAMCAQU=\n" END, "encapsulated headers");
    expect_bad(BEGIN "\n" END, "empty");
    expect_bad(BEGIN "MAMCAQUA\n" END, "followed by 1 extra bytes"); /* 30 03 02 01 05 00 */
    expect_bad(BEGIN "MAQCAQU=\n" END, "not DER");                   /* length 4 > 3 */
    expect_bad(BEGIN "MAMCAQU=\n" END BEGIN "MAMC!QU=\n" END, "pem block 2 at offset 63");
    expect_bad("-----BEGIN CERTIFICATE\nMAMCAQU=\n" END, "malformed BEGIN line");
    expect_bad("-----BEGIN CERTIFICATE----- x\nMAMCAQU=\n" END, "junk after the BEGIN line");
    /* NUL inside a block */
    const char nul[] = BEGIN "MAMC\0AQU=\n" END;
    assert_int_equal(avow_pem_split(nul, sizeof(nul) - 1, "CERTIFICATE", &b, &n, &e),
                     AVOW_ERR_FORMAT);
    assert_msg_has(&e, "byte 0x00 at offset 32 is not base64");

    /* DER helper */
    assert_int_equal(avow_der_tlv_len((const uint8_t *)"\x30\x80\x00\x00", 4), 0);
    assert_int_equal(avow_der_tlv_len((const uint8_t *)"\x30\x81\x05\x00\x00\x00\x00\x00", 8), 0);
    assert_int_equal(avow_der_tlv_len((const uint8_t *)"\x04\x00", 2), 2);
    assert_int_equal(avow_der_tlv_len((const uint8_t *)"\x04", 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_fingerprint),
        cmocka_unit_test(test_quote_chain),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
