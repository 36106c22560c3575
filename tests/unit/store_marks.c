/* Rollback marks (store.h, src/store/marks.c), run against the backend named
 * by AVOW_TEST_STORE (a directory or a postgresql:// URI) or, by default, a
 * fresh SQLite directory: a guarded policy write accepts iat >= mark and
 * refuses an older one without changing anything; the mark survives a reset
 * (policy delete) and a reopen; a request without iat bypasses the mark;
 * certificate changes share one mark; and threads racing guarded writes with
 * shuffled iats (each on its own connection, as replicas would be) always
 * leave the newest policy in force, checked after every round. With the
 * compare and the write in separate transactions, PostgreSQL fails this
 * within a few rounds (SQLite's writers are serialised anyway).
 * Thread-safety: n/a (test program). */
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

#include "store/store.h"
#include "avow/token.h"
#include "sim_fixture.h"
#include "testutil.h"

static char location[512];
static bool own_dir;  /* a temporary folder of ours (tu_store_location) */
static char type[32]; /* a fresh attestation type per run: marks persist in a shared database */

static int setup(void **state)
{
    (void)state;
    own_dir = tu_store_location(location, sizeof(location));
    snprintf(type, sizeof(type), "MarkTest%ld", (long)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (own_dir) tu_store_cleanup(location);
    return 0;
}

static void put(avow_store *s, const char *jws, int64_t iat, bool want, int64_t want_mark)
{
    avow_store_guard g;
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_store_policy_put_guarded(s, type, jws, iat, 1000, &g, &e), AVOW_OK);
    assert_int_equal(g.accepted, want);
    assert_int_equal(g.mark, want_mark);
    avow_store_policy p;
    assert_int_equal(avow_store_policy_get(s, type, &p, &e), AVOW_OK);
    if (want) {
        assert_string_equal(p.jws, jws);
        assert_string_equal(p.hash, g.hash);
    }
    avow_store_policy_free(&p);
}

static void test_policy_marks(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    int64_t m;
    assert_int_equal(avow_store_mark_get(s, type, &m, NULL), AVOW_OK);
    assert_int_equal(m, -1);
    put(s, "a.b.1", 100, true, 100);
    put(s, "a.b.2", 200, true, 200);
    put(s, "a.b.1", 100, false, 200); /* older: refused, a.b.2 stays */
    avow_store_policy p;
    assert_int_equal(avow_store_policy_get(s, type, &p, NULL), AVOW_OK);
    assert_string_equal(p.jws, "a.b.2");
    avow_store_policy_free(&p);
    put(s, "a.b.3", 200, true, 200);  /* the same second: accepted */
    put(s, "a.b.none", -1, true, -1); /* no iat: written, the mark untouched */
    assert_int_equal(avow_store_mark_get(s, type, &m, NULL), AVOW_OK);
    assert_int_equal(m, 200);
    /* a reset (delete) keeps the mark; so does a reopen */
    assert_int_equal(avow_store_policy_delete(s, type, NULL, NULL), AVOW_OK);
    avow_store_close(s);
    s = tu_store_open(location);
    avow_store_guard g;
    assert_int_equal(avow_store_policy_put_guarded(s, type, "a.b.1", 100, 1000, &g, NULL), AVOW_OK);
    assert_false(g.accepted);
    assert_int_equal(g.mark, 200);
    assert_int_equal(avow_store_policy_get(s, type, &p, NULL), AVOW_ERR_NOT_FOUND);
    /* marks are per type and case-insensitive in the type */
    char upper[32];
    snprintf(upper, sizeof(upper), "%s", type);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
    assert_int_equal(avow_store_mark_get(s, upper, &m, NULL), AVOW_OK);
    assert_int_equal(m, 200);
    avow_store_close(s);
}

static void test_certificate_marks(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_signing_material a;
    assert_int_equal(avow_signing_key_generate("mark test", 1700000000, 0, &a, NULL), AVOW_OK);
    int64_t base;
    assert_int_equal(avow_store_mark_get(s, NULL, &base, NULL), AVOW_OK);
    int64_t t = base < 0 ? 1000 : base + 1000;
    avow_store_guard g;
    assert_int_equal(avow_store_cert_change_guarded(s, true, a.cert_pem, t, 1, &g, NULL), AVOW_OK);
    assert_true(g.accepted && g.changed);
    assert_int_equal(strlen(g.thumbprint), 40);
    assert_int_equal(avow_store_cert_change_guarded(s, false, a.cert_pem, t + 10, 1, &g, NULL),
                     AVOW_OK);
    assert_true(g.accepted && g.changed);
    /* the older add replayed after the remove: refused, still absent */
    assert_int_equal(avow_store_cert_change_guarded(s, true, a.cert_pem, t, 1, &g, NULL), AVOW_OK);
    assert_false(g.accepted);
    assert_int_equal(g.mark, t + 10);
    avow_store_cert *certs;
    size_t n;
    assert_int_equal(avow_store_cert_list(s, &certs, &n, NULL), AVOW_OK);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(certs[i].thumbprint, g.thumbprint[0] ? g.thumbprint : "-");
    avow_store_cert_list_free(certs, n);
    /* no iat: applied without the mark */
    assert_int_equal(avow_store_cert_change_guarded(s, false, a.cert_pem, -1, 1, &g, NULL),
                     AVOW_OK);
    assert_true(g.accepted);
    assert_false(g.changed);
    assert_int_equal(avow_store_cert_change_guarded(s, true, "not a pem", 5, 1, &g, NULL),
                     AVOW_ERR_FORMAT);
    avow_signing_material_free(&a);
    avow_store_close(s);
}

/* Threads race guarded writes whose iats arrive shuffled; whatever the
 * interleaving, the newest policy is in force at the end and the mark is
 * its iat. Without compare and write in one transaction, an older write
 * that passed the check could land last. */
#define RACERS 8
#define ROUNDS 40

typedef struct {
    avow_store *s;
    int id;
    int accepted;
    int stale_rounds; /* racer 0: rounds that ended with an older policy than the mark */
} racer;

static pthread_barrier_t round_end;

/* Is the stored policy the one whose iat is the mark? */
static bool newest_in_force(avow_store *s)
{
    int64_t m;
    avow_store_policy p;
    if (avow_store_mark_get(s, type, &m, NULL) || avow_store_policy_get(s, type, &p, NULL))
        return false;
    char want[48];
    snprintf(want, sizeof(want), "race.%lld.sig", (long long)m);
    bool ok = !strcmp(p.jws, want);
    avow_store_policy_free(&p);
    return ok;
}

static void *race(void *arg)
{
    racer *r = arg;
    for (int k = 0; k < ROUNDS; k++) {
        /* each round the racers write neighbouring iats, in no fixed order */
        int64_t iat = 10000 + (int64_t)k * RACERS + (r->id * 5 + k) % RACERS;
        char jws[48];
        snprintf(jws, sizeof(jws), "race.%lld.sig", (long long)iat);
        avow_store_guard g;
        avow_error e;
        if (avow_store_policy_put_guarded(r->s, type, jws, iat, 1, &g, &e) != AVOW_OK) {
            fprintf(stderr, "racer %d: %s\n", r->id, e.msg);
            r->accepted = -100000; /* no fail_msg off the main thread; keep meeting the
                                      others at the barrier */
        }
        r->accepted += g.accepted;
        pthread_barrier_wait(&round_end);
        if (r->id == 0 && !newest_in_force(r->s)) r->stale_rounds++;
        pthread_barrier_wait(&round_end);
    }
    return NULL;
}

static void test_race(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    char t2[sizeof(type)];
    snprintf(t2, sizeof(t2), "%s", type);
    snprintf(type, sizeof(type), "Race%ld", (long)getpid());
    pthread_t th[RACERS];
    racer rs[RACERS];
    assert_int_equal(pthread_barrier_init(&round_end, NULL, RACERS), 0);
    for (int i = 0; i < RACERS; i++) {
        rs[i] = (racer){s, i, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, race, &rs[i]), 0);
    }
    int accepted = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(th[i], NULL);
        assert_true(rs[i].accepted >= 0);
        accepted += rs[i].accepted;
    }
    pthread_barrier_destroy(&round_end);
    assert_int_equal(rs[0].stale_rounds, 0);
    int64_t newest = 10000 + RACERS * ROUNDS - 1, m;
    assert_int_equal(avow_store_mark_get(s, type, &m, NULL), AVOW_OK);
    assert_int_equal(m, newest);
    avow_store_policy p;
    assert_int_equal(avow_store_policy_get(s, type, &p, NULL), AVOW_OK);
    char want[48];
    snprintf(want, sizeof(want), "race.%lld.sig", (long long)newest);
    assert_string_equal(p.jws, want);
    avow_store_policy_free(&p);
    assert_true(accepted >= 1 && accepted < RACERS * ROUNDS);
    print_message("race: %d of %d writes accepted, newest in force\n", accepted, RACERS * ROUNDS);
    snprintf(type, sizeof(type), "%s", t2);
    avow_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_marks),
        cmocka_unit_test(test_certificate_marks),
        cmocka_unit_test(test_race),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
