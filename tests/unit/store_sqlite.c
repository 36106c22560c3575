/* Store tests, run against the backend named by AVOW_TEST_STORE (a directory
 * or a postgresql:// URI; tests/integration/store_postgres.sh sets it to a
 * throwaway PostgreSQL server) or, by default, a fresh SQLite directory:
 * schema creation, idempotent migrations on reopen, migration of a v1
 * SQLite store with its data (and refusal of a newer one), every table's
 * operations, collateral import and the cache without upstream, and
 * concurrent use from threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <openssl/sha.h>
#include <sqlite3.h>

#include "avow/collateral_cache.h"
#include "avow/encode.h"
#include "avow/quote.h"
#include "avow/store.h"
#include "avow/token.h"
#include "testutil.h"

static char location[512];
static bool is_sqlite;
static avow_signing_material mat[2];

static avow_store *open_store(void)
{
    avow_store *s = NULL;
    avow_error e;
    avow_error_clear(&e);
    if (avow_store_open(location, &s, &e)) fail_msg("open %s: %s", location, e.msg);
    return s;
}

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
    avow_store *s = open_store();
    int v = 0;
    assert_int_equal(avow_store_schema_version(s, &v, NULL), AVOW_OK);
    assert_int_equal(v, avow_store_schema_latest());
    assert_true(v >= 2);
    assert_string_equal(avow_store_backend(s), is_sqlite ? "sqlite" : "postgresql");
    avow_store_close(s);
    /* Reopening applies nothing twice. */
    s = open_store();
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
        avow_store *s2 = open_store();
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
    avow_store *s = open_store();
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
    avow_store *s = open_store();
    avow_store_key k = {0}, a;
    assert_int_equal(avow_store_key_active(s, &a, NULL), AVOW_ERR_NOT_FOUND);
    for (int i = 0; i < 2; i++) {
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

static void test_policies(void **state)
{
    (void)state;
    avow_store *s = open_store();
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
    avow_store *s = open_store();
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
    avow_store *s = open_store();
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

static void test_import_and_cache(void **state)
{
    (void)state;
    avow_store *s = open_store();
    avow_collateral c;
    char *path = tu_vector_path("dcap/R1-dcaprs-sgx-v3-tcbv2/collateral.json");
    avow_error e;
    avow_error_clear(&e);
    if (avow_collateral_load(path, &c, &e)) fail_msg("load: %s", e.msg);
    free(path);
    avow_collateral_key k;
    assert_int_equal(avow_collateral_import(s, &c, "import:R1", 1740713705, &k, &e), AVOW_OK);
    assert_string_equal(k.fmspc, "00606a000000");
    assert_string_equal(k.ca, "platform");
    assert_string_equal(k.tee, "sgx");
    /* Earliest of the four nextUpdates, inside the vector's validity window. */
    assert_true(k.next_update >= 1740713705 && k.next_update <= 1742009382);

    avow_collateral_cache *cache;
    assert_int_equal(avow_collateral_cache_new(s, NULL, NULL, &cache, NULL), AVOW_OK);
    const uint8_t fmspc[6] = {0x00, 0x60, 0x6a, 0x00, 0x00, 0x00};
    avow_collateral got;
    assert_int_equal(avow_collateral_cache_get(cache, fmspc, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX,
                                               1740713705, &got, &e),
                     AVOW_OK);
    assert_int_equal(got.tcb_info_len, c.tcb_info_len);
    assert_memory_equal(got.tcb_info, c.tcb_info, c.tcb_info_len);
    assert_memory_equal(got.qe_identity_sig, c.qe_identity_sig, 64);
    assert_int_equal(got.pck_crl_len, c.pck_crl_len);
    avow_collateral_free(&got);
    /* Past nextUpdate with no upstream: a clear error, nothing stale. */
    assert_int_equal(avow_collateral_cache_get(cache, fmspc, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX,
                                               k.next_update + 1, &got, &e),
                     AVOW_ERR_EXPIRED);
    assert_non_null(strstr(e.msg, "collateral for FMSPC 00606a000000 expired at"));
    assert_null(got.tcb_info);
    /* Absent. */
    const uint8_t other[6] = {1, 2, 3, 4, 5, 6};
    assert_int_equal(avow_collateral_cache_get(cache, other, AVOW_PCK_CA_PROCESSOR, AVOW_TEE_SGX,
                                               1740713705, &got, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "010203040506"));
    avow_collateral_cache_stats st;
    avow_collateral_cache_stats_get(cache, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.upstream_fetches, 0);
    avow_collateral_cache_free(cache);
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
    avow_store *s = open_store();
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
        cmocka_unit_test(test_schema),          cmocka_unit_test(test_migration_from_v1),
        cmocka_unit_test(test_settings),        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_policies),        cmocka_unit_test(test_certs),
        cmocka_unit_test(test_collateral_rows), cmocka_unit_test(test_import_and_cache),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
