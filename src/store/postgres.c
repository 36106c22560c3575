/* PostgreSQL backend of the store (libpq): connects with a
 * "postgresql://..." / "postgres://..." URI (with short timeouts and TCP
 * keepalives unless the URI sets its own, and never with
 * synchronous_commit=off), runs statements with text parameters (and gives
 * up on a server that does not answer within ANSWER_SECONDS), tells a
 * dead connection from a failed statement, serialises migrations and key
 * writes with transaction-scoped advisory locks so replicas can share the
 * database, and LISTENs for the change notifications the schema's triggers
 * send (schema.c, migration 3).
 * Thread-safety: one connection per thread at a time (the pool in pool.c, or
 * the one listener thread); libpq is thread-safe for distinct connections. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libpq-fe.h>

#include "store/backend.h"

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

/* Connection defaults, given before the URI so that the URI's own settings
 * win (libpq applies later keywords over earlier ones, and the URI is
 * expanded in place of "dbname"). The timeouts bound how long a call can
 * hang on an unreachable server: a connection attempt 3 s; an established
 * connection whose server vanished is given up after about 5 s of
 * unacknowledged data or failed keepalive probes. */
static const char *const conn_keys[] = {
    "connect_timeout",     "keepalives",       "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout",
    "application_name",    "dbname",           NULL,
};

/* Run on every new session: quiet notices, and durability. An avowd answers
 * a write once its COMMIT returned; with synchronous_commit=off (a setting
 * of the server, database, role or URI) that commit could still be lost in a
 * server crash, so such a session is raised to "on". Other values ("local",
 * "remote_write", "on", "remote_apply") all flush locally and are kept. */
static const char session_sql[] =
    "SET client_min_messages = warning;"
    " SELECT set_config('synchronous_commit', 'on', false)"
    " WHERE current_setting('synchronous_commit') = 'off'";

/* How long a statement may go unanswered. A server that stopped answering
 * without closing the connection (paused, stalled on its disk) would
 * otherwise hold the calling thread forever: the TCP timeouts above do not
 * fire while the server's kernel still acknowledges. Row locks held by
 * another writer are the only legitimate long wait, and the store's writes
 * hold theirs for milliseconds. */
#define ANSWER_SECONDS 10

/* Sends one statement with text parameters (nparams < 0: the simple
 * protocol, several statements, no parameters) and waits up to
 * ANSWER_SECONDS for its results, polling the socket. Returns the first
 * error result or else the last result; NULL when sending failed or, with
 * *silent set, when no answer came in time: the connection is then shut
 * down, so it counts as lost (and is never reused). */
static PGresult *run(PGconn *c, const char *sql, int nparams, const char *const *params,
                     bool *silent)
{
    *silent = false;
    if (!(nparams < 0 ? PQsendQuery(c, sql)
                      : PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0)))
        return NULL;
    double deadline = st_mono() + ANSWER_SECONDS;
    PGresult *keep = NULL;
    for (;;) {
        while (!PQisBusy(c)) {
            PGresult *r = PQgetResult(c);
            if (!r) return keep;
            if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
                PQclear(r);
            } else {
                PQclear(keep);
                keep = r;
            }
        }
        double left = deadline - st_mono();
        if (left <= 0) {
            PQclear(keep);
            shutdown(PQsocket(c), SHUT_RDWR);
            PQconsumeInput(c); /* libpq sees the end: CONNECTION_BAD */
            *silent = true;
            return NULL;
        }
        struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
        if (poll(&p, 1, (int)(left * 1000.0) + 1) > 0) PQconsumeInput(c);
    }
}

static avow_err run_error(PGconn *c, PGresult *r, bool silent, const char *what, avow_error *err)
{
    char b[200];
    if (silent)
        return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET,
                              "%s: no answer from the server within %d s (connection dropped)",
                              what, ANSWER_SECONDS);
    return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: %s", what,
                          oneline(b, sizeof(b), r ? PQresultErrorMessage(r) : PQerrorMessage(c)));
}

static avow_err pg_connect(void *impl, void **conn, avow_error *err)
{
    pg_impl *im = impl;
    const char *vals[] = {"3", "1", "5", "2", "3", "5000", "avow", im->uri, NULL};
    _Static_assert(sizeof(vals) == sizeof(conn_keys), "one value per connection keyword");
    PGconn *c = PQconnectdbParams(conn_keys, vals, 1);
    if (!c) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    char b[200];
    if (PQstatus(c) != CONNECTION_OK) {
        avow_err rc =
            avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "postgresql connection failed: %s",
                           oneline(b, sizeof(b), PQerrorMessage(c)));
        PQfinish(c);
        return rc;
    }
    PQsetNoticeReceiver(c, quiet_notices, NULL);
    bool silent;
    PGresult *r = run(c, session_sql, -1, NULL, &silent);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        avow_err rc = run_error(c, r, silent, "postgresql session setup failed", err);
        PQclear(r);
        PQfinish(c);
        return rc;
    }
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

/* An idle pooled connection receives nothing unasked (it does not LISTEN),
 * so input waiting on its socket means the server is ending it: a restart
 * or shutdown sends a FATAL error and closes. One poll(2), no round trip. */
static bool pg_alive(void *conn)
{
    if (PQstatus(conn) != CONNECTION_OK) return false;
    struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
    return p.fd >= 0 && poll(&p, 1, 0) == 0;
}

static bool pg_lost(void *conn)
{
    return PQstatus(conn) != CONNECTION_OK;
}

static avow_err pg_exec(void *conn, const char *sql, int nparams, const char *const *params,
                        st_rows *rows, int64_t *changes, avow_error *err)
{
    if (rows) memset(rows, 0, sizeof(*rows));
    bool silent;
    PGresult *r = run(conn, sql, nparams, params, &silent);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        avow_err rc = run_error(conn, r, silent, "postgresql", err);
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

/* ---- change notifications ------------------------------------------------ */

#define CHANNEL "avow_changes"

static const struct {
    const char *table;
    unsigned change;
} channel_payloads[] = {
    {"settings", AVOW_STORE_CHANGED_SETTINGS},
    {"signing_keys", AVOW_STORE_CHANGED_KEYS},
    {"policies", AVOW_STORE_CHANGED_POLICIES},
    {"policy_certificates", AVOW_STORE_CHANGED_CERTIFICATES},
    {"collateral", AVOW_STORE_CHANGED_COLLATERAL},
    {"collateral_sets", AVOW_STORE_CHANGED_COLLATERAL},
    {"tcb_eval_numbers", AVOW_STORE_CHANGED_COLLATERAL},
};

/* ORs the queued notifications into *changes; an unknown payload (a newer
 * schema's table) counts as everything. */
static void take_notifies(PGconn *c, unsigned *changes)
{
    PGnotify *n;
    while ((n = PQnotifies(c))) {
        unsigned ch = AVOW_STORE_CHANGED_ALL;
        if (!strcmp(n->relname, CHANNEL))
            for (size_t i = 0; i < sizeof(channel_payloads) / sizeof(channel_payloads[0]); i++)
                if (!strcmp(n->extra, channel_payloads[i].table)) ch = channel_payloads[i].change;
        *changes |= ch;
        PQfreemem(n);
    }
}

static avow_err pg_listen_open(void *impl, void **lconn, avow_error *err)
{
    void *c;
    avow_err rc = pg_connect(impl, &c, err);
    if (rc) return rc;
    if ((rc = pg_exec(c, "LISTEN " CHANNEL, 0, NULL, NULL, NULL, err))) {
        PQfinish(c);
        return rc;
    }
    unsigned ignored = 0; /* whatever came with LISTEN: the caller re-reads everything */
    take_notifies(c, &ignored);
    *lconn = c;
    return AVOW_OK;
}

static int pg_listen_fd(void *lconn)
{
    return PQsocket(lconn);
}

static avow_err pg_listen_read(void *lconn, unsigned *changes, avow_error *err)
{
    char b[200];
    if (!PQconsumeInput(lconn) || PQstatus(lconn) != CONNECTION_OK)
        return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET,
                              "postgresql listener connection lost: %s",
                              oneline(b, sizeof(b), PQerrorMessage(lconn)));
    take_notifies(lconn, changes);
    return AVOW_OK;
}

static const st_backend pg_backend = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .healthy = pg_healthy,
    .alive = pg_alive,
    .lost = pg_lost,
    .free_impl = pg_free_impl,
    .begin_write_sql = "BEGIN",
    .xact_lock_sql = "SELECT pg_advisory_xact_lock(CAST($1 AS BIGINT))",
    .listen_open = pg_listen_open,
    .listen_fd = pg_listen_fd,
    .listen_read = pg_listen_read,
    .listen_close = pg_disconnect,
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
