/* The store's versioned schema: an ordered list of migrations, each a list
 * of statements valid in both SQLite and PostgreSQL, recorded in
 * avow_schema_migrations. Opening a store applies the missing ones in order,
 * in one write transaction (plus an advisory lock on PostgreSQL), so
 * concurrent openers never apply a migration twice; reopening is a no-op.
 * Append new migrations at the end; never edit an applied one.
 * Thread-safe: runs on one pooled connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

typedef struct {
    int version;
    const char *description;
    const char *const *statements; /* NULL-terminated */
} migration;

static const char *const v1[] = {
    "CREATE TABLE settings ("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL)",

    "CREATE TABLE signing_keys ("
    " kid TEXT PRIMARY KEY,"
    " key_pem TEXT NOT NULL,"
    " cert_pem TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " active INTEGER NOT NULL DEFAULT 0,"
    " retired_at BIGINT NOT NULL DEFAULT 0)",

    "CREATE TABLE policies ("
    " attestation_type TEXT PRIMARY KEY,"
    " jws TEXT NOT NULL,"
    " hash TEXT NOT NULL,"
    " updated_at BIGINT NOT NULL)",

    "CREATE TABLE policy_certificates ("
    " thumbprint TEXT PRIMARY KEY,"
    " cert_pem TEXT NOT NULL,"
    " added_at BIGINT NOT NULL,"
    " seq BIGINT NOT NULL)",

    "CREATE TABLE collateral ("
    " fmspc TEXT NOT NULL,"
    " ca TEXT NOT NULL,"
    " tee TEXT NOT NULL,"
    " bundle TEXT NOT NULL,"
    " next_update BIGINT NOT NULL,"
    " fetched_at BIGINT NOT NULL,"
    " source TEXT NOT NULL,"
    " PRIMARY KEY (fmspc, ca, tee))",
    NULL,
};

static const char *const v2[] = {
    "CREATE INDEX collateral_next_update ON collateral (next_update)",
    "CREATE INDEX signing_keys_active ON signing_keys (active)",
    NULL,
};

static const migration migrations[] = {
    {1, "settings, signing keys, policies, policy certificates, collateral", v1},
    {2, "indexes on collateral.next_update and signing_keys.active", v2},
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

int avow_store_schema_latest(void)
{
    return migrations[N_MIGRATIONS - 1].version;
}

avow_err st_schema_apply(avow_store *s, avow_error *err)
{
    void *conn;
    avow_err rc = st_acquire(s, &conn, err);
    if (rc) return rc;
    const st_backend *be = s->be;
    st_rows rows;
    if ((rc = st_begin(s, conn, err))) goto out;
    if (be->lock_migrations_sql &&
        (rc = be->exec(conn, be->lock_migrations_sql, 0, NULL, NULL, NULL, err)))
        goto fail;
    if ((rc = be->exec(conn,
                       "CREATE TABLE IF NOT EXISTS avow_schema_migrations ("
                       " version INTEGER PRIMARY KEY,"
                       " description TEXT NOT NULL)",
                       0, NULL, NULL, NULL, err)))
        goto fail;
    if ((rc = be->exec(conn, "SELECT COALESCE(MAX(version), 0) FROM avow_schema_migrations", 0,
                       NULL, &rows, NULL, err)))
        goto fail;
    int current = rows.nrows && st_cell(&rows, 0, 0) ? atoi(st_cell(&rows, 0, 0)) : 0;
    st_rows_free(&rows);
    if (current > avow_store_schema_latest()) {
        rc = avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                            "store schema version %d is newer than this build knows (%d)", current,
                            avow_store_schema_latest());
        goto fail;
    }
    for (size_t i = 0; i < N_MIGRATIONS; i++) {
        const migration *m = &migrations[i];
        if (m->version <= current) continue;
        for (const char *const *st = m->statements; *st; st++) {
            if ((rc = be->exec(conn, *st, 0, NULL, NULL, NULL, err))) {
                char what[64];
                snprintf(what, sizeof(what), "schema migration %d", m->version);
                avow_error_prefix(err, what);
                goto fail;
            }
        }
        char ver[16];
        snprintf(ver, sizeof(ver), "%d", m->version);
        const char *p[] = {ver, m->description};
        if ((rc = be->exec(conn,
                           "INSERT INTO avow_schema_migrations (version, description)"
                           " VALUES ($1, $2)",
                           2, p, NULL, NULL, err)))
            goto fail;
    }
    rc = st_commit(s, conn, err);
    goto out;
fail:
    st_rollback(s, conn);
out:
    st_release(s, conn);
    return rc;
}
