/* Internals of the store (include/avow/store.h): the backend interface that
 * sqlite.c and postgres.c implement, the connection pool and the query
 * helpers that store.c, schema.c and collateral_cache.c use. SQL is written
 * once, in the dialect both SQLite and PostgreSQL accept, with $1..$N
 * placeholders and every value passed as text. Not part of the API.
 * Thread-safety: a connection is used by one thread at a time (the pool in
 * store.c hands them out under a mutex). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/store.h"

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
    void (*free_impl)(void *impl);
    const char *begin_write_sql;     /* starts a write transaction */
    const char *lock_migrations_sql; /* serialises migrations inside it (or NULL) */
} st_backend;

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

/* Connection pool. */
avow_err st_acquire(avow_store *s, void **conn, avow_error *err);
void st_release(avow_store *s, void *conn);

/* One statement on a pooled connection (acquire, exec, release). */
avow_err st_exec(avow_store *s, const char *sql, int nparams, const char *const *params,
                 st_rows *rows, int64_t *changes, avow_error *err);

/* Transactions on a held connection. */
avow_err st_begin(avow_store *s, void *conn, avow_error *err);
avow_err st_commit(avow_store *s, void *conn, avow_error *err);
void st_rollback(avow_store *s, void *conn);

/* Schema (schema.c): applies the missing migrations in order. */
avow_err st_schema_apply(avow_store *s, avow_error *err);
