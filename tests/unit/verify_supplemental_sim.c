/* Intel's supplemental data (avow_supplemental, verify.h; docs/verification.md
 * A10) of quotes from the simulated platform (sim/sim.h), for what the real
 * vectors do not cover: the Platform-CA fields of Scalable PCK certificates
 * with each Configuration flag true, false or left out (three-state), a
 * Standard-type Platform-CA certificate and a Scalable Processor-CA one (no
 * such fields), a QE level that is OutOfDate, a Revoked platform (still
 * supplemental data: Revoked is a verdict, not an error), sorted sa_list, and
 * a TD quote's module fields. Expected values come from the options given to
 * the simulator and from the collateral's JSON and the PCK certificate's DER
 * read here, not from the verifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest_evidence.h"
#include "avow/quote.h"
#include "avow/verify.h"
#include "sim/sim.h"
#include "sim_fixture.h"
#include "verify/result_json.h"

#define NOW ((avow_time)1751624924) /* 2025-07-04 */

static avow_sim_platform *platform(avow_pck_ca ca, int sgx_type, int d, int c, int s)
{
    return te_platform(NULL, NOW - 86400, ca, sgx_type, d, c, s);
}

/* An SGX quote of the platform, verified against collateral made with `co`. */
static void sgx_verify(const avow_sim_platform *p, const avow_sim_collateral_opts *co,
                       avow_collateral *coll, avow_verify_result *r)
{
    uint8_t *q;
    size_t len;
    tu_sim_quote(p, &q, &len);
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_collateral(p, co, coll, &e) != AVOW_OK) fail_msg("collateral: %s", e.msg);
    avow_verifier *v = tu_sim_verifier(p);
    avow_verify_opts o = {.at = NOW};
    avow_verify_result_init(r);
    assert_int_equal(avow_verify_quote(v, q, len, coll, &o, r), AVOW_OK);
    avow_verifier_free(v);
    free(q);
}

/* The PlatformInstanceID in the PCK certificate's DER: the OCTET STRING (16)
 * after OID 1.2.840.113741.1.13.1.6. */
static bool instance_id(const avow_sim_platform *p, uint8_t out[16])
{
    char *pem;
    assert_int_equal(avow_sim_pck_chain_pem(p, &pem, NULL), AVOW_OK);
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    assert_non_null(x);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    static const uint8_t oid[] = {0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8,
                                  0x4d, 0x01, 0x0d, 0x01, 0x06, 0x04, 0x10};
    bool found = false;
    for (int i = 0; i + (int)sizeof(oid) + 16 <= n && !found; i++)
        if (!memcmp(der + i, oid, sizeof(oid))) {
            memcpy(out, der + i + sizeof(oid), 16);
            found = true;
        }
    OPENSSL_free(der);
    return found;
}

typedef struct {
    avow_pck_ca ca;
    int sgx_type, d, c, s; /* the certificate: SGX type and Configuration flags */
    avow_pck_flag want[3]; /* dynamic_platform, cached_keys, smt_enabled */
    bool want_id;          /* platform_instance_id reported */
} pck_case;

static const pck_case PCK_CASES[] = {
    /* Scalable, Platform CA: the flags as the certificate says, a left-out
     * one undefined (Intel's parser requires all three; Avow reports it) */
    {AVOW_PCK_CA_PLATFORM,
     1,
     1,
     0,
     -1,
     {AVOW_PCK_FLAG_TRUE, AVOW_PCK_FLAG_FALSE, AVOW_PCK_FLAG_UNDEFINED},
     true},
    /* Intel qve_set_quote_supplemental_data leaves dynamic_platform and
     * cached_keys UNDEFINED when false; Avow reports FALSE */
    {AVOW_PCK_CA_PLATFORM,
     2,
     0,
     1,
     1,
     {AVOW_PCK_FLAG_FALSE, AVOW_PCK_FLAG_TRUE, AVOW_PCK_FLAG_TRUE},
     true},
    {AVOW_PCK_CA_PLATFORM,
     1,
     -1,
     -1,
     0,
     {AVOW_PCK_FLAG_UNDEFINED, AVOW_PCK_FLAG_UNDEFINED, AVOW_PCK_FLAG_FALSE},
     true},
    /* Standard type: Intel fills none of them, whatever the certificate has */
    {AVOW_PCK_CA_PLATFORM,
     0,
     1,
     1,
     1,
     {AVOW_PCK_FLAG_UNDEFINED, AVOW_PCK_FLAG_UNDEFINED, AVOW_PCK_FLAG_UNDEFINED},
     false},
    /* Scalable under the Processor CA (no PlatformInstanceID, no
     * Configuration): Intel qve_set_quote_supplemental_data fails the whole
     * verification (SGX_QL_PCK_CERT_UNSUPPORTED_FORMAT); Avow says undefined */
    {AVOW_PCK_CA_PROCESSOR,
     1,
     1,
     1,
     1,
     {AVOW_PCK_FLAG_UNDEFINED, AVOW_PCK_FLAG_UNDEFINED, AVOW_PCK_FLAG_UNDEFINED},
     false},
};

static void test_pck_flags_three_state(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(PCK_CASES) / sizeof(PCK_CASES[0]); i++) {
        const pck_case *k = &PCK_CASES[i];
        avow_sim_platform *p = platform(k->ca, k->sgx_type, k->d, k->c, k->s);
        avow_sim_collateral_opts co;
        avow_sim_collateral_opts_default(&co, NOW - 3600);
        avow_collateral coll;
        avow_verify_result r;
        sgx_verify(p, &co, &coll, &r);
        if (!r.ok) fail_msg("case %zu: %s", i, r.reason);
        const avow_supplemental *s = &r.supplemental;
        assert_true(s->valid);
        assert_int_equal(s->sgx_type, k->sgx_type);
        assert_int_equal(s->dynamic_platform, k->want[0]);
        assert_int_equal(s->cached_keys, k->want[1]);
        assert_int_equal(s->smt_enabled, k->want[2]);
        assert_int_equal(s->has_platform_instance_id, k->want_id);
        uint8_t id[16];
        bool in_cert = instance_id(p, id);
        assert_int_equal(in_cert, k->ca == AVOW_PCK_CA_PLATFORM);
        if (k->want_id) assert_memory_equal(s->platform_instance_id, id, 16);
        /* JSON: true / false / null, the instance ID as hex or null */
        json_t *j = avow_supplemental_json(&r);
        const char *names[3] = {"dynamic_platform", "cached_keys", "smt_enabled"};
        for (int f = 0; f < 3; f++) {
            json_t *v = json_object_get(j, names[f]);
            assert_true(k->want[f] == AVOW_PCK_FLAG_UNDEFINED ? json_is_null(v)
                        : k->want[f] == AVOW_PCK_FLAG_TRUE    ? json_is_true(v)
                                                              : json_is_false(v));
        }
        json_t *jid = json_object_get(j, "platform_instance_id");
        assert_true(k->want_id ? json_string_length(jid) == 32 : json_is_null(jid));
        json_decref(j);
        avow_verify_result_free(&r);
        avow_collateral_free(&coll);
        avow_sim_platform_free(p);
    }
}

/* The tcbDate of the (first) level of `levels` with status `st`. */
static time_t level_date(const char *doc, const char *st)
{
    json_error_t je;
    json_t *j = json_loads(doc, 0, &je);
    assert_non_null(j);
    size_t i;
    json_t *lv;
    time_t t = 0;
    json_array_foreach(json_object_get(j, "tcbLevels"), i, lv)
    {
        if (strcmp(json_string_value(json_object_get(lv, "tcbStatus")), st)) continue;
        struct tm tm = {0};
        assert_int_equal(
            sscanf(json_string_value(json_object_get(lv, "tcbDate")), "%d-%d-%dT%d:%d:%d",
                   &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
            6);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm(&tm);
        break;
    }
    json_decref(j);
    assert_true(t > 0);
    return t;
}

/* QE OutOfDate: qe_iden_status is the QE level's (Intel
 * qve_set_quote_supplemental_data reports the QE Identity's parse status,
 * always OK); tcb_level_date_tag the lower of the TCB and QE level dates;
 * sa_list sorted while advisory_ids keep their order. */
static void test_qe_out_of_date(void **state)
{
    (void)state;
    avow_sim_platform *p = platform(AVOW_PCK_CA_PROCESSOR, 0, 0, 0, 1);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    static const char *const ids[] = {"INTEL-SA-00615", "INTEL-SA-00289"};
    static const char *const qe_ids[] = {"INTEL-SA-00615", "INTEL-SA-00999"};
    co.tcb_status = AVOW_TCB_SW_HARDENING_NEEDED;
    co.qe_status = AVOW_TCB_OUT_OF_DATE;
    co.advisory_ids = ids;
    co.n_advisory_ids = 2;
    co.qe_advisory_ids = qe_ids;
    co.n_qe_advisory_ids = 2;
    avow_collateral coll;
    avow_verify_result r;
    sgx_verify(p, &co, &coll, &r);
    assert_true(r.ok);
    assert_int_equal(r.status, AVOW_TCB_OUT_OF_DATE);
    const avow_supplemental *s = &r.supplemental;
    assert_int_equal(s->qe_iden_status, 0xA002); /* SGX_QL_QV_RESULT_OUT_OF_DATE */
    assert_string_equal(r.advisory_ids[0], "INTEL-SA-00615");
    assert_string_equal(r.advisory_ids[1], "INTEL-SA-00289");
    assert_string_equal(s->sa_list, "INTEL-SA-00289,INTEL-SA-00615,INTEL-SA-00999");
    time_t td = level_date(coll.tcb_info, "SWHardeningNeeded");
    time_t qd = level_date(coll.qe_identity, "OutOfDate");
    assert_int_equal(s->platform_tcb_level_date_tag, td);
    assert_int_equal(s->qe_iden_tcb_level_date_tag, qd);
    assert_int_equal(s->tcb_level_date_tag, td < qd ? td : qd);
    assert_int_equal(s->tee_type, AVOW_TEE_SGX);
    avow_verify_result_free(&r);
    avow_collateral_free(&coll);
    avow_sim_platform_free(p);
}

/* A Revoked platform is a verdict: supplemental data is there (as Intel
 * fills it for SGX_QL_QV_RESULT_REVOKED). */
static void test_revoked_has_supplemental(void **state)
{
    (void)state;
    avow_sim_platform *p = platform(AVOW_PCK_CA_PROCESSOR, 0, 0, 0, 1);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    co.tcb_status = AVOW_TCB_REVOKED;
    avow_collateral coll;
    avow_verify_result r;
    sgx_verify(p, &co, &coll, &r);
    assert_false(r.ok);
    assert_int_equal(r.status, AVOW_TCB_REVOKED);
    assert_true(r.supplemental.valid);
    assert_int_equal(r.supplemental.platform_tcb_level_date_tag,
                     level_date(coll.tcb_info, "Revoked"));
    assert_int_equal(r.supplemental.collateral_expiration_status, 0);
    avow_verify_result_free(&r);
    avow_collateral_free(&coll);
    avow_sim_platform_free(p);
}

/* A TD quote (module major 1): tee_type 0x81, the module's major version and
 * matched level (isvsvn and tcbDate) from the TDX TCB Info's TDX_01 entry. */
static void test_td_module_fields(void **state)
{
    (void)state;
    avow_sim_platform *p = platform(AVOW_PCK_CA_PLATFORM, 1, 0, 0, 1);
    avow_sim_td_opts td;
    avow_sim_td_opts_default(&td);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    co.tee = AVOW_TEE_TDX;
    co.module = &td.module;
    co.module_status = AVOW_TCB_OUT_OF_DATE;
    uint8_t *q;
    size_t len;
    avow_collateral coll;
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_sim_td_quote(p, &td, &q, &len, &e), AVOW_OK);
    if (avow_sim_collateral(p, &co, &coll, &e) != AVOW_OK) fail_msg("collateral: %s", e.msg);
    avow_verifier *v = tu_sim_verifier(p);
    avow_verify_opts o = {.at = NOW};
    avow_verify_result r;
    avow_verify_result_init(&r);
    assert_int_equal(avow_verify_quote(v, q, len, &coll, &o, &r), AVOW_OK);
    if (!r.ok) fail_msg("%s", r.reason);
    const avow_supplemental *s = &r.supplemental;
    assert_int_equal(s->tee_type, AVOW_TEE_TDX);
    assert_int_equal(s->tdx_module_major_ver, td.module.tee_tcb_svn[1]);
    /* the TDX_01 level the module's SVN meets, read from the JSON */
    json_error_t je;
    json_t *ti = json_loads(coll.tcb_info, 0, &je);
    assert_non_null(ti);
    size_t i, k;
    json_t *m, *lv;
    int want_svn = -1;
    json_array_foreach(json_object_get(ti, "tdxModuleIdentities"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "id")), "TDX_01")) continue;
        json_array_foreach(json_object_get(m, "tcbLevels"), k, lv)
        {
            int svn =
                (int)json_integer_value(json_object_get(json_object_get(lv, "tcb"), "isvsvn"));
            if (svn > td.module.tee_tcb_svn[0]) continue;
            want_svn = svn;
            assert_string_equal(json_string_value(json_object_get(lv, "tcbStatus")), "OutOfDate");
            break;
        }
    }
    json_decref(ti);
    assert_true(want_svn >= 0);
    assert_int_equal(s->tdx_module_svn, want_svn);
    assert_true(s->tdx_module_tcb_level_date_tag > 0);
    assert_true(s->tcb_level_date_tag <= s->tdx_module_tcb_level_date_tag);
    assert_true(s->tcb_level_date_tag <= s->platform_tcb_level_date_tag);
    json_t *j = avow_supplemental_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "tee_type")), 0x81);
    assert_non_null(json_object_get(j, "tdx_module_svn"));
    json_decref(j);
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    avow_collateral_free(&coll);
    free(q);
    avow_sim_platform_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pck_flags_three_state),
        cmocka_unit_test(test_qe_out_of_date),
        cmocka_unit_test(test_revoked_has_supplemental),
        cmocka_unit_test(test_td_module_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
