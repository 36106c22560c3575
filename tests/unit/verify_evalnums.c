/* Intel's TCB evaluation data numbers (include/avow/evalnum.h, verify.h;
 * docs/verification.md A13, docs/policy.md "Days since a TCB recovery"):
 * the parser (sorted entries; each malformed field named by its JSON path),
 * the document check against a verifier's roots (a simulated document
 * passes; a tampered byte, another PKI's chain and a document without a
 * chain are refused), and the days since a TCB recovery at its boundaries
 * (one second either side of a day, the recovery instant, before it), with
 * the cases where the claim must stay absent (UpToDate, a gap in the held
 * numbers, out of date since before the oldest listed number, a number not
 * listed or not held). Expected values are worked out here from the dates
 * given to the simulator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/evalnum.h"
#include "avow/quote.h"
#include "avow/verify.h"
#include "sim/sim.h"
#include "sim_fixture.h"

#define DAY 86400LL
#define NOW ((avow_time)1764547200) /* 2025-12-01T00:00:00Z */
#define D15 (NOW - 700 * DAY)
#define D16 (NOW - 400 * DAY)
#define D17 (NOW - 100 * DAY + 3600) /* 01:00 on its day */
#define D18 (NOW - 20 * DAY)

static avow_sim_platform *plat_a, *plat_b;

static int setup(void **state)
{
    (void)state;
    plat_a = tu_sim_platform(NOW - 1000 * DAY);
    plat_b = tu_sim_platform(NOW - 1000 * DAY);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    avow_sim_platform_free(plat_a);
    avow_sim_platform_free(plat_b);
    return 0;
}

/* A signed document of `p` listing `nums` (in the order given). */
static void document(const avow_sim_platform *p, const avow_sim_evalnum *nums, size_t n,
                     avow_evalnums_raw *raw)
{
    char *body, *chain;
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_evalnums(p, nums, n, NOW - DAY, 0, AVOW_TEE_SGX, &body, &chain, &e))
        fail_msg("sim evalnums: %s", e.msg);
    assert_int_equal(avow_evalnums_raw_from_body(body, strlen(body), chain, raw, &e), AVOW_OK);
    free(body);
    free(chain);
}

static const avow_sim_evalnum NUMS[] = {
    {18, D18, 0}, {15, D15, 0}, {17, D17, D17 + 2 * DAY}, {16, D16, 0}};

static void test_parse_and_check(void **state)
{
    (void)state;
    avow_evalnums_raw raw;
    document(plat_a, NUMS, 4, &raw);
    avow_verifier *v = tu_sim_verifier(plat_a);
    avow_evalnums d;
    avow_error e;
    avow_error_clear(&e);
    if (avow_evalnums_check(v, &raw, &d, &e) != AVOW_OK) fail_msg("check: %s", e.msg);
    assert_int_equal(d.tee_type, AVOW_TEE_SGX);
    assert_int_equal(d.n_entries, 4);
    for (size_t i = 0; i < 4; i++) /* ascending, whatever the document's order */
        assert_int_equal(d.entries[i].number, 15 + (int)i);
    assert_int_equal(avow_evalnums_newest(&d), 18);
    const avow_evalnum_entry *en = avow_evalnums_find(&d, 17);
    assert_non_null(en);
    assert_int_equal(en->recovery_date, D17);
    assert_int_equal(en->tcb_date, D17 + 2 * DAY);
    assert_int_equal(avow_evalnums_find(&d, 16)->tcb_date, D16 + DAY); /* default: next day */
    assert_null(avow_evalnums_find(&d, 19));
    avow_evalnums_free(&d);

    /* the body comes back byte for byte */
    char *body;
    assert_int_equal(avow_evalnums_raw_to_body(&raw, &body, NULL), AVOW_OK);
    assert_non_null(strstr(body, raw.signed_json));
    assert_int_equal(strncmp(body, "{\"tcbEvaluationDataNumbers\":{", 29), 0);
    free(body);

    /* one byte changed in the signed span: the signature fails */
    char *p = strstr(raw.signed_json, "\"tcbEvaluationDataNumber\":17");
    assert_non_null(p);
    p[strlen("\"tcbEvaluationDataNumber\":1")] = '9';
    avow_error_clear(&e);
    assert_int_equal(avow_evalnums_check(v, &raw, NULL, &e), AVOW_ERR_SIGNATURE);
    assert_non_null(strstr(e.msg, "TCB evaluation data numbers"));
    avow_evalnums_raw_free(&raw);
    avow_verifier_free(v);

    /* another PKI's document: its chain ends at an untrusted root */
    document(plat_b, NUMS, 4, &raw);
    v = tu_sim_verifier(plat_a);
    avow_error_clear(&e);
    assert_int_equal(avow_evalnums_check(v, &raw, NULL, &e), AVOW_ERR_CHAIN);
    assert_non_null(strstr(e.msg, "not a trusted root"));
    /* and without a chain */
    free(raw.issuer_chain);
    raw.issuer_chain = NULL;
    assert_int_not_equal(avow_evalnums_check(v, &raw, NULL, &e), AVOW_OK);
    avow_evalnums_raw_free(&raw);
    avow_verifier_free(v);
}

static void expect_format(const char *json, const char *needle)
{
    avow_evalnums d;
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_evalnums_parse(json, strlen(json), &d, &e), AVOW_ERR_FORMAT);
    if (!strstr(e.msg, needle)) fail_msg("'%s' lacks '%s'", e.msg, needle);
}

#define HEAD                                                                \
    "{\"id\":\"SGX\",\"version\":1,\"issueDate\":\"2025-11-01T00:00:00Z\"," \
    "\"nextUpdate\":\"2025-12-01T00:00:00Z\",\"tcbEvalNumbers\":["
#define E17                                                                              \
    "{\"tcbEvaluationDataNumber\":17,\"tcbRecoveryEventDate\":\"2024-03-12T00:00:00Z\"," \
    "\"tcbDate\":\"2024-03-13T00:00:00Z\"}"

static void test_parse_errors(void **state)
{
    (void)state;
    avow_evalnums d;
    const char *good = HEAD E17 "]}";
    assert_int_equal(avow_evalnums_parse(good, strlen(good), &d, NULL), AVOW_OK);
    assert_int_equal(d.entries[0].recovery_date, 1710201600); /* 2024-03-12 */
    avow_evalnums_free(&d);
    expect_format(HEAD E17 "," E17 "]}", "number 17 is listed twice");
    expect_format("{\"id\":\"SEV\",\"version\":1}", "tcbEvaluationDataNumbers.id");
    expect_format(HEAD "]}", "tcbEvaluationDataNumbers.tcbEvalNumbers");
    expect_format(HEAD E17
                  ",{\"tcbEvaluationDataNumber\":18,\"tcbRecoveryEventDate\":"
                  "\"2024-08-13T00:00:00Z\"}]}",
                  "tcbEvaluationDataNumbers.tcbEvalNumbers[1].tcbDate");
    expect_format(HEAD "{\"tcbEvaluationDataNumber\":-1}]}",
                  "tcbEvaluationDataNumbers.tcbEvalNumbers[0].tcbEvaluationDataNumber");
    expect_format(HEAD
                  "{\"tcbEvaluationDataNumber\":17,\"tcbRecoveryEventDate\":\"yesterday\","
                  "\"tcbDate\":\"2024-03-13T00:00:00Z\"}]}",
                  "tcbRecoveryEventDate");
    expect_format("{\"id\":\"SGX\",\"version\":2,\"issueDate\":\"2025-11-01T00:00:00Z\"}",
                  "version");
    expect_format(HEAD E17 "]", "");
}

/* ---- days since a TCB recovery -------------------------------------------------- */

typedef struct {
    avow_tcb_info infos[4];
    avow_evalnum_tcb items[4];
    uint8_t comp[16];
    uint16_t pcesvn;
} held;

/* TCB Info of numbers 15..18 for plat_a: UpToDate under 15 and 16,
 * OutOfDate under 17 and 18 (so the recovery of 17 made it out of date). */
static void make_history(held *h)
{
    avow_sim_platform_info in;
    avow_sim_platform_get_info(plat_a, &in);
    memcpy(h->comp, in.cpu_svn, 16);
    h->pcesvn = in.pce_svn;
    for (int i = 0; i < 4; i++) {
        avow_sim_collateral_opts co;
        avow_sim_collateral_opts_default(&co, NOW - DAY);
        co.tcb_eval_num = 15 + i;
        co.tcb_status = i < 2 ? AVOW_TCB_UP_TO_DATE : AVOW_TCB_OUT_OF_DATE;
        avow_collateral c;
        avow_error e;
        avow_error_clear(&e);
        if (avow_sim_collateral(plat_a, &co, &c, &e)) fail_msg("collateral: %s", e.msg);
        assert_int_equal(avow_tcb_info_parse(c.tcb_info, c.tcb_info_len, &h->infos[i], &e),
                         AVOW_OK);
        avow_collateral_free(&c);
        h->items[i].number = 15 + i;
        h->items[i].tcb = &h->infos[i];
    }
}

static void free_history(held *h)
{
    for (int i = 0; i < 4; i++)
        avow_tcb_info_free(&h->infos[i]);
}

static void test_days_since_recovery(void **state)
{
    (void)state;
    held h;
    make_history(&h);
    avow_evalnums_raw raw;
    document(plat_a, NUMS, 4, &raw);
    avow_evalnums d;
    assert_int_equal(avow_evalnums_parse(raw.signed_json, raw.signed_len, &d, NULL), AVOW_OK);
    int64_t days = -1;
    /* judged by 18: out of date under 18 and 17, not under 16: from 17's recovery */
    assert_true(
        avow_days_since_tcb_recovery(&d, h.items, 4, 18, h.comp, h.pcesvn, D17 + 5 * DAY, &days));
    assert_int_equal(days, 5);
    assert_true(avow_days_since_tcb_recovery(&d, h.items, 4, 18, h.comp, h.pcesvn,
                                             D17 + 5 * DAY - 1, &days));
    assert_int_equal(days, 4);
    assert_true(avow_days_since_tcb_recovery(&d, h.items, 4, 18, h.comp, h.pcesvn,
                                             D17 + 5 * DAY + 1, &days));
    assert_int_equal(days, 5);
    assert_true(avow_days_since_tcb_recovery(&d, h.items, 4, 18, h.comp, h.pcesvn, D17, &days));
    assert_int_equal(days, 0);
    assert_false(
        avow_days_since_tcb_recovery(&d, h.items, 4, 18, h.comp, h.pcesvn, D17 - 1, &days));
    /* judged by 17 itself: the same recovery */
    assert_true(avow_days_since_tcb_recovery(&d, h.items, 4, 17, h.comp, h.pcesvn, NOW, &days));
    assert_int_equal(days, (NOW - D17) / DAY);
    assert_int_equal(days, 99);
    /* UpToDate under the number that judged: absent */
    assert_false(avow_days_since_tcb_recovery(&d, h.items, 4, 16, h.comp, h.pcesvn, NOW, &days));
    /* a number not listed, or not held */
    assert_false(avow_days_since_tcb_recovery(&d, h.items, 4, 19, h.comp, h.pcesvn, NOW, &days));
    assert_false(avow_days_since_tcb_recovery(&d, h.items, 2, 18, h.comp, h.pcesvn, NOW, &days));
    /* a gap: 16 not held, so when the platform became out of date is unknown */
    avow_evalnum_tcb gap[] = {h.items[0], h.items[2], h.items[3]};
    assert_false(avow_days_since_tcb_recovery(&d, gap, 3, 18, h.comp, h.pcesvn, NOW, &days));
    /* out of date since before the oldest number listed: unknown, absent */
    avow_evalnums_free(&d);
    avow_evalnums_raw_free(&raw);
    document(plat_a, NUMS, 1, &raw); /* lists 18 only */
    assert_int_equal(avow_evalnums_parse(raw.signed_json, raw.signed_len, &d, NULL), AVOW_OK);
    assert_false(avow_days_since_tcb_recovery(&d, h.items, 4, 18, h.comp, h.pcesvn, NOW, &days));
    avow_evalnums_free(&d);
    avow_evalnums_raw_free(&raw);
    free_history(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_check),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_days_since_recovery),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
