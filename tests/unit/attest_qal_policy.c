/* Intel's QAL policy fields written in Avow's policy language
 * (docs/policy.md): every ```policy NAME``` block of docs/policy.md, read
 * from the document itself so that text and test cannot drift, compiled and
 * used to attest (avow_attest: the call avowd and `avow policy eval` make)
 * simulated quotes and real Intel evidence at the boundaries the document
 * names: ages N-1, N, N+1 days and one second either side of N days; an
 * OutOfDate QE and an OutOfDate TDX module; collateral at Intel's expiry
 * second and past it; evaluation numbers 16, 17, 18; rejected advisories on
 * the TCB level and on the QE level; each PCK flag true, false and absent;
 * each SGX type. The README's example is one of the blocks, byte for byte;
 * the last test fails when the document has a block that no test judged. The claims themselves:
 * tests/unit/attest_freshness.c. Thread-safety: n/a (test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attest_evidence.h"
#include "avow/policy.h"
#include "testutil.h"

#define DAY   TE_DAY
#define T0    1735689600LL /* 2025-01-01T00:00:00Z: the simulated collateral's issue date */
#define GRACE 450          /* the days of docs/policy.md's platform_grace_period blocks */

/* ---- evidence ------------------------------------------------------------------ */

enum { PROC, PLAT_A, PLAT_B, PLAT_C, N_PLATS };
static avow_sim_platform *g_p[N_PLATS];
static avow_verifier *g_v;

/* The platforms' SGX types and Configuration flags (dynamic platform,
 * cached keys, SMT; -1: left out of the certificate): on the Platform-CA
 * ones each flag is true on one, false on another and absent on the third;
 * the Processor-CA one has none. */
static const struct {
    int sgx_type, flags[3];
} PLATS[N_PLATS] = {
    [PROC] = {0, {0, 0, 0}},
    [PLAT_A] = {1, {1, 0, -1}},
    [PLAT_B] = {2, {0, 1, 1}},
    [PLAT_C] = {1, {-1, -1, 0}},
};

static void copts(avow_sim_collateral_opts *o)
{
    te_copts(o, T0, T0 + 200 * DAY); /* room for every age tested */
}

/* ---- the policies of docs/policy.md ------------------------------------------ */

#define MAX_BLOCKS 32
static struct {
    char name[64];
    avow_policy *policy;
    bool used;
} g_blocks[MAX_BLOCKS];
static size_t g_n_blocks;

/* Every block opening with "```policy NAME" up to its closing fence
 * compiles (the first test: the others use what it loads). */
static void test_blocks_compile(void **state)
{
    (void)state;
    for (int i = 0; i < N_PLATS; i++)
        g_p[i] = te_platform(
            g_v, T0 - 10 * DAY, i == PROC ? AVOW_PCK_CA_PROCESSOR : AVOW_PCK_CA_PLATFORM,
            PLATS[i].sgx_type, PLATS[i].flags[0], PLATS[i].flags[1], PLATS[i].flags[2]);
    size_t len;
    char *doc = (char *)tu_read_source("docs/policy.md", &len);
    const char *open = "\n```policy ";
    for (char *p = strstr(doc, open); p; p = strstr(p, open)) {
        p += strlen(open);
        char *eol = strchr(p, '\n');
        char *end = eol ? strstr(eol, "\n```") : NULL;
        if (!end) fail_msg("docs/policy.md: an unclosed policy block");
        if (g_n_blocks == MAX_BLOCKS) fail_msg("docs/policy.md: too many blocks");
        size_t nl = (size_t)(eol - p);
        if (!nl || nl >= sizeof(g_blocks[0].name)) fail_msg("docs/policy.md: a block's name");
        memcpy(g_blocks[g_n_blocks].name, p, nl);
        g_blocks[g_n_blocks].name[nl] = '\0';
        avow_policy_diag diag;
        memset(&diag, 0, sizeof(diag));
        if (avow_policy_compile(eol + 1, (size_t)(end + 1 - (eol + 1)), g_blocks[g_n_blocks].name,
                                &g_blocks[g_n_blocks].policy, &diag) != AVOW_OK)
            fail_msg("docs/policy.md block %s: %s", g_blocks[g_n_blocks].name, diag.msg);
        g_n_blocks++;
        p = end;
    }
    free(doc);
}

static const avow_policy *block(const char *name)
{
    for (size_t i = 0; i < g_n_blocks; i++)
        if (!strcmp(g_blocks[i].name, name)) {
            g_blocks[i].used = true;
            return g_blocks[i].policy;
        }
    fail_msg("docs/policy.md has no block named %s", name);
    return NULL;
}

/* The README's example of "Freshness and TCB recovery" is the
 * platform_grace_period block, byte for byte. */
static void test_readme_example(void **state)
{
    (void)state;
    size_t len;
    char *readme = (char *)tu_read_source("README.md", &len);
    const char *sec = strstr(readme, "\n## Freshness and TCB recovery\n");
    assert_non_null(sec);
    const char *open = strstr(sec, "\n```\n");
    assert_non_null(open);
    open += 5;
    const char *end = strstr(open, "\n```");
    assert_non_null(end);
    size_t tl;
    const char *text = avow_policy_text(block("qal-platform-grace-period"), &tl);
    if ((size_t)(end + 1 - open) != tl || memcmp(open, text, tl))
        fail_msg(
            "README's freshness example differs from docs/policy.md's "
            "qal-platform-grace-period block");
    free(readme);
}

/* The policy block `name` on `e` at `at` must give `want`. */
static void expect(const char *name, const te_evidence *e, avow_time at, avow_attest_outcome want,
                   const char *what)
{
    avow_attestation a;
    avow_attest_outcome got = te_attest(&a, g_v, e, block(name), at);
    if (got != want)
        fail_msg("%s on %s at %lld: %s, want %s (%s)", name, what, (long long)at,
                 te_outcome_name(got), te_outcome_name(want), a.reason);
    avow_attestation_free(&a);
}

/* The block `name` on real set `set` at its expected.json time. */
static void expect_real(const char *name, const char *set, avow_attest_outcome want)
{
    te_evidence e;
    avow_time at = te_real(&e, set);
    expect(name, &e, at, want, set);
    te_free(&e);
}

#define PERMIT AVOW_ATTEST_PERMITTED
#define DENY   AVOW_ATTEST_DENIED

static int setup(void **state)
{
    (void)state;
    return avow_verifier_new(&g_v, NULL) == AVOW_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_n_blocks; i++)
        avow_policy_free(g_blocks[i].policy);
    for (int i = 0; i < N_PLATS; i++)
        avow_sim_platform_free(g_p[i]);
    avow_verifier_free(g_v);
    return 0;
}

/* ---- the blocks, field by field --------------------------------------------- */

static void test_accepted_tcb_status(void **state)
{
    (void)state;
    const char *B = "qal-accepted-tcb-status";
    static const struct {
        avow_tcb_status st;
        avow_attest_outcome want;
    } cases[] = {
        {AVOW_TCB_UP_TO_DATE, PERMIT},
        {AVOW_TCB_SW_HARDENING_NEEDED, PERMIT},
        {AVOW_TCB_CONFIGURATION_NEEDED, DENY},
        {AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, DENY},
        {AVOW_TCB_OUT_OF_DATE, DENY},
        {AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, DENY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        avow_sim_collateral_opts o;
        copts(&o);
        o.tcb_status = cases[i].st;
        te_evidence e;
        te_sim_sgx(&e, g_p[PROC], &o);
        expect(B, &e, T0 + 3600, cases[i].want, avow_tcb_status_name(cases[i].st));
        te_free(&e);
    }
    expect_real(B, "P1-phala-sgx-v3", DENY);         /* ConfigurationAndSWHardeningNeeded */
    expect_real(B, "R1-dcaprs-sgx-v3-tcbv2", DENY);  /* OutOfDate */
    expect_real(B, "O1-oasis-sgx-v3-nocrl", PERMIT); /* SWHardeningNeeded */
}

/* N-1, N, N+1 days, and one second either side of N days from `level`. */
static void expect_ages(const char *B, const te_evidence *e, avow_time level, const char *what)
{
    expect(B, e, level + (GRACE - 1) * DAY + 43200, PERMIT, what);
    expect(B, e, level + GRACE * DAY - 1, PERMIT, what);
    expect(B, e, level + GRACE * DAY, DENY, what);
    expect(B, e, level + GRACE * DAY + 43200, DENY, what);
    expect(B, e, level + (GRACE + 1) * DAY + 43200, DENY, what);
}

static void test_platform_grace_period(void **state)
{
    (void)state;
    const char *B = "qal-platform-grace-period";
    avow_sim_collateral_opts o;
    te_evidence e;
    /* the platform's level OutOfDate (QE UpToDate) */
    copts(&o);
    o.tcb_status = AVOW_TCB_OUT_OF_DATE;
    te_sim_sgx(&e, g_p[PROC], &o);
    expect_ages(B, &e, TE_LEVEL_OLD(T0), "OutOfDate platform");
    te_free(&e);
    /* the QE's level OutOfDate (platform UpToDate): the QE level ages */
    copts(&o);
    o.qe_status = AVOW_TCB_OUT_OF_DATE;
    te_sim_sgx(&e, g_p[PROC], &o);
    expect_ages(B, &e, TE_LEVEL_OLD(T0), "OutOfDate QE");
    te_free(&e);
    /* not listed: OutOfDateConfigurationNeeded, even young */
    copts(&o);
    o.tcb_status = AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
    te_sim_sgx(&e, g_p[PROC], &o);
    expect(B, &e, T0 + 3600, DENY, "OutOfDateConfigurationNeeded");
    te_free(&e);
    /* UpToDate is not aged */
    copts(&o);
    te_sim_sgx(&e, g_p[PROC], &o);
    expect(B, &e, o.next_update - 1, PERMIT, "UpToDate, old collateral");
    te_free(&e);
    /* real R1: OutOfDate since a level of 2023-08-09, 569 days old */
    expect_real(B, "R1-dcaprs-sgx-v3-tcbv2", DENY);
}

static void test_collateral_grace_period(void **state)
{
    (void)state;
    const char *B = "qal-collateral-grace-period";
    avow_policy *all = te_permit_all();
    /* real P1: its earliest_expiration_date, read from the result */
    te_evidence e;
    avow_time at = te_real(&e, "P1-phala-sgx-v3");
    avow_attestation a;
    if (te_attest(&a, g_v, &e, all, at) != PERMIT) fail_msg("%s", a.reason);
    avow_time exp = a.verify.supplemental.earliest_expiration_date;
    avow_attestation_free(&a);
    assert_true(exp > at);
    expect(B, &e, exp - 1, PERMIT, "P1 a second before expiry");
    expect(B, &e, exp, DENY, "P1 at its expiry (Intel's <=)");
    assert_int_equal(te_attest(&a, g_v, &e, all, exp), PERMIT); /* the claim is what denies there */
    avow_attestation_free(&a);
    expect(B, &e, exp + 1, AVOW_ATTEST_BAD_EVIDENCE, "P1 past its expiry");
    te_free(&e);
    /* simulated: every piece expires at next_update */
    avow_sim_collateral_opts o;
    copts(&o);
    te_sim_sgx(&e, g_p[PLAT_C], &o);
    expect(B, &e, o.next_update - 1, PERMIT, "sim a second before expiry");
    expect(B, &e, o.next_update, DENY, "sim at expiry");
    expect(B, &e, o.next_update + DAY, AVOW_ATTEST_BAD_EVIDENCE, "sim a day past expiry");
    te_free(&e);
    avow_policy_free(all);
}

static void test_min_eval_num(void **state)
{
    (void)state;
    const char *B = "qal-min-eval-num";
    static const struct {
        int eval;
        avow_attest_outcome want;
    } cases[] = {{16, DENY}, {17, PERMIT}, {18, PERMIT}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        avow_sim_collateral_opts o;
        copts(&o);
        o.tcb_eval_num = cases[i].eval;
        te_evidence e;
        te_sim_sgx(&e, g_p[PROC], &o);
        char what[32];
        snprintf(what, sizeof(what), "evaluation %d", cases[i].eval);
        expect(B, &e, T0 + 3600, cases[i].want, what);
        te_free(&e);
    }
    expect_real(B, "O1-oasis-sgx-v3-nocrl", DENY);    /* 13 */
    expect_real(B, "P1-phala-sgx-v3", PERMIT);        /* 17 */
    expect_real(B, "R1-dcaprs-sgx-v3-tcbv2", PERMIT); /* 17 */
}

static void test_rejected_advisory_ids(void **state)
{
    (void)state;
    const char *B = "qal-rejected-advisory-ids";
    static const char *const qe_ids[] = {"INTEL-SA-00615"};
    static const struct {
        avow_tcb_status st, qe;
        bool qe_ids;
        avow_attest_outcome want;
        const char *what;
    } cases[] = {
        {AVOW_TCB_SW_HARDENING_NEEDED, 0, false, DENY, "TCB level INTEL-SA-00615"},
        {AVOW_TCB_OUT_OF_DATE, 0, false, DENY, "TCB level INTEL-SA-00828"},
        {0, AVOW_TCB_OUT_OF_DATE, true, DENY, "QE level INTEL-SA-00615"},
        {AVOW_TCB_CONFIGURATION_NEEDED, 0, false, PERMIT, "TCB level INTEL-SA-00289"},
        {AVOW_TCB_UP_TO_DATE, 0, false, PERMIT, "no advisory"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        avow_sim_collateral_opts o;
        copts(&o);
        o.tcb_status = cases[i].st;
        o.qe_status = cases[i].qe;
        if (cases[i].qe_ids) {
            o.qe_advisory_ids = qe_ids;
            o.n_qe_advisory_ids = 1;
        }
        te_evidence e;
        te_sim_sgx(&e, g_p[PROC], &o);
        expect(B, &e, T0 + 3600, cases[i].want, cases[i].what);
        te_free(&e);
    }
    expect_real(B, "P1-phala-sgx-v3", DENY);       /* 00289, 00615 */
    expect_real(B, "O1-oasis-sgx-v3-nocrl", DENY); /* 00615, 00657 */
}

/* Each flag block denies exactly the platforms whose certificate says true. */
static void test_pck_flags(void **state)
{
    (void)state;
    static const char *const blocks[3] = {"qal-allow-dynamic-platform", "qal-allow-cached-keys",
                                          "qal-allow-smt-enabled"};
    for (int i = 0; i < N_PLATS; i++) {
        avow_sim_collateral_opts o;
        copts(&o);
        te_evidence e;
        te_sim_sgx(&e, g_p[i], &o);
        for (int f = 0; f < 3; f++) {
            bool says_true = i != PROC && PLATS[i].flags[f] == 1;
            char what[64];
            snprintf(what, sizeof(what), "platform %d (flag %d)", i,
                     i == PROC ? -1 : PLATS[i].flags[f]);
            expect(blocks[f], &e, T0 + 3600, says_true ? DENY : PERMIT, what);
        }
        te_free(&e);
    }
    static const struct {
        const char *set;
        avow_attest_outcome want[3];
    } reals[] = {
        {"R1-dcaprs-sgx-v3-tcbv2", {DENY, PERMIT, PERMIT}},
        {"O1-oasis-sgx-v3-nocrl", {DENY, PERMIT, PERMIT}},
        {"P1-phala-sgx-v3", {PERMIT, PERMIT, PERMIT}},
    };
    for (size_t r = 0; r < sizeof(reals) / sizeof(reals[0]); r++) {
        te_evidence e;
        avow_time at = te_real(&e, reals[r].set);
        for (int f = 0; f < 3; f++)
            expect(blocks[f], &e, at, reals[r].want[f], reals[r].set);
        te_free(&e);
    }
}

static void test_accepted_sgx_types(void **state)
{
    (void)state;
    const char *B = "qal-accepted-sgx-types";
    for (int i = 0; i < N_PLATS; i++) {
        avow_sim_collateral_opts o;
        copts(&o);
        te_evidence e;
        te_sim_sgx(&e, g_p[i], &o);
        char what[32];
        snprintf(what, sizeof(what), "SGX type %d", PLATS[i].sgx_type);
        expect(B, &e, T0 + 3600, PLATS[i].sgx_type == 2 ? DENY : PERMIT, what);
        te_free(&e);
    }
    expect_real(B, "P1-phala-sgx-v3", PERMIT);        /* Standard */
    expect_real(B, "R1-dcaprs-sgx-v3-tcbv2", PERMIT); /* Scalable */
}

static void test_all_together(void **state)
{
    (void)state;
    const char *B = "qal-all";
    avow_sim_collateral_opts o;
    te_evidence e;
    static const struct {
        avow_tcb_status st;
        avow_attest_outcome want;
    } statuses[] = {
        {AVOW_TCB_UP_TO_DATE, PERMIT},
        {AVOW_TCB_SW_HARDENING_NEEDED, PERMIT},
        {AVOW_TCB_CONFIGURATION_NEEDED, DENY},
    };
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        copts(&o);
        o.tcb_status = statuses[i].st;
        te_sim_sgx(&e, g_p[PROC], &o);
        expect(B, &e, T0 + 3600, statuses[i].want, avow_tcb_status_name(statuses[i].st));
        expect(B, &e, o.next_update, DENY, "at the collateral's expiry");
        te_free(&e);
    }
    copts(&o);
    o.tcb_status = AVOW_TCB_OUT_OF_DATE;
    te_sim_sgx(&e, g_p[PROC], &o);
    expect(B, &e, TE_LEVEL_OLD(T0) + GRACE * DAY - 1, PERMIT, "OutOfDate, 449 days");
    expect(B, &e, TE_LEVEL_OLD(T0) + GRACE * DAY, DENY, "OutOfDate, 450 days");
    te_free(&e);
    copts(&o);
    o.tcb_eval_num = 16;
    te_sim_sgx(&e, g_p[PROC], &o);
    expect(B, &e, T0 + 3600, DENY, "evaluation 16");
    te_free(&e);
    copts(&o);
    te_sim_sgx(&e, g_p[PLAT_C], &o); /* Scalable, SMT false, the others absent */
    expect(B, &e, T0 + 3600, PERMIT, "Scalable, no SMT");
    te_free(&e);
    copts(&o);
    te_sim_sgx(&e, g_p[PLAT_B], &o); /* ScalableWithIntegrity, SMT on */
    expect(B, &e, T0 + 3600, DENY, "ScalableWithIntegrity, SMT");
    te_free(&e);
    static const char *const sets[] = {"P1-phala-sgx-v3", "O1-oasis-sgx-v3-nocrl",
                                       "R1-dcaprs-sgx-v3-tcbv2"};
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
        expect_real(B, sets[i], DENY);
}

static void test_tdx(void **state)
{
    (void)state;
    const char *B = "qal-tdx-platform-grace-period";
    te_evidence e;
    avow_sim_collateral_opts o;
    copts(&o);
    te_sim_td(&e, g_p[PROC], &o);
    expect(B, &e, T0 + 3600, PERMIT, "TD UpToDate");
    expect(B, &e, T0 + 200 * DAY, DENY, "TD at the collateral's expiry");
    te_free(&e);
    o.module_status = AVOW_TCB_OUT_OF_DATE;
    te_sim_td(&e, g_p[PROC], &o);
    expect(B, &e, TE_LEVEL_OLD(T0) + GRACE * DAY - 1, PERMIT, "TD module OutOfDate, 449 days");
    expect(B, &e, TE_LEVEL_OLD(T0) + GRACE * DAY, DENY, "TD module OutOfDate, 450 days");
    expect(B, &e, TE_LEVEL_OLD(T0) + (GRACE + 1) * DAY, DENY, "TD module OutOfDate, 451 days");
    te_free(&e);
    expect_real(B, "P2-phala-tdx-v4", PERMIT);
}

/* Every block of docs/policy.md was judged by a test above (runs last). */
static void test_every_block_tested(void **state)
{
    (void)state;
    assert_true(g_n_blocks >= 10);
    for (size_t i = 0; i < g_n_blocks; i++)
        if (!g_blocks[i].used) fail_msg("docs/policy.md block %s is not tested", g_blocks[i].name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_compile),
        cmocka_unit_test(test_accepted_tcb_status),
        cmocka_unit_test(test_platform_grace_period),
        cmocka_unit_test(test_collateral_grace_period),
        cmocka_unit_test(test_min_eval_num),
        cmocka_unit_test(test_rejected_advisory_ids),
        cmocka_unit_test(test_pck_flags),
        cmocka_unit_test(test_accepted_sgx_types),
        cmocka_unit_test(test_all_together),
        cmocka_unit_test(test_tdx),
        cmocka_unit_test(test_readme_example),
        cmocka_unit_test(test_every_block_tested),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
