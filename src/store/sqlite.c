/* SQLite backend of the store: DIR/avow.db (directory created 0700, file
 * 0600) in WAL mode with a busy timeout, so several threads (each on its own
 * pooled connection) and several processes (avowd and `avow collateral
 * import`) can use it at once. $N placeholders are rewritten to ?N.
 * Thread-safety: one connection per thread at a time (the pool in pool.c);
 * SQLite itself is built thread-safe. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/backend.h"

#define BUSY_TIMEOUT_MS 15000

typedef struct {
    char *path;
} sq_impl;

static avow_err mkdirs(const char *dir, avow_error *err)
{
    char *p = strdup(dir);
    if (!p) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *c = p + 1;; c++) {
        bool end = *c == '\0';
        if (*c == '/' || end) {
            *c = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) {
                avow_err rc = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET,
                                             "cannot create directory %s: %s", p, strerror(errno));
                free(p);
                return rc;
            }
            if (end) break;
            *c = '/';
        }
    }
    struct stat st;
    avow_err rc = AVOW_OK;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s is not a directory", p);
    free(p);
    return rc;
}

static avow_err sq_connect(void *impl, void **conn, avow_error *err)
{
    sq_impl *im = impl;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        im->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        avow_err e = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "sqlite %s: %s", im->path,
                                    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return e;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    char *msg = NULL;
    /* journal_mode=WAL persists in the file; setting it again is cheap.
     * synchronous=FULL syncs the WAL at every commit: an answered write (a
     * tightened policy) survives a power loss, not only a crash of the
     * process. Writes are rare (policies, keys, collateral), so the cost is
     * not felt. */
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                     "PRAGMA foreign_keys=ON;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        avow_err e = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "sqlite %s: %s", im->path,
                                    msg ? msg : "pragma failed");
        sqlite3_free(msg);
        sqlite3_close(db);
        return e;
    }
    *conn = db;
    return AVOW_OK;
}

static void sq_disconnect(void *conn)
{
    sqlite3_close(conn);
}

static bool sq_healthy(void *conn)
{
    return conn != NULL;
}

/* "$12" -> "?12" (SQLite's numbered parameters); no '$' appears otherwise. */
static char *rewrite(const char *sql)
{
    char *s = strdup(sql);
    if (!s) return NULL;
    for (char *c = s; *c; c++)
        if (*c == '$' && c[1] >= '0' && c[1] <= '9') *c = '?';
    return s;
}

static avow_err sq_exec(void *conn, const char *sql, int nparams, const char *const *params,
                        st_rows *rows, int64_t *changes, avow_error *err)
{
    sqlite3 *db = conn;
    if (rows) memset(rows, 0, sizeof(*rows));
    char *q = rewrite(sql);
    if (!q) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    sqlite3_stmt *st = NULL;
    avow_err rc = AVOW_OK;
    size_t cap = 0;
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
        rc = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "sqlite: %s", sqlite3_errmsg(db));
        goto done;
    }
    for (int i = 0; i < nparams; i++) {
        int b = params[i] ? sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC)
                          : sqlite3_bind_null(st, i + 1);
        if (b != SQLITE_OK) {
            rc = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "sqlite bind %d: %s", i + 1,
                                sqlite3_errmsg(db));
            goto done;
        }
    }
    size_t ncols = (size_t)sqlite3_column_count(st);
    if (rows) rows->ncols = ncols;
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "sqlite: %s", sqlite3_errmsg(db));
            goto done;
        }
        if (!rows || !ncols) continue;
        if ((rows->nrows + 1) * ncols > cap) {
            size_t ncap = cap ? cap * 2 : ncols * 4;
            while (ncap < (rows->nrows + 1) * ncols)
                ncap *= 2;
            char **nc = realloc(rows->cells, ncap * sizeof(char *));
            if (!nc) {
                rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
                goto done;
            }
            rows->cells = nc;
            cap = ncap;
        }
        for (size_t c = 0; c < ncols; c++) {
            char **cell = &rows->cells[rows->nrows * ncols + c];
            *cell = NULL;
            if (sqlite3_column_type(st, (int)c) == SQLITE_NULL) continue;
            const unsigned char *t = sqlite3_column_text(st, (int)c);
            int n = sqlite3_column_bytes(st, (int)c);
            *cell = malloc((size_t)n + 1);
            if (!*cell) {
                for (size_t k = 0; k < c; k++)
                    free(rows->cells[rows->nrows * ncols + k]);
                rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
                goto done;
            }
            memcpy(*cell, t, (size_t)n);
            (*cell)[n] = '\0';
        }
        rows->nrows++;
    }
    if (changes) *changes = sqlite3_changes(db);
done:
    sqlite3_finalize(st);
    free(q);
    if (rc && rows) st_rows_free(rows);
    return rc;
}

static void sq_free_impl(void *impl)
{
    sq_impl *im = impl;
    if (!im) return;
    free(im->path);
    free(im);
}

static const st_backend sqlite_backend = {
    .name = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .healthy = sq_healthy,
    .free_impl = sq_free_impl,
    .begin_write_sql = "BEGIN IMMEDIATE",
    .xact_lock_sql = NULL, /* BEGIN IMMEDIATE already excludes other writers */
    /* no change notifications: readers re-read periodically */
};

avow_err st_sqlite_open(const char *dir, const st_backend **be, void **impl, avow_error *err)
{
    if (!dir || !*dir)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "store: empty data directory");
    avow_err rc = mkdirs(dir, err);
    if (rc) return rc;
    sq_impl *im = calloc(1, sizeof(*im));
    size_t n = strlen(dir) + sizeof("/avow.db");
    if (!im || !(im->path = malloc(n))) {
        free(im);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    snprintf(im->path, n, "%s/avow.db", dir);
    /* Create the file ourselves so it is 0600 from the start (it holds
     * private keys); SQLite gives its -wal/-shm files the same mode. */
    int fd = open(im->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "cannot open %s: %s", im->path,
                            strerror(errno));
        sq_free_impl(im);
        return rc;
    }
    close(fd);
    *be = &sqlite_backend;
    *impl = im;
    return AVOW_OK;
}
