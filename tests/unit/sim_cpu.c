/* Unit tests of the simulated CPU: EINIT checks (signature, measurement,
 * attribute masks), EGETKEY (policies, SVN checks, permissions), EREPORT and
 * the local-attestation matrix (right target, other enclave, other platform,
 * tampered body/MAC), and owner-epoch changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/encode.h"
#include "sim/sim.h"
#include "testutil.h"

#define NOW 1751624924 /* fixed: tests never read the clock */

typedef struct {
    avow_sim_platform *p, *q; /* two platforms */
    avow_sim_enclave a, b, a_on_q;
} fixture;

static void identity(avow_sim_secs *s, uint8_t enclave_byte, uint8_t signer_byte, uint16_t prod,
                     uint16_t svn)
{
    memset(s, 0, sizeof *s);
    memset(s->mr_enclave, enclave_byte, 32);
    memset(s->mr_signer, signer_byte, 32);
    s->attr_flags = AVOW_ATTR_MODE64BIT;
    s->attr_xfrm = 3;
    s->isv_prod_id = prod;
    s->isv_svn = svn;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    avow_sim_platform_opts o;
    avow_sim_platform_opts_default(&o, NOW);
    if (avow_sim_platform_new(&o, &f->p, NULL) || avow_sim_platform_new(&o, &f->q, NULL)) return -1;
    avow_sim_secs s;
    identity(&s, 0xaa, 0x51, 1, 5);
    avow_sim_enclave_from_identity(f->p, &s, &f->a);
    avow_sim_enclave_from_identity(f->q, &s, &f->a_on_q);
    identity(&s, 0xbb, 0x51, 1, 5);
    avow_sim_enclave_from_identity(f->p, &s, &f->b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    avow_sim_platform_free(f->p);
    avow_sim_platform_free(f->q);
    free(f);
    return 0;
}

static avow_err getkey(const avow_sim_enclave *e, const avow_keyrequest *k, uint8_t key[16],
                       uint32_t *st)
{
    uint8_t kr[AVOW_KEYREQUEST_SIZE];
    avow_keyrequest_encode(k, kr);
    return avow_sim_egetkey(e, kr, key, st, NULL);
}

static void test_local_attestation_matrix(void **state)
{
    fixture *f = *state;
    uint8_t ti[AVOW_TARGETINFO_SIZE], rep[AVOW_REPORT_SIZE], rd[64];
    memset(rd, 0x5a, sizeof rd);
    avow_error e;
    /* A reports to B: B verifies */
    avow_sim_targetinfo(&f->b, ti);
    assert_int_equal(avow_sim_ereport(&f->a, ti, rd, rep, &e), AVOW_OK);
    assert_int_equal(avow_sim_verify_report(&f->b, rep, &e), AVOW_OK);
    /* the body is A's identity and the report data */
    assert_memory_equal(rep + AVOW_RB_MRENCLAVE, f->a.secs.mr_enclave, 32);
    assert_memory_equal(rep + AVOW_RB_REPORTDATA, rd, 64);
    assert_int_equal(rep[AVOW_RB_ISVSVN], 5);
    assert_int_equal(rep[AVOW_RB_ATTRIBUTES] & AVOW_ATTR_INIT, AVOW_ATTR_INIT);
    /* another enclave (A itself) cannot verify a report for B */
    assert_int_equal(avow_sim_verify_report(&f->a, rep, &e), AVOW_ERR_SIGNATURE);
    /* the same enclave identity on another platform cannot either */
    avow_sim_enclave b_on_q = f->b;
    b_on_q.platform = f->q;
    assert_int_equal(avow_sim_verify_report(&b_on_q, rep, &e), AVOW_ERR_SIGNATURE);
    /* tampered body, tampered MAC */
    rep[AVOW_RB_REPORTDATA] ^= 1;
    assert_int_equal(avow_sim_verify_report(&f->b, rep, &e), AVOW_ERR_SIGNATURE);
    rep[AVOW_RB_REPORTDATA] ^= 1;
    rep[AVOW_REPORT_MAC] ^= 1;
    assert_int_equal(avow_sim_verify_report(&f->b, rep, &e), AVOW_ERR_SIGNATURE);
    rep[AVOW_REPORT_MAC] ^= 1;
    /* a tampered KEYID changes the key the target derives */
    rep[AVOW_REPORT_KEYID] ^= 1;
    assert_int_equal(avow_sim_verify_report(&f->b, rep, &e), AVOW_ERR_SIGNATURE);
    rep[AVOW_REPORT_KEYID] ^= 1;
    assert_int_equal(avow_sim_verify_report(&f->b, rep, &e), AVOW_OK);
    /* a TARGETINFO that differs from B's SECS (no INIT bit) does not verify in B */
    avow_targetinfo t;
    assert_int_equal(avow_targetinfo_decode(ti, &t, NULL), AVOW_OK);
    t.attr_flags &= ~AVOW_ATTR_INIT;
    avow_targetinfo_encode(&t, ti);
    assert_int_equal(avow_sim_ereport(&f->a, ti, rd, rep, &e), AVOW_OK);
    assert_int_equal(avow_sim_verify_report(&f->b, rep, &e), AVOW_ERR_SIGNATURE);
    /* the same check with the raw primitive and an EGETKEY report key */
    avow_sim_targetinfo(&f->b, ti);
    assert_int_equal(avow_sim_ereport(&f->a, ti, NULL, rep, &e), AVOW_OK);
    avow_keyrequest k = {.key_name = AVOW_KEYNAME_REPORT};
    memcpy(k.key_id, rep + AVOW_REPORT_KEYID, 32);
    uint8_t key[16];
    assert_int_equal(getkey(&f->b, &k, key, NULL), AVOW_OK);
    assert_int_equal(avow_report_verify(rep, key, &e), AVOW_OK);
    /* an owner-epoch change invalidates report keys */
    uint8_t epoch[16] = {1, 2, 3};
    avow_sim_platform_set_owner_epoch(f->p, epoch);
    assert_int_equal(avow_sim_verify_report(&f->b, rep, &e), AVOW_ERR_SIGNATURE);
}

static void test_seal_key_policies(void **state)
{
    fixture *f = *state;
    uint8_t ka[16], kb[16], kc[16];
    avow_keyrequest k = {.key_name = AVOW_KEYNAME_SEAL,
                         .key_policy = AVOW_KEYPOLICY_MRENCLAVE,
                         .attr_mask_flags = ~0ULL,
                         .attr_mask_xfrm = 0,
                         .misc_mask = 0xffffffff,
                         .isv_svn = 5};
    avow_sim_platform_info info;
    avow_sim_platform_get_info(f->p, &info);
    memcpy(k.cpu_svn, info.cpu_svn, 16);
    /* MRENCLAVE policy: A and B (same signer) get different keys */
    assert_int_equal(getkey(&f->a, &k, ka, NULL), AVOW_OK);
    assert_int_equal(getkey(&f->b, &k, kb, NULL), AVOW_OK);
    assert_memory_not_equal(ka, kb, 16);
    /* deterministic */
    assert_int_equal(getkey(&f->a, &k, kc, NULL), AVOW_OK);
    assert_memory_equal(ka, kc, 16);
    /* same identity on another platform: different */
    assert_int_equal(getkey(&f->a_on_q, &k, kc, NULL), AVOW_OK);
    assert_memory_not_equal(ka, kc, 16);
    /* MRSIGNER policy: A and B share the key */
    k.key_policy = AVOW_KEYPOLICY_MRSIGNER;
    assert_int_equal(getkey(&f->a, &k, ka, NULL), AVOW_OK);
    assert_int_equal(getkey(&f->b, &k, kb, NULL), AVOW_OK);
    assert_memory_equal(ka, kb, 16);
    /* ... but not with an enclave of another product */
    avow_sim_enclave c = f->b;
    c.secs.isv_prod_id = 2;
    assert_int_equal(getkey(&c, &k, kc, NULL), AVOW_OK);
    assert_memory_not_equal(ka, kc, 16);
    /* a lower requested ISVSVN gives another (older) key; a higher one fails */
    k.isv_svn = 4;
    assert_int_equal(getkey(&f->a, &k, kc, NULL), AVOW_OK);
    assert_memory_not_equal(ka, kc, 16);
    uint32_t st = 0;
    k.isv_svn = 6;
    assert_int_equal(getkey(&f->a, &k, kc, &st), AVOW_ERR_ARG);
    assert_int_equal(st, AVOW_SGX_INVALID_ISVSVN);
    k.isv_svn = 5;
    /* a CPUSVN above the platform's fails; all-zero is accepted */
    uint8_t saved[16];
    memcpy(saved, k.cpu_svn, 16);
    k.cpu_svn[0]++;
    assert_int_equal(getkey(&f->a, &k, kc, &st), AVOW_ERR_ARG);
    assert_int_equal(st, AVOW_SGX_INVALID_CPUSVN);
    memset(k.cpu_svn, 0, 16);
    assert_int_equal(getkey(&f->a, &k, kc, &st), AVOW_OK);
    assert_memory_not_equal(ka, kc, 16);
    memcpy(k.cpu_svn, saved, 16);
    /* NOISVPRODID needs KSS (#GP without), then makes products share the key */
    k.key_policy = AVOW_KEYPOLICY_MRSIGNER | AVOW_KEYPOLICY_NOISVPRODID;
    assert_int_equal(getkey(&f->a, &k, kc, &st), AVOW_ERR_ARG);
    avow_sim_enclave ks = f->a, ks2 = c;
    ks.secs.attr_flags |= AVOW_ATTR_KSS;
    ks2.secs.attr_flags |= AVOW_ATTR_KSS;
    assert_int_equal(getkey(&ks, &k, ka, NULL), AVOW_OK);
    assert_int_equal(getkey(&ks2, &k, kb, NULL), AVOW_OK);
    assert_memory_equal(ka, kb, 16);
    /* CONFIGSVN above the enclave's fails */
    k.config_svn = 1;
    assert_int_equal(getkey(&ks, &k, kc, &st), AVOW_ERR_ARG);
    assert_int_equal(st, AVOW_SGX_INVALID_ISVSVN);
    k.config_svn = 0;
    /* reserved policy bits, bad key names, provisioning keys without PROVISIONKEY */
    k.key_policy = 0x40;
    assert_int_equal(getkey(&f->a, &k, kc, &st), AVOW_ERR_ARG);
    k.key_policy = AVOW_KEYPOLICY_MRSIGNER;
    k.key_name = 5;
    assert_int_equal(getkey(&f->a, &k, kc, &st), AVOW_ERR_ARG);
    assert_int_equal(st, AVOW_SGX_INVALID_KEYNAME);
    k.key_name = AVOW_KEYNAME_PROVISION;
    assert_int_equal(getkey(&f->a, &k, kc, &st), AVOW_ERR_ARG);
    assert_int_equal(st, AVOW_SGX_INVALID_ATTRIBUTE);
    k.key_name = AVOW_KEYNAME_EINITTOKEN;
    assert_int_equal(getkey(&f->a, &k, kc, &st), AVOW_ERR_ARG);
    /* the seal key differs from the report key */
    avow_keyrequest r = {.key_name = AVOW_KEYNAME_REPORT};
    assert_int_equal(getkey(&f->a, &r, kc, NULL), AVOW_OK);
    assert_memory_not_equal(ka, kc, 16);
    /* reserved KEYREQUEST bytes: rejected */
    uint8_t kr[AVOW_KEYREQUEST_SIZE];
    avow_keyrequest_encode(&r, kr);
    kr[400] = 1;
    assert_int_equal(avow_sim_egetkey(&f->a, kr, kc, NULL, NULL), AVOW_ERR_FORMAT);
}

static void test_einit(void **state)
{
    fixture *f = *state;
    size_t ilen, slen;
    uint8_t *img = tu_read_vector("sgx/enarx-test-enclave/encl.bin", &ilen);
    uint8_t *raw = tu_read_vector("sgx/enarx-test-enclave/encl.ss", &slen);
    const char *text = "size 0x8000\npages 0 tcs\npages 1-5 rwx\n";
    avow_layout l;
    uint8_t mr[32];
    avow_error e;
    assert_int_equal(avow_layout_parse(text, strlen(text), &l, &e), AVOW_OK);
    assert_int_equal(avow_measure_image(img, ilen, &l, mr, &e), AVOW_OK);
    avow_sigstruct ss;
    assert_int_equal(avow_sigstruct_parse(raw, slen, &ss, &e), AVOW_OK);
    avow_sim_create c = {.attr_flags = AVOW_ATTR_MODE64BIT, .attr_xfrm = 3};
    avow_sim_enclave en;
    uint32_t st = 99;
    assert_int_equal(avow_sim_einit(f->p, &c, mr, &ss, &en, &st, &e), AVOW_OK);
    assert_int_equal(st, AVOW_SGX_SUCCESS);
    char hex[65];
    avow_hex_encode(en.secs.mr_signer, 32, hex);
    assert_string_equal(hex, "2f9f8fd4fe12d77232f1d87571ca8252ca27714efe7705e46222cffd5a22e8c4");
    assert_memory_equal(en.secs.mr_enclave, mr, 32);
    assert_true(en.secs.attr_flags & AVOW_ATTR_INIT);
    /* the enclave can now attest locally to itself */
    uint8_t ti[AVOW_TARGETINFO_SIZE], rep[AVOW_REPORT_SIZE];
    avow_sim_targetinfo(&en, ti);
    assert_int_equal(avow_sim_ereport(&en, ti, NULL, rep, &e), AVOW_OK);
    assert_int_equal(avow_sim_verify_report(&en, rep, &e), AVOW_OK);

    /* wrong measurement (one image byte changed) */
    img[4096 + 17] ^= 1;
    uint8_t mr2[32];
    assert_int_equal(avow_measure_image(img, ilen, &l, mr2, &e), AVOW_OK);
    assert_int_equal(avow_sim_einit(f->p, &c, mr2, &ss, &en, &st, &e), AVOW_ERR_MISMATCH);
    assert_int_equal(st, AVOW_SGX_INVALID_MEASUREMENT);
    /* a signed field changed: the signature no longer verifies (SDK sim mode would accept) */
    avow_sigstruct bad = ss;
    bad.isv_svn = 1;
    assert_int_equal(avow_sim_einit(f->p, &c, mr, &bad, &en, &st, &e), AVOW_ERR_SIGNATURE);
    assert_int_equal(st, AVOW_SGX_INVALID_SIGNATURE);
    /* attributes outside the mask: the enarx SIGSTRUCT masks nothing, so DEBUG is fine */
    c.attr_flags |= AVOW_ATTR_DEBUG;
    assert_int_equal(avow_sim_einit(f->p, &c, mr, &ss, &en, &st, &e), AVOW_OK);
    /* a SIGSTRUCT that forbids DEBUG */
    size_t klen;
    uint8_t *key = tu_read_vector("sgx/enarx-test-enclave/encl.pem", &klen);
    avow_sigstruct strict = ss;
    strict.attr_mask_flags = AVOW_ATTR_DEBUG | AVOW_ATTR_MODE64BIT;
    assert_int_equal(avow_sigstruct_sign(&strict, (const char *)key, klen, &e), AVOW_OK);
    assert_int_equal(avow_sim_einit(f->p, &c, mr, &strict, &en, &st, &e), AVOW_ERR_MISMATCH);
    assert_int_equal(st, AVOW_SGX_INVALID_ATTRIBUTE);
    c.attr_flags &= ~AVOW_ATTR_DEBUG;
    assert_int_equal(avow_sim_einit(f->p, &c, mr, &strict, &en, &st, &e), AVOW_OK);
    /* KSS-only fields without KSS */
    strict.isv_family_id[0] = 1;
    assert_int_equal(avow_sigstruct_sign(&strict, (const char *)key, klen, &e), AVOW_OK);
    assert_int_equal(avow_sim_einit(f->p, &c, mr, &strict, &en, &st, &e), AVOW_ERR_MISMATCH);
    free(key);
    free(img);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_local_attestation_matrix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_key_policies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_einit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
