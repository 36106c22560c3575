/* Unit tests of enclave identity: MRENCLAVE (enarx test enclave, SGXS
 * stream, synthetic values of docs/formats.md §4.2, hardware checks) and
 * SIGSTRUCT (parse/serialize, verify, sign, MRSIGNER) against the real
 * vectors in tests/vectors/data/sgx. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "avow/encode.h"
#include "avow/enclave.h"
#include "testutil.h"

static void assert_hex(const uint8_t *got, const char *want_hex)
{
    char s[65];
    avow_hex_encode(got, 32, s);
    assert_string_equal(s, want_hex);
}

#define ENARX_MRENCLAVE "b999536238fcf4e9d360ef6cd3e0c20ef8a684c7b93f74a9c4a4c6d517d61fc0"
#define ENARX_MRSIGNER  "2f9f8fd4fe12d77232f1d87571ca8252ca27714efe7705e46222cffd5a22e8c4"

static void test_measure_enarx_layout(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = tu_read_vector("sgx/enarx-test-enclave/encl.bin", &len);
    assert_int_equal(len, 6 * 4096);
    const char *text =
        "# enarx test enclave\nsize 0x8000\nssaframesize 1\n"
        "pages 0 tcs\npages 1-5 rwx measured\n";
    avow_layout l;
    avow_error e;
    assert_int_equal(avow_layout_parse(text, strlen(text), &l, &e), AVOW_OK);
    assert_int_equal(l.n_ranges, 2);
    assert_int_equal(l.ranges[1].flags, AVOW_SECINFO_REG_RWX);
    uint8_t mr[32];
    assert_int_equal(avow_measure_image(img, len, &l, mr, &e), AVOW_OK);
    assert_hex(mr, ENARX_MRENCLAVE);
    /* SIZE 0 = next power of two of the image (8 pages) gives the same */
    l.size = 0;
    assert_int_equal(avow_measure_image(img, len, &l, mr, &e), AVOW_OK);
    assert_hex(mr, ENARX_MRENCLAVE);
    /* a different SSAFRAMESIZE changes it */
    l.ssa_frame_size = 2;
    assert_int_equal(avow_measure_image(img, len, &l, mr, &e), AVOW_OK);
    assert_true(memcmp(mr, "\xb9\x99", 2) != 0);
    free(img);
}

static void test_measure_synthetic(void **state)
{
    (void)state;
    avow_measure *m;
    avow_error e;
    uint8_t mr[32];
    assert_int_equal(avow_measure_ecreate(&m, 0x2000, 1, &e), AVOW_OK);
    avow_measure_digest(m, mr);
    assert_hex(mr, "9e197c8837c6d65632dbdd59cd7df4f1a25b68d8e4e5eb6ca3b20b05311fecb8");
    assert_int_equal(avow_measure_add_page(m, 0, AVOW_SECINFO_TCS, NULL, true, &e), AVOW_OK);
    assert_int_equal(avow_measure_add_page(m, 0x1000, AVOW_SECINFO_REG_RW, NULL, true, &e),
                     AVOW_OK);
    avow_measure_digest(m, mr);
    assert_hex(mr, "3217b9b9bb6c98d6d47a85368257a9beb5ac3a008d6dd3972a1ff0f5a5d7029b");
    avow_measure_free(m);
    assert_int_equal(avow_measure_ecreate(&m, 0x2000, 1, &e), AVOW_OK);
    assert_int_equal(avow_measure_add_page(m, 0, AVOW_SECINFO_TCS, NULL, true, &e), AVOW_OK);
    assert_int_equal(avow_measure_add_page(m, 0x1000, AVOW_SECINFO_REG_RW, NULL, false, &e),
                     AVOW_OK);
    avow_measure_digest(m, mr);
    assert_hex(mr, "e253c00aa1d7c21cb976f448155257aafb9c119ab570cafbe4198d42754e82c9");
    avow_measure_free(m);
}

static void test_measure_checks(void **state)
{
    (void)state;
    avow_measure *m;
    avow_error e;
    uint8_t chunk[256] = {0};
    assert_int_equal(avow_measure_ecreate(&m, 0x3000, 1, &e), AVOW_ERR_FORMAT); /* not 2^n */
    assert_int_equal(avow_measure_ecreate(&m, 0x1000, 1, &e), AVOW_ERR_FORMAT); /* < 2 pages */
    assert_int_equal(avow_measure_ecreate(&m, 0x2000, 0, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_measure_ecreate(&m, 0x2000, 1, &e), AVOW_OK);
    assert_int_equal(avow_measure_eadd(m, 0x2000, AVOW_SECINFO_REG_RW, &e), AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "outside the enclave SIZE"));
    assert_int_equal(avow_measure_eadd(m, 0x800, AVOW_SECINFO_REG_RW, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_measure_eadd(m, 0, AVOW_SECINFO_TCS | AVOW_SECINFO_R, &e),
                     AVOW_ERR_FORMAT);
    assert_int_equal(avow_measure_eadd(m, 0, 0x202, &e), AVOW_ERR_FORMAT);    /* W without R */
    assert_int_equal(avow_measure_eadd(m, 0, 0x307, &e), AVOW_ERR_FORMAT);    /* page type 3 */
    assert_int_equal(avow_measure_eextend(m, 0, chunk, &e), AVOW_ERR_FORMAT); /* no EADD yet */
    assert_int_equal(avow_measure_eadd(m, 0x1000, AVOW_SECINFO_REG_RW, &e), AVOW_OK);
    assert_int_equal(avow_measure_eadd(m, 0x1000, AVOW_SECINFO_REG_RW, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_measure_eextend(m, 0x1080, chunk, &e), AVOW_ERR_FORMAT); /* alignment */
    assert_int_equal(avow_measure_eextend(m, 0x1100, chunk, &e), AVOW_OK);
    assert_int_equal(avow_measure_eadd(m, 0, AVOW_SECINFO_TCS, &e), AVOW_OK); /* out of order ok */
    avow_measure_free(m);

    /* a layout that overflows SIZE */
    size_t len;
    uint8_t *img = tu_read_vector("sgx/enarx-test-enclave/encl.bin", &len);
    avow_layout l;
    const char *text = "size 0x4000\npages 0 tcs\npages 1-5 rwx\n";
    assert_int_equal(avow_layout_parse(text, strlen(text), &l, &e), AVOW_OK);
    uint8_t mr[32];
    assert_int_equal(avow_measure_image(img, len, &l, mr, &e), AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "SIZE"));
    text = "pages 0-9 rwx\n"; /* beyond the 6-page image */
    assert_int_equal(avow_layout_parse(text, strlen(text), &l, &e), AVOW_OK);
    assert_int_equal(avow_measure_image(img, len, &l, mr, &e), AVOW_ERR_FORMAT);
    const char *bad[] = {"sizes 4\n",          "pages 3-1 rw\n",   "pages 0 rwz\n",
                         "pages 0 rw maybe\n", "ssaframesize 0\n", "size -1\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(avow_layout_parse(bad[i], strlen(bad[i]), &l, &e), AVOW_ERR_FORMAT);
        assert_non_null(strstr(e.msg, "line 1"));
    }
    free(img);
}

static void test_measure_sgxs(void **state)
{
    (void)state;
    size_t len;
    uint8_t *s = tu_read_vector("sgx/sgxs-stream/report.sgxs", &len);
    uint8_t mr[32], h[32];
    avow_error e;
    assert_int_equal(avow_measure_sgxs(s, len, mr, &e), AVOW_OK);
    assert_hex(mr, "a06a560b26f5e397b2d7872fac66fe4b43bf4f507296ee048f110be6fb1a2290");
    EVP_Digest(s, len, h, NULL, EVP_sha256(), NULL);
    assert_memory_equal(mr, h, 32);
    /* truncated stream, and a stream not starting with ECREATE */
    assert_int_equal(avow_measure_sgxs(s, len - 10, mr, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_measure_sgxs(s + 64, len - 64, mr, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_measure_sgxs(s, 0, mr, &e), AVOW_ERR_FORMAT);
    free(s);
}

static void test_sigstruct_enarx(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = tu_read_vector("sgx/enarx-test-enclave/encl.ss", &len);
    avow_sigstruct ss;
    avow_error e;
    assert_int_equal(avow_sigstruct_parse(raw, len, &ss, &e), AVOW_OK);
    assert_hex(ss.enclave_hash, ENARX_MRENCLAVE);
    uint8_t mrs[32], msg[256], h[32];
    avow_sigstruct_mrsigner(&ss, mrs);
    assert_hex(mrs, ENARX_MRSIGNER);
    assert_int_equal(ss.attr_flags, 4);
    assert_int_equal(ss.attr_xfrm, 3);
    assert_int_equal(ss.attr_mask_flags, 0);
    assert_int_equal(ss.vendor, 0);
    avow_sigstruct_signed_bytes(&ss, msg);
    EVP_Digest(msg, sizeof msg, h, NULL, EVP_sha256(), NULL);
    assert_hex(h, "58ef2b4fe0ba7861c3a466fcd016498245640165f7e225381425500e3dfd46f3");
    assert_int_equal(avow_sigstruct_verify(&ss, &e), AVOW_OK);
    uint8_t out[AVOW_SIGSTRUCT_SIZE];
    avow_sigstruct_serialize(&ss, out);
    assert_memory_equal(out, raw, AVOW_SIGSTRUCT_SIZE);

    /* re-signing with its key reproduces the file byte for byte */
    size_t klen;
    uint8_t *key = tu_read_vector("sgx/enarx-test-enclave/encl.pem", &klen);
    avow_sigstruct re = ss;
    memset(re.signature, 0, sizeof re.signature);
    memset(re.q1, 0, sizeof re.q1);
    memset(re.q2, 0, sizeof re.q2);
    memset(re.modulus, 0, sizeof re.modulus);
    assert_int_equal(avow_sigstruct_sign(&re, (const char *)key, klen, &e), AVOW_OK);
    avow_sigstruct_serialize(&re, out);
    assert_memory_equal(out, raw, AVOW_SIGSTRUCT_SIZE);

    /* tampering: a signed field, the signature, Q1, Q2 */
    avow_sigstruct t = ss;
    t.isv_svn++;
    assert_int_equal(avow_sigstruct_verify(&t, &e), AVOW_ERR_SIGNATURE);
    assert_int_equal(e.offset, AVOW_SS_SIGNATURE);
    t = ss;
    t.signature[0] ^= 1;
    assert_int_equal(avow_sigstruct_verify(&t, &e), AVOW_ERR_SIGNATURE);
    t = ss;
    t.q1[5] ^= 1;
    assert_int_equal(avow_sigstruct_verify(&t, &e), AVOW_ERR_SIGNATURE);
    assert_int_equal(e.offset, AVOW_SS_Q1);
    t = ss;
    t.q2[383] ^= 1;
    assert_int_equal(avow_sigstruct_verify(&t, &e), AVOW_ERR_SIGNATURE);
    assert_int_equal(e.offset, AVOW_SS_Q2);
    /* the unsigned reserved bytes 1028..1039 must be zero when parsing */
    uint8_t bad[AVOW_SIGSTRUCT_SIZE];
    memcpy(bad, raw, sizeof bad);
    bad[1030] = 1;
    assert_int_equal(avow_sigstruct_parse(bad, sizeof bad, &t, &e), AVOW_ERR_FORMAT);
    memcpy(bad, raw, sizeof bad);
    bad[AVOW_SS_EXPONENT] = 5;
    assert_int_equal(avow_sigstruct_parse(bad, sizeof bad, &t, &e), AVOW_ERR_FORMAT);
    assert_int_equal(e.offset, AVOW_SS_EXPONENT);
    memcpy(bad, raw, sizeof bad);
    bad[3] = 1;
    assert_int_equal(avow_sigstruct_parse(bad, sizeof bad, &t, &e), AVOW_ERR_FORMAT);
    bad[3] = 0;
    bad[15] = 0x80; /* SDK debug-signing bit: accepted */
    assert_int_equal(avow_sigstruct_parse(bad, sizeof bad, &t, &e), AVOW_OK);
    assert_int_equal(avow_sigstruct_parse(raw, len - 1, &t, &e), AVOW_ERR_FORMAT);
    free(key);
    free(raw);
}

static void test_rsa3072_vector(void **state)
{
    (void)state;
    size_t n;
    uint8_t *key = tu_read_vector("sgx/rsa3072-sign/sig1.key.pem", &n);
    size_t dl, sl, q1l, q2l, nl;
    uint8_t *digest = tu_read_vector("sgx/rsa3072-sign/sig1.data.bin", &dl);
    uint8_t *sig = tu_read_vector("sgx/rsa3072-sign/sig1.sig.bin", &sl);
    uint8_t *q1 = tu_read_vector("sgx/rsa3072-sign/sig1.q1.bin", &q1l);
    uint8_t *q2 = tu_read_vector("sgx/rsa3072-sign/sig1.q2.bin", &q2l);
    uint8_t *mod = tu_read_vector("sgx/rsa3072-sign/sig1.key_n.bin", &nl);
    assert_int_equal(dl, 32);
    uint8_t s[384], a[384], b[384], m[384];
    avow_error e;
    assert_int_equal(avow_rsa3072_sign_digest((const char *)key, n, digest, s, a, b, m, &e),
                     AVOW_OK);
    assert_memory_equal(s, sig, 384);
    assert_memory_equal(a, q1, 384);
    assert_memory_equal(b, q2, 384);
    assert_memory_equal(m, mod, 384);
    avow_sigstruct ss;
    avow_sigstruct_init(&ss);
    memcpy(ss.modulus, m, 384);
    uint8_t mrs[32];
    avow_sigstruct_mrsigner(&ss, mrs);
    assert_hex(mrs, "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e");
    /* a non-SGX key is refused */
    const char *junk = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_int_equal(avow_rsa3072_sign_digest(junk, strlen(junk), digest, s, a, b, m, &e),
                     AVOW_ERR_ARG);
    free(key);
    free(digest);
    free(sig);
    free(q1);
    free(q2);
    free(mod);
}

static void test_sign_fresh_key(void **state)
{
    (void)state;
    char *pem;
    size_t pl;
    avow_error e;
    assert_int_equal(avow_rsa3072_generate_pem(&pem, &pl, &e), AVOW_OK);
    avow_sigstruct ss;
    avow_sigstruct_init(&ss);
    memset(ss.enclave_hash, 0xab, 32);
    ss.isv_prod_id = 7;
    ss.isv_svn = 3;
    ss.attr_flags = AVOW_ATTR_MODE64BIT;
    ss.attr_xfrm = 3;
    ss.attr_mask_flags = ~AVOW_ATTR_DEBUG;
    ss.date = 0x20260101;
    assert_int_equal(avow_sigstruct_sign(&ss, pem, pl, &e), AVOW_OK);
    assert_int_equal(avow_sigstruct_verify(&ss, &e), AVOW_OK);
    uint8_t raw[AVOW_SIGSTRUCT_SIZE];
    avow_sigstruct_serialize(&ss, raw);
    avow_sigstruct back;
    assert_int_equal(avow_sigstruct_parse(raw, sizeof raw, &back, &e), AVOW_OK);
    assert_int_equal(back.isv_prod_id, 7);
    assert_int_equal(back.date, 0x20260101);
    assert_int_equal(avow_sigstruct_verify(&back, &e), AVOW_OK);
    avow_wipe(pem, pl);
    free(pem);
}

static void test_targetinfo_keyrequest(void **state)
{
    (void)state;
    uint8_t body[AVOW_REPORT_BODY_SIZE] = {0}, ti[AVOW_TARGETINFO_SIZE];
    memset(body + AVOW_RB_MRENCLAVE, 0x11, 32);
    body[AVOW_RB_ATTRIBUTES] = 0x07;
    body[AVOW_RB_ATTRIBUTES + 8] = 0x03;
    body[AVOW_RB_MISCSELECT] = 1;
    avow_targetinfo_from_report_body(body, ti);
    avow_targetinfo t;
    assert_int_equal(avow_targetinfo_decode(ti, &t, NULL), AVOW_OK);
    assert_int_equal(t.attr_flags, 7);
    assert_int_equal(t.attr_xfrm, 3);
    assert_int_equal(t.misc_select, 1);
    assert_int_equal(t.measurement[31], 0x11);
    ti[200] = 1;
    assert_int_equal(avow_targetinfo_decode(ti, &t, NULL), AVOW_ERR_FORMAT);
    avow_keyrequest k = {.key_name = 4, .key_policy = 2, .isv_svn = 9, .misc_mask = 0xffffffff};
    uint8_t kr[AVOW_KEYREQUEST_SIZE];
    avow_keyrequest_encode(&k, kr);
    assert_int_equal(kr[0], 4);
    assert_int_equal(kr[2], 2);
    assert_int_equal(kr[4], 9);
    assert_int_equal(kr[72], 0xff);
    avow_keyrequest k2;
    assert_int_equal(avow_keyrequest_decode(kr, &k2, NULL), AVOW_OK);
    assert_memory_equal(&k, &k2, sizeof k);
    kr[100] = 1;
    assert_int_equal(avow_keyrequest_decode(kr, &k2, NULL), AVOW_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measure_enarx_layout), cmocka_unit_test(test_measure_synthetic),
        cmocka_unit_test(test_measure_checks),       cmocka_unit_test(test_measure_sgxs),
        cmocka_unit_test(test_sigstruct_enarx),      cmocka_unit_test(test_rsa3072_vector),
        cmocka_unit_test(test_sign_fresh_key),       cmocka_unit_test(test_targetinfo_keyrequest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
