/* PostgreSQL backend of the store (libpq): connects with a
 * "postgresql://..." / "postgres://..." URI, runs statements with text
 * parameters, and serialises schema migrations with a transaction-scoped
 * advisory lock so replicas can open the same database at once.
 * Thread-safety: one connection per thread at a time (the pool in store.c);
 * libpq is thread-safe for distinct connections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/store_internal.h"

typedef struct {
    char *uri;
} pg_impl;

static void quiet_notices(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res;
}

/* libpq messages end with a newline; drop it for our one-line errors. */
static const char *oneline(char *buf, size_t len, const char *msg)
{
    snprintf(buf, len, "%s", msg ? msg : "unknown error");
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    for (char *c = buf; *c; c++)
        if (*c == '\n') *c = ' ';
    return buf;
}

static avow_err pg_connect(void *impl, void **conn, avow_error *err)
{
    pg_impl *im = impl;
    PGconn *c = PQconnectdb(im->uri);
    if (!c) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
        char b[200];
        avow_err rc =
            avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "postgresql connection failed: %s",
                           oneline(b, sizeof(b), PQerrorMessage(c)));
        PQfinish(c);
        return rc;
    }
    PQsetNoticeReceiver(c, quiet_notices, NULL);
    PGresult *r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    *conn = c;
    return AVOW_OK;
}

static void pg_disconnect(void *conn)
{
    PQfinish(conn);
}

static bool pg_healthy(void *conn)
{
    return PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE;
}

static avow_err pg_exec(void *conn, const char *sql, int nparams, const char *const *params,
                        st_rows *rows, int64_t *changes, avow_error *err)
{
    if (rows) memset(rows, 0, sizeof(*rows));
    PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char b[200];
        avow_err rc = avow_error_set(
            err, AVOW_ERR_IO, AVOW_NO_OFFSET, "postgresql: %s",
            oneline(b, sizeof(b), r ? PQresultErrorMessage(r) : PQerrorMessage(conn)));
        PQclear(r);
        return rc;
    }
    if (changes) *changes = atoll(PQcmdTuples(r));
    if (rows && st == PGRES_TUPLES_OK) {
        size_t nr = (size_t)PQntuples(r), nc = (size_t)PQnfields(r);
        rows->ncols = nc;
        if (nr && nc) {
            rows->cells = calloc(nr * nc, sizeof(char *));
            if (!rows->cells) goto nomem;
            rows->nrows = nr;
            for (size_t i = 0; i < nr; i++)
                for (size_t j = 0; j < nc; j++) {
                    if (PQgetisnull(r, (int)i, (int)j)) continue;
                    if (!(rows->cells[i * nc + j] = strdup(PQgetvalue(r, (int)i, (int)j))))
                        goto nomem;
                }
        }
    }
    PQclear(r);
    return AVOW_OK;
nomem:
    PQclear(r);
    st_rows_free(rows);
    return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
}

static void pg_free_impl(void *impl)
{
    pg_impl *im = impl;
    if (!im) return;
    if (im->uri) {
        memset(im->uri, 0, strlen(im->uri)); /* may hold a password */
        free(im->uri);
    }
    free(im);
}

static const st_backend pg_backend = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .healthy = pg_healthy,
    .free_impl = pg_free_impl,
    .begin_write_sql = "BEGIN",
    /* 0x61766f77 = "avow": one migration runner at a time across replicas. */
    .lock_migrations_sql = "SELECT pg_advisory_xact_lock(1635151735)",
};

avow_err st_pg_open(const char *uri, const st_backend **be, void **impl, avow_error *err)
{
    pg_impl *im = calloc(1, sizeof(*im));
    if (!im || !(im->uri = strdup(uri))) {
        free(im);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    *be = &pg_backend;
    *impl = im;
    return AVOW_OK;
}
