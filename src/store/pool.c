/* The store's connection pool and statement runner (backend.h):
 * idle connections are kept for reuse and checked before it (a PostgreSQL
 * restart leaves every idle connection dead), a statement whose connection
 * breaks under it runs once more on a fresh connection, and write
 * transactions begin the same way and take a backend lock when the backend
 * needs one.
 * Thread-safe: the idle list is guarded by the store's mutex; a connection
 * is used by one thread at a time. */
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"

#define POOL_MAX_IDLE 32

void st_rows_free(st_rows *r)
{
    if (!r) return;
    if (r->cells)
        for (size_t i = 0; i < r->nrows * r->ncols; i++)
            free(r->cells[i]);
    free(r->cells);
    memset(r, 0, sizeof(*r));
}

/* An idle connection that still looks alive, or a new one; *reused says
 * which (only a reused connection can have died unnoticed). */
static avow_err acquire(avow_store *s, void **conn, bool *reused, avow_error *err)
{
    for (;;) {
        void *c = NULL;
        pthread_mutex_lock(&s->mu);
        if (s->n_idle) c = s->idle[--s->n_idle];
        pthread_mutex_unlock(&s->mu);
        if (!c) break;
        if (!s->be->alive || s->be->alive(c)) {
            *conn = c;
            *reused = true;
            return AVOW_OK;
        }
        s->be->disconnect(c);
    }
    *reused = false;
    *conn = NULL;
    return s->be->connect(s->impl, conn, err);
}

void st_release(avow_store *s, void *conn)
{
    if (!conn) return;
    if (!s->be->healthy(conn)) {
        s->be->disconnect(conn);
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (s->n_idle == s->cap_idle && s->cap_idle < POOL_MAX_IDLE) {
        size_t ncap = s->cap_idle ? s->cap_idle * 2 : 4;
        if (ncap > POOL_MAX_IDLE) ncap = POOL_MAX_IDLE;
        void **n = realloc(s->idle, ncap * sizeof(void *));
        if (n) {
            s->idle = n;
            s->cap_idle = ncap;
        }
    }
    if (s->n_idle < s->cap_idle) {
        s->idle[s->n_idle++] = conn;
        conn = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (conn) s->be->disconnect(conn);
}

void st_pool_close(avow_store *s)
{
    for (size_t i = 0; i < s->n_idle; i++)
        s->be->disconnect(s->idle[i]);
    free(s->idle);
    s->idle = NULL;
    s->n_idle = s->cap_idle = 0;
}

/* Runs `sql` on a pooled connection; when a reused connection turns out to
 * be broken, once more on a new one. The connection is left to the caller
 * (NULL when none could be had). */
static avow_err exec_retry(avow_store *s, void **conn, const char *sql, int nparams,
                           const char *const *params, st_rows *rows, int64_t *changes,
                           avow_error *err)
{
    bool reused;
    avow_err rc = acquire(s, conn, &reused, err);
    if (rc) {
        if (rows) memset(rows, 0, sizeof(*rows));
        return rc;
    }
    rc = s->be->exec(*conn, sql, nparams, params, rows, changes, err);
    if (rc == AVOW_OK || !reused || !s->be->lost || !s->be->lost(*conn)) return rc;
    s->be->disconnect(*conn);
    *conn = NULL;
    if ((rc = s->be->connect(s->impl, conn, err))) {
        if (rows) memset(rows, 0, sizeof(*rows));
        return rc;
    }
    return s->be->exec(*conn, sql, nparams, params, rows, changes, err);
}

avow_err st_exec(avow_store *s, const char *sql, int nparams, const char *const *params,
                 st_rows *rows, int64_t *changes, avow_error *err)
{
    void *conn = NULL;
    avow_err rc = exec_retry(s, &conn, sql, nparams, params, rows, changes, err);
    st_release(s, conn);
    return rc;
}

avow_err st_tx_begin(avow_store *s, const char *lock, void **conn, avow_error *err)
{
    *conn = NULL;
    avow_err rc = exec_retry(s, conn, s->be->begin_write_sql, 0, NULL, NULL, NULL, err);
    if (rc == AVOW_OK && lock && s->be->xact_lock_sql) {
        const char *p[] = {lock};
        rc = s->be->exec(*conn, s->be->xact_lock_sql, 1, p, NULL, NULL, err);
        if (rc) s->be->exec(*conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL);
    }
    if (rc) {
        st_release(s, *conn);
        *conn = NULL;
    }
    return rc;
}

avow_err st_tx_end(avow_store *s, void *conn, avow_err rc, avow_error *err)
{
    if (rc == AVOW_OK)
        rc = s->be->exec(conn, "COMMIT", 0, NULL, NULL, NULL, err);
    else
        s->be->exec(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL);
    st_release(s, conn);
    return rc;
}
