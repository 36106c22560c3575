/* The store's collateral per TCB evaluation number and the evaluation
 * numbers document (store.h schema 4, src/store/evalnum.c) and the
 * collateral service's rows over them (pccs.h: avow_pccs_row_put/get/find,
 * avow_pccs_evalnums_put/get), against the backend named by AVOW_TEST_STORE
 * (tests/integration/store_postgres.sh runs it on a real PostgreSQL server)
 * or a fresh SQLite directory: sets kept per number and update channel side
 * by side, the channel asked for preferred, an older number never displacing
 * the current set, an older document never displacing a newer one, and the
 * PCCS lookups by number and channel. The sets are simulated collateral of
 * numbers 17 and 18 for one platform. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/quote.h"
#include "avow/verify.h"
#include "pccs/pccs.h"
#include "sim/sim.h"
#include "store/store.h"
#include "sim_fixture.h"
#include "testutil.h"

#define NOW ((avow_time)1764547200)
#define DAY 86400LL

static char location[512];
static bool own_dir;
static avow_sim_platform *plat;
static avow_verifier *ver;

static int setup(void **state)
{
    (void)state;
    own_dir = tu_store_location(location, sizeof(location));
    plat = tu_sim_platform(NOW - 100 * DAY);
    ver = tu_sim_verifier(plat);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    avow_verifier_free(ver);
    avow_sim_platform_free(plat);
    if (own_dir) tu_store_cleanup(location);
    return 0;
}

/* Checked simulated collateral of number `num`, valid until NOW + `days`. */
static avow_verified_collateral *set_of(int num, int days, avow_tcb_status st)
{
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - DAY);
    co.tcb_eval_num = num;
    co.tcb_status = st;
    co.next_update = NOW + days * DAY;
    avow_collateral c;
    avow_verified_collateral *vc = NULL;
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_collateral(plat, &co, &c, &e) || avow_collateral_check(ver, &c, &vc, &e))
        fail_msg("collateral %d: %s", num, e.msg);
    avow_collateral_free(&c);
    return vc;
}

static int tcb_num(const avow_collateral *c)
{
    avow_tcb_info t;
    assert_int_equal(avow_tcb_info_parse(c->tcb_info, c->tcb_info_len, &t, NULL), AVOW_OK);
    int n = t.tcb_eval_num;
    avow_tcb_info_free(&t);
    return n;
}

static void test_sets(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_verified_collateral *v17 = set_of(17, 30, AVOW_TCB_UP_TO_DATE);
    avow_verified_collateral *v18 = set_of(18, 30, AVOW_TCB_OUT_OF_DATE);
    avow_verified_collateral *v18e = set_of(18, 40, AVOW_TCB_OUT_OF_DATE);
    const avow_platform_id *pid = &avow_verified_collateral_info(v17)->platform;
    avow_error e;
    avow_error_clear(&e);
    /* 18 first, then the older 17: both kept, 18 stays current */
    assert_int_equal(avow_pccs_row_put(s, v18, NULL, "t18", NOW, "standard", true, NULL, &e),
                     AVOW_OK);
    assert_int_equal(avow_pccs_row_put(s, v17, NULL, "t17", NOW, "standard", true, NULL, &e),
                     AVOW_OK);
    assert_int_equal(avow_pccs_row_put(s, v18e, NULL, "t18e", NOW, "early", false, NULL, &e),
                     AVOW_OK);
    avow_pccs_row_key k;
    avow_pccs_row_key_of(pid, &k);
    avow_store_collateral cur;
    assert_int_equal(avow_store_collateral_get(s, k.fmspc, k.ca, k.tee, &cur, &e), AVOW_OK);
    assert_int_equal(cur.eval_num, 18);
    assert_string_equal(cur.source, "t18");
    avow_store_collateral_free(&cur);
    avow_store_coll_set *rows;
    size_t n;
    assert_int_equal(avow_store_coll_set_list(s, k.fmspc, k.ca, k.tee, &rows, &n, &e), AVOW_OK);
    assert_int_equal(n, 3);
    assert_int_equal(rows[0].eval_num, 17);
    assert_int_equal(rows[1].eval_num, 18);
    assert_string_equal(rows[1].update, "early");
    assert_string_equal(rows[2].update, "standard");
    assert_null(rows[0].bundle);
    avow_store_coll_set_list_free(rows, n);

    /* by number: the channel asked for first, else the other */
    avow_store_coll_set set;
    assert_int_equal(avow_store_coll_set_get(s, k.fmspc, k.ca, k.tee, 18, "early", &set, &e),
                     AVOW_OK);
    assert_string_equal(set.source, "t18e");
    avow_store_coll_set_free(&set);
    assert_int_equal(avow_store_coll_set_get(s, k.fmspc, k.ca, k.tee, 17, "early", &set, &e),
                     AVOW_OK);
    assert_string_equal(set.update, "standard");
    avow_store_coll_set_free(&set);
    assert_int_equal(avow_store_coll_set_get(s, k.fmspc, k.ca, k.tee, 16, "standard", &set, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "evaluation number 16"));
    assert_int_equal(avow_store_coll_set_get(s, k.fmspc, k.ca, k.tee, 17, "late", &set, &e),
                     AVOW_ERR_ARG);

    /* the service's rows */
    avow_pccs_row r;
    assert_int_equal(avow_pccs_row_get(s, pid, 17, NULL, NULL, &r, &e), AVOW_OK);
    assert_true(r.found);
    assert_int_equal(tcb_num(&r.coll), 17);
    avow_pccs_row_free(&r);
    assert_int_equal(avow_pccs_row_get(s, pid, 0, NULL, NULL, &r, &e), AVOW_OK);
    assert_true(r.found);
    assert_int_equal(tcb_num(&r.coll), 18);
    assert_int_equal(r.next_update, avow_verified_collateral_info(v18)->next_update);
    avow_pccs_row_free(&r);
    assert_int_equal(avow_pccs_row_get(s, pid, 16, NULL, NULL, &r, &e), AVOW_OK);
    assert_false(r.found);

    /* the PCCS lookups */
    avow_collateral got;
    assert_int_equal(avow_pccs_row_find(s, k.fmspc, NULL, "sgx", 17, NULL, &got, &e), AVOW_OK);
    assert_true(avow_collateral_equal(&got, avow_verified_collateral_raw(v17)));
    avow_collateral_free(&got);
    assert_int_equal(avow_pccs_row_find(s, k.fmspc, NULL, "sgx", 18, "early", &got, &e), AVOW_OK);
    assert_true(avow_collateral_equal(&got, avow_verified_collateral_raw(v18e)));
    avow_collateral_free(&got);
    assert_int_equal(avow_pccs_row_find(s, k.fmspc, NULL, "sgx", 0, "standard", &got, &e), AVOW_OK);
    assert_true(avow_collateral_equal(&got, avow_verified_collateral_raw(v18)));
    avow_collateral_free(&got);
    assert_int_equal(avow_pccs_row_find(s, k.fmspc, NULL, "sgx", 16, NULL, &got, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "evaluation number 16"));

    /* the history the days since a TCB recovery read: one set per number */
    avow_pccs_opts po = {.store = s, .verifier = ver, .update = "standard"};
    avow_pccs *svc;
    assert_int_equal(avow_pccs_new(&po, &svc, &e), AVOW_OK);
    avow_pccs_history h;
    assert_int_equal(avow_pccs_history_get(svc, pid, &h, &e), AVOW_OK);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.items[0].number, 17);
    assert_int_equal(h.items[1].number, 18);
    assert_int_equal(h.items[1].tcb->tcb_eval_num, 18);
    avow_pccs_history_free(&h);
    /* the service answers by number from the store, and names a number it lacks */
    avow_verified_collateral *vc = NULL;
    assert_int_equal(avow_pccs_get_num(svc, pid, 17, NOW, NULL, NULL, &vc, &e), AVOW_OK);
    assert_int_equal(avow_verified_collateral_info(vc)->tcb_eval_num, 17);
    avow_verified_collateral_unref(vc);
    assert_int_equal(avow_pccs_get_num(svc, pid, 0, NOW, NULL, NULL, &vc, &e), AVOW_OK);
    assert_int_equal(avow_verified_collateral_info(vc)->tcb_eval_num, 18);
    avow_verified_collateral_unref(vc);
    assert_int_equal(avow_pccs_get_num(svc, pid, 16, NOW, NULL, NULL, &vc, &e), AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "TCB evaluation number 16"));
    avow_pccs_free(svc);

    avow_verified_collateral_unref(v17);
    avow_verified_collateral_unref(v18);
    avow_verified_collateral_unref(v18e);
    avow_store_close(s);
}

static void doc(avow_time next, avow_evalnums_raw *raw, avow_evalnums *d)
{
    avow_sim_evalnum nums[] = {{17, NOW - 100 * DAY, 0}, {18, NOW - 10 * DAY, 0}};
    char *body, *chain;
    assert_int_equal(
        avow_sim_evalnums(plat, nums, 2, NOW - DAY, next, AVOW_TEE_SGX, &body, &chain, NULL),
        AVOW_OK);
    assert_int_equal(avow_evalnums_raw_from_body(body, strlen(body), chain, raw, NULL), AVOW_OK);
    assert_int_equal(avow_evalnums_check(ver, raw, d, NULL), AVOW_OK);
    free(body);
    free(chain);
}

static void test_document(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_evalnums_raw a, b, got;
    avow_evalnums da, db;
    doc(NOW + 30 * DAY, &a, &da);
    doc(NOW + 20 * DAY, &b, &db); /* issued earlier: must not displace a */
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_pccs_evalnums_get(s, AVOW_TEE_TDX, &got, &e), AVOW_ERR_NOT_FOUND);
    assert_int_equal(avow_pccs_evalnums_put(s, ver, &a, &da, "import:a", NOW, &e), AVOW_OK);
    assert_int_equal(avow_pccs_evalnums_put(s, ver, &b, &db, "import:b", NOW, &e), AVOW_OK);
    assert_int_equal(avow_pccs_evalnums_get(s, AVOW_TEE_SGX, &got, &e), AVOW_OK);
    assert_string_equal(got.signed_json, a.signed_json);
    assert_memory_equal(got.sig, a.sig, 64);
    assert_string_equal(got.issuer_chain, a.issuer_chain);
    assert_int_equal(avow_evalnums_check(ver, &got, NULL, &e), AVOW_OK);
    avow_evalnums_raw_free(&got);
    avow_store_evalnums row;
    assert_int_equal(avow_store_evalnums_get(s, "sgx", &row, &e), AVOW_OK);
    assert_int_equal(row.newest, 18);
    assert_int_equal(row.next_update, NOW + 30 * DAY);
    assert_string_equal(row.source, "import:a");
    avow_store_evalnums_free(&row);
    avow_evalnums_raw_free(&a);
    avow_evalnums_raw_free(&b);
    avow_evalnums_free(&da);
    avow_evalnums_free(&db);
    avow_store_close(s);
}

/* A current row stored directly under `fmspc` with number `num` (0: a row
 * written before schema 4), holding v's bundle. */
static void put_current(avow_store *s, const char *fmspc, const avow_verified_collateral *v,
                        int num)
{
    char *bundle = NULL;
    assert_int_equal(avow_collateral_to_bundle(avow_verified_collateral_raw(v), &bundle, NULL),
                     AVOW_OK);
    avow_store_collateral row;
    memset(&row, 0, sizeof(row));
    snprintf(row.fmspc, sizeof(row.fmspc), "%s", fmspc);
    snprintf(row.tee, sizeof(row.tee), "sgx");
    row.next_update = NOW + 30 * DAY;
    row.fetched_at = NOW;
    row.source = "direct";
    row.bundle = bundle;
    row.eval_num = num;
    avow_error e;
    avow_error_clear(&e);
    if (avow_store_collateral_put(s, &row, &e)) fail_msg("put %s: %s", fmspc, e.msg);
    free(bundle);
}

/* A set fetched by number is of no update channel: never served as a
 * channel's newest; a channel of which no set is held is not answered with
 * a numbered current row (the other channel's), only with a row written
 * before schema 4 (docs/security.md 7.2). */
static void test_channels(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_verified_collateral *v17 = set_of(17, 30, AVOW_TCB_UP_TO_DATE);
    avow_verified_collateral *v19 = set_of(19, 30, AVOW_TCB_OUT_OF_DATE);
    const avow_platform_id *pid = &avow_verified_collateral_info(v17)->platform;
    avow_pccs_row_key k;
    avow_pccs_row_key_of(pid, &k);
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_pccs_row_put(s, v19, NULL, "by-number", NOW, AVOW_STORE_UPDATE_BY_NUMBER,
                                       false, NULL, &e),
                     AVOW_OK);
    avow_collateral got;
    assert_int_equal(avow_pccs_row_find(s, k.fmspc, NULL, "sgx", 0, "standard", &got, &e), AVOW_OK);
    assert_int_equal(tcb_num(&got), 18); /* test_sets' standard set, not 19 */
    avow_collateral_free(&got);
    assert_int_equal(avow_pccs_row_find(s, k.fmspc, NULL, "sgx", 19, NULL, &got, &e), AVOW_OK);
    assert_true(avow_collateral_equal(&got, avow_verified_collateral_raw(v19)));
    avow_collateral_free(&got);
    avow_pccs_row r;
    assert_int_equal(avow_pccs_row_get(s, pid, 19, "standard", NULL, &r, &e), AVOW_OK);
    assert_true(r.found);
    assert_int_equal(tcb_num(&r.coll), 19);
    avow_pccs_row_free(&r);

    put_current(s, "00aabbccdd01", v17, 17); /* a numbered current row, no set */
    put_current(s, "00aabbccdd02", v17, 0);  /* from before schema 4 */
    assert_int_equal(avow_pccs_row_find(s, "00aabbccdd01", NULL, "sgx", 0, "early", &got, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "update channel early"));
    assert_int_equal(avow_pccs_row_find(s, "00aabbccdd01", NULL, "sgx", 0, NULL, &got, &e),
                     AVOW_OK);
    avow_collateral_free(&got);
    assert_int_equal(avow_pccs_row_find(s, "00aabbccdd02", NULL, "sgx", 0, "early", &got, &e),
                     AVOW_OK);
    avow_collateral_free(&got);

    /* a row of number 20 holding number 17's genuine set (a database writer
     * swapping sets): neither judges as 20 nor enters the history */
    char *bundle = NULL;
    assert_int_equal(avow_collateral_to_bundle(avow_verified_collateral_raw(v17), &bundle, NULL),
                     AVOW_OK);
    avow_store_coll_set set;
    memset(&set, 0, sizeof(set));
    memcpy(set.fmspc, k.fmspc, sizeof(set.fmspc));
    memcpy(set.ca, k.ca, sizeof(set.ca));
    memcpy(set.tee, k.tee, sizeof(set.tee));
    set.eval_num = 20;
    snprintf(set.update, sizeof(set.update), "standard");
    set.bundle = bundle;
    set.next_update = NOW + 30 * DAY;
    set.source = "swapped";
    assert_int_equal(avow_store_coll_set_put(s, &set, &e), AVOW_OK);
    free(bundle);
    avow_pccs_opts po = {.store = s, .verifier = ver};
    avow_pccs *svc;
    assert_int_equal(avow_pccs_new(&po, &svc, &e), AVOW_OK);
    avow_verified_collateral *vc = NULL;
    assert_int_equal(avow_pccs_get_num(svc, pid, 20, NOW, NULL, NULL, &vc, &e), AVOW_ERR_MISMATCH);
    assert_null(vc);
    assert_non_null(strstr(e.msg, "holds TCB Info of evaluation number 17"));
    avow_pccs_history h;
    assert_int_equal(avow_pccs_history_get(svc, pid, &h, &e), AVOW_OK);
    for (size_t i = 0; i < h.n; i++)
        assert_int_equal(h.items[i].tcb->tcb_eval_num, h.items[i].number);
    assert_int_equal(h.items[h.n - 1].number, 19);
    avow_pccs_history_free(&h);
    avow_pccs_free(svc);

    avow_verified_collateral_unref(v17);
    avow_verified_collateral_unref(v19);
    avow_store_close(s);
}

/* The PCCS lookups by FMSPC read each (CA, TEE) key by itself rather than
 * listing the store: the current row of either CA with the latest
 * nextUpdate, the FMSPC in either case, the TEE asked for only. */
static void test_find_by_key(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_verified_collateral *v30 = set_of(17, 30, AVOW_TCB_UP_TO_DATE);
    avow_verified_collateral *v40 = set_of(17, 40, AVOW_TCB_UP_TO_DATE);
    avow_platform_id pid = avow_verified_collateral_info(v30)->platform;
    pid.fmspc[5] ^= 0x5a; /* a platform of its own in this store */
    avow_platform_id proc = pid, plat_ca = pid;
    proc.ca = AVOW_PCK_CA_PROCESSOR;
    plat_ca.ca = AVOW_PCK_CA_PLATFORM;
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_pccs_row_put(s, v30, &proc, "proc30", NOW, NULL, true, NULL, &e),
                     AVOW_OK);
    assert_int_equal(avow_pccs_row_put(s, v40, &plat_ca, "plat40", NOW, NULL, true, NULL, &e),
                     AVOW_OK);
    avow_pccs_row_key k;
    avow_pccs_row_key_of(&pid, &k);
    char upper[13];
    for (int i = 0; i < 13; i++)
        upper[i] = (char)toupper((unsigned char)k.fmspc[i]);
    avow_time until40 = avow_verified_collateral_info(v40)->next_update;
    avow_collateral got;
    struct {
        const char *fmspc, *ca;
        avow_time next;
    } cases[] = {
        {k.fmspc, NULL, until40}, /* either CA: the later one */
        {upper, NULL, until40},
        {k.fmspc, "processor", avow_verified_collateral_info(v30)->next_update},
        {k.fmspc, "platform", until40},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(
            avow_pccs_row_find(s, cases[i].fmspc, cases[i].ca, "sgx", 0, NULL, &got, &e), AVOW_OK);
        avow_verified_collateral *vc;
        assert_int_equal(avow_collateral_check(ver, &got, &vc, &e), AVOW_OK);
        assert_int_equal(avow_verified_collateral_info(vc)->next_update, cases[i].next);
        avow_verified_collateral_unref(vc);
        avow_collateral_free(&got);
    }
    assert_int_equal(avow_pccs_row_find(s, k.fmspc, NULL, "tdx", 0, NULL, &got, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "(TDX)"));
    assert_int_equal(avow_pccs_row_find(s, k.fmspc, "nosuch", "sgx", 0, NULL, &got, &e),
                     AVOW_ERR_NOT_FOUND);
    avow_verified_collateral_unref(v30);
    avow_verified_collateral_unref(v40);
    avow_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_find_by_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
