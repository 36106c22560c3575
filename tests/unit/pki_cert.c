/* Unit tests of the certificate model's helpers (pki/cert.h, avow/cert.h,
 * core/pem.h) on real certificates: every case tests/fuzz/fuzz_der_diff.c
 * found (tests/data/der) is refused; certificates read from PEM or DER alike;
 * chains from PEM with their errors; the PEM writer writes what OpenSSL's
 * PEM_write_bio_X509 writes; kid, thumbprint, JWK and subject CN agree with
 * OpenSSL's view; keys from PEM in every form (and encrypted ones refused);
 * signatures of RSA and ECDSA certificates; names (CN search, RFC 2253 text)
 * and the CA rule against X509_check_ca. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "avow/cert.h"
#include "avow/encode.h"
#include "avow/quote.h"
#include "core/pem.h"
#include "core/sha256.h"
#include "pki/cert.h"
#include "testutil.h"
#include "x509_ref.h"

static void assert_msg_has(const avow_error *e, const char *needle)
{
    if (!strstr(e->msg, needle)) fail_msg("error \"%s\" does not mention \"%s\"", e->msg, needle);
}

/* The PCK chain of P1's quote (leaf, Processor CA, Intel root). */
static avow_der_blob *p1_chain(size_t *n)
{
    size_t len;
    uint8_t *q = tu_read_vector("dcap/P1-phala-sgx-v3/quote.bin", &len);
    avow_quote quote;
    assert_int_equal(avow_quote_parse(q, len, &quote, NULL), AVOW_OK);
    avow_der_blob *b;
    assert_int_equal(avow_pem_split((const char *)quote.cert_data, quote.cert_data_len,
                                    "CERTIFICATE", &b, n, NULL),
                     AVOW_OK);
    free(q);
    return b;
}

/* The cases the differential fuzz target found: OpenSSL refuses them (or
 * reads them otherwise), so the strict reader must too. */
static void test_differential_findings(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        bool crl;
    } bad[] = {
        {"aki_issuer_garbage", false}, {"aki_serial_nonmin", false}, {"bc_pathlen_noca", false},
        {"uid_bad_unused", false},     {"uid_empty", false},         {"suid_bad", false},
        {"crl_certiss_other", true},   {"crl_name_bad_utf8", true},  {"crl_removed_twice", true},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "tests/data/der/%s.der", bad[i].file);
        size_t len;
        uint8_t *d = tu_read_source(rel, &len);
        avow_cert c;
        avow_crl crl;
        avow_error e;
        avow_error_clear(&e);
        avow_err rc =
            bad[i].crl ? avow_crl_parse(d, len, &crl, &e) : avow_cert_parse(d, len, &c, &e);
        if (rc != AVOW_ERR_FORMAT) fail_msg("%s: read (%d), expected a refusal", rel, rc);
        assert_true(e.msg[0] != '\0');
        free(d);
    }
    /* the well-formed authority issuer + serial reads, with its key id */
    size_t len;
    uint8_t *d = tu_read_source("tests/data/der/aki_gn_ok.der", &len);
    avow_cert c;
    assert_int_equal(avow_cert_parse(d, len, &c, NULL), AVOW_OK);
    assert_int_equal(c.aki.len, 2);
    assert_memory_equal(c.aki.p, "\x01\x02", 2);
    X509 *x = ref_x509_from_der(d, len);
    assert_non_null(x);
    X509_free(x);
    free(d);
}

/* One certificate from PEM (text around it) and from DER gives the same DER;
 * what is not a certificate is refused with a message. */
static void test_copy_read(void **state)
{
    (void)state;
    size_t n;
    avow_der_blob *b = p1_chain(&n);
    char *pem = NULL;
    size_t pem_len = 0;
    assert_int_equal(avow_pem_append(&pem, &pem_len, "CERTIFICATE", b[1].der, b[1].len, NULL),
                     AVOW_OK);
    char *text = NULL;
    assert_true(asprintf(&text, "subject=whatever\n%s\ntrailing words\n", pem) > 0);
    avow_cert_copy from_pem, from_der;
    assert_int_equal(
        avow_cert_copy_read((const uint8_t *)text, strlen(text), NULL, &from_pem, NULL), AVOW_OK);
    assert_int_equal(avow_cert_copy_read(b[1].der, b[1].len, NULL, &from_der, NULL), AVOW_OK);
    assert_int_equal(from_pem.len, b[1].len);
    assert_memory_equal(from_pem.der, b[1].der, b[1].len);
    assert_memory_equal(from_der.der, b[1].der, b[1].len);
    char cn[128];
    avow_cert_text(from_pem.c.subject_cn, cn, sizeof(cn));
    assert_string_equal(cn, "Intel SGX PCK Processor CA");
    avow_cert_copy_free(&from_pem);
    avow_cert_copy_free(&from_der);

    avow_cert_copy c;
    avow_error e;
    assert_int_equal(avow_cert_copy_read((const uint8_t *)"junk", 4, "signer", &c, &e),
                     AVOW_ERR_FORMAT);
    assert_msg_has(&e, "signer: ");
    assert_int_equal(avow_cert_copy_read(NULL, 0, NULL, &c, &e), AVOW_ERR_ARG);
    uint8_t cut[64];
    memcpy(cut, b[1].der, sizeof(cut));
    assert_int_equal(avow_cert_copy_read(cut, sizeof(cut), NULL, &c, &e), AVOW_ERR_FORMAT);
    assert_null(c.der);
    free(text);
    free(pem);
    avow_der_blobs_free(b, n);
}

static void test_chain_read(void **state)
{
    (void)state;
    size_t len;
    uint8_t *q = tu_read_vector("dcap/P1-phala-sgx-v3/quote.bin", &len);
    avow_quote quote;
    assert_int_equal(avow_quote_parse(q, len, &quote, NULL), AVOW_OK);
    avow_cert_chain ch;
    assert_int_equal(avow_cert_chain_read((const char *)quote.cert_data, quote.cert_data_len,
                                          "chain", &ch, NULL),
                     AVOW_OK);
    assert_int_equal(ch.n, 3);
    assert_true(avow_cert_self_issued(&ch.certs[2]));
    assert_false(avow_cert_self_issued(&ch.certs[0]));
    assert_true(avow_name_eq(ch.certs[0].issuer, ch.certs[1].subject));
    avow_cert_chain_free(&ch);
    free(q);

    avow_error e;
    const char key[] = "-----BEGIN PUBLIC KEY-----\nMAMCAQU=\n-----END PUBLIC KEY-----\n";
    assert_int_equal(avow_cert_chain_read(key, strlen(key), "what", &ch, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "what: PEM block 1 is 'PUBLIC KEY', not a CERTIFICATE");
    assert_int_equal(avow_cert_chain_read("nothing", 7, "what", &ch, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "what: no PEM certificate");
    const char der5[] = "-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n";
    assert_int_equal(avow_cert_chain_read(der5, strlen(der5), "what", &ch, &e), AVOW_ERR_FORMAT);
    assert_msg_has(&e, "what: certificate 1 is not valid DER");
}

/* avow_pem_append writes what PEM_write_bio_X509 writes, block after block. */
static void test_pem_writer(void **state)
{
    (void)state;
    size_t n;
    avow_der_blob *b = p1_chain(&n);
    char *mine = NULL;
    size_t mine_len = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(avow_pem_append(&mine, &mine_len, "CERTIFICATE", b[i].der, b[i].len, NULL),
                         AVOW_OK);
        X509 *x = ref_x509_from_der(b[i].der, b[i].len);
        assert_int_equal(PEM_write_bio_X509(bio, x), 1);
        X509_free(x);
    }
    char *theirs;
    long tl = BIO_get_mem_data(bio, &theirs);
    assert_int_equal(mine_len, (size_t)tl);
    assert_int_equal(strlen(mine), mine_len);
    assert_memory_equal(mine, theirs, mine_len);
    /* and it reads back */
    avow_der_blob *back;
    size_t bn;
    assert_int_equal(avow_pem_split(mine, mine_len, "CERTIFICATE", &back, &bn, NULL), AVOW_OK);
    assert_int_equal(bn, n);
    assert_memory_equal(back[2].der, b[2].der, b[2].len);
    avow_der_blobs_free(back, bn);
    BIO_free(bio);
    free(mine);
    avow_der_blobs_free(b, n);
}

/* kid, thumbprint, subject CN, PEM <-> DER and the JWK of an EC certificate. */
static void test_identities(void **state)
{
    (void)state;
    size_t n;
    avow_der_blob *b = p1_chain(&n);
    const avow_der_blob *leaf = &b[0];
    uint8_t h[32], h1[20];
    char want[64], kid[AVOW_KID_LEN], thumb[41], want_thumb[41];
    avow_sha256(leaf->der, leaf->len, h);
    avow_base64url_encode(h, 32, want);
    assert_int_equal(avow_cert_kid(leaf->der, leaf->len, kid, NULL), AVOW_OK);
    assert_string_equal(kid, want);
    SHA1(leaf->der, leaf->len, h1);
    avow_hex_encode(h1, 20, want_thumb);
    assert_int_equal(avow_cert_thumbprint_sha1(leaf->der, leaf->len, thumb, NULL), AVOW_OK);
    assert_string_equal(thumb, want_thumb);

    char *pem;
    assert_int_equal(avow_cert_der_to_pem(leaf->der, leaf->len, &pem, NULL), AVOW_OK);
    uint8_t *der;
    size_t der_len;
    assert_int_equal(avow_cert_pem_to_der(pem, strlen(pem), &der, &der_len, NULL), AVOW_OK);
    assert_int_equal(der_len, leaf->len);
    assert_memory_equal(der, leaf->der, der_len);
    char kid_pem[AVOW_KID_LEN], cn[64];
    assert_int_equal(avow_cert_kid((const uint8_t *)pem, strlen(pem), kid_pem, NULL), AVOW_OK);
    assert_string_equal(kid_pem, kid);
    assert_int_equal(avow_cert_subject_cn((const uint8_t *)pem, strlen(pem), cn, sizeof(cn), NULL),
                     AVOW_OK);
    assert_string_equal(cn, "Intel SGX PCK Certificate");
    char *canon;
    char thumb2[41];
    assert_int_equal(avow_cert_pem_canonical(pem, strlen(pem), &canon, thumb2, NULL), AVOW_OK);
    assert_string_equal(canon, pem);
    assert_string_equal(thumb2, thumb);
    free(canon);

    /* the JWK's x and y are the point's coordinates */
    char *jwk;
    assert_int_equal(avow_jwk_from_cert(der, der_len, false, &jwk, NULL), AVOW_OK);
    json_t *j = json_loads(jwk, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kty")), "EC");
    assert_string_equal(json_string_value(json_object_get(j, "crv")), "P-256");
    assert_string_equal(json_string_value(json_object_get(j, "kid")), kid);
    X509 *x = ref_x509_from_der(der, der_len);
    EVP_PKEY *pk = X509_get0_pubkey(x);
    BIGNUM *bx = NULL;
    assert_true(EVP_PKEY_get_bn_param(pk, "qx", &bx));
    uint8_t xb[32];
    assert_int_equal(BN_bn2binpad(bx, xb, 32), 32);
    char xs[64];
    avow_base64url_encode(xb, 32, xs);
    assert_string_equal(json_string_value(json_object_get(j, "x")), xs);
    BN_free(bx);
    X509_free(x);
    json_decref(j);
    free(jwk);
    assert_int_equal(avow_jwk_from_cert(der, der_len, true, &jwk, NULL), AVOW_OK);
    assert_non_null(strstr(jwk, "\"kty\":\"EC\",\"x5c\":[\""));
    free(jwk);

    avow_error e;
    char *no_pem;
    uint8_t *no_der;
    size_t no_len;
    assert_int_equal(avow_cert_der_to_pem(der, der_len - 1, &no_pem, &e), AVOW_ERR_FORMAT);
    assert_null(no_pem);
    assert_int_equal(avow_cert_pem_to_der("no pem", 6, &no_der, &no_len, &e), AVOW_ERR_FORMAT);
    assert_null(no_der);
    free(pem);
    free(der);
    avow_der_blobs_free(b, n);
}

/* Keys from PEM: PKCS#8, traditional EC and RSA, public keys, certificates;
 * encrypted keys refused (never a terminal prompt). */
static void test_keys_from_pem(void **state)
{
    (void)state;
    EVP_PKEY *ec = EVP_EC_gen("P-256"), *rsa = EVP_RSA_gen(2048);
    struct {
        EVP_PKEY *k;
        int form; /* 0 PKCS#8, 1 traditional, 2 public */
        bool priv;
    } cases[] = {{ec, 0, true},  {ec, 1, true},  {ec, 2, false},
                 {rsa, 0, true}, {rsa, 1, true}, {rsa, 2, false}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        BIO *bio = BIO_new(BIO_s_mem());
        int ok = cases[i].form == 0
                     ? PEM_write_bio_PKCS8PrivateKey(bio, cases[i].k, NULL, NULL, 0, NULL, NULL)
                 : cases[i].form == 1 ? PEM_write_bio_PrivateKey_traditional(bio, cases[i].k, NULL,
                                                                             NULL, 0, NULL, NULL)
                                      : PEM_write_bio_PUBKEY(bio, cases[i].k);
        assert_int_equal(ok, 1);
        char *text;
        long tl = BIO_get_mem_data(bio, &text);
        EVP_PKEY *got;
        bool priv;
        assert_int_equal(avow_key_from_pem(text, (size_t)tl, &got, &priv, NULL), AVOW_OK);
        assert_int_equal(priv, cases[i].priv);
        assert_int_equal(EVP_PKEY_eq(got, cases[i].k), 1);
        EVP_PKEY_free(got);
        BIO_free(bio);
    }
    /* an encrypted PKCS#8 key */
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(
        PEM_write_bio_PKCS8PrivateKey(bio, ec, EVP_aes_128_cbc(), NULL, 0, NULL, (void *)"secret"),
        1);
    char *text;
    long tl = BIO_get_mem_data(bio, &text);
    EVP_PKEY *got;
    avow_error e;
    assert_int_equal(avow_key_from_pem(text, (size_t)tl, &got, NULL, &e), AVOW_ERR_FORMAT);
    assert_null(got);
    BIO_free(bio);
    /* the public key of a certificate */
    size_t n;
    avow_der_blob *b = p1_chain(&n);
    char *pem = NULL;
    size_t pl = 0;
    assert_int_equal(avow_pem_append(&pem, &pl, "CERTIFICATE", b[2].der, b[2].len, NULL), AVOW_OK);
    bool priv = true;
    assert_int_equal(avow_key_from_pem(pem, pl, &got, &priv, NULL), AVOW_OK);
    assert_false(priv);
    X509 *x = ref_x509_from_der(b[2].der, b[2].len);
    assert_int_equal(EVP_PKEY_eq(got, X509_get0_pubkey(x)), 1);
    X509_free(x);
    EVP_PKEY_free(got);
    free(pem);
    avow_der_blobs_free(b, n);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
}

/* Signatures by any key a caller's root may hold: the RSA IAS chain, the
 * ECDSA Intel root; a changed TBS byte breaks them. */
static void test_signed_by(void **state)
{
    (void)state;
    size_t len;
    char *pem = (char *)tu_read_vector("ias/oasis-core/avr_certificates.pem", &len);
    avow_cert_chain ch;
    assert_int_equal(avow_cert_chain_read(pem, len, "ias", &ch, NULL), AVOW_OK);
    assert_int_equal(ch.n, 2);
    EVP_PKEY *ca_key;
    assert_int_equal(avow_cert_pubkey(&ch.certs[1], &ca_key, NULL), AVOW_OK);
    assert_true(EVP_PKEY_is_a(ca_key, "RSA"));
    assert_true(avow_cert_signed_by(&ch.certs[0], ca_key));
    assert_true(avow_cert_signed_by(&ch.certs[1], ca_key)); /* self-signed */
    uint8_t *tbs_byte = (uint8_t *)ch.certs[0].tbs.p + 40;
    *tbs_byte ^= 1;
    assert_false(avow_cert_signed_by(&ch.certs[0], ca_key));
    *tbs_byte ^= 1;
    /* the RSA path is not the DCAP path: check_issued stays ECDSA-SHA256 only */
    char why[200];
    assert_int_equal(avow_cert_check_issued(&ch.certs[0], &ch.certs[1], ca_key, why, sizeof(why)),
                     AVOW_ERR_SIGNATURE);
    EVP_PKEY_free(ca_key);
    avow_cert_chain_free(&ch);
    free(pem);

    size_t n;
    avow_der_blob *b = p1_chain(&n);
    avow_cert root, leaf;
    assert_int_equal(avow_cert_parse(b[2].der, b[2].len, &root, NULL), AVOW_OK);
    assert_int_equal(avow_cert_parse(b[0].der, b[0].len, &leaf, NULL), AVOW_OK);
    EVP_PKEY *rk;
    assert_int_equal(avow_cert_pubkey(&root, &rk, NULL), AVOW_OK);
    assert_true(avow_cert_signed_by(&root, rk));
    assert_false(avow_cert_signed_by(&leaf, rk)); /* issued by the PCK CA */
    assert_false(avow_cert_signed_by(&root, NULL));
    EVP_PKEY_free(rk);
    avow_der_blobs_free(b, n);
}

/* Names and the CA rule against OpenSSL on every certificate of the chains. */
static void test_names_and_ca(void **state)
{
    (void)state;
    static const char *const files[] = {"ias/oasis-core/avr_certificates.pem",
                                        "dcap/G1-gotdx-tdx-v4-spr-e4/pcs-original/"
                                        "pckCrlIssuerChain.pem"};
    for (size_t f = 0; f < 2; f++) {
        size_t len;
        char *pem = (char *)tu_read_vector(files[f], &len);
        avow_cert_chain ch;
        assert_int_equal(avow_cert_chain_read(pem, len, "chain", &ch, NULL), AVOW_OK);
        for (size_t i = 0; i < ch.n; i++) {
            X509 *x = ref_x509_from_der(ch.blobs[i].der, ch.blobs[i].len);
            assert_non_null(x);
            char *mine = avow_name_rfc2253(ch.certs[i].subject);
            BIO *bio = BIO_new(BIO_s_mem());
            X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
            char *theirs;
            long tl = BIO_get_mem_data(bio, &theirs);
            assert_non_null(mine);
            assert_int_equal(strlen(mine), (size_t)tl);
            assert_memory_equal(mine, theirs, (size_t)tl);
            assert_int_equal(avow_cert_looks_ca(&ch.certs[i]), X509_check_ca(x) != 0);
            char cn[128];
            ref_x509_cn(x, false, cn, sizeof(cn));
            assert_true(avow_name_cn_contains(ch.certs[i].subject, cn));
            assert_false(avow_name_cn_contains(ch.certs[i].subject, "no such name"));
            free(mine);
            BIO_free(bio);
            X509_free(x);
        }
        avow_cert_chain_free(&ch);
        free(pem);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential_findings),
        cmocka_unit_test(test_copy_read),
        cmocka_unit_test(test_chain_read),
        cmocka_unit_test(test_pem_writer),
        cmocka_unit_test(test_identities),
        cmocka_unit_test(test_keys_from_pem),
        cmocka_unit_test(test_signed_by),
        cmocka_unit_test(test_names_and_ca),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
