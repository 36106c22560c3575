/* Store tests, run against the backend named by AVOW_TEST_STORE (a directory
 * or a postgresql:// URI; tests/integration/store_postgres.sh sets it to a
 * throwaway PostgreSQL server) or, by default, a fresh SQLite directory:
 * schema creation, idempotent migrations on reopen, migration of a v1
 * SQLite store with its data (and refusal of a newer one), every table's
 * operations, change notifications (PostgreSQL; none on SQLite), broken
 * connections replaced, collateral import and the cache without upstream,
 * and concurrent use from threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <unistd.h>

#include "avow/encode.h"
#include "avow/quote.h"
#include "store/store.h"
#include "avow/token.h"
#include "avow/verify.h"
#include "pccs/pccs.h"
#include "sim_fixture.h"
#include "testutil.h"

static char location[512];
static bool is_sqlite;
static avow_signing_material mat[2];

static int setup(void **state)
{
    (void)state;
    const char *env = getenv("AVOW_TEST_STORE");
    if (env && *env) {
        snprintf(location, sizeof(location), "%s", env);
    } else {
        char tmpl[] = "/tmp/avow-store-XXXXXX";
        if (!mkdtemp(tmpl)) return -1;
        snprintf(location, sizeof(location), "%s/data/sub", tmpl); /* nested: created by open */
    }
    is_sqlite = strncmp(location, "postgres", 8) != 0;
    for (int i = 0; i < 2; i++)
        if (avow_signing_key_generate(NULL, 1700000000 + i, 0, &mat[i], NULL)) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        avow_signing_material_free(&mat[i]);
    if (is_sqlite && !getenv("AVOW_TEST_STORE")) {
        char cmd[600];
        char *slash = strstr(location, "/data/sub");
        if (slash) *slash = '\0';
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", location);
        tu_run(cmd, NULL);
    }
    return 0;
}

static void test_schema(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    int v = 0;
    assert_int_equal(avow_store_schema_version(s, &v, NULL), AVOW_OK);
    assert_int_equal(v, avow_store_schema_latest());
    assert_true(v >= 2);
    assert_string_equal(avow_store_backend(s), is_sqlite ? "sqlite" : "postgresql");
    avow_store_close(s);
    /* Reopening applies nothing twice. */
    s = tu_store_open(location);
    assert_int_equal(avow_store_schema_version(s, &v, NULL), AVOW_OK);
    assert_int_equal(v, avow_store_schema_latest());
    avow_store_close(s);
    if (is_sqlite) {
        struct stat st;
        char p[600];
        snprintf(p, sizeof(p), "%s/avow.db", location);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(stat(location, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);
        snprintf(p, sizeof(p), "%s/avow.db-wal", location); /* WAL mode leaves a -wal file */
        avow_store *s2 = tu_store_open(location);
        assert_int_equal(avow_store_setting_set(s2, "x", "y", NULL), AVOW_OK);
        assert_int_equal(stat(p, &st), 0);
        avow_store_close(s2);
    }
    /* Bad locations fail clearly. */
    avow_store *bad;
    avow_error e;
    assert_int_equal(avow_store_open("/proc/nope/avow", &bad, &e), AVOW_ERR_IO);
    assert_int_not_equal(
        avow_store_open("postgresql://127.0.0.1:1/none?connect_timeout=2", &bad, &e), AVOW_OK);
    assert_non_null(strstr(e.msg, "postgresql"));
}

/* A store written by an older build (schema v1, with data) is migrated on
 * open, its rows intact; one written by a newer build is refused. The v1
 * tables are the fixture here, as that build created them. SQLite only (a
 * fixture file), whatever AVOW_TEST_STORE names: the migration code is the
 * same for both backends. */
static void test_migration_from_v1(void **state)
{
    (void)state;
    char dir[] = "/tmp/avow-store-v1-XXXXXX", path[64], cmd[96];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/avow.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    const char *v1 =
        "CREATE TABLE avow_schema_migrations (version INTEGER PRIMARY KEY,"
        " description TEXT NOT NULL);"
        "INSERT INTO avow_schema_migrations VALUES (1, 'v1');"
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE signing_keys (kid TEXT PRIMARY KEY, key_pem TEXT NOT NULL,"
        " cert_pem TEXT NOT NULL, created_at BIGINT NOT NULL,"
        " active INTEGER NOT NULL DEFAULT 0, retired_at BIGINT NOT NULL DEFAULT 0);"
        "CREATE TABLE policies (attestation_type TEXT PRIMARY KEY, jws TEXT NOT NULL,"
        " hash TEXT NOT NULL, updated_at BIGINT NOT NULL);"
        "CREATE TABLE policy_certificates (thumbprint TEXT PRIMARY KEY,"
        " cert_pem TEXT NOT NULL, added_at BIGINT NOT NULL, seq BIGINT NOT NULL);"
        "CREATE TABLE collateral (fmspc TEXT NOT NULL, ca TEXT NOT NULL, tee TEXT NOT NULL,"
        " bundle TEXT NOT NULL, next_update BIGINT NOT NULL, fetched_at BIGINT NOT NULL,"
        " source TEXT NOT NULL, PRIMARY KEY (fmspc, ca, tee));"
        "INSERT INTO settings VALUES ('policy_mode', 'isolated');"
        "INSERT INTO collateral VALUES ('00606a000000', 'platform', 'sgx', '{}', 1740000000,"
        " 1739000000, 'import:v1');";
    assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);

    avow_store *st;
    avow_error e;
    avow_error_clear(&e);
    if (avow_store_open(dir, &st, &e)) fail_msg("open a v1 store: %s", e.msg);
    int v = 0;
    assert_int_equal(avow_store_schema_version(st, &v, NULL), AVOW_OK);
    assert_int_equal(v, avow_store_schema_latest());
    char *val = NULL;
    assert_int_equal(avow_store_setting_get(st, "policy_mode", &val, NULL), AVOW_OK);
    assert_string_equal(val, "isolated");
    free(val);
    avow_store_collateral row;
    assert_int_equal(avow_store_collateral_get(st, "00606a000000", "platform", "sgx", &row, NULL),
                     AVOW_OK);
    assert_int_equal(row.next_update, 1740000000);
    assert_string_equal(row.source, "import:v1");
    assert_int_equal(row.eval_num, 0); /* schema 4: a row from before has no number */
    avow_store_collateral_free(&row);
    avow_store_close(st);
    /* v2's indexes are there */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
                                        " AND name IN ('collateral_next_update',"
                                        " 'signing_keys_active')",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 2);
    sqlite3_finalize(q);
    /* a version this build does not know */
    assert_int_equal(sqlite3_exec(db, "INSERT INTO avow_schema_migrations VALUES (999, 'future')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    assert_int_equal(avow_store_open(dir, &st, &e), AVOW_ERR_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "store schema version 999 is newer than this build knows"));
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    tu_run(cmd, NULL);
}

static void test_settings(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    char *v;
    avow_error e;
    assert_int_equal(avow_store_setting_get(s, "nope", &v, &e), AVOW_ERR_NOT_FOUND);
    assert_int_equal(avow_store_setting_set(s, AVOW_SETTING_POLICY_MODE, "token", NULL), AVOW_OK);
    assert_int_equal(avow_store_setting_set(s, AVOW_SETTING_POLICY_MODE, "isolated", NULL),
                     AVOW_OK);
    assert_int_equal(avow_store_setting_get(s, AVOW_SETTING_POLICY_MODE, &v, NULL), AVOW_OK);
    assert_string_equal(v, "isolated");
    free(v);
    bool set;
    assert_int_equal(
        avow_store_setting_set_default(s, AVOW_SETTING_CREATED_AT, "1700000000", &set, NULL),
        AVOW_OK);
    assert_true(set);
    assert_int_equal(avow_store_setting_set_default(s, AVOW_SETTING_CREATED_AT, "1", &set, NULL),
                     AVOW_OK);
    assert_false(set);
    assert_int_equal(avow_store_setting_get(s, AVOW_SETTING_CREATED_AT, &v, NULL), AVOW_OK);
    assert_string_equal(v, "1700000000");
    free(v);
    /* Values with quotes and newlines round-trip (parameters, not SQL text). */
    const char *odd = "it's \"quoted\"\n'; DROP TABLE settings; --";
    assert_int_equal(avow_store_setting_set(s, "odd", odd, NULL), AVOW_OK);
    assert_int_equal(avow_store_setting_get(s, "odd", &v, NULL), AVOW_OK);
    assert_string_equal(v, odd);
    free(v);
    assert_int_equal(avow_store_setting_delete(s, "odd", NULL), AVOW_OK);
    assert_int_equal(avow_store_setting_get(s, "odd", &v, NULL), AVOW_ERR_NOT_FOUND);
    avow_store_close(s);
}

static void test_keys(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_store_key k = {0}, a;
    assert_int_equal(avow_store_key_active(s, &a, NULL), AVOW_ERR_NOT_FOUND);
    /* The first key: added when there is none, not when another was first. */
    bool added = false;
    k = (avow_store_key){mat[0].kid, mat[0].key_pem, mat[0].cert_pem, 1700000000, true, 0};
    assert_int_equal(avow_store_key_add_first(s, &k, &added, NULL), AVOW_OK);
    assert_true(added);
    k = (avow_store_key){mat[1].kid, mat[1].key_pem, mat[1].cert_pem, 1700000001, true, 0};
    assert_int_equal(avow_store_key_add_first(s, &k, &added, NULL), AVOW_OK);
    assert_false(added);
    assert_int_equal(avow_store_key_active(s, &a, NULL), AVOW_OK);
    assert_string_equal(a.kid, mat[0].kid);
    avow_store_key_free(&a);
    for (int i = 1; i < 2; i++) {
        k.kid = mat[i].kid;
        k.key_pem = mat[i].key_pem;
        k.cert_pem = mat[i].cert_pem;
        k.created_at = 1700000000 + i;
        k.active = true;
        assert_int_equal(avow_store_key_add(s, &k, NULL), AVOW_OK);
        assert_int_equal(avow_store_key_active(s, &a, NULL), AVOW_OK);
        assert_string_equal(a.kid, mat[i].kid);
        assert_string_equal(a.key_pem, mat[i].key_pem);
        assert_string_equal(a.cert_pem, mat[i].cert_pem);
        assert_true(a.active);
        avow_store_key_free(&a);
    }
    assert_int_equal(avow_store_key_add(s, &k, NULL), AVOW_ERR_ARG); /* duplicate kid */
    avow_store_key_active(s, &a, NULL);
    assert_string_equal(a.kid, mat[1].kid); /* the failed add changed nothing */
    avow_store_key_free(&a);
    avow_store_key *list;
    size_t n;
    assert_int_equal(avow_store_key_list(s, false, &list, &n, NULL), AVOW_OK);
    assert_int_equal(n, 2); /* rotation keeps the old key published */
    assert_string_equal(list[0].kid, mat[1].kid);
    assert_true(list[0].active);
    assert_false(list[1].active);
    avow_store_key_list_free(list, n);
    assert_int_equal(avow_store_key_retire(s, mat[1].kid, 1700000100, NULL), AVOW_ERR_ARG);
    assert_int_equal(avow_store_key_retire(s, "unknown", 1700000100, NULL), AVOW_ERR_NOT_FOUND);
    assert_int_equal(avow_store_key_retire(s, mat[0].kid, 1700000100, NULL), AVOW_OK);
    assert_int_equal(avow_store_key_list(s, false, &list, &n, NULL), AVOW_OK);
    assert_int_equal(n, 1);
    avow_store_key_list_free(list, n);
    assert_int_equal(avow_store_key_list(s, true, &list, &n, NULL), AVOW_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[1].retired_at, 1700000100);
    avow_store_key_list_free(list, n);
    avow_store_close(s);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to 5 s for `want` among the changes the listener reports;
 * asserts it came within 1 s and returns everything reported. */
static unsigned wait_change(avow_store_listener *l, unsigned want)
{
    unsigned got = 0;
    double t0 = mono_now();
    avow_error e;
    while (!(got & want) && mono_now() - t0 < 5.0)
        if (avow_store_listener_wait(l, 500, &got, &e)) fail_msg("listener: %s", e.msg);
    assert_true(got & want);
    assert_true(mono_now() - t0 < 1.0);
    return got;
}

/* Change notifications. SQLite has none. PostgreSQL: a listener connects on
 * its first wait (reporting everything), learns of each committed change
 * made through another store handle (another replica) by kind, hears nothing
 * of a rolled-back one, is woken on demand, and after its connection is
 * killed says so, then reconnects and reports everything again. Pooled
 * connections killed by the server are replaced without an error. */
static void test_notifications(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_store_listener *l = NULL;
    avow_error e;
    avow_error_clear(&e);
    if (is_sqlite) {
        assert_int_equal(avow_store_listen(s, &l, &e), AVOW_ERR_UNSUPPORTED);
        assert_null(l);
        assert_non_null(strstr(e.msg, "no change notifications"));
        avow_store_close(s);
        return;
    }
    assert_int_equal(avow_store_listen(s, &l, &e), AVOW_OK);
    unsigned ch = 0;
    assert_int_equal(avow_store_listener_wait(l, 0, &ch, &e), AVOW_OK);
    assert_int_equal(ch, AVOW_STORE_CHANGED_ALL);
    ch = 0;
    assert_int_equal(avow_store_listener_wait(l, 200, &ch, &e), AVOW_OK);
    assert_int_equal(ch, 0); /* nothing happened */

    avow_store *w = tu_store_open(location); /* the writer: another replica */
    assert_int_equal(avow_store_policy_put(w, "SgxEnclave", "eyJhbGciOiJub25lIn0..", 1, NULL, NULL),
                     AVOW_OK);
    assert_int_equal(wait_change(l, AVOW_STORE_CHANGED_POLICIES), AVOW_STORE_CHANGED_POLICIES);
    char thumb[41];
    assert_int_equal(avow_store_cert_add(w, mat[0].cert_pem, 1, NULL, thumb, NULL), AVOW_OK);
    wait_change(l, AVOW_STORE_CHANGED_CERTIFICATES);
    assert_int_equal(avow_store_cert_remove(w, thumb, NULL, NULL), AVOW_OK);
    wait_change(l, AVOW_STORE_CHANGED_CERTIFICATES);
    assert_int_equal(avow_store_setting_set(w, "notify-test", "1", NULL), AVOW_OK);
    wait_change(l, AVOW_STORE_CHANGED_SETTINGS);
    assert_int_equal(avow_store_key_retire(w, mat[0].kid, 1700000200, NULL), AVOW_OK);
    wait_change(l, AVOW_STORE_CHANGED_KEYS);
    avow_store_collateral row = {.fmspc = "00906ed50001",
                                 .ca = "processor",
                                 .tee = "sgx",
                                 .bundle = "{}",
                                 .next_update = 2,
                                 .fetched_at = 1,
                                 .source = "notify"};
    assert_int_equal(avow_store_collateral_put(w, &row, NULL), AVOW_OK);
    wait_change(l, AVOW_STORE_CHANGED_COLLATERAL);
    assert_int_equal(avow_store_collateral_delete(w, row.fmspc, row.ca, row.tee, NULL, NULL),
                     AVOW_OK);
    wait_change(l, AVOW_STORE_CHANGED_COLLATERAL);

    /* A rolled-back change is never announced. */
    PGconn *pg = PQconnectdb(location);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    PGresult *r = PQexec(pg, "BEGIN; DELETE FROM policies; ROLLBACK");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    ch = 0;
    assert_int_equal(avow_store_listener_wait(l, 300, &ch, &e), AVOW_OK);
    assert_int_equal(ch, 0);

    /* Woken on demand, long before its timeout. */
    double t0 = mono_now();
    avow_store_listener_wake(l);
    assert_int_equal(avow_store_listener_wait(l, 5000, &ch, &e), AVOW_OK);
    assert_int_equal(ch, 0);
    assert_true(mono_now() - t0 < 1.0);

    /* The listener's connection killed: reported, then reconnected. */
    r = PQexec(pg,
               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
               " WHERE datname = current_database() AND query = 'LISTEN avow_changes'");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    PQclear(r);
    assert_int_equal(avow_store_listener_wait(l, 2000, &ch, &e), AVOW_ERR_IO);
    assert_non_null(strstr(e.msg, "listener connection lost"));
    ch = 0;
    assert_int_equal(avow_store_listener_wait(l, 2000, &ch, &e), AVOW_OK);
    assert_int_equal(ch, AVOW_STORE_CHANGED_ALL); /* what happened meanwhile is unknown */
    assert_int_equal(avow_store_setting_set(w, "notify-test", "2", NULL), AVOW_OK);
    wait_change(l, AVOW_STORE_CHANGED_SETTINGS);

    /* Every pooled connection killed (as by a server restart): the next
     * calls open new ones and succeed. */
    r = PQexec(pg,
               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
               " WHERE datname = current_database() AND application_name = 'avow'"
               " AND query <> 'LISTEN avow_changes'");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_true(PQntuples(r) >= 2); /* s's and w's */
    PQclear(r);
    usleep(100000); /* the terminations take effect */
    char *v = NULL;
    assert_int_equal(avow_store_setting_get(w, "notify-test", &v, &e), AVOW_OK);
    assert_string_equal(v, "2");
    free(v);
    assert_int_equal(avow_store_setting_set(s, "notify-test", "3", &e), AVOW_OK);
    wait_change(l, AVOW_STORE_CHANGED_SETTINGS);
    assert_int_equal(avow_store_policy_delete(s, "SgxEnclave", NULL, NULL), AVOW_OK);
    wait_change(l, AVOW_STORE_CHANGED_POLICIES);
    PQfinish(pg);
    avow_store_listener_close(l);
    avow_store_close(w);
    avow_store_close(s);
}

/* A PostgreSQL URI whose store lives in its own, fresh schema. */
static PGconn *fresh_schema(const char *schema, char *loc, size_t cap)
{
    PGconn *pg = PQconnectdb(location);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    char sql[160];
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
             schema);
    PGresult *r = PQexec(pg, sql);
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    snprintf(loc, cap, "%s%coptions=-csearch_path%%3D%s", location,
             strchr(location, '?') ? '&' : '?', schema);
    return pg;
}

static void pg_ok(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

/* Replicas starting together on an empty store: N threads, released at
 * once, each open the store (migrating it) and then try to add the first
 * signing key. All open it, each migration is recorded once, one key wins.
 * The empty store is a fresh directory (SQLite) or a fresh schema of the
 * database (PostgreSQL, through the URI's search_path). */
enum { RACERS = 8 };
typedef struct {
    const char *loc;
    int id;
    pthread_barrier_t *go;
    avow_err open_rc, add_rc;
    bool added;
    char msg[256];
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    avow_store *s = NULL;
    avow_error e;
    avow_error_clear(&e);
    pthread_barrier_wait(r->go);
    r->open_rc = avow_store_open(r->loc, &s, &e);
    if (r->open_rc) {
        snprintf(r->msg, sizeof(r->msg), "%s", e.msg);
        return NULL;
    }
    char kid[16];
    snprintf(kid, sizeof(kid), "racer-%d", r->id);
    avow_store_key k = {kid, "key", "cert", 1700000000, true, 0};
    pthread_barrier_wait(r->go);
    r->add_rc = avow_store_key_add_first(s, &k, &r->added, &e);
    if (r->add_rc) snprintf(r->msg, sizeof(r->msg), "%s", e.msg);
    avow_store_close(s);
    return NULL;
}

static void test_replicas_start_together(void **state)
{
    (void)state;
    char loc[700], dir[] = "/tmp/avow-store-race-XXXXXX";
    PGconn *pg = NULL;
    if (is_sqlite) {
        assert_non_null(mkdtemp(dir));
        snprintf(loc, sizeof(loc), "%s", dir);
    } else {
        pg = fresh_schema("avow_race", loc, sizeof(loc));
    }
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, RACERS);
    pthread_t th[RACERS];
    racer rs[RACERS];
    for (int i = 0; i < RACERS; i++) {
        rs[i] = (racer){.loc = loc, .id = i, .go = &go};
        pthread_create(&th[i], NULL, race, &rs[i]);
    }
    int added = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(th[i], NULL);
        if (rs[i].open_rc || rs[i].add_rc) fail_msg("racer %d: %s", i, rs[i].msg);
        added += rs[i].added;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(added, 1);
    avow_store *s = NULL;
    avow_error e;
    if (avow_store_open(loc, &s, &e)) fail_msg("open %s: %s", loc, e.msg);
    avow_store_key *keys;
    size_t n;
    assert_int_equal(avow_store_key_list(s, true, &keys, &n, NULL), AVOW_OK);
    assert_int_equal(n, 1);
    assert_true(keys[0].active);
    avow_store_key_list_free(keys, n);
    avow_store_close(s);
    if (is_sqlite) {
        sqlite3 *db;
        char path[64];
        snprintf(path, sizeof(path), "%s/avow.db", dir);
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        sqlite3_stmt *q;
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT COUNT(*), COUNT(DISTINCT version), MAX(version)"
                                            " FROM avow_schema_migrations",
                                            -1, &q, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(q, 0), avow_store_schema_latest());
        assert_int_equal(sqlite3_column_int(q, 1), avow_store_schema_latest());
        assert_int_equal(sqlite3_column_int(q, 2), avow_store_schema_latest());
        sqlite3_finalize(q);
        sqlite3_close(db);
        char cmd[96];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        tu_run(cmd, NULL);
    } else {
        PGresult *r = PQexec(pg,
                             "SELECT COUNT(*), COUNT(DISTINCT version), MAX(version)"
                             " FROM avow_race.avow_schema_migrations");
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        for (int c = 0; c < 3; c++)
            assert_int_equal(atoi(PQgetvalue(r, 0, c)), avow_store_schema_latest());
        PQclear(r);
        pg_ok(pg, "DROP SCHEMA avow_race CASCADE");
        PQfinish(pg);
    }
}

/* A statement whose pooled connection dies under it (here: a trigger makes
 * the server end the session on the first attempt only) runs once more on
 * a new connection and succeeds; a transaction whose connection dies after
 * BEGIN is not repeated: it fails and leaves nothing; a server that stops
 * answering is given up after 10 s. PostgreSQL only (an SQLite connection
 * cannot break). */
static void test_connection_lost_retry(void **state)
{
    (void)state;
    if (is_sqlite) skip();
    char loc[700];
    PGconn *pg = fresh_schema("avow_retry", loc, sizeof(loc));
    avow_store *s = NULL;
    avow_error e;
    if (avow_store_open(loc, &s, &e)) fail_msg("open %s: %s", loc, e.msg);
    assert_int_equal(avow_store_setting_set(s, "a", "1", NULL), AVOW_OK); /* pools a connection */
    pg_ok(pg,
          "CREATE SEQUENCE avow_retry.deaths;"
          "CREATE FUNCTION avow_retry.die_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
          " IF nextval('avow_retry.deaths') = 1 THEN"
          " PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF;"
          " RETURN NEW; END $$;"
          "CREATE TRIGGER die BEFORE INSERT OR UPDATE ON avow_retry.settings"
          " FOR EACH ROW EXECUTE FUNCTION avow_retry.die_once();"
          "CREATE TRIGGER die BEFORE INSERT ON avow_retry.signing_keys"
          " FOR EACH ROW EXECUTE FUNCTION avow_retry.die_once()");
    avow_error_clear(&e);
    if (avow_store_setting_set(s, "b", "2", &e)) fail_msg("not retried: %s", e.msg);
    char *v = NULL;
    assert_int_equal(avow_store_setting_get(s, "b", &v, NULL), AVOW_OK);
    assert_string_equal(v, "2");
    free(v);
    PGresult *r = PQexec(pg, "SELECT last_value FROM avow_retry.deaths");
    assert_string_equal(PQgetvalue(r, 0, 0), "2"); /* the first attempt did die */
    PQclear(r);

    pg_ok(pg, "ALTER SEQUENCE avow_retry.deaths RESTART");
    avow_store_key k = {"retry-kid", "key", "cert", 1700000000, true, 0};
    assert_int_equal(avow_store_key_add(s, &k, &e), AVOW_ERR_IO);
    r = PQexec(pg, "SELECT COUNT(*) FROM avow_retry.signing_keys");
    assert_string_equal(PQgetvalue(r, 0, 0), "0");
    PQclear(r);
    assert_int_equal(avow_store_key_add(s, &k, NULL), AVOW_OK); /* a new try succeeds */

    /* A server that stops answering on an open connection (its backend
     * paused: the kernel still acknowledges, so no TCP timeout fires) is
     * given up after 10 s, and the statement runs on a new connection. */
    r = PQexec(pg,
               "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
               " AND application_name = 'avow'");
    assert_int_equal(PQntuples(r), 1); /* s's pooled connection */
    pid_t backend = (pid_t)atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    assert_int_equal(kill(backend, SIGSTOP), 0);
    double t0 = mono_now();
    char *v2 = NULL;
    avow_err got = avow_store_setting_get(s, "b", &v2, &e);
    double took = mono_now() - t0;
    kill(backend, SIGCONT);
    if (got) fail_msg("after a silent server: %s", e.msg);
    assert_string_equal(v2, "2");
    free(v2);
    assert_true(took > 9.5 && took < 14.0);
    avow_store_close(s);
    pg_ok(pg, "DROP SCHEMA avow_retry CASCADE");
    PQfinish(pg);
}

static void test_policies(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_store_policy p;
    assert_int_equal(avow_store_policy_get(s, "SgxEnclave", &p, NULL), AVOW_ERR_NOT_FOUND);
    /* An unsigned policy JWS (payload {"AttestationPolicy":"dmVyc2lvbj0xLjA7"}). */
    const char *jws = "eyJhbGciOiJub25lIn0.eyJBdHRlc3RhdGlvblBvbGljeSI6ImRtVnljMmx2YmoweExqQTcifQ.";
    char hash[44];
    assert_int_equal(avow_store_policy_put(s, "SgxEnclave", jws, 1700000000, hash, NULL), AVOW_OK);
    uint8_t h[32];
    char expect[44];
    SHA256((const uint8_t *)jws, strlen(jws), h);
    avow_base64url_encode(h, 32, expect);
    assert_string_equal(hash, expect);
    assert_int_equal(avow_store_policy_get(s, "sgxenclave", &p, NULL), AVOW_OK);
    assert_string_equal(p.type, "sgxenclave");
    assert_string_equal(p.jws, jws);
    assert_string_equal(p.hash, expect);
    assert_int_equal(p.updated_at, 1700000000);
    avow_store_policy_free(&p);
    assert_int_equal(
        avow_store_policy_put(s, "SGXENCLAVE", "eyJhbGciOiJub25lIn0..", 1700000001, NULL, NULL),
        AVOW_OK);
    assert_int_equal(avow_store_policy_get(s, "SgxEnclave", &p, NULL), AVOW_OK);
    assert_string_equal(p.jws, "eyJhbGciOiJub25lIn0..");
    assert_int_equal(p.updated_at, 1700000001);
    avow_store_policy_free(&p);
    bool removed;
    assert_int_equal(avow_store_policy_delete(s, "SgxEnclave", &removed, NULL), AVOW_OK);
    assert_true(removed);
    assert_int_equal(avow_store_policy_delete(s, "SgxEnclave", &removed, NULL), AVOW_OK);
    assert_false(removed);
    assert_int_equal(avow_store_policy_get(s, "SgxEnclave", &p, NULL), AVOW_ERR_NOT_FOUND);
    avow_store_close(s);
}

static void test_certs(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    char t0[41], t1[41];
    bool added;
    assert_int_equal(avow_store_cert_add(s, mat[1].cert_pem, 1700000000, &added, t1, NULL),
                     AVOW_OK);
    assert_true(added);
    assert_int_equal(avow_store_cert_add(s, mat[0].cert_pem, 1700000000, &added, t0, NULL),
                     AVOW_OK);
    assert_true(added);
    assert_int_equal(avow_store_cert_add(s, mat[0].cert_pem, 1700000005, &added, NULL, NULL),
                     AVOW_OK);
    assert_false(added);
    char expect[41];
    avow_cert_thumbprint_sha1((const uint8_t *)mat[0].cert_pem, strlen(mat[0].cert_pem), expect,
                              NULL);
    assert_string_equal(t0, expect);
    avow_store_cert *list;
    size_t n;
    assert_int_equal(avow_store_cert_list(s, &list, &n, NULL), AVOW_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].thumbprint, t1); /* order of addition */
    assert_string_equal(list[1].thumbprint, t0);
    assert_non_null(strstr(list[0].cert_pem, "BEGIN CERTIFICATE"));
    avow_store_cert_list_free(list, n);
    assert_int_equal(avow_store_cert_add(s, "not a cert", 1, NULL, NULL, NULL), AVOW_ERR_FORMAT);
    bool removed;
    for (char *c = t1; *c; c++)
        *c = (char)(*c >= 'a' ? *c - 32 : *c); /* upper-case works */
    assert_int_equal(avow_store_cert_remove(s, t1, &removed, NULL), AVOW_OK);
    assert_true(removed);
    assert_int_equal(avow_store_cert_remove(s, t1, &removed, NULL), AVOW_OK);
    assert_false(removed);
    assert_int_equal(avow_store_cert_list(s, &list, &n, NULL), AVOW_OK);
    assert_int_equal(n, 1);
    avow_store_cert_list_free(list, n);
    avow_store_close(s);
}

static void test_collateral_rows(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_store_collateral row = {.fmspc = "00906ED50000",
                                 .ca = "processor",
                                 .tee = "sgx",
                                 .bundle = "{\"x\":1}",
                                 .next_update = 200,
                                 .fetched_at = 100,
                                 .source = "test"};
    assert_int_equal(avow_store_collateral_put(s, &row, NULL), AVOW_OK);
    row.bundle = "{\"x\":2}";
    row.next_update = 300;
    assert_int_equal(avow_store_collateral_put(s, &row, NULL), AVOW_OK); /* replaces */
    avow_store_collateral got;
    assert_int_equal(avow_store_collateral_get(s, "00906ed50000", "processor", "sgx", &got, NULL),
                     AVOW_OK);
    assert_string_equal(got.fmspc, "00906ed50000");
    assert_string_equal(got.bundle, "{\"x\":2}");
    assert_int_equal(got.next_update, 300);
    assert_int_equal(got.fetched_at, 100);
    assert_string_equal(got.source, "test");
    avow_store_collateral_free(&got);
    assert_int_equal(avow_store_collateral_get(s, "00906ed50000", "platform", "sgx", &got, NULL),
                     AVOW_ERR_NOT_FOUND);
    assert_int_equal(avow_store_collateral_get(s, "00906ed5", "platform", "sgx", &got, NULL),
                     AVOW_ERR_ARG);
    assert_int_equal(avow_store_collateral_get(s, "00906ed50000", "cpu", "sgx", &got, NULL),
                     AVOW_ERR_ARG);
    avow_store_collateral *list;
    size_t n;
    assert_int_equal(avow_store_collateral_list(s, &list, &n, NULL), AVOW_OK);
    assert_int_equal(n, 1);
    assert_null(list[0].bundle);
    avow_store_collateral_list_free(list, n);
    bool removed;
    assert_int_equal(
        avow_store_collateral_delete(s, "00906ED50000", "processor", "sgx", &removed, NULL),
        AVOW_OK);
    assert_true(removed);
    avow_store_close(s);
}

/* Collateral rows as the collateral service writes and reads them
 * (pccs/rows.c): key and bounds from the checked set, the exact bytes back,
 * a known digest short-circuits the parse, the CA-less fallback. */
static void test_service_rows(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    avow_collateral c;
    char *path = tu_vector_path("dcap/R1-dcaprs-sgx-v3-tcbv2/collateral.json");
    avow_error e;
    avow_error_clear(&e);
    if (avow_collateral_load(path, &c, &e)) fail_msg("load: %s", e.msg);
    free(path);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_verified_collateral *vc;
    if (avow_collateral_check(v, &c, &vc, &e)) fail_msg("check: %s", e.msg);
    uint8_t digest[32];
    assert_int_equal(
        avow_pccs_row_put(s, vc, NULL, "import:R1", 1740713705, NULL, true, digest, &e), AVOW_OK);
    avow_store_collateral row;
    assert_int_equal(avow_store_collateral_get(s, "00606a000000", "platform", "sgx", &row, &e),
                     AVOW_OK);
    /* Earliest of the four nextUpdates, inside the vector's validity window. */
    assert_true(row.next_update >= 1740713705 && row.next_update <= 1742009382);
    assert_int_equal(row.next_update, avow_verified_collateral_info(vc)->next_update);
    assert_string_equal(row.source, "import:R1");
    avow_store_collateral_free(&row);

    const avow_platform_id *pid = &avow_verified_collateral_info(vc)->platform;
    avow_pccs_row r;
    assert_int_equal(avow_pccs_row_get(s, pid, 0, NULL, NULL, &r, &e), AVOW_OK);
    assert_true(r.found);
    assert_false(r.unchanged);
    assert_memory_equal(r.digest, digest, 32);
    assert_true(avow_collateral_equal(&r.coll, &c));
    avow_pccs_row_free(&r);
    assert_int_equal(avow_pccs_row_get(s, pid, 0, NULL, digest, &r, &e), AVOW_OK);
    assert_true(r.found && r.unchanged);
    avow_pccs_row_free(&r);
    /* a row stored without a CA serves any CA of that FMSPC */
    avow_platform_id none = *pid, proc = *pid;
    none.ca = AVOW_PCK_CA_UNKNOWN;
    proc.ca = AVOW_PCK_CA_PROCESSOR;
    assert_int_equal(avow_pccs_row_get(s, &proc, 0, NULL, NULL, &r, &e), AVOW_OK);
    assert_false(r.found);
    assert_int_equal(avow_pccs_row_put(s, vc, &none, "import:R1", 1740713705, NULL, true, NULL, &e),
                     AVOW_OK);
    assert_int_equal(avow_pccs_row_get(s, &proc, 0, NULL, NULL, &r, &e), AVOW_OK);
    assert_true(r.found);
    avow_pccs_row_free(&r);
    /* the best row for the PCCS routes: the latest nextUpdate */
    avow_collateral got;
    assert_int_equal(avow_pccs_row_find(s, "00606A000000", NULL, "sgx", 0, NULL, &got, &e),
                     AVOW_OK);
    assert_true(avow_collateral_equal(&got, &c));
    avow_collateral_free(&got);
    assert_int_equal(avow_pccs_row_find(s, "010203040506", NULL, NULL, 0, NULL, &got, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "no collateral for FMSPC 010203040506"));
    avow_verified_collateral_unref(vc);
    avow_verifier_free(v);
    avow_collateral_free(&c);
    avow_store_close(s);
}

typedef struct {
    avow_store *s;
    int id;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 40; i++) {
        char key[64], val[64];
        snprintf(key, sizeof(key), "t%d-%d", w->id, i);
        snprintf(val, sizeof(val), "v%d", i);
        char *got = NULL;
        avow_error e;
        if (avow_store_setting_set(w->s, key, val, &e) ||
            avow_store_setting_get(w->s, key, &got, &e) || strcmp(got, val))
            w->failures++;
        free(got);
        avow_store_collateral row = {.ca = "platform",
                                     .tee = "sgx",
                                     .bundle = "{}",
                                     .next_update = i,
                                     .fetched_at = i,
                                     .source = "thread"};
        snprintf(row.fmspc, sizeof(row.fmspc), "%012x", (unsigned)(w->id * 1000 + i % 5));
        if (avow_store_collateral_put(w->s, &row, &e)) w->failures++;
        if (avow_store_policy_put(w->s, "SgxEnclave", val, i, NULL, &e)) w->failures++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    avow_store *s = tu_store_open(location);
    enum { N = 8 };
    pthread_t th[N];
    worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){.s = s, .id = i + 1};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    avow_store_collateral *list;
    size_t n;
    assert_int_equal(avow_store_collateral_list(s, &list, &n, NULL), AVOW_OK);
    size_t threaded = 0;
    for (size_t i = 0; i < n; i++)
        threaded += !strcmp(list[i].source, "thread");
    assert_int_equal(threaded, N * 5);
    avow_store_collateral_list_free(list, n);
    avow_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_migration_from_v1),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_notifications),
        cmocka_unit_test(test_replicas_start_together),
        cmocka_unit_test(test_connection_lost_retry),
        cmocka_unit_test(test_policies),
        cmocka_unit_test(test_certs),
        cmocka_unit_test(test_collateral_rows),
        cmocka_unit_test(test_service_rows),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
