/* The TDX matching and convergence tables (verify/tdx_match.h) against cases
 * worked out by hand from Intel QVL's code; each test names the Intel
 * function it follows. Where Phala's dcap-qvl or Google's go-tdx-guest
 * decide a case differently, a comment says what they do and the assertion
 * pins Intel's answer (docs/tdx.md lists the differences). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "verify/tcb_match.h"
#include "verify/tdx_match.h"

/* short names for the table tests */
#define UTD AVOW_TCB_UP_TO_DATE
#define SWH AVOW_TCB_SW_HARDENING_NEEDED
#define CFG AVOW_TCB_CONFIGURATION_NEEDED
#define CSW AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED
#define OOD AVOW_TCB_OUT_OF_DATE
#define OCF AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED
#define REV AVOW_TCB_REVOKED
#define RLA AVOW_TCB_TD_RELAUNCH_ADVISED
#define RLC AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
#define NON AVOW_TCB_NONE

static avow_tcb_level level(uint8_t sgx0, uint16_t pcesvn, uint8_t t0, uint8_t t1, uint8_t t2,
                            avow_tcb_status st)
{
    avow_tcb_level l;
    memset(&l, 0, sizeof(l));
    memset(l.sgx_comp, 2, 16);
    l.sgx_comp[0] = sgx0;
    l.pcesvn = pcesvn;
    l.has_tdx = true;
    l.tdx_comp[0] = t0;
    l.tdx_comp[1] = t1;
    l.tdx_comp[2] = t2;
    l.status = st;
    return l;
}

static void svn(uint8_t out[16], uint8_t s0, uint8_t s1, uint8_t s2)
{
    memset(out, 0, 16);
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
}

/* Intel isTdxTcbHigherOrEqual */
static void test_tdx_higher_or_equal(void **state)
{
    (void)state;
    avow_tcb_level l = level(2, 11, 5, 0, 2, UTD);
    uint8_t s[16];
    int miss;
    /* major version 1 > 0: bytes 0 and 1 belong to the module and are not
     * compared (3 < 5 at byte 0 does not count). dcap-qvl compares all 16
     * bytes and would reject this level. */
    svn(s, 3, 1, 2);
    assert_true(avow_tdx_tcb_higher_or_equal(s, &l, &miss));
    assert_int_equal(miss, -1);
    /* major version 0: compared from byte 0 */
    svn(s, 3, 0, 4);
    assert_false(avow_tdx_tcb_higher_or_equal(s, &l, &miss));
    assert_int_equal(miss, 0);
    svn(s, 6, 1, 1);
    assert_false(avow_tdx_tcb_higher_or_equal(s, &l, &miss));
    assert_int_equal(miss, 2);
    /* the last byte counts too */
    svn(s, 6, 1, 2);
    l.tdx_comp[15] = 1;
    assert_false(avow_tdx_tcb_higher_or_equal(s, &l, &miss));
    assert_int_equal(miss, 15);
    s[15] = 1;
    assert_true(avow_tdx_tcb_higher_or_equal(s, &l, NULL));
}

/* Intel matchTcbLevels (TDX branch) */
static void test_match_levels(void **state)
{
    (void)state;
    uint8_t comp[16], s[16];
    memset(comp, 2, 16);
    comp[0] = 5;
    /* Intel's order: SGX components, then PCESVN, then TDX components, descending */
    avow_tcb_level lv[] = {
        level(6, 11, 0, 0, 9, UTD), /* SGX too high for the PCK */
        level(5, 11, 0, 0, 5, UTD), /* SGX level; TDX needs byte 2 >= 5 */
        level(5, 11, 0, 0, 3, OOD), /* TDX level for byte 2 = 4 */
        level(5, 5, 0, 0, 0, OOD),
    };
    long sgx, tdx;
    svn(s, 1, 1, 4);
    avow_tcb_match_tdx(lv, 4, comp, 11, s, &sgx, &tdx);
    assert_int_equal(sgx, 1);
    assert_int_equal(tdx, 2);
    svn(s, 1, 1, 7); /* both on the same level */
    avow_tcb_match_tdx(lv, 4, comp, 11, s, &sgx, &tdx);
    assert_int_equal(sgx, 1);
    assert_int_equal(tdx, 1);
    /* PCESVN below level 1 and 2: level 3 is both */
    svn(s, 1, 1, 4);
    avow_tcb_match_tdx(lv, 4, comp, 10, s, &sgx, &tdx);
    assert_int_equal(sgx, 3);
    assert_int_equal(tdx, 3);
    /* no SGX level at all (G1's case): TCB not supported */
    comp[0] = 4;
    avow_tcb_match_tdx(lv, 4, comp, 11, s, &sgx, &tdx);
    assert_int_equal(sgx, -1);
    assert_int_equal(tdx, -1);
    /* an SGX level but no TDX level: the TDX level must also meet the SGX
     * components, so a later level the PCK fails is never the TDX level */
    comp[0] = 5;
    avow_tcb_level lv2[] = {level(5, 11, 0, 0, 5, UTD), level(4, 13, 0, 0, 0, OOD)};
    avow_tcb_match_tdx(lv2, 2, comp, 11, s, &sgx, &tdx);
    assert_int_equal(sgx, 0);
    assert_int_equal(tdx, -1);
}

static avow_qe_level mlevel(uint16_t isvsvn, avow_tcb_status st)
{
    avow_qe_level l;
    memset(&l, 0, sizeof(l));
    l.isvsvn = isvsvn;
    l.status = st;
    return l;
}

/* Intel findTdxModuleIdentity and checkTdxModuleTcbStatus */
static void test_module_tcb(void **state)
{
    (void)state;
    avow_qe_level l01[] = {mlevel(4, UTD), mlevel(2, OOD)}, l0a[] = {mlevel(1, REV)};
    avow_tdx_module_identity ids[2];
    memset(ids, 0, sizeof(ids));
    strcpy(ids[0].id, "TDX_01");
    ids[0].levels = l01;
    ids[0].n_levels = 2;
    strcpy(ids[1].id, "TDX_0A");
    ids[1].levels = l0a;
    ids[1].n_levels = 1;
    avow_tcb_info t;
    memset(&t, 0, sizeof(t));
    t.is_tdx = true;
    t.tdx_module_identities = ids;
    t.n_tdx_module_identities = 2;
    const avow_tdx_module_identity *id;
    long lvl;
    avow_tcb_status st;
    uint8_t s[16];
    /* major version 0: STATUS_OK without looking at identities */
    svn(s, 0, 0, 0);
    assert_int_equal(avow_tdx_module_tcb(&t, s, &id, &lvl, &st), AVOW_TDX_MODULE_OK);
    assert_null(id);
    assert_int_equal(st, UTD);
    /* first level (descending isvsvn) with TEE_TCB_SVN[0] >= isvsvn */
    svn(s, 6, 1, 0);
    assert_int_equal(avow_tdx_module_tcb(&t, s, &id, &lvl, &st), AVOW_TDX_MODULE_OK);
    assert_ptr_equal(id, &ids[0]);
    assert_int_equal(lvl, 0);
    assert_int_equal(st, UTD);
    svn(s, 3, 1, 0);
    assert_int_equal(avow_tdx_module_tcb(&t, s, &id, &lvl, &st), AVOW_TDX_MODULE_OK);
    assert_int_equal(lvl, 1);
    assert_int_equal(st, OOD);
    svn(s, 1, 1, 0);
    assert_int_equal(avow_tdx_module_tcb(&t, s, &id, &lvl, &st), AVOW_TDX_MODULE_NOT_SUPPORTED);
    /* "TDX_%02X" is upper-case: major version 10 is TDX_0A (Intel upper-cases
     * both sides). go-tdx-guest builds "TDX_0a" and compares exactly, so it
     * misses this identity. */
    svn(s, 1, 10, 0);
    assert_int_equal(avow_tdx_module_tcb(&t, s, &id, &lvl, &st), AVOW_TDX_MODULE_OK);
    assert_ptr_equal(id, &ids[1]);
    assert_int_equal(st, REV);
    strcpy(ids[1].id, "tdx_0a");
    assert_ptr_equal(avow_tdx_module_find(&t, 10), &ids[1]);
    /* no identity for the major version: TDX_MODULE_MISMATCH */
    svn(s, 6, 3, 0);
    assert_int_equal(avow_tdx_module_tcb(&t, s, &id, &lvl, &st), AVOW_TDX_MODULE_MISMATCH);
    /* nor with no tdxModuleIdentities at all. dcap-qvl then falls back to
     * tdxModule and passes the module; Intel reports the mismatch. */
    t.n_tdx_module_identities = 0;
    svn(s, 6, 1, 0);
    assert_int_equal(avow_tdx_module_tcb(&t, s, &id, &lvl, &st), AVOW_TDX_MODULE_MISMATCH);
}

/* Intel convergeTcbStatusWithTdxModuleStatus, the whole table */
static void test_converge_module(void **state)
{
    (void)state;
    static const avow_tcb_status tdx[7] = {UTD, SWH, CFG, CSW, OOD, OCF, REV};
    static const avow_tcb_status want[3][7] = {
        /* module UpToDate: the TDX level's status */
        {UTD, SWH, CFG, CSW, OOD, OCF, REV},
        /* module OutOfDate */
        {OOD, OOD, OCF, OCF, OOD, OCF, REV},
        /* module Revoked */
        {REV, REV, REV, REV, REV, REV, REV},
    };
    static const avow_tcb_status mod[3] = {UTD, OOD, REV};
    for (int m = 0; m < 3; m++)
        for (int i = 0; i < 7; i++)
            assert_int_equal(avow_tdx_converge_module(tdx[i], mod[m]), want[m][i]);
    /* TDX level ConfigurationNeeded with the module OutOfDate is
     * OutOfDateConfigurationNeeded. dcap-qvl takes the more severe of the two
     * (OutOfDate); go-tdx-guest reports the module level's status alone
     * (OutOfDate), and with the module UpToDate it would report UpToDate where
     * Intel keeps the TDX level's OutOfDate. */
    assert_int_equal(avow_tdx_converge_module(CFG, OOD), OCF);
    assert_int_equal(avow_tdx_converge_module(OOD, UTD), OOD);
    /* not a TCB Info status: TCB_UNRECOGNIZED_STATUS */
    assert_int_equal(avow_tdx_converge_module(RLA, UTD), NON);
}

/* Intel convergeTcbStatusWithQeTcbStatus on TDX statuses: the relaunch
 * statuses pass through the QE table unchanged */
static void test_converge_qe_tdx(void **state)
{
    (void)state;
    assert_int_equal(avow_tcb_converge(RLA, UTD), RLA);
    assert_int_equal(avow_tcb_converge(RLC, UTD), RLC);
    assert_int_equal(avow_tcb_converge(RLA, OOD), RLA);
    assert_int_equal(avow_tcb_converge(RLA, REV), REV);
    assert_int_equal(avow_tcb_converge(OCF, OOD), OCF);
    assert_int_equal(avow_tcb_converge(CFG, OOD), OCF);
}

/* Intel checkForRelaunch */
static void test_relaunch(void **state)
{
    (void)state;
    avow_qe_level l01[] = {mlevel(7, UTD), mlevel(5, OOD)};
    avow_tdx_module_identity id;
    memset(&id, 0, sizeof(id));
    strcpy(id.id, "TDX_01");
    id.levels = l01;
    id.n_levels = 2;
    avow_tcb_level lv[] = {level(5, 11, 4, 0, 8, UTD), level(5, 11, 4, 0, 6, OOD)};
    avow_tcb_info t;
    memset(&t, 0, sizeof(t));
    t.is_tdx = true;
    t.levels = lv;
    t.n_levels = 2;
    t.tdx_module_identities = &id;
    t.n_tdx_module_identities = 1;
    uint8_t s2[16];
    avow_tcb_status out;
    /* TEE_TCB_SVN_2 major version 1: its SVN against TDX_01's highest level
     * (7), byte 2 against the highest TCB level's (8) */
    svn(s2, 7, 1, 8);
    assert_int_equal(avow_tdx_relaunch(&t, s2, UTD, OOD, OOD, UTD, &out), AVOW_RELAUNCH_DONE);
    assert_int_equal(out, RLA);
    /* a ConfigurationNeeded SGX or TDX status: the config-needed variant */
    avow_tdx_relaunch(&t, s2, CFG, OOD, OOD, UTD, &out);
    assert_int_equal(out, RLC);
    avow_tdx_relaunch(&t, s2, UTD, OCF, OOD, UTD, &out);
    assert_int_equal(out, RLC);
    avow_tdx_relaunch(&t, s2, SWH, OOD, OOD, UTD, &out);
    assert_int_equal(out, RLA);
    /* any condition unmet: the TDX status stays */
    avow_tdx_relaunch(&t, s2, UTD, OOD, OOD, OOD, &out); /* QE OutOfDate */
    assert_int_equal(out, OOD);
    avow_tdx_relaunch(&t, s2, UTD, OOD, OOD, REV, &out); /* QE Revoked */
    assert_int_equal(out, OOD);
    avow_tdx_relaunch(&t, s2, OOD, OOD, OOD, UTD, &out); /* SGX OutOfDate */
    assert_int_equal(out, OOD);
    avow_tdx_relaunch(&t, s2, UTD, UTD, OOD, UTD, &out); /* TDX UpToDate */
    assert_int_equal(out, UTD);
    avow_tdx_relaunch(&t, s2, UTD, OOD, UTD, UTD, &out); /* module UpToDate */
    assert_int_equal(out, OOD);
    svn(s2, 6, 1, 8); /* below TDX_01's highest isvsvn */
    avow_tdx_relaunch(&t, s2, UTD, OOD, OOD, UTD, &out);
    assert_int_equal(out, OOD);
    svn(s2, 7, 1, 7); /* byte 2 below the highest level's */
    avow_tdx_relaunch(&t, s2, UTD, OOD, OOD, UTD, &out);
    assert_int_equal(out, OOD);
    /* major version 0: byte 0 against the highest level's tdx[0] (4) */
    svn(s2, 4, 0, 8);
    avow_tdx_relaunch(&t, s2, UTD, OOD, OOD, UTD, &out);
    assert_int_equal(out, RLA);
    svn(s2, 3, 0, 8);
    avow_tdx_relaunch(&t, s2, UTD, OOD, OOD, UTD, &out);
    assert_int_equal(out, OOD);
    /* no identity for TEE_TCB_SVN_2's major version: TDX_MODULE_MISMATCH */
    svn(s2, 9, 2, 9);
    assert_int_equal(avow_tdx_relaunch(&t, s2, UTD, OOD, OOD, UTD, &out), AVOW_RELAUNCH_MISMATCH);
    /* ... but only once every condition holds */
    assert_int_equal(avow_tdx_relaunch(&t, s2, UTD, OOD, UTD, UTD, &out), AVOW_RELAUNCH_DONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tdx_higher_or_equal), cmocka_unit_test(test_match_levels),
        cmocka_unit_test(test_module_tcb),          cmocka_unit_test(test_converge_module),
        cmocka_unit_test(test_converge_qe_tdx),     cmocka_unit_test(test_relaunch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
