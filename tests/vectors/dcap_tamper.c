/* Tampering with P1 (Phala SGX v3): every single-bit flip in the signed
 * region (header and report body, 432 bytes), the quote signature, the
 * attestation key, the QE report, its signature and the QE auth data is
 * rejected, and the first failing check names the right step; one changed
 * byte in the TCB Info / QE Identity fails its signature step; a fresh
 * self-signed root as the only trust fails root pinning; a PCK CRL from the
 * other CA (R1's Platform CA CRL) fails; every truncation of the quote is
 * rejected without crashing. Time pinned to P1's `at`. The same for the TD
 * report of P2 (Phala TDX v4): every bit flip fails, at tdx_module for what
 * Intel's module check reads (MRSIGNERSEAM, SEAMATTRIBUTES), else at the
 * quote signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "avow/collateral.h"
#include "avow/quote.h"
#include "avow/verify.h"
#include "testutil.h"

#define P1_AT 1751624924

static uint8_t *g_quote;
static size_t g_qlen;
static avow_collateral g_coll;
static avow_quote g_q;

static int setup(void **state)
{
    (void)state;
    g_quote = tu_read_vector("dcap/P1-phala-sgx-v3/quote.bin", &g_qlen);
    char *p = tu_vector_path("dcap/P1-phala-sgx-v3/collateral.json");
    avow_collateral_init(&g_coll);
    if (avow_collateral_load(p, &g_coll, NULL) != AVOW_OK) return -1;
    free(p);
    return avow_quote_parse(g_quote, g_qlen, &g_q, NULL) == AVOW_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(g_quote);
    avow_collateral_free(&g_coll);
    return 0;
}

/* Verifies and returns the first failing step (static string) or NULL. */
static const char *first_fail(avow_verifier *v, const uint8_t *q, size_t len,
                              const avow_collateral *c, bool *ok)
{
    avow_verify_opts o = {.at = P1_AT};
    avow_verify_result r;
    avow_verify_quote(v, q, len, c, &o, &r);
    *ok = r.ok;
    const avow_trace_entry *f = avow_trace_first_failure(&r.trace);
    const char *step = f ? f->step : NULL; /* steps are static strings */
    if (!r.ok && !f) fail_msg("fail verdict without a failing check");
    if (!r.ok && !r.reason[0]) fail_msg("fail verdict without a reason");
    avow_verify_result_free(&r);
    return step;
}

static void test_baseline(void **state)
{
    (void)state;
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    bool ok;
    assert_null(first_fail(v, g_quote, g_qlen, &g_coll, &ok));
    assert_true(ok);
    avow_verifier_free(v);
}

/* Flips every bit of [off, off+len) and checks the first failing step is one
 * of `steps` (NULL-terminated). */
static void flip_region(avow_verifier *v, size_t off, size_t len, const char *const *steps)
{
    uint8_t *q = malloc(g_qlen);
    memcpy(q, g_quote, g_qlen);
    for (size_t i = off; i < off + len; i++)
        for (int bit = 0; bit < 8; bit++) {
            q[i] ^= (uint8_t)(1u << bit);
            bool ok;
            const char *step = first_fail(v, q, g_qlen, &g_coll, &ok);
            if (ok) fail_msg("flip of byte %zu bit %d accepted", i, bit);
            bool known = false;
            for (const char *const *s = steps; *s; s++)
                known |= step && !strcmp(step, *s);
            if (!known)
                fail_msg("flip of byte %zu bit %d: first failure '%s', expected '%s'", i, bit,
                         step ? step : "(none)", steps[0]);
            q[i] ^= (uint8_t)(1u << bit);
        }
    free(q);
}

static size_t off_of(const uint8_t *p)
{
    return (size_t)(p - g_quote);
}

static void test_flip_signed_region(void **state)
{
    (void)state;
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    assert_int_equal(g_q.signed_len, 432);
    /* header: either it no longer parses / is unsupported, or the signature breaks */
    static const char *const hdr[] = {"quote_signature", "quote_format", NULL};
    flip_region(v, 0, AVOW_QUOTE_HEADER_SIZE, hdr);
    static const char *const body[] = {"quote_signature", NULL};
    flip_region(v, AVOW_QUOTE_HEADER_SIZE, 432 - AVOW_QUOTE_HEADER_SIZE, body);
    flip_region(v, off_of(g_q.signature), AVOW_ECDSA_SIG_SIZE, body);
    avow_verifier_free(v);
}

static void test_flip_platform_part(void **state)
{
    (void)state;
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    static const char *const qe_sig[] = {"qe_report_signature", NULL};
    flip_region(v, off_of(g_q.qe_report), AVOW_REPORT_BODY_SIZE, qe_sig);
    flip_region(v, off_of(g_q.qe_report_sig), AVOW_ECDSA_SIG_SIZE, qe_sig);
    static const char *const qe_data[] = {"qe_report_data", NULL};
    flip_region(v, off_of(g_q.qe_auth_data), g_q.qe_auth_data_len, qe_data);
    flip_region(v, off_of(g_q.attest_key), AVOW_ECDSA_PUBKEY_SIZE, qe_data);
    avow_verifier_free(v);
}

static void test_signed_json(void **state)
{
    (void)state;
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_collateral c;
    bool ok;
    /* one changed byte in the middle of tcbInfo (a digit or letter stays valid JSON-wise) */
    assert_int_equal(avow_collateral_copy(&g_coll, &c), AVOW_OK);
    size_t m = c.tcb_info_len / 2;
    c.tcb_info[m] = c.tcb_info[m] == '0' ? '1' : (c.tcb_info[m] == '"' ? '"' : '0');
    if (c.tcb_info[m] == '"') c.tcb_info[m + 1] ^= 1;
    assert_string_equal(first_fail(v, g_quote, g_qlen, &c, &ok), "tcb_info_signature");
    avow_collateral_free(&c);
    /* signature bytes themselves */
    assert_int_equal(avow_collateral_copy(&g_coll, &c), AVOW_OK);
    c.tcb_info_sig[5] ^= 0x40;
    assert_string_equal(first_fail(v, g_quote, g_qlen, &c, &ok), "tcb_info_signature");
    avow_collateral_free(&c);
    assert_int_equal(avow_collateral_copy(&g_coll, &c), AVOW_OK);
    m = c.qe_identity_len / 2;
    c.qe_identity[m] = c.qe_identity[m] == '0' ? '1' : '0';
    assert_string_equal(first_fail(v, g_quote, g_qlen, &c, &ok), "qe_identity_signature");
    avow_collateral_free(&c);
    assert_int_equal(avow_collateral_copy(&g_coll, &c), AVOW_OK);
    c.qe_identity_sig[60] ^= 0x01;
    assert_string_equal(first_fail(v, g_quote, g_qlen, &c, &ok), "qe_identity_signature");
    avow_collateral_free(&c);
    avow_verifier_free(v);
}

/* A fresh self-signed P-256 root named like Intel's. */
static char *fresh_root_pem(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(k);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400L * 365 * 10);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365 * 30);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Intel SGX Root CA",
                               -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *data;
    long len = BIO_get_mem_data(b, &data);
    char *pem = strndup(data, (size_t)len);
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(k);
    return pem;
}

static void test_wrong_root(void **state)
{
    (void)state;
    char *pem = fresh_root_pem();
    bool ok;
    /* the fresh root as the only trust: the Intel-rooted chain is not trusted */
    avow_verifier *v;
    assert_int_equal(avow_verifier_new_empty(&v, NULL), AVOW_OK);
    assert_int_equal(avow_verifier_add_root_pem(v, pem, strlen(pem), NULL), AVOW_OK);
    assert_string_equal(first_fail(v, g_quote, g_qlen, &g_coll, &ok), "root_pinned");
    assert_false(ok);
    avow_verifier_free(v);
    /* an empty verifier trusts nothing */
    assert_int_equal(avow_verifier_new_empty(&v, NULL), AVOW_OK);
    assert_string_equal(first_fail(v, g_quote, g_qlen, &g_coll, &ok), "root_pinned");
    avow_verifier_free(v);
    /* adding it next to Intel's changes nothing for Intel evidence */
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    assert_int_equal(avow_verifier_add_root_pem(v, pem, strlen(pem), NULL), AVOW_OK);
    avow_verify_opts o = {.at = P1_AT};
    avow_verify_result r;
    assert_int_equal(avow_verify_quote(v, g_quote, g_qlen, &g_coll, &o, &r), AVOW_OK);
    assert_true(r.ok);
    assert_false(r.simulated_root);
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    free(pem);
}

static void test_other_ca_pck_crl(void **state)
{
    (void)state;
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_collateral c;
    assert_int_equal(avow_collateral_copy(&g_coll, &c), AVOW_OK);
    free(c.pck_crl);
    c.pck_crl = tu_read_vector("dcap/R1-dcaprs-sgx-v3-tcbv2/pcs-original/pck_platform_crl.der",
                               &c.pck_crl_len);
    avow_verify_opts o = {.at = P1_AT};
    avow_verify_result r;
    assert_int_equal(avow_verify_quote(v, g_quote, g_qlen, &c, &o, &r), AVOW_OK);
    assert_false(r.ok);
    assert_string_equal(avow_trace_first_failure(&r.trace)->step, "pck_crl");
    assert_non_null(strstr(r.reason, "Platform CA"));
    avow_verify_result_free(&r);
    /* no PCK CRL at all: fails unless explicitly allowed */
    free(c.pck_crl);
    c.pck_crl = NULL;
    c.pck_crl_len = 0;
    bool ok;
    assert_string_equal(first_fail(v, g_quote, g_qlen, &c, &ok), "pck_crl");
    o.allow_missing_crl = true;
    assert_int_equal(avow_verify_quote(v, g_quote, g_qlen, &c, &o, &r), AVOW_OK);
    assert_true(r.ok);
    assert_true(r.crl_missing);
    avow_verify_result_free(&r);
    avow_collateral_free(&c);
    avow_verifier_free(v);
}

static void test_tdx_p2_flips(void **state)
{
    (void)state;
    size_t len;
    uint8_t *q = tu_read_vector("dcap/P2-phala-tdx-v4/quote.bin", &len);
    char *path = tu_vector_path("dcap/P2-phala-tdx-v4/collateral.json");
    avow_collateral c;
    avow_collateral_init(&c);
    assert_int_equal(avow_collateral_load(path, &c, NULL), AVOW_OK);
    free(path);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_verify_opts o = {.at = 1751624191};
    avow_verify_result r;
    assert_int_equal(avow_verify_quote(v, q, len, &c, &o, &r), AVOW_OK);
    assert_true(r.ok);
    avow_verify_result_free(&r);
    for (size_t off = 0; off < AVOW_TD_REPORT10_SIZE; off++)
        for (int bit = 0; bit < 8; bit++) {
            q[AVOW_QUOTE_HEADER_SIZE + off] ^= (uint8_t)(1u << bit);
            avow_verify_quote(v, q, len, &c, &o, &r);
            if (r.ok) fail_msg("TD report byte %zu bit %d accepted", off, bit);
            const char *step = avow_trace_first_failure(&r.trace)->step;
            bool module = off >= AVOW_TD_MR_SIGNER_SEAM && off < AVOW_TD_TD_ATTRIBUTES;
            /* the major version picks another identity (TDX_03 of P2's TCB
             * Info also passes) or none; or tdxModule, for major version 0 */
            bool either = off == AVOW_TD_TEE_TCB_SVN + 1;
            if (either ? strcmp(step, "tdx_module") && strcmp(step, "quote_signature")
                       : strcmp(step, module ? "tdx_module" : "quote_signature"))
                fail_msg("TD report byte %zu bit %d: first failure '%s'", off, bit, step);
            avow_verify_result_free(&r);
            q[AVOW_QUOTE_HEADER_SIZE + off] ^= (uint8_t)(1u << bit);
        }
    avow_verifier_free(v);
    avow_collateral_free(&c);
    free(q);
}

static void test_truncation(void **state)
{
    (void)state;
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    for (size_t len = 0; len < g_qlen; len++) {
        uint8_t *q = malloc(len ? len : 1); /* exact size so ASan sees any overread */
        memcpy(q, g_quote, len);
        avow_verify_opts o = {.at = P1_AT};
        avow_verify_result r;
        avow_verify_quote(v, len ? q : NULL, len, &g_coll, &o, &r);
        if (r.ok) fail_msg("quote truncated to %zu bytes accepted", len);
        avow_verify_result_free(&r);
        free(q);
    }
    avow_verifier_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline),           cmocka_unit_test(test_flip_signed_region),
        cmocka_unit_test(test_flip_platform_part), cmocka_unit_test(test_signed_json),
        cmocka_unit_test(test_wrong_root),         cmocka_unit_test(test_other_ca_pck_crl),
        cmocka_unit_test(test_truncation),         cmocka_unit_test(test_tdx_p2_flips),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
