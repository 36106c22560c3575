/* Unit tests of the collateral bundle reader/writer, the PCS folder loader,
 * the signed-JSON span finder and CRL normalisation: every vector set's
 * collateral.json loads; the pcs-original folders of O1, R1 and G1 load to
 * the same signed bytes, signatures, CRLs and certificates as the bundles;
 * to_bundle -> from_bundle round-trips byte-exactly; tricky JSON keeps its
 * exact bytes. */
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "avow/collateral.h"
#include "avow/encode.h"
#include "avow/quote.h"
#include "collateral/json_span.h"
#include "testutil.h"

static const char *const sets[] = {
    "F1-fortanix-sgx-v3-2020-tcbv2",
    "G1-gotdx-tdx-v4-spr-e4",
    "I1-integritee-sgx-v3",
    "O1-oasis-sgx-v3-nocrl",
    "O2-oasis-tdx-v4-nocrl",
    "P1-phala-sgx-v3",
    "P2-phala-tdx-v4",
    "R1-dcaprs-sgx-v3-tcbv2",
    "X-solana-sgx+phala",
};
#define N_SETS (sizeof(sets) / sizeof(sets[0]))

static char *set_path(const char *set, const char *file)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "dcap/%s%s%s", set, file ? "/" : "", file ? file : "");
    return tu_vector_path(rel);
}

static void load_ok(const char *path, avow_collateral *c)
{
    avow_error e;
    if (avow_collateral_load(path, c, &e)) fail_msg("%s: %s", path, e.msg);
}

/* The JSON string member `key` of the bundle file of a set (malloc'd). */
static char *bundle_member(const char *set, const char *key)
{
    char *p = set_path(set, "collateral.json");
    size_t n;
    char *json = (char *)tu_read_file(p, &n);
    free(p);
    json_error_t je;
    json_t *root = json_loadb(json, n, 0, &je);
    assert_non_null(root);
    char *v = strdup(json_string_value(json_object_get(root, key)));
    json_decref(root);
    free(json);
    return v;
}

/* DER of every certificate of a PEM chain, concatenated (to compare chains
 * whatever their PEM line endings). */
static size_t chain_der(const char *pem, uint8_t **out)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x;
    uint8_t *acc = NULL;
    size_t n = 0;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        unsigned char *d = NULL;
        int l = i2d_X509(x, &d);
        assert_true(l > 0);
        acc = realloc(acc, n + (size_t)l);
        memcpy(acc + n, d, (size_t)l);
        n += (size_t)l;
        OPENSSL_free(d);
        X509_free(x);
    }
    BIO_free(b);
    *out = acc;
    return n;
}

static void assert_same_chain(const char *a, const char *b)
{
    assert_non_null(a);
    assert_non_null(b);
    uint8_t *da, *db;
    size_t na = chain_der(a, &da), nb = chain_der(b, &db);
    assert_true(na > 0);
    assert_int_equal(na, nb);
    assert_memory_equal(da, db, na);
    free(da);
    free(db);
}

static void test_vectors_load(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SETS; i++) {
        const char *s = sets[i];
        avow_collateral c, d;
        char *file = set_path(s, "collateral.json"), *dir = set_path(s, NULL);
        load_ok(file, &c);
        load_ok(dir, &d); /* a folder holding collateral.json */
        assert_true(avow_collateral_equal(&c, &d));

        char *ti = bundle_member(s, "tcb_info"), *qe = bundle_member(s, "qe_identity");
        char *tsig = bundle_member(s, "tcb_info_signature");
        char *chain = bundle_member(s, "tcb_info_issuer_chain");
        assert_int_equal(c.tcb_info_len, strlen(ti));
        assert_memory_equal(c.tcb_info, ti, c.tcb_info_len);
        assert_int_equal(c.tcb_info[c.tcb_info_len], '\0');
        assert_int_equal(c.qe_identity_len, strlen(qe));
        assert_memory_equal(c.qe_identity, qe, c.qe_identity_len);
        uint8_t sig[64];
        assert_int_equal(avow_hex_decode_fixed(tsig, 128, sig, 64, NULL), AVOW_OK);
        assert_memory_equal(c.tcb_info_sig, sig, 64);
        assert_string_equal(c.tcb_info_issuer_chain, chain);
        assert_non_null(c.qe_identity_issuer_chain);
        assert_non_null(c.pck_crl_issuer_chain);
        bool tdx = s[0] == 'G' || strncmp(s, "O2", 2) == 0 || strncmp(s, "P2", 2) == 0;
        assert_int_equal(c.tee_type, tdx ? AVOW_TEE_TDX : AVOW_TEE_SGX);
        bool nocrl = strstr(s, "nocrl") != NULL;
        assert_int_equal(c.pck_crl == NULL, nocrl);
        assert_int_equal(c.root_ca_crl == NULL, nocrl || s[0] == 'F');
        if (c.pck_crl) {
            char *hex = bundle_member(s, "pck_crl");
            uint8_t *der;
            size_t n;
            assert_int_equal(avow_hex_decode_alloc(hex, strlen(hex), &der, &n, NULL), AVOW_OK);
            assert_int_equal(n, c.pck_crl_len);
            assert_memory_equal(der, c.pck_crl, n);
            free(der);
            free(hex);
        }
        free(ti);
        free(qe);
        free(tsig);
        free(chain);
        free(file);
        free(dir);
        avow_collateral_free(&c);
        avow_collateral_free(&d);
        assert_null(c.tcb_info);
    }
}

static void test_roundtrip(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SETS; i++) {
        avow_collateral c, d, e2;
        char *file = set_path(sets[i], "collateral.json");
        load_ok(file, &c);
        char *b1, *b2;
        avow_error e;
        assert_int_equal(avow_collateral_to_bundle(&c, &b1, &e), AVOW_OK);
        if (avow_collateral_from_bundle((const uint8_t *)b1, strlen(b1), &d, &e))
            fail_msg("%s: %s", sets[i], e.msg);
        assert_true(avow_collateral_equal(&c, &d));
        assert_int_equal(avow_collateral_to_bundle(&d, &b2, &e), AVOW_OK);
        assert_string_equal(b1, b2); /* byte-exact */
        /* copy is deep and equal */
        assert_int_equal(avow_collateral_copy(&d, &e2), AVOW_OK);
        assert_true(avow_collateral_equal(&c, &e2));
        assert_ptr_not_equal(e2.tcb_info, d.tcb_info);
        free(b1);
        free(b2);
        free(file);
        avow_collateral_free(&c);
        avow_collateral_free(&d);
        avow_collateral_free(&e2);
    }
    /* An empty collateral round-trips too (all pieces absent). */
    avow_collateral z, z2;
    avow_collateral_init(&z);
    char *b;
    assert_int_equal(avow_collateral_to_bundle(&z, &b, NULL), AVOW_OK);
    assert_int_equal(avow_collateral_from_bundle((const uint8_t *)b, strlen(b), &z2, NULL),
                     AVOW_OK);
    assert_null(z2.tcb_info);
    assert_null(z2.pck_crl);
    assert_true(avow_collateral_equal(&z, &z2));
    free(b);
}

/* The pcs-original folder of a set loads to the same collateral. */
static void check_pcs_folder(const char *set, bool crls, bool pck_chain)
{
    avow_collateral f, b;
    char *dir = set_path(set, "pcs-original"), *file = set_path(set, "collateral.json");
    load_ok(dir, &f);
    load_ok(file, &b);
    assert_int_equal(f.tcb_info_len, b.tcb_info_len);
    assert_memory_equal(f.tcb_info, b.tcb_info, b.tcb_info_len);
    assert_memory_equal(f.tcb_info_sig, b.tcb_info_sig, 64);
    assert_int_equal(f.qe_identity_len, b.qe_identity_len);
    assert_memory_equal(f.qe_identity, b.qe_identity, b.qe_identity_len);
    assert_memory_equal(f.qe_identity_sig, b.qe_identity_sig, 64);
    assert_int_equal(f.tee_type, b.tee_type);
    assert_same_chain(f.tcb_info_issuer_chain, b.tcb_info_issuer_chain);
    assert_same_chain(f.qe_identity_issuer_chain, b.qe_identity_issuer_chain);
    if (pck_chain)
        assert_same_chain(f.pck_crl_issuer_chain, b.pck_crl_issuer_chain);
    else
        assert_null(f.pck_crl_issuer_chain);
    if (crls) {
        assert_non_null(f.root_ca_crl);
        assert_int_equal(f.root_ca_crl_len, b.root_ca_crl_len);
        assert_memory_equal(f.root_ca_crl, b.root_ca_crl, b.root_ca_crl_len);
        assert_non_null(f.pck_crl);
        assert_int_equal(f.pck_crl_len, b.pck_crl_len);
        assert_memory_equal(f.pck_crl, b.pck_crl, b.pck_crl_len);
    } else {
        assert_null(f.root_ca_crl);
        assert_null(f.pck_crl);
    }
    free(dir);
    free(file);
    avow_collateral_free(&f);
    avow_collateral_free(&b);
}

static void test_pcs_original(void **state)
{
    (void)state;
    /* O1: TCB chain + a PCK CA chain file (the "_bad" TCB chain), no CRLs,
     * a quote file that is not collateral. */
    check_pcs_folder("O1-oasis-sgx-v3-nocrl", false, true);
    /* R1: signer + separate root file combined; DER CRLs told apart by
     * issuer; no PCK CA chain file. */
    check_pcs_folder("R1-dcaprs-sgx-v3-tcbv2", true, false);
    /* G1: separate TCB/QE chain files, a PCK chain file with extra
     * certificates after the root (cut), CRLs named without extensions. */
    check_pcs_folder("G1-gotdx-tdx-v4-spr-e4", true, true);
    /* The R1 signer chain is [signer, root]. */
    avow_collateral f;
    char *dir = set_path("R1-dcaprs-sgx-v3-tcbv2", "pcs-original");
    load_ok(dir, &f);
    BIO *bio = BIO_new_mem_buf(f.tcb_info_issuer_chain, -1);
    X509 *a = PEM_read_bio_X509(bio, NULL, NULL, NULL),
         *r = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(a);
    assert_non_null(r);
    assert_null(PEM_read_bio_X509(bio, NULL, NULL, NULL));
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(a), X509_get_subject_name(r)), 0);
    X509_free(a);
    X509_free(r);
    BIO_free(bio);
    avow_collateral_free(&f);
    free(dir);
}

/* ---- span finder ---------------------------------------------------------- */

static const char HEXSIG[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeef0";

static void expect_span(const char *body, const char *key, const char *want)
{
    const char *span;
    size_t n;
    avow_error e;
    if (avow_json_member_span(body, strlen(body), key, &span, &n, &e)) fail_msg("%s", e.msg);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(span, want, n);
}

static void test_span_tricky(void **state)
{
    (void)state;
    /* escaped quotes and braces in strings, nesting, whitespace, arrays */
    const char *inner =
        "{\"a\" : \"}\\\"{[\" ,\n \"b\":[1, {\"c\":{}} ,\"]\"],\"d\":{\"tcbInfo\":1}}";
    char body[1024];
    snprintf(body, sizeof(body),
             " \r\n{ \"x\\\"tcbInfo\" : \"{\\\"tcbInfo\\\":2}\" ,\t\"tcbInfo\"\n:\n%s\n , "
             "\"signature\" : \"%s\" }\n",
             inner, HEXSIG);
    expect_span(body, "tcbInfo", inner);
    expect_span(body, "x\"tcbInfo", "\"{\\\"tcbInfo\\\":2}\"");
    const char *span;
    size_t n;
    uint8_t sig[64];
    avow_error e;
    if (avow_signed_json_split(body, strlen(body), "tcbInfo", &span, &n, sig, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(n, strlen(inner));
    assert_memory_equal(span, inner, n);
    assert_int_equal(sig[0], 0x00);
    assert_int_equal(sig[42], 0xaa); /* upper-case hex accepted */
    assert_int_equal(sig[63], 0xf0);
    /* a nested "tcbInfo" is not a top-level member */
    const char *nested = "{\"a\":{\"tcbInfo\":{}}}";
    assert_int_equal(avow_json_member_span(nested, strlen(nested), "tcbInfo", &span, &n, &e),
                     AVOW_ERR_NOT_FOUND);
    /* an escaped key names the same member */
    expect_span("{\"tcb\\u0049nfo\":{\"k\":1}}", "tcbInfo", "{\"k\":1}");
    /* values of every kind */
    expect_span("{\"v\":-1.5e+3}", "v", "-1.5e+3");
    expect_span("{\"v\":true }", "v", "true");
    expect_span("{\"v\":\"\\u00e9\\ud83d\\ude00\"}", "v", "\"\\u00e9\\ud83d\\ude00\"");
    expect_span("{\"v\":\"caf\xc3\xa9\"}", "v", "\"caf\xc3\xa9\"");
}

static void expect_bad(const char *json, const char *why)
{
    avow_error e;
    const char *span;
    size_t n;
    avow_err r = avow_json_member_span(json, strlen(json), "k", &span, &n, &e);
    if (r != AVOW_ERR_FORMAT) fail_msg("'%s' (%s): got %s", json, why, avow_err_name(r));
}

static void test_span_invalid(void **state)
{
    (void)state;
    expect_bad("", "empty");
    expect_bad("[]", "not an object");
    expect_bad("{\"k\":1} x", "trailing data");
    expect_bad("{\"k\":1}{}", "two values");
    expect_bad("{\"k\":1,\"k\":2}", "duplicate key");
    expect_bad("{\"k\":1,\"\\u006b\":2}", "duplicate key, escaped");
    expect_bad("{\"k\":\"abc}", "unterminated string");
    expect_bad("{\"k\":\"a\\x\"}", "bad escape");
    expect_bad("{\"k\":\"a\nb\"}", "control character");
    expect_bad("{\"k\":\"\\ud800\"}", "lone surrogate");
    expect_bad("{\"k\":\"\\udc00x\"}", "lone low surrogate");
    expect_bad("{\"k\":\"\\u0000\"}", "NUL");
    expect_bad("{\"k\":\"\xc0\xaf\"}", "overlong UTF-8");
    expect_bad("{\"k\":\"\xed\xa0\x80\"}", "UTF-8 surrogate");
    expect_bad("{\"k\":01}", "leading zero");
    expect_bad("{\"k\":1.}", "bad fraction");
    expect_bad("{\"k\":+1}", "plus sign");
    expect_bad("{\"k\":tru}", "bad literal");
    expect_bad("{\"k\":1,}", "trailing comma");
    expect_bad("{\"k\" 1}", "missing colon");
    expect_bad("{'k':1}", "single quotes");
    expect_bad("{\"k\":[1,2}", "unbalanced");
    /* nesting depth */
    size_t depth = AVOW_JSON_SPAN_MAX_DEPTH + 5;
    char *deep = malloc(2 * depth + 16);
    size_t o = 0;
    memcpy(deep, "{\"k\":", 5), o = 5;
    for (size_t i = 0; i < depth; i++)
        deep[o++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[o++] = ']';
    deep[o++] = '}';
    deep[o] = '\0';
    expect_bad(deep, "too deep");
    free(deep);
    /* a length shorter than the text is honoured */
    avow_error e;
    assert_int_equal(avow_json_member_span("{\"k\":1}", 6, "k", NULL, NULL, &e), AVOW_ERR_FORMAT);
    /* split: missing or malformed signature, value not an object */
    const char *span;
    size_t n;
    uint8_t sig[64];
    const char *b1 = "{\"tcbInfo\":{}}";
    assert_int_equal(avow_signed_json_split(b1, strlen(b1), "tcbInfo", &span, &n, sig, &e),
                     AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "signature"));
    const char *b2 = "{\"tcbInfo\":{},\"signature\":\"abcd\"}";
    assert_int_equal(avow_signed_json_split(b2, strlen(b2), "tcbInfo", &span, &n, sig, &e),
                     AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "signature"));
    char b3[400];
    snprintf(b3, sizeof(b3), "{\"tcbInfo\":[],\"signature\":\"%s\"}", HEXSIG);
    assert_int_equal(avow_signed_json_split(b3, strlen(b3), "tcbInfo", &span, &n, sig, &e),
                     AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "tcbInfo"));
    snprintf(b3, sizeof(b3), "{\"enclaveIdentity\":{},\"signature\":\"%s\"}", HEXSIG);
    assert_int_equal(avow_signed_json_split(b3, strlen(b3), "tcbInfo", &span, &n, sig, &e),
                     AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "tcbInfo: missing"));
    char bad[400];
    snprintf(bad, sizeof(bad), "{\"tcbInfo\":{},\"signature\":\"%.127sg\"}", HEXSIG);
    assert_int_equal(avow_signed_json_split(bad, strlen(bad), "tcbInfo", &span, &n, sig, &e),
                     AVOW_ERR_FORMAT);
}

static void test_join_split(void **state)
{
    (void)state;
    const char *span = "{ \"id\" : \"SGX\",\n  \"x\":[ 1 ,2 ] }";
    uint8_t sig[64], sig2[64];
    for (int i = 0; i < 64; i++)
        sig[i] = (uint8_t)(i * 7 + 1);
    char *body;
    avow_error e;
    assert_int_equal(avow_signed_json_join("tcbInfo", span, strlen(span), sig, &body, &e), AVOW_OK);
    assert_int_equal(strncmp(body, "{\"tcbInfo\":{ \"id\"", 17), 0);
    const char *s2;
    size_t n2;
    assert_int_equal(avow_signed_json_split(body, strlen(body), "tcbInfo", &s2, &n2, sig2, &e),
                     AVOW_OK);
    assert_int_equal(n2, strlen(span));
    assert_memory_equal(s2, span, n2); /* whitespace kept verbatim */
    assert_memory_equal(sig, sig2, 64);
    free(body);
    /* join refuses a span that is not exactly one object */
    assert_int_equal(avow_signed_json_join("tcbInfo", " {}", 3, sig, &body, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_signed_json_join("tcbInfo", "{}x", 3, sig, &body, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_signed_json_join("tcbInfo", "[]", 2, sig, &body, &e), AVOW_ERR_FORMAT);
    /* the vector bodies: split(join(span)) gives back the span */
    avow_collateral c;
    char *file = set_path("P1-phala-sgx-v3", "collateral.json");
    load_ok(file, &c);
    assert_int_equal(avow_signed_json_join("enclaveIdentity", c.qe_identity, c.qe_identity_len,
                                           c.qe_identity_sig, &body, &e),
                     AVOW_OK);
    assert_int_equal(
        avow_signed_json_split(body, strlen(body), "enclaveIdentity", &s2, &n2, sig2, &e), AVOW_OK);
    assert_int_equal(n2, c.qe_identity_len);
    assert_memory_equal(s2, c.qe_identity, n2);
    assert_memory_equal(sig2, c.qe_identity_sig, 64);
    free(body);
    free(file);
    avow_collateral_free(&c);
}

/* ---- CRLs ------------------------------------------------------------------ */

static void test_crl_encodings(void **state)
{
    (void)state;
    size_t n;
    uint8_t *der =
        tu_read_vector("dcap/R1-dcaprs-sgx-v3-tcbv2/pcs-original/intel_root_ca_crl.der", &n);
    uint8_t *out;
    size_t out_len;
    avow_error e;
    /* raw DER */
    assert_int_equal(avow_crl_to_der(der, n, &out, &out_len, &e), AVOW_OK);
    assert_int_equal(out_len, n);
    assert_memory_equal(out, der, n);
    free(out);
    /* hex, with a trailing newline */
    char *hex = malloc(2 * n + 2);
    avow_hex_encode(der, n, hex);
    strcat(hex, "\n");
    assert_int_equal(avow_crl_to_der((uint8_t *)hex, strlen(hex), &out, &out_len, &e), AVOW_OK);
    assert_int_equal(out_len, n);
    assert_memory_equal(out, der, n);
    free(out);
    /* base64 and PEM */
    char *b64 = malloc(avow_base64_len(n));
    avow_base64_encode(der, n, b64);
    assert_int_equal(avow_crl_to_der((uint8_t *)b64, strlen(b64), &out, &out_len, &e), AVOW_OK);
    assert_memory_equal(out, der, n);
    free(out);
    BIO *bio = BIO_new(BIO_s_mem());
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)n);
    assert_non_null(crl);
    PEM_write_bio_X509_CRL(bio, crl);
    char *pem;
    long pem_len = BIO_get_mem_data(bio, &pem);
    assert_int_equal(avow_crl_to_der((uint8_t *)pem, (size_t)pem_len, &out, &out_len, &e), AVOW_OK);
    assert_int_equal(out_len, n);
    assert_memory_equal(out, der, n);
    free(out);
    /* PEM followed by garbage, or of another type */
    char *pem2 = malloc((size_t)pem_len + 8);
    memcpy(pem2, pem, (size_t)pem_len);
    memcpy(pem2 + pem_len, "junk\n", 6);
    assert_int_equal(avow_crl_to_der((uint8_t *)pem2, strlen(pem2), &out, &out_len, &e),
                     AVOW_ERR_FORMAT);
    free(pem2);
    const char *cert_pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    assert_int_equal(
        avow_crl_to_der((const uint8_t *)cert_pem, strlen(cert_pem), &out, &out_len, &e),
        AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "X509 CRL"));
    /* trailing bytes after the DER, truncation, odd hex, nonsense */
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, der, n);
    longer[n] = 0;
    assert_int_equal(avow_crl_to_der(longer, n + 1, &out, &out_len, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_crl_to_der(der, n - 1, &out, &out_len, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_crl_to_der((const uint8_t *)"303", 3, &out, &out_len, &e),
                     AVOW_ERR_FORMAT);
    assert_int_equal(avow_crl_to_der((const uint8_t *)"\x01\x02", 2, &out, &out_len, &e),
                     AVOW_ERR_FORMAT);
    assert_int_equal(avow_crl_to_der((const uint8_t *)"", 0, &out, &out_len, &e), AVOW_ERR_FORMAT);
    /* a certificate in DER is a SEQUENCE but not a CRL */
    size_t cn;
    uint8_t *certpem = tu_read_vector("roots/intel_sgx_root_ca.pem", &cn);
    BIO *cb = BIO_new_mem_buf(certpem, (int)cn);
    X509 *x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    unsigned char *cder = NULL;
    int cl = i2d_X509(x, &cder);
    assert_int_equal(avow_crl_to_der(cder, (size_t)cl, &out, &out_len, &e), AVOW_ERR_FORMAT);
    OPENSSL_free(cder);
    X509_free(x);
    BIO_free(cb);
    free(certpem);
    free(longer);
    X509_CRL_free(crl);
    BIO_free(bio);
    free(b64);
    free(hex);
    free(der);
}

/* ---- bundle errors and variants -------------------------------------------- */

static char *p1_bundle_with(const char *key, json_t *value)
{
    char *p = set_path("P1-phala-sgx-v3", "collateral.json");
    size_t n;
    char *json = (char *)tu_read_file(p, &n);
    free(p);
    json_t *root = json_loadb(json, n, 0, NULL);
    free(json);
    if (value)
        json_object_set_new(root, key, value);
    else
        json_object_del(root, key);
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}

static void expect_bundle_error(const char *key, json_t *value, const char *want)
{
    char *s = p1_bundle_with(key, value);
    avow_collateral c;
    avow_error e;
    avow_err r = avow_collateral_from_bundle((const uint8_t *)s, strlen(s), &c, &e);
    if (r != AVOW_ERR_FORMAT)
        fail_msg("%s: expected a format error, got %s", key, avow_err_name(r));
    if (!strstr(e.msg, want)) fail_msg("%s: message '%s' lacks '%s'", key, e.msg, want);
    assert_null(c.tcb_info);
    free(s);
}

static void test_bundle_errors(void **state)
{
    (void)state;
    expect_bundle_error("tcb_info_signature", json_string("abcd"), "collateral.tcb_info_signature");
    expect_bundle_error("tcb_info_signature", NULL, "collateral.tcb_info_signature: missing");
    expect_bundle_error("qe_identity_signature", json_integer(5),
                        "collateral.qe_identity_signature: expected a string");
    expect_bundle_error("tcb_info", json_integer(1), "collateral.tcb_info: expected a string");
    expect_bundle_error("tcb_info", json_string("{\"a\":1"), "collateral.tcb_info");
    expect_bundle_error("pck_crl", json_string("3082zz"), "collateral.pck_crl");
    expect_bundle_error("root_ca_crl", json_string("00"), "collateral.root_ca_crl");
    expect_bundle_error("tcb_info_issuer_chain", json_string("not a pem"),
                        "collateral.tcb_info_issuer_chain");
    expect_bundle_error(
        "pck_crl_issuer_chain",
        json_string("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"),
        "collateral.pck_crl_issuer_chain");
    expect_bundle_error("qe_identity_issuer_chain", json_string("-----BEGIN%20CERT%ZZ"),
                        "collateral.qe_identity_issuer_chain");
    /* not JSON, not an object, trailing garbage, duplicate keys */
    avow_collateral c;
    avow_error e;
    assert_int_equal(avow_collateral_from_bundle((const uint8_t *)"[]", 2, &c, &e),
                     AVOW_ERR_FORMAT);
    assert_int_equal(avow_collateral_from_bundle((const uint8_t *)"{} x", 4, &c, &e),
                     AVOW_ERR_FORMAT);
    const char *dup = "{\"pck_crl\":\"\",\"pck_crl\":\"\"}";
    assert_int_equal(avow_collateral_from_bundle((const uint8_t *)dup, strlen(dup), &c, &e),
                     AVOW_ERR_FORMAT);
    /* a JSON object that is not a bundle (a PCS body, say) */
    const char *pcs = "{\"tcbInfo\":{},\"signature\":\"00\"}";
    assert_int_equal(avow_collateral_from_bundle((const uint8_t *)pcs, strlen(pcs), &c, &e),
                     AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "not a collateral bundle"));
    /* a missing file names the path */
    assert_int_equal(avow_collateral_load("/nonexistent/avow/collateral.json", &c, &e),
                     AVOW_ERR_IO);
    assert_non_null(strstr(e.msg, "/nonexistent/avow/collateral.json"));
}

static void test_bundle_variants(void **state)
{
    (void)state;
    avow_collateral ref, c;
    avow_error e;
    char *file = set_path("P1-phala-sgx-v3", "collateral.json");
    load_ok(file, &ref);
    free(file);
    /* URL-encoded chain (as in PCS headers) decodes to the same text */
    char *enc = malloc(3 * strlen(ref.tcb_info_issuer_chain) + 1), *o = enc;
    for (const char *s = ref.tcb_info_issuer_chain; *s; s++) {
        if (*s == '\n' || *s == ' ' || *s == '+' || *s == '/' || *s == '=')
            o += sprintf(o, "%%%02X", (unsigned char)*s);
        else
            *o++ = *s;
    }
    *o = '\0';
    char *s = p1_bundle_with("tcb_info_issuer_chain", json_string(enc));
    if (avow_collateral_from_bundle((const uint8_t *)s, strlen(s), &c, &e)) fail_msg("%s", e.msg);
    assert_string_equal(c.tcb_info_issuer_chain, ref.tcb_info_issuer_chain);
    avow_collateral_free(&c);
    free(s);
    free(enc);
    /* tcb_info holding the whole PCS body, without a separate signature */
    char *body;
    assert_int_equal(avow_signed_json_join("tcbInfo", ref.tcb_info, ref.tcb_info_len,
                                           ref.tcb_info_sig, &body, &e),
                     AVOW_OK);
    char *s2 = p1_bundle_with("tcb_info", json_string(body));
    json_t *root = json_loads(s2, 0, NULL);
    json_object_del(root, "tcb_info_signature");
    char *s3 = json_dumps(root, 0);
    json_decref(root);
    if (avow_collateral_from_bundle((const uint8_t *)s3, strlen(s3), &c, &e)) fail_msg("%s", e.msg);
    assert_true(avow_collateral_equal(&c, &ref));
    avow_collateral_free(&c);
    /* ... with a separate signature that agrees: fine; that disagrees: error */
    if (avow_collateral_from_bundle((const uint8_t *)s2, strlen(s2), &c, &e)) fail_msg("%s", e.msg);
    assert_true(avow_collateral_equal(&c, &ref));
    avow_collateral_free(&c);
    free(s2);
    char other[129];
    memset(other, 'a', 128);
    other[128] = '\0';
    root = json_loads(s3, 0, NULL);
    json_object_set_new(root, "tcb_info_signature", json_string(other));
    free(s3);
    s3 = json_dumps(root, 0);
    json_decref(root);
    assert_int_equal(avow_collateral_from_bundle((const uint8_t *)s3, strlen(s3), &c, &e),
                     AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "tcb_info_signature"));
    free(s3);
    free(body);
    /* PEM and base64 CRLs in a bundle normalise to the same DER */
    char *b64 = malloc(avow_base64_len(ref.pck_crl_len));
    avow_base64_encode(ref.pck_crl, ref.pck_crl_len, b64);
    s = p1_bundle_with("pck_crl", json_string(b64));
    if (avow_collateral_from_bundle((const uint8_t *)s, strlen(s), &c, &e)) fail_msg("%s", e.msg);
    assert_true(avow_collateral_equal(&c, &ref));
    avow_collateral_free(&c);
    free(s);
    free(b64);
    /* null and "" both mean absent */
    s = p1_bundle_with("root_ca_crl", json_null());
    assert_int_equal(avow_collateral_from_bundle((const uint8_t *)s, strlen(s), &c, &e), AVOW_OK);
    assert_null(c.root_ca_crl);
    assert_int_equal(c.root_ca_crl_len, 0);
    avow_collateral_free(&c);
    free(s);
    avow_collateral_free(&ref);
}

/* ---- folders made here ------------------------------------------------------ */

static char *make_dir(void)
{
    char *t = strdup("/tmp/avow-coll-XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static void put(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void rm_dir(char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void test_folder_synthetic(void **state)
{
    (void)state;
    avow_collateral ref, c;
    avow_error e;
    char *file = set_path("P1-phala-sgx-v3", "collateral.json");
    load_ok(file, &ref);
    free(file);
    char *dir = make_dir();
    /* a PCS body whose tcbInfo contains whitespace: kept verbatim */
    const char *ws_info = "{ \"id\": \"SGX\",\n  \"version\" : 3 }";
    char sig_hex[129];
    avow_hex_encode(ref.tcb_info_sig, 64, sig_hex);
    char body[512];
    snprintf(body, sizeof(body), "{\n  \"tcbInfo\": %s,\n  \"signature\": \"%s\"\n}\n", ws_info,
             sig_hex);
    put(dir, "tcb", body, strlen(body));
    /* URL-encoded chain, hex root CRL, PEM-less PCK CRL in base64 */
    char *enc = malloc(3 * strlen(ref.tcb_info_issuer_chain) + 1), *o = enc;
    for (const char *s = ref.tcb_info_issuer_chain; *s; s++) {
        if (*s == '\n' || *s == ' ' || *s == '+' || *s == '/' || *s == '=')
            o += sprintf(o, "%%%02X", (unsigned char)*s);
        else
            *o++ = *s;
    }
    put(dir, "chain.txt", enc, (size_t)(o - enc));
    free(enc);
    char *hex = malloc(2 * ref.root_ca_crl_len + 1);
    avow_hex_encode(ref.root_ca_crl, ref.root_ca_crl_len, hex);
    put(dir, "rootcacrl", hex, strlen(hex));
    free(hex);
    char *b64 = malloc(avow_base64_len(ref.pck_crl_len));
    avow_base64_encode(ref.pck_crl, ref.pck_crl_len, b64);
    put(dir, "pckcrl.b64", b64, strlen(b64));
    free(b64);
    put(dir, "README", "not collateral\n", 15);
    put(dir, ".hidden", "{", 1);
    load_ok(dir, &c);
    assert_int_equal(c.tcb_info_len, strlen(ws_info));
    assert_memory_equal(c.tcb_info, ws_info, c.tcb_info_len);
    assert_memory_equal(c.tcb_info_sig, ref.tcb_info_sig, 64);
    assert_int_equal(c.tee_type, AVOW_TEE_SGX);
    assert_null(c.qe_identity);
    assert_same_chain(c.tcb_info_issuer_chain, ref.tcb_info_issuer_chain);
    assert_same_chain(c.qe_identity_issuer_chain, ref.tcb_info_issuer_chain);
    assert_null(c.pck_crl_issuer_chain);
    assert_int_equal(c.root_ca_crl_len, ref.root_ca_crl_len);
    assert_memory_equal(c.root_ca_crl, ref.root_ca_crl, ref.root_ca_crl_len);
    assert_int_equal(c.pck_crl_len, ref.pck_crl_len);
    assert_memory_equal(c.pck_crl, ref.pck_crl, ref.pck_crl_len);
    avow_collateral_free(&c);

    /* two different tcbInfo bodies: an error naming both files */
    snprintf(body, sizeof(body), "{\"tcbInfo\":{\"id\":\"TDX\"},\"signature\":\"%s\"}", sig_hex);
    put(dir, "tcb2", body, strlen(body));
    assert_int_equal(avow_collateral_load(dir, &c, &e), AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "tcb"));
    assert_non_null(strstr(e.msg, "tcb2"));
    assert_null(c.tcb_info);
    /* a broken body names the file and the field */
    snprintf(body, sizeof(body), "{\"tcbInfo\":{},\"signature\":\"12\"}");
    put(dir, "tcb2", body, strlen(body));
    assert_int_equal(avow_collateral_load(dir, &c, &e), AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "tcb2"));
    assert_non_null(strstr(e.msg, "signature"));
    rm_dir(dir);

    /* an empty folder */
    dir = make_dir();
    assert_int_equal(avow_collateral_load(dir, &c, &e), AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, dir));
    rm_dir(dir);
    avow_collateral_free(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_load),    cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_pcs_original),    cmocka_unit_test(test_span_tricky),
        cmocka_unit_test(test_span_invalid),    cmocka_unit_test(test_join_split),
        cmocka_unit_test(test_crl_encodings),   cmocka_unit_test(test_bundle_errors),
        cmocka_unit_test(test_bundle_variants), cmocka_unit_test(test_folder_synthetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
