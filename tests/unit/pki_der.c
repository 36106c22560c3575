/* Unit tests of the DER certificate / CRL reader (pki/der.h, pki/cert.h):
 * every certificate and CRL in tests/vectors/data reads, and each field equals
 * OpenSSL's view of the same bytes; every truncation and malformed encodings
 * (indefinite / non-minimal lengths, trailing bytes, bad times, unknown
 * critical or duplicate extensions) are rejected; the fast P-256 key builder
 * rejects points off the curve. */
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
#include "avow/pck.h"
#include "avow/quote.h"
#include "core/pem.h"
#include "pki/cert.h"
#include "pki/ecdsa.h"
#include "pki/roots.h"
#include "testutil.h"
#include "x509_ref.h"

typedef struct {
    uint8_t *der;
    size_t len;
    char name[160];
} blob;

static blob g_certs[128], g_crls[32];
static size_t g_n_certs, g_n_crls;

static void add(blob *list, size_t *n, size_t cap, const uint8_t *der, size_t len, const char *name)
{
    assert_true(*n < cap);
    blob *b = &list[(*n)++];
    b->der = malloc(len); /* exact size: ASan catches any read past the end */
    assert_non_null(b->der);
    memcpy(b->der, der, len);
    b->len = len;
    snprintf(b->name, sizeof(b->name), "%s", name);
}

static void add_pem(const char *pem, size_t len, const char *name)
{
    avow_der_blob *b;
    size_t n;
    if (!pem || avow_pem_split(pem, len, "CERTIFICATE", &b, &n, NULL) != AVOW_OK) return;
    for (size_t i = 0; i < n; i++)
        add(g_certs, &g_n_certs, 128, b[i].der, b[i].len, name);
    avow_der_blobs_free(b, n);
}

static void add_file(const char *rel, bool crl)
{
    size_t len;
    uint8_t *d = tu_read_vector(rel, &len);
    assert_non_null(d);
    if (crl)
        add(g_crls, &g_n_crls, 32, d, len, rel);
    else if (d[0] == 0x30)
        add(g_certs, &g_n_certs, 128, d, len, rel);
    else
        add_pem((const char *)d, len, rel);
    free(d);
}

static const char *const DCAP[] = {
    "F1-fortanix-sgx-v3-2020-tcbv2",
    "G1-gotdx-tdx-v4-spr-e4",
    "I1-integritee-sgx-v3",
    "O1-oasis-sgx-v3-nocrl",
    "O2-oasis-tdx-v4-nocrl",
    "P1-phala-sgx-v3",
    "P2-phala-tdx-v4",
    "R1-dcaprs-sgx-v3-tcbv2",
};

static int setup(void **state)
{
    (void)state;
    static const char *const certs[] = {
        "sgx/pck-certs/single_pck.crt",
        "sgx/pck-certs/multi_pck.crt",
        "roots/intel_sgx_root_ca.pem",
        "roots/intel_sgx_root_ca_legacy_2018-2033.pem",
        "ias/oasis-core/avr_certificates.pem",
        "ias/oasis-core/ias_signing_cert.pem",
        "ias/oasis-core/ias_root_ca.pem",
        "dcap/R1-dcaprs-sgx-v3-tcbv2/pcs-original/Intel_SGX_Provisioning_Certification_"
        "RootCA.pem",
        "dcap/R1-dcaprs-sgx-v3-tcbv2/pcs-original/signing_cert.pem",
        "dcap/G1-gotdx-tdx-v4-spr-e4/pcs-original/tcbInfoIssuerChain.pem",
        "dcap/G1-gotdx-tdx-v4-spr-e4/pcs-original/pckCrlIssuerChain.pem",
        "dcap/G1-gotdx-tdx-v4-spr-e4/pcs-original/qeIdentityIssuerChain.pem",
        "dcap/O1-oasis-sgx-v3-nocrl/pcs-original/"
        "tcb_info_v3_fmspc_00606A000000_certs.pem",
    };
    for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
        add_file(certs[i], false);
    add_file("dcap/R1-dcaprs-sgx-v3-tcbv2/pcs-original/pck_platform_crl.der", true);
    add_file("dcap/R1-dcaprs-sgx-v3-tcbv2/pcs-original/intel_root_ca_crl.der", true);
    add_file("dcap/G1-gotdx-tdx-v4-spr-e4/pcs-original/rootcrl.der", true);
    for (size_t i = 0; i < sizeof(DCAP) / sizeof(DCAP[0]); i++) {
        char rel[256], *path;
        size_t len;
        snprintf(rel, sizeof(rel), "dcap/%s/quote.bin", DCAP[i]);
        uint8_t *q = tu_read_vector(rel, &len);
        assert_non_null(q);
        avow_quote qq;
        if (avow_quote_parse_ex(q, len, AVOW_QUOTE_ALLOW_TRAILING, &qq, NULL) == AVOW_OK &&
            qq.cert_type == AVOW_CERT_PCK_CHAIN)
            add_pem((const char *)qq.cert_data, qq.cert_data_len, rel);
        free(q);
        snprintf(rel, sizeof(rel), "dcap/%s/collateral.json", DCAP[i]);
        path = tu_vector_path(rel);
        avow_collateral c;
        avow_collateral_init(&c);
        if (avow_collateral_load(path, &c, NULL) == AVOW_OK) {
            if (c.pck_crl_issuer_chain)
                add_pem(c.pck_crl_issuer_chain, strlen(c.pck_crl_issuer_chain), rel);
            if (c.tcb_info_issuer_chain)
                add_pem(c.tcb_info_issuer_chain, strlen(c.tcb_info_issuer_chain), rel);
            if (c.root_ca_crl) add(g_crls, &g_n_crls, 32, c.root_ca_crl, c.root_ca_crl_len, rel);
            if (c.pck_crl) add(g_crls, &g_n_crls, 32, c.pck_crl, c.pck_crl_len, rel);
        }
        avow_collateral_free(&c);
        free(path);
    }
    assert_true(g_n_certs >= 20);
    assert_true(g_n_crls >= 8);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_n_certs; i++)
        free(g_certs[i].der);
    for (size_t i = 0; i < g_n_crls; i++)
        free(g_crls[i].der);
    return 0;
}

static void assert_span_eq(avow_span s, const uint8_t *p, size_t n, const char *what,
                           const char *name)
{
    if (s.len != n || (n && memcmp(s.p, p, n)))
        fail_msg("%s: %s differs from OpenSSL's (%zu vs %zu bytes)", name, what, s.len, n);
}

static void name_der(const X509_NAME *n, uint8_t **out, size_t *len)
{
    const unsigned char *p;
    size_t l;
    assert_int_equal(X509_NAME_get0_der((X509_NAME *)n, &p, &l), 1);
    *out = (uint8_t *)p;
    *len = l;
}

static void test_certs_match_openssl(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_n_certs; i++) {
        const blob *b = &g_certs[i];
        avow_cert c;
        avow_error e;
        if (avow_cert_parse(b->der, b->len, &c, &e) != AVOW_OK)
            fail_msg("%s (certificate %zu): %s", b->name, i, e.msg);
        X509 *x = ref_x509_from_der(b->der, b->len);
        assert_non_null(x);
        /* names and CNs */
        uint8_t *n;
        size_t nl;
        name_der(X509_get_subject_name(x), &n, &nl);
        assert_span_eq(c.subject, n, nl, "subject", b->name);
        name_der(X509_get_issuer_name(x), &n, &nl);
        assert_span_eq(c.issuer, n, nl, "issuer", b->name);
        char a[128], o[128];
        avow_cert_text(c.subject_cn, a, sizeof(a));
        ref_x509_cn(x, false, o, sizeof(o));
        assert_string_equal(a, o);
        avow_cert_text(c.issuer_cn, a, sizeof(a));
        ref_x509_cn(x, true, o, sizeof(o));
        assert_string_equal(a, o);
        /* serial, validity, key, CA flag */
        avow_cert_serial_hex(&c, a, sizeof(a));
        ref_x509_serial_hex(x, o, sizeof(o));
        assert_string_equal(a, o);
        avow_time nb, na;
        assert_true(ref_x509_window(x, &nb, &na));
        assert_int_equal(c.not_before, nb);
        assert_int_equal(c.not_after, na);
        size_t kl;
        const uint8_t *k = ref_x509_key_bytes(x, &kl);
        assert_span_eq(c.key, k, kl, "key", b->name);
        assert_int_equal(c.ca, ref_x509_is_ca(x));
        assert_int_equal(c.version, (uint32_t)X509_get_version(x));
        /* signature and TBS */
        const ASN1_BIT_STRING *sig;
        const X509_ALGOR *alg;
        X509_get0_signature(&sig, &alg, x);
        assert_span_eq(c.sig, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), "sig",
                       b->name);
        assert_int_equal(c.sig_ecdsa_sha256, X509_get_signature_nid(x) == NID_ecdsa_with_SHA256);
        unsigned char *tbs = NULL;
        int tl = i2d_re_X509_tbs(x, &tbs);
        assert_span_eq(c.tbs, tbs, (size_t)tl, "tbs", b->name);
        OPENSSL_free(tbs);
        /* key identifiers and the SGX extension */
        const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
        if (ski)
            assert_span_eq(c.ski, ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski),
                           "ski", b->name);
        else
            assert_null(c.ski.p);
        const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
        if (aki)
            assert_span_eq(c.aki, ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki),
                           "aki", b->name);
        avow_pck_ext p1, p2;
        avow_err r1 = avow_pck_ext_from_cert_der(b->der, b->len, &p1, NULL);
        avow_err r2 = c.sgx_ext.p ? avow_pck_ext_parse(c.sgx_ext.p, c.sgx_ext.len, &p2, NULL)
                                  : AVOW_ERR_NOT_FOUND;
        assert_int_equal(r1, r2);
        if (r1 == AVOW_OK) assert_memory_equal(&p1.fmspc, &p2.fmspc, sizeof(p1.fmspc));
        /* the fast key equals OpenSSL's */
        if (c.key_p256) {
            EVP_PKEY *key;
            assert_int_equal(avow_cert_key(&c, &key), AVOW_OK);
            assert_int_equal(EVP_PKEY_eq(key, X509_get0_pubkey(x)), 1);
            EVP_PKEY_free(key);
        }
        X509_free(x);
    }
}

/* Issuer/signature checks agree with OpenSSL's over every pair in a source. */
static void test_cert_signatures(void **state)
{
    (void)state;
    size_t checked = 0;
    for (size_t i = 0; i < g_n_certs; i++)
        for (size_t j = 0; j < g_n_certs; j++) {
            avow_cert c, p;
            if (strcmp(g_certs[i].name, g_certs[j].name) ||
                avow_cert_parse(g_certs[i].der, g_certs[i].len, &c, NULL) != AVOW_OK ||
                avow_cert_parse(g_certs[j].der, g_certs[j].len, &p, NULL) != AVOW_OK || !p.key_p256)
                continue;
            X509 *xc = ref_x509_from_der(g_certs[i].der, g_certs[i].len);
            X509 *xp = ref_x509_from_der(g_certs[j].der, g_certs[j].len);
            EVP_PKEY *k;
            char w1[200], w2[200];
            assert_int_equal(avow_cert_key(&p, &k), AVOW_OK);
            avow_err a = avow_cert_check_issued(&c, &p, k, w1, sizeof(w1));
            avow_err o = ref_x509_check_issued(xc, xp, w2, sizeof(w2));
            assert_int_equal(a, o);
            if (a != AVOW_OK) assert_string_equal(w1, w2);
            checked += a == AVOW_OK;
            EVP_PKEY_free(k);
            X509_free(xc);
            X509_free(xp);
        }
    assert_true(checked >= 10);
}

static void test_crls_match_openssl(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_n_crls; i++) {
        const blob *b = &g_crls[i];
        avow_crl c;
        avow_error e;
        if (avow_crl_parse(b->der, b->len, &c, &e) != AVOW_OK)
            fail_msg("%s (CRL %zu): %s", b->name, i, e.msg);
        X509_CRL *x = ref_crl_from_der(b->der, b->len);
        assert_non_null(x);
        uint8_t *n;
        size_t nl;
        name_der(X509_CRL_get_issuer(x), &n, &nl);
        assert_span_eq(c.issuer, n, nl, "issuer", b->name);
        avow_time tu, nu;
        assert_true(ref_crl_window(x, &tu, &nu));
        assert_true(c.has_next_update);
        assert_int_equal(c.this_update, tu);
        assert_int_equal(c.next_update, nu);
        assert_true(c.has_crl_number);
        assert_true(c.has_aki);
        /* the CRL Number's contents: OpenSSL's value, re-encoded minimally */
        ASN1_INTEGER *num = X509_CRL_get_ext_d2i(x, NID_crl_number, NULL, NULL);
        assert_non_null(num);
        unsigned char *nd = NULL;
        int nl2 = i2d_ASN1_INTEGER(num, &nd);
        assert_true(nl2 > 2 && nd[1] == nl2 - 2); /* short form: tag, length, contents */
        assert_int_equal(c.crl_number.len, (size_t)(nl2 - 2));
        assert_memory_equal(c.crl_number.p, nd + 2, c.crl_number.len);
        OPENSSL_free(nd);
        ASN1_INTEGER_free(num);
        STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(x);
        int n_rev = rev ? sk_X509_REVOKED_num(rev) : 0;
        assert_int_equal(c.n_revoked, (size_t)n_rev);
        for (int k = 0; k < n_rev; k++) {
            const ASN1_INTEGER *s = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(rev, k));
            unsigned char *d = NULL;
            int dl = i2d_ASN1_INTEGER(s, &d);
            assert_true(dl > 2 && dl < 128);
            avow_span v = {d + 2, (size_t)dl - 2};
            assert_true(avow_crl_has_serial(&c, v));
            uint8_t other[40];
            memcpy(other, v.p, v.len);
            other[v.len - 1] ^= 0x5a; /* a neighbour that is (almost surely) not listed */
            X509_REVOKED *r2;
            ASN1_INTEGER *ai = ASN1_INTEGER_new();
            ASN1_STRING_set(ai, other, (int)v.len);
            bool listed = X509_CRL_get0_by_serial(x, &r2, ai) == 1;
            assert_int_equal(avow_crl_has_serial(&c, (avow_span){other, v.len}), listed);
            ASN1_INTEGER_free(ai);
            OPENSSL_free(d);
        }
        const ASN1_BIT_STRING *sig;
        X509_CRL_get0_signature(x, &sig, NULL);
        assert_span_eq(c.sig, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), "sig",
                       b->name);
        X509_CRL_free(x);
    }
}

/* Every proper prefix is rejected (and, under ASan, never read past). */
static void test_truncations(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_n_certs; i++)
        for (size_t k = 0; k < g_certs[i].len; k++) {
            uint8_t *d = malloc(k ? k : 1);
            memcpy(d, g_certs[i].der, k);
            avow_cert c;
            avow_error e;
            assert_int_equal(avow_cert_parse(d, k, &c, &e), AVOW_ERR_FORMAT);
            free(d);
        }
    for (size_t i = 0; i < g_n_crls; i++)
        for (size_t k = 0; k < g_crls[i].len; k++) {
            uint8_t *d = malloc(k ? k : 1);
            memcpy(d, g_crls[i].der, k);
            avow_crl c;
            assert_int_equal(avow_crl_parse(d, k, &c, NULL), AVOW_ERR_FORMAT);
            free(d);
        }
}

/* Every single-byte change either still reads or is rejected; never crashes. */
static void test_byte_flips(void **state)
{
    (void)state;
    const blob *b = &g_certs[0];
    uint8_t *d = malloc(b->len);
    for (size_t k = 0; k < b->len; k++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(d, b->der, b->len);
            d[k] ^= (uint8_t)(1 << bit);
            avow_cert c;
            avow_err rc = avow_cert_parse(d, b->len, &c, NULL);
            assert_true(rc == AVOW_OK || rc == AVOW_ERR_FORMAT);
        }
    free(d);
}

static void test_malformed_lengths(void **state)
{
    (void)state;
    const blob *b = &g_certs[0];
    size_t len = b->len;
    uint8_t *d = malloc(len + 8);
    avow_cert c;
    /* trailing byte */
    memcpy(d, b->der, len);
    d[len] = 0;
    assert_int_equal(avow_cert_parse(d, len + 1, &c, NULL), AVOW_ERR_FORMAT);
    /* indefinite length on the outer SEQUENCE */
    memcpy(d, b->der, len);
    d[1] = 0x80;
    assert_int_equal(avow_cert_parse(d, len, &c, NULL), AVOW_ERR_FORMAT);
    /* non-minimal long form: 30 83 00 LL LL instead of 30 82 LL LL */
    assert_int_equal(b->der[1], 0x82);
    d[0] = 0x30;
    d[1] = 0x83;
    d[2] = 0x00;
    memcpy(d + 3, b->der + 2, len - 2);
    assert_int_equal(avow_cert_parse(d, len + 1, &c, NULL), AVOW_ERR_FORMAT);
    /* a length larger than the buffer */
    memcpy(d, b->der, len);
    d[3] = (uint8_t)(d[3] + 1);
    assert_int_equal(avow_cert_parse(d, len, &c, NULL), AVOW_ERR_FORMAT);
    free(d);
    assert_int_equal(avow_cert_parse(NULL, 0, &c, NULL), AVOW_ERR_FORMAT);
}

/* A P-256 certificate built with OpenSSL, with one extra extension. */
static uint8_t *make_cert(const char *ext_oid, bool critical, int copies, const char *not_after,
                          size_t *len)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(x), not_after);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"T", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    for (int i = 0; ext_oid && i < copies; i++) {
        ASN1_OBJECT *obj = OBJ_txt2obj(ext_oid, 1);
        ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2);
        X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, v);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(v);
        ASN1_OBJECT_free(obj);
    }
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int l = i2d_X509(x, &der);
    assert_true(l > 0);
    uint8_t *out = malloc((size_t)l);
    memcpy(out, der, (size_t)l);
    *len = (size_t)l;
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(k);
    return out;
}

static void test_extensions_and_times(void **state)
{
    (void)state;
    size_t len;
    avow_cert c;
    uint8_t *d = make_cert("1.2.3.4.5", false, 1, "20491231235959Z", &len);
    assert_int_equal(avow_cert_parse(d, len, &c, NULL), AVOW_OK); /* unknown, not critical */
    assert_int_equal(c.not_after, avow_time_from_civil(2049, 12, 31, 23, 59, 59));
    free(d);
    d = make_cert("1.2.3.4.5", true, 1, "20491231235959Z", &len);
    assert_int_equal(avow_cert_parse(d, len, &c, NULL), AVOW_ERR_FORMAT); /* unknown critical */
    free(d);
    d = make_cert("1.2.3.4.5", false, 2, "20491231235959Z", &len);
    assert_int_equal(avow_cert_parse(d, len, &c, NULL), AVOW_ERR_FORMAT); /* duplicate */
    free(d);
    d = make_cert("1.2.840.113741.1.13.1", false, 2, "20491231235959Z", &len);
    assert_int_equal(avow_cert_parse(d, len, &c, NULL), AVOW_ERR_FORMAT); /* SGX ext twice */
    free(d);
    /* GeneralizedTime from 2050 on; a bad month is refused */
    d = make_cert(NULL, false, 0, "20600229120000Z", &len);
    assert_int_equal(avow_cert_parse(d, len, &c, NULL), AVOW_OK);
    assert_int_equal(c.not_after, avow_time_from_civil(2060, 2, 29, 12, 0, 0));
    uint8_t *m = memmem(d, len, "20600229", 8);
    assert_non_null(m);
    m[4] = '1';
    m[5] = '3';
    assert_int_equal(avow_cert_parse(d, len, &c, NULL), AVOW_ERR_FORMAT);
    free(d);
}

static void test_key_from_point(void **state)
{
    (void)state;
    EVP_PKEY *k;
    assert_int_equal(avow_ecdsa_key_from_point(AVOW_INTEL_ROOT_PUBKEY, &k), AVOW_OK);
    EVP_PKEY_free(k);
    uint8_t bad[65];
    memcpy(bad, AVOW_INTEL_ROOT_PUBKEY, 65);
    bad[64] ^= 1; /* off the curve */
    assert_int_equal(avow_ecdsa_key_from_point(bad, &k), AVOW_ERR_FORMAT);
    assert_null(k);
    bad[0] = 0x02;
    assert_int_equal(avow_ecdsa_key_from_point(bad, &k), AVOW_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_certs_match_openssl),  cmocka_unit_test(test_cert_signatures),
        cmocka_unit_test(test_crls_match_openssl),   cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_byte_flips),           cmocka_unit_test(test_malformed_lengths),
        cmocka_unit_test(test_extensions_and_times), cmocka_unit_test(test_key_from_point),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
