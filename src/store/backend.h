/* Internals of the store (src/store/store.h): the backend interface that
 * sqlite.c and postgres.c implement, the connection pool (pool.c) and the
 * query helpers that store.c, schema.c and marks.c use. SQL is
 * written once, in the dialect both SQLite and PostgreSQL accept, with
 * $1..$N placeholders and every value passed as text. Not part of the API.
 * Thread-safety: a connection is used by one thread at a time (the pool in
 * pool.c hands them out under a mutex). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"

/* Monotonic seconds, for timeouts (never for what the store records: its
 * times come from the caller). */
static inline double st_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Result rows of a query: cells[r * ncols + c], text or NULL (SQL NULL). */
typedef struct {
    size_t nrows, ncols;
    char **cells;
} st_rows;

void st_rows_free(st_rows *r);
static inline const char *st_cell(const st_rows *r, size_t row, size_t col)
{
    return r->cells[row * r->ncols + col];
}

typedef struct st_backend {
    const char *name; /* "sqlite" | "postgresql" */
    /* Opens one more connection to the backend described by `impl`. */
    avow_err (*connect)(void *impl, void **conn, avow_error *err);
    void (*disconnect)(void *conn);
    /* Runs one statement. `rows` (may be NULL) receives the result;
     * `changes` (may be NULL) the number of rows changed. */
    avow_err (*exec)(void *conn, const char *sql, int nparams, const char *const *params,
                     st_rows *rows, int64_t *changes, avow_error *err);
    /* False once the connection is unusable (it is then dropped). */
    bool (*healthy)(void *conn);
    /* Cheap check of an idle pooled connection before reuse: false when the
     * server has closed it (NULL: always usable). */
    bool (*alive)(void *conn);
    /* After a failed statement: true when the connection itself broke (so a
     * retry on a fresh connection may succeed). NULL: never. */
    bool (*lost)(void *conn);
    void (*free_impl)(void *impl);
    const char *begin_write_sql; /* starts a write transaction */
    /* Inside a write transaction, takes the lock named by $1 (an integer
     * text) until the transaction ends; NULL when begin_write_sql already
     * excludes every other writer. */
    const char *xact_lock_sql;

    /* Change notifications (all NULL for a backend without them). */
    /* Opens a dedicated connection subscribed to the store's changes. */
    avow_err (*listen_open)(void *impl, void **lconn, avow_error *err);
    int (*listen_fd)(void *lconn); /* the socket to poll for input */
    /* Reads what arrived and ORs the changes announced into *changes;
     * AVOW_ERR_IO once the connection broke. */
    avow_err (*listen_read)(void *lconn, unsigned *changes, avow_error *err);
    void (*listen_close)(void *lconn);
} st_backend;

/* Locks taken with xact_lock_sql (PostgreSQL advisory lock keys). */
#define ST_LOCK_MIGRATIONS   "1635151735" /* 0x61766f77, "avow" */
#define ST_LOCK_SIGNING_KEYS "1635151736"

struct avow_store {
    const st_backend *be;
    void *impl;
    char *location; /* for messages (password masked) */
    pthread_mutex_t mu;
    void **idle; /* idle connections */
    size_t n_idle, cap_idle;
};

/* Backends: fill *be and *impl. */
avow_err st_sqlite_open(const char *dir, const st_backend **be, void **impl, avow_error *err);
avow_err st_pg_open(const char *uri, const st_backend **be, void **impl, avow_error *err);

/* Connection pool (pool.c). st_release drops a connection that is no longer
 * healthy; st_pool_close closes the idle ones. */
void st_release(avow_store *s, void *conn);
void st_pool_close(avow_store *s);

/* One statement on a pooled connection (acquire, exec, release). When the
 * connection breaks under it, the statement runs once more on a fresh
 * connection: callers pass only statements that are safe to repeat (every
 * write in store.c is an idempotent upsert, update or delete by key). */
avow_err st_exec(avow_store *s, const char *sql, int nparams, const char *const *params,
                 st_rows *rows, int64_t *changes, avow_error *err);

/* A write transaction on a pooled connection: acquires one and begins (on a
 * fresh connection once more when BEGIN finds the connection broken), then
 * takes the lock `lock` (ST_LOCK_*, or NULL) where the backend needs one.
 * End it with st_tx_end: commit when rc is AVOW_OK (returning the commit's
 * result), else roll back and return rc; the connection goes back to the
 * pool either way. */
avow_err st_tx_begin(avow_store *s, const char *lock, void **conn, avow_error *err);
avow_err st_tx_end(avow_store *s, void *conn, avow_err rc, avow_error *err);

/* Schema (schema.c): applies the missing migrations in order. */
avow_err st_schema_apply(avow_store *s, avow_error *err);

/* Shared helpers of store.c and evalnum.c. */
void st_fmt_i64(int64_t v, char buf[24]);
int64_t st_parse_i64(const char *s); /* 0 for NULL */
char *st_dup_cell(const char *c);    /* NULL for NULL */
avow_err st_nomem(avow_error *err);
/* Checks a collateral key (fmspc 12 hex digits, ca "processor"|"platform"|"",
 * tee "sgx"|"tdx") and writes the lower-case FMSPC into f. */
avow_err st_check_coll_key(const char *fmspc, const char *ca, const char *tee, char f[13],
                           avow_error *err);
