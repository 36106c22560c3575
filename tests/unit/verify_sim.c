/* The verifier against the simulated platform and its Intel-like PKI
 * (sim/sim.h): a simulated root must be added explicitly and is reported as
 * simulated; revoked PCK certificate / PCK CA; revoked TCB level; Intel's
 * QE/platform convergence table (not max severity); advisory union order;
 * expiry keeps the status; quote v4 with SGX; Platform CA; the platform cache
 * (a second quote of the same platform); concurrent use of one verifier. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/sim.h"
#include "avow/verify.h"
#include "verify/tcb_match.h"

#define NOW 1751624924 /* 2025-07-04 */

typedef struct {
    avow_sim_platform *p;
    char *root;
    uint8_t *quote;
    size_t qlen;
    avow_collateral coll;
} sim;

static void sim_new(sim *s, avow_pck_ca ca, int version)
{
    memset(s, 0, sizeof(*s));
    avow_sim_platform_opts po;
    avow_sim_platform_opts_default(&po, NOW - 86400);
    po.ca = ca;
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_platform_new(&po, &s->p, &e) != AVOW_OK) fail_msg("platform: %s", e.msg);
    assert_int_equal(avow_sim_root_pem(s->p, &s->root, &e), AVOW_OK);
    avow_sim_secs secs = {0};
    memset(secs.mr_enclave, 0xaa, 32);
    memset(secs.mr_signer, 0xbb, 32);
    secs.attr_flags = 0x4; /* MODE64BIT */
    secs.attr_xfrm = 0x3;
    secs.isv_prod_id = 7;
    secs.isv_svn = 3;
    avow_sim_enclave app;
    avow_sim_enclave_from_identity(s->p, &secs, &app);
    uint8_t rd[64] = "sim report data";
    if (avow_sim_quote_enclave(&app, rd, version, &s->quote, &s->qlen, &e) != AVOW_OK)
        fail_msg("quote: %s", e.msg);
    avow_collateral_init(&s->coll);
}

static void sim_collateral(sim *s, const avow_sim_collateral_opts *o)
{
    avow_collateral_free(&s->coll);
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_collateral(s->p, o, &s->coll, &e) != AVOW_OK) fail_msg("collateral: %s", e.msg);
}

static void sim_free(sim *s)
{
    avow_collateral_free(&s->coll);
    free(s->quote);
    free(s->root);
    avow_sim_platform_free(s->p);
}

static avow_verifier *trusting(const sim *s)
{
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    assert_int_equal(avow_verifier_add_root_pem(v, s->root, strlen(s->root), NULL), AVOW_OK);
    return v;
}

static void verify_at(avow_verifier *v, const sim *s, avow_time at, avow_verify_result *r)
{
    avow_verify_opts o = {.at = at};
    assert_int_equal(avow_verify_quote(v, s->quote, s->qlen, &s->coll, &o, r), AVOW_OK);
}

static const char *first_step(const avow_verify_result *r)
{
    const avow_trace_entry *f = avow_trace_first_failure(&r->trace);
    return f ? f->step : "(none)";
}

static void test_simulated_root(void **state)
{
    (void)state;
    sim s;
    sim_new(&s, AVOW_PCK_CA_PROCESSOR, 3);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    sim_collateral(&s, &co);
    /* not trusted by default */
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_verify_result r;
    verify_at(v, &s, NOW, &r);
    assert_false(r.ok);
    assert_string_equal(first_step(&r), "root_pinned");
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    /* trusted when added, and marked */
    v = trusting(&s);
    verify_at(v, &s, NOW, &r);
    if (!r.ok) fail_msg("sim quote: %s", r.reason);
    assert_true(r.simulated_root);
    assert_false(r.crl_missing);
    assert_int_equal(r.status, AVOW_TCB_UP_TO_DATE);
    assert_int_equal(r.result_code, AVOW_QV_OK);
    assert_int_equal(r.n_advisory_ids, 0);
    assert_int_equal(r.pck_ca, AVOW_PCK_CA_PROCESSOR);
    assert_int_equal(r.isv_prod_id, 7);
    assert_int_equal(r.isv_svn, 3);
    assert_memory_equal(r.report_data, "sim report data", 15);
    bool said = false;
    for (size_t i = 0; i < r.trace.count; i++)
        said |= !strcmp(r.trace.entries[i].step, "root_pinned") &&
                strstr(r.trace.entries[i].detail, "NOT Intel") != NULL;
    assert_true(said);
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    sim_free(&s);
}

static void test_revocations(void **state)
{
    (void)state;
    sim s;
    sim_new(&s, AVOW_PCK_CA_PLATFORM, 3);
    avow_verifier *v = trusting(&s);
    avow_sim_collateral_opts co;
    avow_verify_result r;

    avow_sim_collateral_opts_default(&co, NOW - 3600);
    co.revoke_pck = true;
    sim_collateral(&s, &co);
    verify_at(v, &s, NOW, &r);
    assert_false(r.ok);
    assert_string_equal(first_step(&r), "pck_revocation");
    assert_int_equal(r.err, AVOW_ERR_REVOKED);
    assert_non_null(strstr(r.reason, "PCK CRL"));
    assert_int_equal(r.result_code, AVOW_QV_UNSPECIFIED);
    avow_verify_result_free(&r);

    avow_sim_collateral_opts_default(&co, NOW - 3600);
    co.revoke_pck_ca = true;
    sim_collateral(&s, &co);
    verify_at(v, &s, NOW, &r);
    assert_false(r.ok);
    assert_string_equal(first_step(&r), "pck_revocation");
    assert_non_null(strstr(r.reason, "Root CA CRL"));
    avow_verify_result_free(&r);

    /* the same platform, clean collateral: ok, Platform CA */
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    sim_collateral(&s, &co);
    verify_at(v, &s, NOW, &r);
    assert_true(r.ok);
    assert_int_equal(r.pck_ca, AVOW_PCK_CA_PLATFORM);
    avow_verify_result_free(&r);

    /* a revoked TCB level: the status is reported, the verdict fails */
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    co.tcb_status = AVOW_TCB_REVOKED;
    sim_collateral(&s, &co);
    verify_at(v, &s, NOW, &r);
    assert_false(r.ok);
    assert_string_equal(first_step(&r), "status");
    assert_int_equal(r.status, AVOW_TCB_REVOKED);
    assert_int_equal(r.err, AVOW_ERR_REVOKED);
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    sim_free(&s);
}

static void test_convergence(void **state)
{
    (void)state;
    static const struct {
        avow_tcb_status tcb, qe, want;
        bool ok;
    } cases[] = {
        {AVOW_TCB_UP_TO_DATE, AVOW_TCB_UP_TO_DATE, AVOW_TCB_UP_TO_DATE, true},
        {AVOW_TCB_UP_TO_DATE, AVOW_TCB_OUT_OF_DATE, AVOW_TCB_OUT_OF_DATE, true},
        {AVOW_TCB_SW_HARDENING_NEEDED, AVOW_TCB_OUT_OF_DATE, AVOW_TCB_OUT_OF_DATE, true},
        /* Intel's table: not "max severity" (which would say OutOfDate) */
        {AVOW_TCB_CONFIGURATION_NEEDED, AVOW_TCB_OUT_OF_DATE,
         AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, true},
        {AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, AVOW_TCB_OUT_OF_DATE,
         AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, true},
        {AVOW_TCB_CONFIGURATION_NEEDED, AVOW_TCB_UP_TO_DATE, AVOW_TCB_CONFIGURATION_NEEDED, true},
        {AVOW_TCB_OUT_OF_DATE, AVOW_TCB_UP_TO_DATE, AVOW_TCB_OUT_OF_DATE, true},
        {AVOW_TCB_UP_TO_DATE, AVOW_TCB_REVOKED, AVOW_TCB_REVOKED, false},
    };
    sim s;
    sim_new(&s, AVOW_PCK_CA_PROCESSOR, 3);
    avow_verifier *v = trusting(&s);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        avow_sim_collateral_opts co;
        avow_sim_collateral_opts_default(&co, NOW - 3600);
        co.tcb_status = cases[i].tcb;
        co.qe_status = cases[i].qe;
        sim_collateral(&s, &co);
        avow_verify_result r;
        verify_at(v, &s, NOW, &r);
        if (r.status != cases[i].want || r.ok != cases[i].ok)
            fail_msg("case %zu: %s + QE %s -> %s (ok %d), expected %s (%s)", i,
                     avow_tcb_status_name(cases[i].tcb), avow_tcb_status_name(cases[i].qe),
                     avow_tcb_status_name(r.status), r.ok, avow_tcb_status_name(cases[i].want),
                     r.reason);
        assert_int_equal(r.platform_status, cases[i].tcb);
        assert_int_equal(r.qe_status, cases[i].qe);
        assert_int_equal(r.result_code, avow_qv_result_for_status(cases[i].want));
        avow_verify_result_free(&r);
    }
    avow_verifier_free(v);
    sim_free(&s);
}

static void test_advisories(void **state)
{
    (void)state;
    sim s;
    sim_new(&s, AVOW_PCK_CA_PROCESSOR, 3);
    avow_verifier *v = trusting(&s);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    static const char *const tcb_ids[] = {"INTEL-SA-00289", "INTEL-SA-00615"};
    static const char *const qe_ids[] = {"INTEL-SA-00615", "INTEL-SA-00999"};
    co.tcb_status = AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED;
    co.advisory_ids = tcb_ids;
    co.n_advisory_ids = 2;
    co.qe_status = AVOW_TCB_OUT_OF_DATE;
    co.qe_advisory_ids = qe_ids;
    co.n_qe_advisory_ids = 2;
    sim_collateral(&s, &co);
    avow_verify_result r;
    verify_at(v, &s, NOW, &r);
    assert_true(r.ok);
    assert_int_equal(r.n_advisory_ids, 3);
    assert_string_equal(r.advisory_ids[0], "INTEL-SA-00289");
    assert_string_equal(r.advisory_ids[1], "INTEL-SA-00615");
    assert_string_equal(r.advisory_ids[2], "INTEL-SA-00999");
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    sim_free(&s);
}

static void test_expiry_and_v4(void **state)
{
    (void)state;
    sim s;
    sim_new(&s, AVOW_PCK_CA_PROCESSOR, 4);
    avow_verifier *v = trusting(&s);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    co.tcb_status = AVOW_TCB_SW_HARDENING_NEEDED;
    sim_collateral(&s, &co);
    avow_verify_result r;
    verify_at(v, &s, NOW, &r);
    if (!r.ok) fail_msg("v4 SGX: %s", r.reason);
    assert_int_equal(r.quote_version, 4);
    avow_verify_result_free(&r);
    /* 40 days later: TCB Info, QE Identity and CRLs are past nextUpdate */
    verify_at(v, &s, NOW + 40 * 86400, &r);
    assert_false(r.ok);
    assert_true(r.collateral_expired);
    assert_int_equal(r.err, AVOW_ERR_EXPIRED);
    assert_int_equal(r.status, AVOW_TCB_SW_HARDENING_NEEDED);
    assert_string_equal(first_step(&r), "root_ca_crl");
    assert_non_null(strstr(r.reason, "expired"));
    assert_string_equal(r.trace.entries[r.trace.count - 1].step, "status");
    avow_verify_result_free(&r);
    /* before the collateral was issued */
    verify_at(v, &s, NOW - 7200, &r);
    assert_false(r.ok);
    assert_true(r.collateral_expired);
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    sim_free(&s);
}

static void test_pure_functions(void **state)
{
    (void)state;
    assert_int_equal(avow_tcb_converge(AVOW_TCB_CONFIGURATION_NEEDED, AVOW_TCB_OUT_OF_DATE),
                     AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED);
    assert_int_equal(
        avow_tcb_converge(AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, AVOW_TCB_OUT_OF_DATE),
        AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED);
    assert_int_equal(avow_tcb_converge(AVOW_TCB_REVOKED, AVOW_TCB_OUT_OF_DATE), AVOW_TCB_REVOKED);
    assert_int_equal(avow_tcb_converge(AVOW_TCB_UP_TO_DATE, AVOW_TCB_NONE), AVOW_TCB_NONE);
    avow_tcb_level lv[3] = {0};
    memset(lv[0].sgx_comp, 7, 16);
    lv[0].pcesvn = 13;
    memset(lv[1].sgx_comp, 5, 16);
    lv[1].pcesvn = 13;
    memset(lv[2].sgx_comp, 5, 16);
    lv[2].pcesvn = 10;
    uint8_t comp[16];
    memset(comp, 7, 16);
    comp[2] = 5;
    avow_tcb_shortfall top;
    assert_int_equal(avow_tcb_match_sgx(lv, 3, comp, 13, &top), 1);
    assert_int_equal(top.comp, 2);
    assert_int_equal(top.have, 5);
    assert_int_equal(top.need, 7);
    assert_int_equal(avow_tcb_match_sgx(lv, 3, comp, 11, &top), 2);
    assert_int_equal(avow_tcb_match_sgx(lv, 3, comp, 9, NULL), -1);
    comp[15] = 4;
    assert_int_equal(avow_tcb_match_sgx(lv, 3, comp, 13, NULL), -1);
    avow_qe_level q[3] = {{.isvsvn = 8}, {.isvsvn = 6}, {.isvsvn = 2}};
    assert_int_equal(avow_qe_match(q, 3, 10), 0);
    assert_int_equal(avow_qe_match(q, 3, 7), 1);
    assert_int_equal(avow_qe_match(q, 3, 1), -1);
}

typedef struct {
    avow_verifier *v;
    const sim *s;
    int bad;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    for (int i = 0; i < 200; i++) {
        avow_verify_opts o = {.at = NOW};
        avow_verify_result r;
        if (avow_verify_quote(a->v, a->s->quote, a->s->qlen, &a->s->coll, &o, &r) != AVOW_OK ||
            !r.ok)
            a->bad++;
        if (i % 50 == 0) avow_verifier_clear_cache(a->v);
        avow_verify_result_free(&r);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    sim s;
    sim_new(&s, AVOW_PCK_CA_PROCESSOR, 3);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    sim_collateral(&s, &co);
    avow_verifier *v = trusting(&s);
    pthread_t t[4];
    worker_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (worker_arg){v, &s, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].bad, 0);
    }
    avow_verifier_free(v);
    sim_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulated_root), cmocka_unit_test(test_revocations),
        cmocka_unit_test(test_convergence),    cmocka_unit_test(test_advisories),
        cmocka_unit_test(test_expiry_and_v4),  cmocka_unit_test(test_pure_functions),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
