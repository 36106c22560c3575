/* TD quote verification against the simulated platform (sim/sim.h): every
 * TDX status, v4 and v5 (TD report 1.0 and 1.5), Intel's module and QE
 * convergence, relaunch advice, the module identity (mismatch, missing,
 * the right TDX_XX among several), TD QE identity vs SGX QE identity,
 * collateral of the other TEE, tampered TD quotes, the platform cache
 * keeping TD quotes of different modules apart, the TD 1.5 JSON, and the
 * cases where Phala's dcap-qvl or Google's go-tdx-guest decide differently
 * than Intel (a comment says what they do; the assertion pins Intel's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "avow/quote.h"
#include "sim/sim.h"
#include "avow/verify.h"
#include "verify/result_json.h"

#define NOW 1751624924 /* 2025-07-04 */

typedef struct {
    avow_sim_platform *p;
    avow_verifier *v;
    avow_sim_td_opts td;
    avow_sim_collateral_opts co;
    uint8_t *quote;
    size_t qlen;
    avow_collateral coll;
} tdsim;

static avow_sim_platform *g_p; /* one platform for the file: key generation is slow */

static int setup(void **state)
{
    (void)state;
    avow_sim_platform_opts po;
    avow_sim_platform_opts_default(&po, NOW - 86400);
    po.ca = AVOW_PCK_CA_PLATFORM;
    return avow_sim_platform_new(&po, &g_p, NULL) == AVOW_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    avow_sim_platform_free(g_p);
    return 0;
}

static void td_init(tdsim *s, int version, uint16_t body)
{
    memset(s, 0, sizeof(*s));
    s->p = g_p;
    avow_sim_td_opts_default(&s->td);
    s->td.version = version;
    s->td.body_type = body;
    memcpy(s->td.report_data, "tdx report data", 15);
    avow_sim_collateral_opts_default(&s->co, NOW - 3600);
    s->co.tee = AVOW_TEE_TDX;
    avow_collateral_init(&s->coll);
    char *root;
    assert_int_equal(avow_verifier_new(&s->v, NULL), AVOW_OK);
    assert_int_equal(avow_sim_root_pem(g_p, &root, NULL), AVOW_OK);
    assert_int_equal(avow_verifier_add_root_pem(s->v, root, strlen(root), NULL), AVOW_OK);
    free(root);
}

/* (Re)makes the quote from s->td and the collateral from s->co for the
 * quote's module (or `coll_module` when given). */
static void td_make(tdsim *s, const avow_sim_tdx_module *coll_module)
{
    free(s->quote);
    avow_collateral_free(&s->coll);
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_td_quote(s->p, &s->td, &s->quote, &s->qlen, &e) != AVOW_OK)
        fail_msg("td quote: %s", e.msg);
    s->co.module = coll_module ? coll_module : &s->td.module;
    if (avow_sim_collateral(s->p, &s->co, &s->coll, &e) != AVOW_OK)
        fail_msg("tdx collateral: %s", e.msg);
}

static void td_free(tdsim *s)
{
    free(s->quote);
    avow_collateral_free(&s->coll);
    avow_verifier_free(s->v);
}

static void td_verify(tdsim *s, avow_verify_result *r)
{
    avow_verify_opts o = {.at = NOW};
    assert_int_equal(avow_verify_quote(s->v, s->quote, s->qlen, &s->coll, &o, r), AVOW_OK);
}

static const char *first_step(const avow_verify_result *r)
{
    const avow_trace_entry *f = avow_trace_first_failure(&r->trace);
    return f ? f->step : "(none)";
}

/* Replaces the TCB Info (or QE Identity) text and signs it again. */
static void resign(tdsim *s, bool tcb_info, const char *json)
{
    char **dst = tcb_info ? &s->coll.tcb_info : &s->coll.qe_identity;
    size_t *len = tcb_info ? &s->coll.tcb_info_len : &s->coll.qe_identity_len;
    uint8_t *sig = tcb_info ? s->coll.tcb_info_sig : s->coll.qe_identity_sig;
    free(*dst);
    *dst = strdup(json);
    *len = strlen(json);
    assert_int_equal(avow_sim_tcb_sign(s->p, (const uint8_t *)*dst, *len, sig, NULL), AVOW_OK);
}

/* `hay` with the first `from` after `anchor` (NULL: from the start)
 * replaced by `to` (malloc'd). */
static char *replace_after(const char *hay, const char *anchor, const char *from, const char *to)
{
    const char *start = anchor ? strstr(hay, anchor) : hay;
    assert_non_null(start);
    const char *at = strstr(start, from);
    assert_non_null(at);
    size_t n = strlen(hay) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - hay), hay, to, at + strlen(from));
    return out;
}

/* the TCB Info's own tcbLevels (module identities have theirs before it) */
#define TOP_LEVELS "],\"tcbLevels\":["

static char *replace(const char *hay, const char *from, const char *to)
{
    return replace_after(hay, NULL, from, to);
}

static const avow_tcb_status ALL[] = {
    AVOW_TCB_UP_TO_DATE,
    AVOW_TCB_SW_HARDENING_NEEDED,
    AVOW_TCB_CONFIGURATION_NEEDED,
    AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    AVOW_TCB_OUT_OF_DATE,
    AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    AVOW_TCB_REVOKED,
    AVOW_TCB_TD_RELAUNCH_ADVISED,
    AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
};

/* Every status, for each kind of TD quote, verifies to exactly that status. */
static void test_every_status(void **state)
{
    (void)state;
    static const struct {
        int version;
        uint16_t body;
    } kinds[] = {{4, AVOW_BODY_TD10}, {5, AVOW_BODY_TD10}, {5, AVOW_BODY_TD15}};
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof(ALL) / sizeof(ALL[0]); i++) {
            bool relaunch = ALL[i] >= AVOW_TCB_TD_RELAUNCH_ADVISED;
            if (relaunch && kinds[k].body != AVOW_BODY_TD15) continue; /* TD 1.5 only */
            tdsim s;
            td_init(&s, kinds[k].version, kinds[k].body);
            s.co.tcb_status = ALL[i];
            if (relaunch) { /* a TD-preserving update since the TD started */
                s.td.module.tee_tcb_svn2[0]++;
                s.td.module.tee_tcb_svn2[2]++;
            }
            td_make(&s, NULL);
            avow_verify_result r;
            td_verify(&s, &r);
            if (r.status != ALL[i])
                fail_msg("v%d body %u: %s, want %s (%s)", kinds[k].version, kinds[k].body,
                         avow_tcb_status_name(r.status), avow_tcb_status_name(ALL[i]), r.reason);
            assert_int_equal(r.ok, ALL[i] != AVOW_TCB_REVOKED);
            assert_int_equal(r.result_code, avow_qv_result_for_status(ALL[i]));
            assert_true(r.is_td);
            assert_true(r.simulated_root);
            assert_int_equal(r.td.body_type, kinds[k].body);
            assert_int_equal(r.quote_version, kinds[k].version);
            assert_memory_equal(r.td.report_data, "tdx report data", 15);
            assert_string_equal(r.module_id, "TDX_01");
            assert_int_equal(r.module_status,
                             relaunch ? AVOW_TCB_OUT_OF_DATE : AVOW_TCB_UP_TO_DATE);
            if (ALL[i] != AVOW_TCB_UP_TO_DATE) assert_true(r.n_advisory_ids > 0);
            avow_verify_result_free(&r);
            td_free(&s);
        }
}

/* Module status x TDX level status x QE status: Intel's two tables in turn
 * (convergeTcbStatusWithTdxModuleStatus, then convergeTcbStatusWithQeTcbStatus). */
static void test_convergence(void **state)
{
    (void)state;
    static const struct {
        avow_tcb_status tdx, module, qe, want;
    } cases[] = {
        {AVOW_TCB_UP_TO_DATE, AVOW_TCB_OUT_OF_DATE, AVOW_TCB_UP_TO_DATE, AVOW_TCB_OUT_OF_DATE},
        {AVOW_TCB_SW_HARDENING_NEEDED, AVOW_TCB_OUT_OF_DATE, AVOW_TCB_UP_TO_DATE,
         AVOW_TCB_OUT_OF_DATE},
        /* dcap-qvl takes the more severe (OutOfDate); go-tdx-guest the module
         * level's alone (OutOfDate) */
        {AVOW_TCB_CONFIGURATION_NEEDED, AVOW_TCB_OUT_OF_DATE, AVOW_TCB_UP_TO_DATE,
         AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
        {AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, AVOW_TCB_OUT_OF_DATE, AVOW_TCB_UP_TO_DATE,
         AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
        /* go-tdx-guest reports the module level's status when the major
         * version is > 0: UpToDate here, where Intel keeps OutOfDate */
        {AVOW_TCB_OUT_OF_DATE, AVOW_TCB_UP_TO_DATE, AVOW_TCB_UP_TO_DATE, AVOW_TCB_OUT_OF_DATE},
        {AVOW_TCB_UP_TO_DATE, AVOW_TCB_REVOKED, AVOW_TCB_UP_TO_DATE, AVOW_TCB_REVOKED},
        {AVOW_TCB_CONFIGURATION_NEEDED, AVOW_TCB_UP_TO_DATE, AVOW_TCB_OUT_OF_DATE,
         AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
        {AVOW_TCB_SW_HARDENING_NEEDED, AVOW_TCB_OUT_OF_DATE, AVOW_TCB_OUT_OF_DATE,
         AVOW_TCB_OUT_OF_DATE},
        {AVOW_TCB_UP_TO_DATE, AVOW_TCB_UP_TO_DATE, AVOW_TCB_REVOKED, AVOW_TCB_REVOKED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tdsim s;
        td_init(&s, 4, AVOW_BODY_TD10);
        s.co.tcb_status = cases[i].tdx;
        s.co.module_status = cases[i].module;
        s.co.qe_status = cases[i].qe;
        td_make(&s, NULL);
        avow_verify_result r;
        td_verify(&s, &r);
        if (r.status != cases[i].want)
            fail_msg("case %zu: %s, want %s (%s)", i, avow_tcb_status_name(r.status),
                     avow_tcb_status_name(cases[i].want), r.reason);
        assert_int_equal(r.platform_status, cases[i].tdx);
        assert_int_equal(r.module_status, cases[i].module);
        assert_int_equal(r.qe_status, cases[i].qe);
        if (cases[i].module != AVOW_TCB_UP_TO_DATE) {
            /* the module level's advisories, also in the union */
            assert_int_equal(r.n_module_advisory_ids, 1);
            bool in = false;
            for (size_t k = 0; k < r.n_advisory_ids; k++)
                in |= !strcmp(r.advisory_ids[k], r.module_advisory_ids[0]);
            assert_true(in);
        }
        avow_verify_result_free(&r);
        td_free(&s);
    }
}

/* TD 1.5: relaunch advice only when every condition of Intel's checkForRelaunch holds. */
static void test_relaunch(void **state)
{
    (void)state;
    tdsim s;
    td_init(&s, 5, AVOW_BODY_TD15);
    s.co.tcb_status = AVOW_TCB_TD_RELAUNCH_ADVISED;
    s.td.module.tee_tcb_svn2[0]++;
    s.td.module.tee_tcb_svn2[2]++;
    td_make(&s, NULL);
    avow_verify_result r;
    td_verify(&s, &r);
    assert_int_equal(r.status, AVOW_TCB_TD_RELAUNCH_ADVISED);
    assert_int_equal(r.result_code, AVOW_QV_TD_RELAUNCH_ADVISED);
    assert_int_equal(r.platform_status, AVOW_TCB_OUT_OF_DATE);
    assert_int_equal(r.sgx_tcb_status, AVOW_TCB_UP_TO_DATE);
    assert_int_equal(r.trace.count, 24); /* + td_relaunch */
    assert_string_equal(r.trace.entries[22].step, "td_relaunch");
    avow_verify_result_free(&r);
    /* the same collateral, but the TD's TEE_TCB_SVN_2 not above: no advice */
    avow_sim_tdx_module issued = s.td.module;
    s.td.module.tee_tcb_svn2[2]--;
    td_make(&s, &issued);
    td_verify(&s, &r);
    assert_int_equal(r.status, AVOW_TCB_OUT_OF_DATE);
    assert_true(r.ok);
    avow_verify_result_free(&r);
    /* QE OutOfDate: no relaunch check (dcap-qvl has no relaunch statuses at all) */
    s.td.module = issued;
    s.co.qe_status = AVOW_TCB_OUT_OF_DATE;
    td_make(&s, NULL);
    td_verify(&s, &r);
    assert_int_equal(r.status, AVOW_TCB_OUT_OF_DATE);
    avow_verify_result_free(&r);
    /* TEE_TCB_SVN_2 of another major version without its identity:
     * TDX_MODULE_MISMATCH out of checkForRelaunch, which Intel's status
     * convergence does not recognise: a failure */
    s.co.qe_status = AVOW_TCB_UP_TO_DATE;
    s.td.module.tee_tcb_svn2[1] = 2;
    td_make(&s, &issued);
    td_verify(&s, &r);
    assert_false(r.ok);
    assert_string_equal(first_step(&r), "td_relaunch");
    avow_verify_result_free(&r);
    td_free(&s);
}

/* The module identity: Intel 4.1.2.4.11 before any signature check. */
static void test_module_identity(void **state)
{
    (void)state;
    tdsim s;
    td_init(&s, 4, AVOW_BODY_TD10);
    avow_verify_result r;
    /* the identity's MRSIGNER is not the module's. go-tdx-guest compares
     * MRSIGNERSEAM with tdxModule only, which still matches here */
    s.co.module_mismatch = true;
    td_make(&s, NULL);
    td_verify(&s, &r);
    assert_false(r.ok);
    assert_string_equal(first_step(&r), "tdx_module");
    assert_int_equal(r.err, AVOW_ERR_MISMATCH);
    assert_int_equal(r.status, AVOW_TCB_NONE);
    assert_non_null(strstr(r.reason, "TDX_01"));
    avow_verify_result_free(&r);
    /* major version 0: tdxModule is the identity */
    s.co.module_mismatch = true;
    s.td.module.tee_tcb_svn[1] = 0;
    td_make(&s, NULL);
    td_verify(&s, &r);
    assert_string_equal(first_step(&r), "tdx_module");
    assert_non_null(strstr(r.reason, "tdxModule"));
    avow_verify_result_free(&r);
    s.co.module_mismatch = false;
    td_make(&s, NULL);
    td_verify(&s, &r);
    assert_true(r.ok);
    assert_string_equal(r.module_id, "");
    assert_int_equal(r.module_status, AVOW_TCB_UP_TO_DATE);
    avow_verify_result_free(&r);
    /* the collateral is for major version 1; a quote of major version 2 has
     * no identity (TDX_MODULE_MISMATCH) ... */
    avow_sim_tdx_module one;
    avow_sim_tdx_module_default(&one);
    s.td.module = one;
    s.td.module.tee_tcb_svn[1] = 2;
    td_make(&s, &one);
    td_verify(&s, &r);
    assert_string_equal(first_step(&r), "tdx_module");
    assert_non_null(strstr(r.reason, "TDX_02"));
    avow_verify_result_free(&r);
    /* ... and one of major version 3 is judged by TDX_03 (the decoy, another
     * signer), not by TDX_01 nor tdxModule */
    s.td.module.tee_tcb_svn[1] = 3;
    td_make(&s, &one);
    td_verify(&s, &r);
    assert_string_equal(first_step(&r), "tdx_module");
    assert_non_null(strstr(r.reason, "TDX_03's mrsigner"));
    avow_verify_result_free(&r);
    td_free(&s);
}

/* Cases where the other verifiers part from Intel, on crafted collateral. */
static void test_divergences(void **state)
{
    (void)state;
    tdsim s;
    td_init(&s, 4, AVOW_BODY_TD10);
    avow_verify_result r;

    /* SEAMATTRIBUTES equal to the identity's attributes but not zero: Intel
     * requires zero (and applies no mask). dcap-qvl and go-tdx-guest compare
     * under attributesMask and pass. */
    s.td.module.seam_attributes[0] = 0x01;
    td_make(&s, NULL);
    td_verify(&s, &r);
    assert_false(r.ok);
    assert_string_equal(first_step(&r), "tdx_module");
    assert_non_null(strstr(r.reason, "SEAMATTRIBUTES"));
    avow_verify_result_free(&r);
    s.td.module.seam_attributes[0] = 0;

    /* no tdxModuleIdentities at all, module major version 1: Intel reports a
     * module mismatch; dcap-qvl falls back to tdxModule and passes */
    td_make(&s, NULL);
    const char *ti = s.coll.tcb_info;
    /* the top-level tcbLevels follows the identities' closing bracket */
    const char *a = strstr(ti, ",\"tdxModuleIdentities\":["), *b = strstr(ti, "],\"tcbLevels\":[");
    assert_true(a && b && a < b);
    b++;
    char *cut = malloc(strlen(ti) + 1);
    snprintf(cut, strlen(ti) + 1, "%.*s%s", (int)(a - ti), ti, b);
    resign(&s, true, cut);
    free(cut);
    td_verify(&s, &r);
    assert_false(r.ok);
    assert_string_equal(first_step(&r), "tdx_module");
    assert_non_null(strstr(r.reason, "TDX_01"));
    avow_verify_result_free(&r);

    /* TEE_TCB_SVN byte 0 (the module SVN) below every level's tdx[0] while
     * the major version is 1: Intel compares from byte 2 and matches; dcap-qvl
     * compares all 16 bytes and finds no level */
    td_make(&s, NULL);
    char *raised = replace_after(s.coll.tcb_info, TOP_LEVELS, "\"tdxtcbcomponents\":[{\"svn\":5}",
                                 "\"tdxtcbcomponents\":[{\"svn\":9}");
    resign(&s, true, raised);
    free(raised);
    td_verify(&s, &r);
    if (!r.ok) fail_msg("byte 0 compared: %s", r.reason);
    assert_int_equal(r.status, AVOW_TCB_UP_TO_DATE);
    avow_verify_result_free(&r);

    /* the SGX level Revoked, the TDX level (a later one) OutOfDate: Intel logs
     * the SGX Revoked and goes on with the TDX level's status */
    td_make(&s, NULL);
    char lv[64];
    snprintf(lv, sizeof(lv), "{\"svn\":%u},{\"svn\":%u},{\"svn\":%u}", s.td.module.tee_tcb_svn[0],
             s.td.module.tee_tcb_svn[1], s.td.module.tee_tcb_svn[2]);
    char up[64];
    snprintf(up, sizeof(up), "{\"svn\":%u},{\"svn\":%u},{\"svn\":%u}", s.td.module.tee_tcb_svn[0],
             s.td.module.tee_tcb_svn[1], s.td.module.tee_tcb_svn[2] + 1);
    /* level 1: TDX byte 2 out of the TD's reach, Revoked */
    char *t1 = replace_after(s.coll.tcb_info, TOP_LEVELS, lv, up);
    char *t2 =
        replace_after(t1, TOP_LEVELS, "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Revoked\"");
    /* level 2 (PCESVN - 1): the TD's own TDX components, OutOfDate already */
    resign(&s, true, t2);
    free(t1);
    free(t2);
    td_verify(&s, &r);
    if (!r.ok) fail_msg("SGX revoked: %s", r.reason);
    assert_int_equal(r.sgx_tcb_status, AVOW_TCB_REVOKED);
    assert_int_equal(r.status, AVOW_TCB_OUT_OF_DATE);
    avow_verify_result_free(&r);

    /* a TD_QE identity of version 3: dcap-qvl accepts it; Intel parses only
     * version 2 (SGX_ENCLAVE_IDENTITY_UNSUPPORTED_VERSION) */
    td_make(&s, NULL);
    char *v3 = replace(s.coll.qe_identity, "\"version\":2", "\"version\":3");
    resign(&s, false, v3);
    free(v3);
    td_verify(&s, &r);
    assert_false(r.ok);
    assert_string_equal(first_step(&r), "qe_identity_format");
    avow_verify_result_free(&r);

    /* a debug TD: genuine, `debug` set; judging it is policy's job in Intel's
     * design (dcap-qvl rejects debug TDs unless told otherwise) */
    s.td.td_attributes[0] |= 0x01;
    td_make(&s, NULL);
    td_verify(&s, &r);
    assert_true(r.ok);
    assert_true(r.debug);
    avow_verify_result_free(&r);
    td_free(&s);
}

/* TD QE identity vs SGX QE identity; collateral of the other TEE. */
static void test_tee_mixups(void **state)
{
    (void)state;
    tdsim s;
    td_init(&s, 4, AVOW_BODY_TD10);
    td_make(&s, NULL);
    avow_verify_result r;
    /* the SGX QE Identity (id QE) for a TD quote */
    avow_sim_collateral_opts sco;
    avow_sim_collateral_opts_default(&sco, NOW - 3600);
    avow_collateral sgx;
    assert_int_equal(avow_sim_collateral(s.p, &sco, &sgx, NULL), AVOW_OK);
    char *tdqe = s.coll.qe_identity;
    s.coll.qe_identity = sgx.qe_identity;
    s.coll.qe_identity_len = sgx.qe_identity_len;
    memcpy(s.coll.qe_identity_sig, sgx.qe_identity_sig, 64);
    td_verify(&s, &r);
    assert_string_equal(first_step(&r), "qe_identity");
    assert_non_null(strstr(r.reason, "'QE' is not 'TD_QE'"));
    avow_verify_result_free(&r);
    /* a TD_QE identity carrying the QE3's ISVPRODID */
    char *wrong = replace(tdqe, "\"isvprodid\":2", "\"isvprodid\":1");
    s.coll.qe_identity = NULL;
    resign(&s, false, wrong);
    free(wrong);
    td_verify(&s, &r);
    assert_string_equal(first_step(&r), "qe_identity");
    assert_non_null(strstr(r.reason, "ISVPRODID 2"));
    avow_verify_result_free(&r);
    /* SGX collateral for the TD quote; TDX collateral for an SGX quote */
    td_make(&s, NULL);
    avow_verify_opts o = {.at = NOW};
    assert_int_equal(avow_verify_quote(s.v, s.quote, s.qlen, &sgx, &o, &r), AVOW_OK);
    assert_string_equal(first_step(&r), "fmspc_pceid");
    avow_verify_result_free(&r);
    avow_sim_secs secs = {0};
    secs.attr_flags = AVOW_ATTR_MODE64BIT;
    avow_sim_enclave app;
    avow_sim_enclave_from_identity(s.p, &secs, &app);
    uint8_t *sq;
    size_t sl;
    assert_int_equal(avow_sim_quote_enclave(&app, NULL, 4, &sq, &sl, NULL), AVOW_OK);
    assert_int_equal(avow_verify_quote(s.v, sq, sl, &s.coll, &o, &r), AVOW_OK);
    assert_string_equal(first_step(&r), "fmspc_pceid");
    assert_non_null(strstr(r.reason, "TCB Info id TDX does not match an SGX quote"));
    avow_verify_result_free(&r);
    assert_int_equal(avow_verify_quote(s.v, sq, sl, &sgx, &o, &r), AVOW_OK);
    assert_true(r.ok); /* and each with its own */
    assert_false(r.is_td);
    avow_verify_result_free(&r);
    free(sq);
    free(tdqe);
    avow_collateral_free(&sgx);
    td_free(&s);
}

/* Flipped bits in the TD quote: the first failing check is the module's
 * (for what Intel's module check reads) or the quote signature. */
static void test_tamper(void **state)
{
    (void)state;
    tdsim s;
    td_init(&s, 5, AVOW_BODY_TD15);
    td_make(&s, NULL);
    avow_verify_opts o = {.at = NOW};
    avow_verify_result r;
    td_verify(&s, &r);
    assert_true(r.ok);
    avow_verify_result_free(&r);
    avow_quote pq;
    assert_int_equal(avow_quote_parse(s.quote, s.qlen, &pq, NULL), AVOW_OK);
    size_t body = (size_t)(pq.body - s.quote);
    for (size_t i = body; i < pq.signed_len; i++) {
        uint8_t *q = malloc(s.qlen);
        memcpy(q, s.quote, s.qlen);
        q[i] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(avow_verify_quote(s.v, q, s.qlen, &s.coll, &o, &r), AVOW_OK);
        assert_false(r.ok);
        size_t off = i - body;
        /* what Intel's module check reads: the major version (unless the flip
         * makes it 0: then tdxModule, which matches, applies), MRSIGNERSEAM
         * and SEAMATTRIBUTES */
        bool module = (off == AVOW_TD_TEE_TCB_SVN + 1 && q[i] != 0) ||
                      (off >= AVOW_TD_MR_SIGNER_SEAM && off < AVOW_TD_TD_ATTRIBUTES);
        const char *want = module ? "tdx_module" : "quote_signature";
        if (strcmp(first_step(&r), want))
            fail_msg("TD report byte %zu: first failure %s, want %s", off, first_step(&r), want);
        avow_verify_result_free(&r);
        free(q);
    }
    /* the header and the body descriptor */
    for (size_t i = 0; i < body; i++) {
        uint8_t *q = malloc(s.qlen);
        memcpy(q, s.quote, s.qlen);
        q[i] ^= 0x01;
        avow_verify_quote(s.v, q, s.qlen, &s.coll, &o, &r);
        assert_false(r.ok);
        avow_verify_result_free(&r);
        free(q);
    }
    /* the QE report */
    uint8_t *q = malloc(s.qlen);
    memcpy(q, s.quote, s.qlen);
    q[pq.qe_report - s.quote + 300] ^= 0x80;
    assert_int_equal(avow_verify_quote(s.v, q, s.qlen, &s.coll, &o, &r), AVOW_OK);
    assert_string_equal(first_step(&r), "qe_report_signature");
    avow_verify_result_free(&r);
    /* the TEE type in the header: an SGX v5 quote with a TD body does not
     * parse (body type 3 with TEE type 0) */
    memcpy(q, s.quote, s.qlen);
    q[4] = 0x00;
    assert_int_equal(avow_verify_quote(s.v, q, s.qlen, &s.coll, &o, &r), AVOW_ERR_FORMAT);
    assert_string_equal(first_step(&r), "quote_format");
    avow_verify_result_free(&r);
    free(q);
    td_free(&s);
}

/* The platform cache keys TD quotes by their module fields too: two TDs of
 * one platform and QE with different module SVNs get their own verdicts,
 * and a cached replay equals a cold build. */
static void test_cache(void **state)
{
    (void)state;
    tdsim s;
    td_init(&s, 4, AVOW_BODY_TD10);
    s.co.module_status = AVOW_TCB_OUT_OF_DATE; /* levels: svn0 + 1 UpToDate, svn0 OutOfDate */
    td_make(&s, NULL);
    uint8_t *old = s.quote;
    size_t old_len = s.qlen;
    s.quote = NULL;
    avow_sim_tdx_module issued = s.td.module;
    s.td.module.tee_tcb_svn[0]++; /* a newer module on the same platform */
    td_make(&s, &issued);
    avow_verify_opts o = {.at = NOW};
    avow_verify_result a, b, c;
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(avow_verify_quote(s.v, old, old_len, &s.coll, &o, &a), AVOW_OK);
        assert_int_equal(avow_verify_quote(s.v, s.quote, s.qlen, &s.coll, &o, &b), AVOW_OK);
        assert_int_equal(a.status, AVOW_TCB_OUT_OF_DATE);
        assert_int_equal(b.status, AVOW_TCB_UP_TO_DATE);
        avow_verify_result_free(&a);
        avow_verify_result_free(&b);
    }
    /* warm replay == cold build */
    assert_int_equal(avow_verify_quote(s.v, s.quote, s.qlen, &s.coll, &o, &a), AVOW_OK);
    avow_verifier_set_cache(s.v, false);
    assert_int_equal(avow_verify_quote(s.v, s.quote, s.qlen, &s.coll, &o, &c), AVOW_OK);
    assert_int_equal(a.trace.count, c.trace.count);
    for (size_t i = 0; i < a.trace.count; i++) {
        assert_string_equal(a.trace.entries[i].step, c.trace.entries[i].step);
        assert_string_equal(a.trace.entries[i].detail, c.trace.entries[i].detail);
    }
    avow_verify_result_free(&a);
    avow_verify_result_free(&c);
    free(old);
    td_free(&s);
}

/* The JSON of a TD 1.5 quote: `td` with TEE_TCB_SVN_2 and MRSERVICETD. */
static void test_json_td15(void **state)
{
    (void)state;
    tdsim s;
    td_init(&s, 5, AVOW_BODY_TD15);
    memset(s.td.mr_service_td, 0xab, 48);
    memset(s.td.mr_owner, 0x0e, 48);
    td_make(&s, NULL);
    avow_verify_result r;
    td_verify(&s, &r);
    assert_true(r.ok);
    json_t *o = avow_verify_result_json(&r);
    json_t *td = json_object_get(o, "td");
    assert_non_null(td);
    assert_null(json_object_get(o, "report"));
    assert_string_equal(json_string_value(json_object_get(td, "tee_tcb_svn_2")),
                        "05010300000000000000000000000000");
    assert_memory_equal(json_string_value(json_object_get(td, "mrservicetd")), "abababab", 8);
    assert_memory_equal(json_string_value(json_object_get(td, "mrowner")), "0e0e0e0e", 8);
    assert_string_equal(json_string_value(json_object_get(td, "td_attributes")),
                        "0000001000000000");
    json_t *pl = json_object_get(o, "platform");
    assert_string_equal(json_string_value(json_object_get(pl, "tee")), "tdx");
    assert_int_equal(json_integer_value(json_object_get(pl, "quote_version")), 5);
    assert_string_equal(json_string_value(json_object_get(pl, "sgx_tcb_status")), "UpToDate");
    assert_int_equal(json_array_size(json_object_get(pl, "module_advisory_ids")), 0);
    json_decref(o);
    avow_verify_result_free(&r);
    td_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_status), cmocka_unit_test(test_convergence),
        cmocka_unit_test(test_relaunch),     cmocka_unit_test(test_module_identity),
        cmocka_unit_test(test_divergences),  cmocka_unit_test(test_tee_mixups),
        cmocka_unit_test(test_tamper),       cmocka_unit_test(test_cache),
        cmocka_unit_test(test_json_td15),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
