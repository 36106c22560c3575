/* Tests of the collateral service (src/pccs) over a real SQLite store and a
 * real local PCS look-alike (tests/integration/pcs_server.py) serving Intel's
 * R1 set: miss -> one fetch, checked against Intel's root, stored -> hits;
 * past nextUpdate the upstream is asked again; failures remembered for their
 * TTL (no second request) and then retried; an upstream answer whose TCB
 * Info signature or PCK CRL signature is bad is neither stored nor used;
 * single flight (eight threads, one upstream request); parked waiters woken
 * when the fetch ends; the pending bound (busy); LRU eviction and reload
 * from the store; a changed store row seen at the re-check; the store-only
 * errors; quiesce wakes parked waiters, also those of a fetch under way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "pccs/upstream.h"
#include "avow/quote.h"
#include "store/store.h"
#include "avow/verify.h"
#include "pccs/pccs.h"
#include "pcs_fixture.h"
#include "testutil.h"

static const avow_platform_id R1_PID = {.fmspc = {0x00, 0x60, 0x6a, 0x00, 0x00, 0x00},
                                        .ca = AVOW_PCK_CA_PLATFORM,
                                        .tee_type = AVOW_TEE_SGX};

typedef struct {
    pcs_server srv;
    bool have_srv;
    char dir[64];
    avow_store *st;
    avow_verifier *v;
    avow_pcs_client *c;
    avow_pccs *s;
} fixture;

/* A service over a fresh store; with an upstream serving R1 (extra server
 * arguments NULL-terminated) when `upstream`. */
static void setup(fixture *f, bool upstream, const avow_pccs_opts *tune, ...)
{
    memset(f, 0, sizeof(*f));
    f->st = pcs_temp_store(f->dir);
    assert_int_equal(avow_verifier_new(&f->v, NULL), AVOW_OK); /* Intel's root only */
    if (upstream) {
        va_list ap;
        va_start(ap, tune);
        const char *a[8] = {0};
        for (int i = 0; i < 7 && (a[i] = va_arg(ap, const char *)); i++)
            ;
        va_end(ap);
        pcs_server_start(&f->srv, true, R1, a[0], a[1], a[2], a[3], a[4], a[5], a[6], NULL);
        f->have_srv = true;
        f->c = pcs_test_client(f->srv.base, NULL);
    }
    avow_pccs_opts o = tune ? *tune : (avow_pccs_opts){0};
    o.store = f->st;
    o.verifier = f->v;
    o.upstream = f->c;
    avow_error e;
    if (avow_pccs_new(&o, &f->s, &e)) fail_msg("service: %s", e.msg);
}

static void teardown(fixture *f)
{
    avow_pccs_free(f->s);
    avow_pcs_client_free(f->c);
    if (f->have_srv) pcs_server_stop(&f->srv);
    avow_verifier_free(f->v);
    avow_store_close(f->st);
    pcs_rm_rf(f->dir);
}

static avow_err get(fixture *f, const avow_platform_id *pid, avow_time at,
                    avow_verified_collateral **vc, avow_error *e)
{
    avow_error_clear(e);
    return avow_pccs_get(f->s, pid, at, NULL, NULL, vc, e);
}

static avow_pccs_stats stats(fixture *f)
{
    avow_pccs_stats st;
    avow_pccs_stats_get(f->s, &st);
    return st;
}

static void test_fetch_store_hit_expire(void **state)
{
    (void)state;
    fixture f;
    /* Generous enough that a loaded machine does not age the failure out early. */
    avow_pccs_opts tune = {.failure_ttl = 3};
    setup(&f, true, &tune, NULL);
    avow_verified_collateral *vc;
    avow_error e;
    /* Miss -> fetch, checked against Intel's root, stored under the asked key. */
    if (get(&f, &R1_PID, R1_AT, &vc, &e)) fail_msg("get: %s", e.msg);
    pcs_expect_r1(avow_verified_collateral_raw(vc));
    avow_time next = avow_verified_collateral_info(vc)->next_update;
    avow_verified_collateral_unref(vc);
    assert_int_equal(pcs_server_requests(&f.srv, "/tcb"), 1);
    avow_store_collateral row;
    assert_int_equal(avow_store_collateral_get(f.st, "00606a000000", "platform", "sgx", &row, NULL),
                     AVOW_OK);
    assert_string_equal(row.source, f.srv.base);
    assert_int_equal(row.next_update, next);
    avow_store_collateral_free(&row);
    /* Hits: the same object, no new request. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(get(&f, &R1_PID, R1_AT + 60, &vc, &e), AVOW_OK);
        avow_verified_collateral_unref(vc);
    }
    assert_int_equal(pcs_server_requests(&f.srv, "/tcb"), 1);
    avow_pccs_stats st = stats(&f);
    assert_int_equal(st.fetches, 1);
    assert_int_equal(st.hits, 4); /* the three, and the first caller's look after its fetch */
    assert_int_equal(st.entries, 1);
    /* Past nextUpdate: asked again; the upstream serves the same, now stale, set. */
    assert_int_equal(get(&f, &R1_PID, next + 1, &vc, &e), AVOW_ERR_EXPIRED);
    assert_non_null(strstr(e.msg,
                           "served collateral for FMSPC 00606a000000 (platform CA, SGX) "
                           "that expired at"));
    assert_null(vc);
    assert_int_equal(pcs_server_requests(&f.srv, "/tcb"), 2);
    /* Remembered: the same answer, no request. */
    assert_int_equal(get(&f, &R1_PID, next + 1, &vc, &e), AVOW_ERR_EXPIRED);
    assert_int_equal(pcs_server_requests(&f.srv, "/tcb"), 2);
    assert_int_equal(stats(&f).failures_reused, 1);
    /* ...while a time before nextUpdate still uses the copy in memory. */
    assert_int_equal(get(&f, &R1_PID, R1_AT, &vc, &e), AVOW_OK);
    avow_verified_collateral_unref(vc);
    /* Upstream down; once the failure has aged out, asked again: unreachable. */
    pcs_server_stop(&f.srv);
    f.have_srv = false;
    usleep(3100 * 1000);
    assert_int_equal(get(&f, &R1_PID, next + 1, &vc, &e), AVOW_ERR_EXPIRED);
    assert_non_null(strstr(e.msg,
                           "collateral for FMSPC 00606a000000 (platform CA, SGX) expired "
                           "at 2025-03-"));
    assert_non_null(strstr(e.msg, "is unreachable: GET http://127.0.0.1:"));
    st = stats(&f);
    assert_int_equal(st.fetch_failures, 2);
    assert_int_equal(st.fetches, 1);
    teardown(&f);
}

/* Writes R1's bundle with one change to `out` (a Python expression over d). */
static void tampered_bundle(const char *out, const char *change)
{
    char *good = tu_vector_path(R1 "/collateral.json"), cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); %s; "
             "json.dump(d,open(sys.argv[2],\"w\"))' %s %s",
             change, good, out);
    assert_int_equal(tu_run(cmd, NULL), 0);
    free(good);
}

/* What the upstream serves is checked before it is kept: a bad TCB Info
 * signature, and a PCK CRL whose signature does not verify under its issuer
 * chain, are neither stored nor used; the error names the upstream. */
static void test_upstream_bad_answers(void **state)
{
    (void)state;
    struct {
        const char *change, *expect;
        avow_err code;
    } cases[] = {
        {"s=d[\"tcb_info_signature\"]; d[\"tcb_info_signature\"]=(\"1\" if s[0]!=\"1\" else "
         "\"2\")+s[1:]",
         "TCB Info signature does not verify", AVOW_ERR_SIGNATURE},
        /* the last byte of the CRL is in its signature value */
        {"s=d[\"pck_crl\"]; d[\"pck_crl\"]=s[:-2]+(\"00\" if s[-2:]!=\"00\" else \"01\")",
         "PCK CRL against its issuer chain", AVOW_ERR_SIGNATURE},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char bad[128];
        snprintf(bad, sizeof(bad), "/tmp/avow-bad-%d-%zu.json", (int)getpid(), k);
        tampered_bundle(bad, cases[k].change);
        fixture f;
        memset(&f, 0, sizeof(f));
        f.st = pcs_temp_store(f.dir);
        assert_int_equal(avow_verifier_new(&f.v, NULL), AVOW_OK);
        pcs_server_start(&f.srv, false, R1, "--bundle", bad, NULL); /* the later --bundle wins */
        f.have_srv = true;
        f.c = pcs_test_client(f.srv.base, NULL);
        avow_pccs_opts o = {.store = f.st, .verifier = f.v, .upstream = f.c};
        assert_int_equal(avow_pccs_new(&o, &f.s, NULL), AVOW_OK);
        avow_verified_collateral *vc;
        avow_error e;
        assert_int_equal(get(&f, &R1_PID, R1_AT, &vc, &e), cases[k].code);
        assert_non_null(strstr(e.msg, "the upstream http://127.0.0.1:"));
        assert_non_null(strstr(e.msg, "that does not verify (not stored)"));
        if (!strstr(e.msg, cases[k].expect)) fail_msg("case %zu: %s", k, e.msg);
        avow_store_collateral row;
        assert_int_equal(
            avow_store_collateral_get(f.st, "00606a000000", "platform", "sgx", &row, NULL),
            AVOW_ERR_NOT_FOUND);
        assert_int_equal(stats(&f).fetches, 0);
        assert_int_equal(stats(&f).fetch_failures, 1);
        teardown(&f);
        unlink(bad);
    }
}

typedef struct {
    fixture *f;
    avow_err rc;
} getter;

static void *get_thread(void *arg)
{
    getter *g = arg;
    avow_verified_collateral *vc = NULL;
    avow_error e;
    g->rc = get(g->f, &R1_PID, R1_AT, &vc, &e);
    avow_verified_collateral_unref(vc);
    return NULL;
}

/* Eight threads miss the same platform at once: one upstream request. */
static void test_single_flight(void **state)
{
    (void)state;
    fixture f;
    setup(&f, true, NULL, "--delay", "0.5", NULL);
    pthread_t t[8];
    getter g[8];
    for (int i = 0; i < 8; i++) {
        g[i] = (getter){.f = &f, .rc = AVOW_ERR_INTERNAL};
        assert_int_equal(pthread_create(&t[i], NULL, get_thread, &g[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(g[i].rc, AVOW_OK);
    }
    assert_int_equal(pcs_server_requests(&f.srv, "/tcb"), 1);
    assert_int_equal(stats(&f).fetches, 1);
    teardown(&f);
}

typedef struct {
    avow_pccs_waiter w;
    int called;
    pthread_mutex_t mu;
} waiter;

static void on_ready(avow_pccs_waiter *w)
{
    waiter *x = (waiter *)w;
    pthread_mutex_lock(&x->mu);
    x->called++;
    pthread_mutex_unlock(&x->mu);
}

static int calls(waiter *x)
{
    pthread_mutex_lock(&x->mu);
    int n = x->called;
    pthread_mutex_unlock(&x->mu);
    return n;
}

static void wait_calls(waiter *x, int n)
{
    for (int i = 0; i < 200 && calls(x) < n; i++)
        usleep(20 * 1000);
    assert_int_equal(calls(x), n);
}

/* Non-blocking callers are parked and woken; the pending bound refuses the
 * next platform at once; quiesce wakes those still queued. */
static void test_parked_and_busy(void **state)
{
    (void)state;
    fixture f;
    avow_pccs_opts tune = {.fetchers = 1, .max_pending = 2};
    setup(&f, true, &tune, "--delay", "0.5", NULL);
    waiter a = {.w.ready = on_ready, .mu = PTHREAD_MUTEX_INITIALIZER},
           b = {.w.ready = on_ready, .mu = PTHREAD_MUTEX_INITIALIZER},
           c = {.w.ready = on_ready, .mu = PTHREAD_MUTEX_INITIALIZER};
    avow_verified_collateral *vc = NULL;
    avow_error e;
    bool parked;
    /* two callers on R1: one fetch, both parked */
    assert_int_equal(avow_pccs_get(f.s, &R1_PID, R1_AT, &a.w, &parked, &vc, &e), AVOW_ERR_AGAIN);
    assert_true(parked);
    assert_int_equal(avow_pccs_get(f.s, &R1_PID, R1_AT, &b.w, &parked, &vc, &e), AVOW_ERR_AGAIN);
    assert_true(parked);
    /* a second platform fills the queue; a third is refused at once */
    avow_platform_id p2 = R1_PID, p3 = R1_PID;
    p2.fmspc[5] = 2;
    p3.fmspc[5] = 3;
    assert_int_equal(avow_pccs_get(f.s, &p2, R1_AT, &c.w, &parked, &vc, &e), AVOW_ERR_AGAIN);
    assert_true(parked);
    waiter d = {.w.ready = on_ready, .mu = PTHREAD_MUTEX_INITIALIZER};
    avow_error_clear(&e);
    assert_int_equal(avow_pccs_get(f.s, &p3, R1_AT, &d.w, &parked, &vc, &e), AVOW_ERR_AGAIN);
    assert_false(parked);
    assert_non_null(strstr(e.msg, "too many platforms are waiting for the upstream"));
    assert_int_equal(stats(&f).busy, 1);
    /* R1's fetch ends: both of its waiters are woken once; now a hit */
    wait_calls(&a, 1);
    wait_calls(&b, 1);
    assert_int_equal(avow_pccs_get(f.s, &R1_PID, R1_AT, &a.w, &parked, &vc, &e), AVOW_OK);
    assert_false(parked);
    avow_verified_collateral_unref(vc);
    /* p2 is unknown upstream (404): its waiter is woken and the failure kept */
    wait_calls(&c, 1);
    assert_int_equal(avow_pccs_get(f.s, &p2, R1_AT, &c.w, &parked, &vc, &e), AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "is not cached and the upstream"));
    assert_non_null(strstr(e.msg, "HTTP 404"));
    assert_int_equal(pcs_server_requests(&f.srv, "/tcb"), 2);
    /* quiesce: a queued fetch fails and its waiter is woken; new ones are refused */
    assert_int_equal(avow_pccs_get(f.s, &p3, R1_AT, &d.w, &parked, &vc, &e), AVOW_ERR_AGAIN);
    assert_true(parked);
    avow_platform_id p4 = R1_PID;
    p4.fmspc[5] = 4;
    waiter g = {.w.ready = on_ready, .mu = PTHREAD_MUTEX_INITIALIZER};
    assert_int_equal(avow_pccs_get(f.s, &p4, R1_AT, &g.w, &parked, &vc, &e), AVOW_ERR_AGAIN);
    assert_true(parked); /* queued behind p3 (one fetcher) */
    avow_pccs_quiesce(f.s);
    wait_calls(&g, 1);
    assert_int_equal(avow_pccs_get(f.s, &p4, R1_AT, &g.w, &parked, &vc, &e), AVOW_ERR_AGAIN);
    assert_false(parked);
    assert_non_null(strstr(e.msg, "the service is stopping"));
    /* the waiter of the fetch under way (p3, 0.5 s) is woken at once, not
     * when the fetch ends, and is not parked again: a shutdown never waits
     * for the upstream */
    assert_int_equal(calls(&d), 1);
    avow_error_clear(&e);
    assert_int_equal(avow_pccs_get(f.s, &p3, R1_AT, &d.w, &parked, &vc, &e), AVOW_ERR_AGAIN);
    assert_false(parked);
    assert_non_null(strstr(e.msg, "the service is stopping"));
    teardown(&f); /* the fetch under way ends, unwatched */
}

/* At most max_entries platforms in memory; an evicted one comes back from the store. */
static void test_lru_and_recheck(void **state)
{
    (void)state;
    fixture f;
    avow_pccs_opts tune = {.max_entries = 2, .recheck_seconds = 1.5};
    setup(&f, false, &tune, NULL);
    avow_collateral r1, p1;
    char *path = tu_vector_path(R1 "/collateral.json");
    assert_int_equal(avow_collateral_load(path, &r1, NULL), AVOW_OK);
    free(path);
    path = tu_vector_path("dcap/P1-phala-sgx-v3/collateral.json");
    assert_int_equal(avow_collateral_load(path, &p1, NULL), AVOW_OK);
    free(path);
    avow_verified_collateral *vr1, *vp1, *vc;
    assert_int_equal(avow_collateral_check(f.v, &r1, &vr1, NULL), AVOW_OK);
    assert_int_equal(avow_collateral_check(f.v, &p1, &vp1, NULL), AVOW_OK);
    /* R1's set stored under three platforms */
    avow_platform_id pids[3] = {R1_PID, R1_PID, R1_PID};
    pids[1].fmspc[5] = 1;
    pids[2].fmspc[5] = 2;
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            avow_pccs_row_put(f.st, vr1, &pids[i], "test", R1_AT, NULL, true, NULL, NULL), AVOW_OK);
    avow_error e;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(get(&f, &pids[i], R1_AT, &vc, &e), AVOW_OK);
        avow_verified_collateral_unref(vc);
    }
    avow_pccs_stats st = stats(&f);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.store_loads, 3);
    /* pids[0] was evicted: loaded again from the store */
    assert_int_equal(get(&f, &pids[0], R1_AT, &vc, &e), AVOW_OK);
    avow_verified_collateral_unref(vc);
    assert_int_equal(stats(&f).store_loads, 4);
    /* another set written to pids[0]'s row is seen at the next re-check */
    assert_int_equal(avow_pccs_row_put(f.st, vp1, &pids[0], "test", R1_AT, NULL, true, NULL, NULL),
                     AVOW_OK);
    assert_int_equal(get(&f, &pids[0], R1_AT, &vc, &e), AVOW_OK); /* not yet due */
    assert_true(avow_collateral_equal(avow_verified_collateral_raw(vc), &r1));
    avow_verified_collateral_unref(vc);
    usleep(1600 * 1000);
    assert_int_equal(get(&f, &pids[0], R1_AT, &vc, &e), AVOW_OK);
    assert_true(avow_collateral_equal(avow_verified_collateral_raw(vc), &p1));
    avow_verified_collateral_unref(vc);
    /* store only: absent and expired say so */
    avow_platform_id other = R1_PID;
    other.fmspc[0] = 9;
    assert_int_equal(get(&f, &other, R1_AT, &vc, &e), AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg,
                           "no collateral for FMSPC 09606a000000 (platform CA, SGX) in the "
                           "store and no upstream is configured"));
    avow_time next = avow_verified_collateral_info(vr1)->next_update;
    assert_int_equal(get(&f, &pids[1], next + 1, &vc, &e), AVOW_ERR_EXPIRED);
    assert_non_null(strstr(e.msg, "expired at"));
    assert_non_null(strstr(e.msg, "no upstream is configured"));
    avow_verified_collateral_unref(vr1);
    avow_verified_collateral_unref(vp1);
    avow_collateral_free(&r1);
    avow_collateral_free(&p1);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_store_hit_expire), cmocka_unit_test(test_upstream_bad_answers),
        cmocka_unit_test(test_single_flight),          cmocka_unit_test(test_parked_and_busy),
        cmocka_unit_test(test_lru_and_recheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
