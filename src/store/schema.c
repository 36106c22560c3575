/* The store's versioned schema: an ordered list of migrations, each a list
 * of statements valid in both SQLite and PostgreSQL (or, for a backend-only
 * migration, in that backend's dialect; other backends record its version
 * with nothing to do), recorded in avow_schema_migrations. Opening a store
 * applies the missing ones in order, in one write transaction (plus an
 * advisory lock on PostgreSQL, taken before the version is read), so
 * replicas opening an empty database at the same instant apply each
 * migration exactly once. Reopening an up-to-date store only reads its
 * version (no write, no lock).
 * Append new migrations at the end; never edit an applied one.
 * Thread-safe: runs on one pooled connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"

typedef struct {
    int version;
    const char *description;
    const char *const *statements; /* NULL-terminated */
    const char *backend;           /* NULL: every backend; else only this one runs them */
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

/* Change notifications (store.h): every committed change to a table is
 * announced on channel avow_changes with the table's name as payload. A
 * statement-level trigger runs inside the writing transaction, so the
 * notification is delivered only if that transaction commits, whoever wrote
 * (avowd, the avow CLI, an operator's SQL). */
#define NOTIFY_TRIGGER(table)                                                           \
    "CREATE TRIGGER avow_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON " table \
    " FOR EACH STATEMENT EXECUTE FUNCTION avow_notify_change()"

static const char *const v3_pg[] = {
    "CREATE OR REPLACE FUNCTION avow_notify_change() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN PERFORM pg_notify('avow_changes', TG_TABLE_NAME); RETURN NULL; END $$",
    NOTIFY_TRIGGER("settings"),
    NOTIFY_TRIGGER("signing_keys"),
    NOTIFY_TRIGGER("policies"),
    NOTIFY_TRIGGER("policy_certificates"),
    NOTIFY_TRIGGER("collateral"),
    NULL,
};

/* Collateral per TCB evaluation number (docs/verification.md A13): the
 * current row of a platform records its number (0: written before this
 * migration, number unknown; such rows stay readable as the current set);
 * every checked set is also kept per (platform, number, update kind) in
 * collateral_sets, so older numbers stay beside newer ones; Intel's signed
 * evaluation-numbers document per TEE in tcb_eval_numbers. */
static const char *const v4[] = {
    "ALTER TABLE collateral ADD COLUMN eval_num INTEGER NOT NULL DEFAULT 0",
    "CREATE TABLE collateral_sets ("
    " fmspc TEXT NOT NULL,"
    " ca TEXT NOT NULL,"
    " tee TEXT NOT NULL,"
    " eval_num INTEGER NOT NULL,"
    " update_kind TEXT NOT NULL,"
    " bundle TEXT NOT NULL,"
    " next_update BIGINT NOT NULL,"
    " fetched_at BIGINT NOT NULL,"
    " source TEXT NOT NULL,"
    " PRIMARY KEY (fmspc, ca, tee, eval_num, update_kind))",
    "CREATE TABLE tcb_eval_numbers ("
    " tee TEXT PRIMARY KEY,"
    " signed_json TEXT NOT NULL,"
    " signature TEXT NOT NULL,"
    " issuer_chain TEXT NOT NULL,"
    " newest INTEGER NOT NULL,"
    " next_update BIGINT NOT NULL,"
    " fetched_at BIGINT NOT NULL,"
    " source TEXT NOT NULL)",
    NULL,
};

static const char *const v5_pg[] = {
    NOTIFY_TRIGGER("collateral_sets"),
    NOTIFY_TRIGGER("tcb_eval_numbers"),
    NULL,
};

static const migration migrations[] = {
    {1, "settings, signing keys, policies, policy certificates, collateral", v1, NULL},
    {2, "indexes on collateral.next_update and signing_keys.active", v2, NULL},
    {3, "change notifications (PostgreSQL: triggers calling pg_notify)", v3_pg, "postgresql"},
    {4, "collateral per TCB evaluation number, the evaluation numbers document", v4, NULL},
    {5, "change notifications of the v4 tables (PostgreSQL)", v5_pg, "postgresql"},
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

int avow_store_schema_latest(void)
{
    return migrations[N_MIGRATIONS - 1].version;
}

static avow_err too_new(int current, avow_error *err)
{
    return avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                          "store schema version %d is newer than this build knows (%d)", current,
                          avow_store_schema_latest());
}

avow_err avow_store_schema_version(avow_store *s, int *version, avow_error *err)
{
    st_rows r;
    avow_err rc = st_exec(s, "SELECT COALESCE(MAX(version), 0) FROM avow_schema_migrations", 0,
                          NULL, &r, NULL, err);
    if (rc) return rc;
    *version = r.nrows && st_cell(&r, 0, 0) ? atoi(st_cell(&r, 0, 0)) : 0;
    st_rows_free(&r);
    return AVOW_OK;
}

avow_err st_schema_apply(avow_store *s, avow_error *err)
{
    /* Up to date already (every open but the first): nothing to write, so
     * no lock, and a role that may only read and write rows can open it. */
    int current = 0;
    if (avow_store_schema_version(s, &current, NULL) == AVOW_OK) {
        if (current > avow_store_schema_latest()) return too_new(current, err);
        if (current == avow_store_schema_latest()) return AVOW_OK;
    }
    void *conn;
    avow_err rc = st_tx_begin(s, ST_LOCK_MIGRATIONS, &conn, err);
    if (rc) return rc;
    const st_backend *be = s->be;
    st_rows rows;
    if ((rc = be->exec(conn,
                       "CREATE TABLE IF NOT EXISTS avow_schema_migrations ("
                       " version INTEGER PRIMARY KEY,"
                       " description TEXT NOT NULL)",
                       0, NULL, NULL, NULL, err)))
        goto end;
    if ((rc = be->exec(conn, "SELECT COALESCE(MAX(version), 0) FROM avow_schema_migrations", 0,
                       NULL, &rows, NULL, err)))
        goto end;
    /* read again under the lock: another opener may have just migrated */
    current = rows.nrows && st_cell(&rows, 0, 0) ? atoi(st_cell(&rows, 0, 0)) : 0;
    st_rows_free(&rows);
    if (current > avow_store_schema_latest()) {
        rc = too_new(current, err);
        goto end;
    }
    for (size_t i = 0; i < N_MIGRATIONS; i++) {
        const migration *m = &migrations[i];
        if (m->version <= current) continue;
        bool run = !m->backend || !strcmp(m->backend, be->name);
        for (const char *const *st = m->statements; run && *st; st++) {
            if ((rc = be->exec(conn, *st, 0, NULL, NULL, NULL, err))) {
                char what[64];
                snprintf(what, sizeof(what), "schema migration %d", m->version);
                avow_error_prefix(err, what);
                goto end;
            }
        }
        char ver[16];
        snprintf(ver, sizeof(ver), "%d", m->version);
        const char *p[] = {ver, m->description};
        if ((rc = be->exec(conn,
                           "INSERT INTO avow_schema_migrations (version, description)"
                           " VALUES ($1, $2)",
                           2, p, NULL, NULL, err)))
            goto end;
    }
end:
    return st_tx_end(s, conn, rc, err);
}
