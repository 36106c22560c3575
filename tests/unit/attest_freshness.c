/* The freshness claims of an attestation (src/attest/freshness.c,
 * docs/policy.md "The claims a policy measures with", docs/maa.md §3.4):
 * x-avow-sgx-* for enclaves and x-avow-tdx-* for TDs, attested through
 * avow_attest with simulated and real evidence. Each claim's kind (integers
 * stay integers in the token), ages against the matched levels' tcbDates
 * worked out here (the simulator's dating; the real sets' TCB Info and QE
 * Identity JSON), rounded down at the last second of a day and the first of
 * the next, 0 for a tcbDate after the verification time; Intel's expiry
 * second; the SGX Type names; each PCK flag true, false and absent (real
 * sets' flags as `openssl asn1parse` shows them); the supplemental claim
 * equal to the result's supplemental object and carried into the token;
 * none of the claims without supplemental data.
 * Thread-safety: n/a (test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "attest_evidence.h"
#include "avow/policy.h"
#include "testutil.h"
#include "verify/result_json.h"

#define DAY TE_DAY
#define T0  1735689600LL /* 2025-01-01T00:00:00Z: the simulated collateral's issue date */

enum { PROC, PLAT_A, PLAT_B, N_PLATS };
static avow_sim_platform *g_p[N_PLATS];
static avow_verifier *g_v;
static avow_policy *g_all;

static int setup(void **state)
{
    (void)state;
    if (avow_verifier_new(&g_v, NULL) != AVOW_OK) return -1;
    return 0;
}

/* Platforms are made in the first test, where a failure is reported. */
static void platforms(void)
{
    if (g_p[PROC]) return;
    g_p[PROC] = te_platform(g_v, T0 - 10 * DAY, AVOW_PCK_CA_PROCESSOR, 0, 0, 0, 0);
    g_p[PLAT_A] = te_platform(g_v, T0 - 10 * DAY, AVOW_PCK_CA_PLATFORM, 1, 1, 0, -1);
    g_p[PLAT_B] = te_platform(g_v, T0 - 10 * DAY, AVOW_PCK_CA_PLATFORM, 2, 0, 1, 1);
    g_all = te_permit_all();
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_PLATS; i++)
        avow_sim_platform_free(g_p[i]);
    avow_policy_free(g_all);
    avow_verifier_free(g_v);
    return 0;
}

static const avow_claim *claim(const avow_claims *cs, const char *type)
{
    const avow_claim *c = avow_claims_find(cs, type, NULL);
    if (!c) fail_msg("claim %s missing", type);
    return c;
}

static void expect_int(const avow_claims *cs, const char *type, int64_t v)
{
    const avow_claim *c = claim(cs, type);
    if (c->value.kind != AVOW_CLAIM_INTEGER) fail_msg("%s is not an integer", type);
    if (c->value.integer != v)
        fail_msg("%s = %lld, want %lld", type, (long long)c->value.integer, (long long)v);
}

static void expect_bool(const avow_claims *cs, const char *type, bool v)
{
    const avow_claim *c = claim(cs, type);
    if (c->value.kind != AVOW_CLAIM_BOOLEAN) fail_msg("%s is not a boolean", type);
    if (c->value.boolean != v) fail_msg("%s = %d, want %d", type, c->value.boolean, v);
}

static void expect_str(const avow_claims *cs, const char *type, const char *v)
{
    const avow_claim *c = claim(cs, type);
    if (c->value.kind != AVOW_CLAIM_STRING) fail_msg("%s is not a string", type);
    assert_string_equal(c->value.str, v);
}

static void expect_absent(const avow_claims *cs, const char *type)
{
    if (avow_claims_find(cs, type, NULL)) fail_msg("claim %s present", type);
}

/* x-avow-*-supplemental is the verification result's supplemental object,
 * and the token carries it under the same name. */
static void expect_supplemental(const avow_attestation *a, const char *type)
{
    const avow_claim *c = claim(a->incoming, type);
    assert_int_equal(c->value.kind, AVOW_CLAIM_JSON);
    json_t *got = json_loads(c->value.str, 0, NULL);
    json_t *want = avow_supplemental_json(&a->verify);
    assert_non_null(got);
    assert_true(json_is_object(want));
    if (!json_equal(got, want)) fail_msg("%s differs from the result's supplemental", type);
    json_decref(got);
    json_decref(want);
    assert_int_equal(claim(a->token, type)->value.kind, AVOW_CLAIM_JSON);
}

static void permit(avow_attestation *a, const te_evidence *e, avow_time at)
{
    if (te_attest(a, g_v, e, g_all, at) != AVOW_ATTEST_PERMITTED) fail_msg("%s", a->reason);
}

static void test_sgx_sim(void **state)
{
    (void)state;
    platforms();
    avow_sim_collateral_opts o;
    te_copts(&o, T0, T0 + 200 * DAY);
    o.tcb_status = AVOW_TCB_OUT_OF_DATE;
    o.tcb_eval_num = 18;
    te_evidence e;
    te_sim_sgx(&e, g_p[PLAT_A], &o);
    avow_time at = TE_LEVEL_OLD(T0) + 449 * DAY + 86399; /* the last second of day 449 */
    avow_attestation a;
    permit(&a, &e, at);
    const avow_claims *in = a.incoming;
    expect_int(in, "x-avow-sgx-tcb-level-age-days", 449);
    /* the QE's level is UpToDate: 30 days before the issue date */
    expect_int(in, "x-avow-sgx-qe-tcb-level-age-days", (at - TE_LEVEL_NEW(T0)) / DAY);
    expect_int(in, "x-avow-sgx-tcb-eval-num", 18);
    expect_bool(in, "x-avow-sgx-collateral-expired", false);
    expect_str(in, "x-avow-sgx-type", "Scalable");
    expect_bool(in, "x-avow-sgx-dynamic-platform", true);
    expect_bool(in, "x-avow-sgx-cached-keys", false);
    expect_absent(in, "x-avow-sgx-smt-enabled"); /* left out of the certificate */
    expect_absent(in, "x-avow-tdx-tcb-level-age-days");
    expect_supplemental(&a, "x-avow-sgx-supplemental");
    expect_int(a.token, "x-avow-sgx-tcb-level-age-days", 449); /* an integer in the token */
    expect_bool(a.token, "x-avow-sgx-dynamic-platform", true);
    avow_attestation_free(&a);
    permit(&a, &e, at + 1); /* the first second of day 450 */
    expect_int(a.incoming, "x-avow-sgx-tcb-level-age-days", 450);
    avow_attestation_free(&a);
    te_free(&e);

    /* Processor CA: Standard, no flags; an UpToDate level 30 days old */
    te_copts(&o, T0, T0 + 30 * DAY);
    te_sim_sgx(&e, g_p[PROC], &o);
    permit(&a, &e, T0 + 3600);
    expect_str(a.incoming, "x-avow-sgx-type", "Standard");
    expect_absent(a.incoming, "x-avow-sgx-dynamic-platform");
    expect_absent(a.incoming, "x-avow-sgx-cached-keys");
    expect_absent(a.incoming, "x-avow-sgx-smt-enabled");
    expect_int(a.incoming, "x-avow-sgx-tcb-level-age-days", 30);
    expect_int(a.incoming, "x-avow-sgx-tcb-eval-num", 17);
    avow_attestation_free(&a);
    /* at the collateral's earliest expiration (every piece's nextUpdate):
     * Intel's rule says expired while the verification still passes */
    permit(&a, &e, o.next_update);
    expect_bool(a.incoming, "x-avow-sgx-collateral-expired", true);
    avow_attestation_free(&a);
    te_free(&e);

    /* ScalableWithIntegrity; cached keys and SMT true */
    te_copts(&o, T0, T0 + 30 * DAY);
    te_sim_sgx(&e, g_p[PLAT_B], &o);
    permit(&a, &e, T0 + 3600);
    expect_str(a.incoming, "x-avow-sgx-type", "ScalableWithIntegrity");
    expect_bool(a.incoming, "x-avow-sgx-dynamic-platform", false);
    expect_bool(a.incoming, "x-avow-sgx-cached-keys", true);
    expect_bool(a.incoming, "x-avow-sgx-smt-enabled", true);
    avow_attestation_free(&a);
    te_free(&e);
}

/* Real sets: ages from the matched levels' tcbDates as each set's TCB Info
 * and QE Identity JSON lists them; SGX Type and Configuration flags as
 * `openssl asn1parse` shows them in each PCK certificate's SGX extension
 * (items .5 and .7.1-.7.3). */
static void test_real(void **state)
{
    (void)state;
    platforms();
    static const struct {
        const char *set, *platform_date, *qe_date, *type;
        int eval, flags[3]; /* -1 absent */
    } cases[] = {
        {"P1-phala-sgx-v3",
         "2024-03-13T00:00:00Z",
         "2024-03-13T00:00:00Z",
         "Standard",
         17,
         {-1, -1, -1}},
        {"R1-dcaprs-sgx-v3-tcbv2",
         "2023-08-09T00:00:00Z",
         "2024-03-13T00:00:00Z",
         "Scalable",
         17,
         {1, 0, 0}},
        {"O1-oasis-sgx-v3-nocrl",
         "2022-08-10T00:00:00Z",
         "2022-11-09T00:00:00Z",
         "Scalable",
         13,
         {1, 0, 0}},
        {"P2-phala-tdx-v4",
         "2024-03-13T00:00:00Z",
         "2024-03-13T00:00:00Z",
         "Scalable",
         17,
         {1, 1, 1}},
    };
    static const char *const flag_names[3] = {"dynamic-platform", "cached-keys", "smt-enabled"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        te_evidence e;
        avow_time at = te_real(&e, cases[i].set), pd, qd;
        assert_int_equal(avow_time_parse(cases[i].platform_date, &pd, NULL), AVOW_OK);
        assert_int_equal(avow_time_parse(cases[i].qe_date, &qd, NULL), AVOW_OK);
        avow_attestation a;
        permit(&a, &e, at);
        const char *p = e.td ? "x-avow-tdx-" : "x-avow-sgx-";
        char n[64];
        snprintf(n, sizeof(n), "%stcb-level-age-days", p);
        expect_int(a.incoming, n, (at - pd) / DAY);
        snprintf(n, sizeof(n), "%sqe-tcb-level-age-days", p);
        expect_int(a.incoming, n, (at - qd) / DAY);
        snprintf(n, sizeof(n), "%stcb-eval-num", p);
        expect_int(a.incoming, n, cases[i].eval);
        snprintf(n, sizeof(n), "%scollateral-expired", p);
        expect_bool(a.incoming, n, false);
        snprintf(n, sizeof(n), "%s%s", p, e.td ? "sgx-type" : "type");
        expect_str(a.incoming, n, cases[i].type);
        for (int f = 0; f < 3; f++) {
            snprintf(n, sizeof(n), "%s%s", p, flag_names[f]);
            if (cases[i].flags[f] < 0)
                expect_absent(a.incoming, n);
            else
                expect_bool(a.incoming, n, cases[i].flags[f]);
        }
        snprintf(n, sizeof(n), "%ssupplemental", p);
        expect_supplemental(&a, n);
        avow_attestation_free(&a);
        te_free(&e);
    }
}

static void test_tdx_sim(void **state)
{
    (void)state;
    platforms();
    avow_sim_collateral_opts o;
    te_copts(&o, T0, T0 + 200 * DAY);
    o.module_status = AVOW_TCB_OUT_OF_DATE;
    te_evidence e;
    te_sim_td(&e, g_p[PROC], &o);
    avow_time at = TE_LEVEL_OLD(T0) + 420 * DAY + 5;
    avow_attestation a;
    permit(&a, &e, at);
    expect_str(a.incoming, "attester_tcb_status", "OutOfDate");
    expect_int(a.incoming, "x-avow-tdx-module-tcb-level-age-days", 420);
    expect_int(a.incoming, "x-avow-tdx-tcb-level-age-days", (at - TE_LEVEL_NEW(T0)) / DAY);
    expect_int(a.incoming, "x-avow-tdx-qe-tcb-level-age-days", (at - TE_LEVEL_NEW(T0)) / DAY);
    expect_int(a.incoming, "x-avow-tdx-tcb-eval-num", 17);
    expect_bool(a.incoming, "x-avow-tdx-collateral-expired", false);
    expect_str(a.incoming, "x-avow-tdx-sgx-type", "Standard");
    expect_absent(a.incoming, "x-avow-sgx-type");
    expect_absent(a.incoming, "x-avow-tdx-type");
    expect_absent(a.incoming, "x-avow-tdx-dynamic-platform");
    expect_supplemental(&a, "x-avow-tdx-supplemental");
    avow_attestation_free(&a);
    te_free(&e);
}

/* Rounded down; a tcbDate after the verification time is 0 days old; no
 * supplemental data, none of the claims (the public minting call). */
static void test_age_rule(void **state)
{
    (void)state;
    avow_verify_result r;
    avow_verify_result_init(&r);
    avow_supplemental *s = &r.supplemental;
    s->valid = true;
    s->tcb_eval_ref_num = 16;
    s->sa_list = strdup("");
    r.at = 1000 * DAY;
    s->platform_tcb_level_date_tag = r.at + 3600; /* in the future */
    s->qe_iden_tcb_level_date_tag = r.at - 1;     /* one second ago */
    s->dynamic_platform = s->cached_keys = AVOW_PCK_FLAG_UNDEFINED;
    s->smt_enabled = AVOW_PCK_FLAG_FALSE;
    avow_claims *cs = NULL;
    assert_int_equal(avow_claims_incoming_sgx(&r, NULL, 0, NULL, NULL, NULL, 0, &cs), AVOW_OK);
    expect_int(cs, "x-avow-sgx-tcb-level-age-days", 0);
    expect_int(cs, "x-avow-sgx-qe-tcb-level-age-days", 0);
    expect_int(cs, "x-avow-sgx-tcb-eval-num", 16);
    expect_absent(cs, "x-avow-sgx-dynamic-platform");
    expect_bool(cs, "x-avow-sgx-smt-enabled", false);
    expect_absent(cs, "x-avow-sgx-type"); /* no PCK certificate was read */
    avow_claims_free(cs);
    s->qe_iden_tcb_level_date_tag = r.at - DAY;
    s->platform_tcb_level_date_tag = r.at - 2 * DAY + 1;
    assert_int_equal(avow_claims_incoming_sgx(&r, NULL, 0, NULL, NULL, NULL, 0, &cs), AVOW_OK);
    expect_int(cs, "x-avow-sgx-qe-tcb-level-age-days", 1);
    expect_int(cs, "x-avow-sgx-tcb-level-age-days", 1);
    avow_claims_free(cs);
    s->valid = false;
    assert_int_equal(avow_claims_incoming_sgx(&r, NULL, 0, NULL, NULL, NULL, 0, &cs), AVOW_OK);
    expect_absent(cs, "x-avow-sgx-supplemental");
    expect_absent(cs, "x-avow-sgx-tcb-level-age-days");
    expect_absent(cs, "x-avow-sgx-collateral-expired");
    expect_str(cs, "x-ms-attestation-type", "sgx"); /* the rest is minted as before */
    avow_claims_free(cs);
    avow_verify_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgx_sim),
        cmocka_unit_test(test_real),
        cmocka_unit_test(test_tdx_sim),
        cmocka_unit_test(test_age_rule),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
