/* Rollback marks (src/store/store.h, "rollback marks"): per attestation
 * type, and once for the policy-signer certificates, the highest `iat` of a
 * signed management request the service has accepted, kept in the settings
 * table. A guarded write compares the request's iat with the mark, moves the
 * mark and makes the change in ONE write transaction, so two replicas (or two
 * threads) racing with an older and a newer request can never leave the older
 * change in force: the mark row is taken by a conditional upsert whose WHERE
 * is re-checked against the newest committed row (PostgreSQL holds that row
 * lock until COMMIT; SQLite's BEGIN IMMEDIATE excludes other writers).
 * Additive to store.c: the same tables, nothing else changes.
 * Thread-safe: each call runs on its own pooled connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "core/sha256.h"
#include "pki/cert.h"
#include "store/backend.h"

#define MARK_KEY_MAX 96

/* "rollback_mark:policy:<type lower-case>", or "rollback_mark:certificates"
 * for policy_type NULL. */
static bool mark_key(const char *policy_type, char key[MARK_KEY_MAX])
{
    if (!policy_type) {
        snprintf(key, MARK_KEY_MAX, "%scertificates", AVOW_SETTING_MARK_PREFIX);
        return true;
    }
    size_t n = strlen(policy_type);
    int w = snprintf(key, MARK_KEY_MAX, "%spolicy:", AVOW_SETTING_MARK_PREFIX);
    if (!n || (size_t)w + n >= MARK_KEY_MAX) return false;
    for (size_t i = 0; i <= n; i++) {
        char ch = policy_type[i];
        key[(size_t)w + i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    return true;
}

/* Inside the caller's transaction: moves the mark to `iat` unless it is
 * already higher; *won false (and *mark the current value) when it is. */
static avow_err mark_advance(const st_backend *be, void *conn, const char *key, int64_t iat,
                             bool *won, int64_t *mark, avow_error *err)
{
    char v[24];
    snprintf(v, sizeof(v), "%lld", (long long)iat);
    const char *p[] = {key, v};
    int64_t n = 0;
    avow_err rc =
        be->exec(conn,
                 "INSERT INTO settings (key, value) VALUES ($1, $2)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                 " WHERE CAST(settings.value AS BIGINT) <= CAST(excluded.value AS BIGINT)",
                 2, p, NULL, &n, err);
    if (rc) return rc;
    *won = n > 0;
    if (*won) {
        *mark = iat;
        return AVOW_OK;
    }
    st_rows r;
    if ((rc = be->exec(conn, "SELECT value FROM settings WHERE key = $1", 1, p, &r, NULL, err)))
        return rc;
    *mark = r.nrows && st_cell(&r, 0, 0) ? strtoll(st_cell(&r, 0, 0), NULL, 10) : 0;
    st_rows_free(&r);
    return AVOW_OK;
}

avow_err avow_store_mark_get(avow_store *s, const char *policy_type, int64_t *mark, avow_error *err)
{
    *mark = -1;
    char key[MARK_KEY_MAX];
    if (!mark_key(policy_type, key))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "rollback mark: bad name");
    char *v = NULL;
    avow_err rc = avow_store_setting_get(s, key, &v, err);
    if (rc == AVOW_ERR_NOT_FOUND) return AVOW_OK;
    if (rc) return rc;
    *mark = strtoll(v, NULL, 10);
    free(v);
    return AVOW_OK;
}

/* Runs `write` after the mark check, all in one write transaction. */
typedef avow_err (*guarded_write)(const st_backend *be, void *conn, const void *ctx,
                                  avow_error *err);

static avow_err guarded(avow_store *s, const char *policy_type, int64_t iat, guarded_write write,
                        const void *ctx, avow_store_guard *g, avow_error *err)
{
    g->accepted = false;
    g->mark = -1;
    char key[MARK_KEY_MAX];
    if (!mark_key(policy_type, key))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "rollback mark: bad name");
    void *conn;
    avow_err rc = st_tx_begin(s, NULL, &conn, err);
    if (rc) return rc;
    bool won = true;
    if (iat >= 0) rc = mark_advance(s->be, conn, key, iat, &won, &g->mark, err);
    if (!rc && !won) { /* stale: change nothing (roll back), and say so */
        st_tx_end(s, conn, AVOW_ERR_MISMATCH, NULL);
        return AVOW_OK;
    }
    if (!rc) rc = write(s->be, conn, ctx, err);
    rc = st_tx_end(s, conn, rc, err);
    g->accepted = rc == AVOW_OK;
    return rc;
}

/* ---- policies ------------------------------------------------------------ */

typedef struct {
    const char *type, *jws, *hash;
    avow_time at;
} policy_ctx;

static avow_err write_policy(const st_backend *be, void *conn, const void *ctx, avow_error *err)
{
    const policy_ctx *c = ctx;
    char ts[24];
    snprintf(ts, sizeof(ts), "%lld", (long long)c->at);
    const char *p[] = {c->type, c->jws, c->hash, ts};
    return be->exec(conn,
                    "INSERT INTO policies (attestation_type, jws, hash, updated_at)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (attestation_type) DO UPDATE"
                    " SET jws = excluded.jws, hash = excluded.hash,"
                    " updated_at = excluded.updated_at",
                    4, p, NULL, NULL, err);
}

avow_err avow_store_policy_put_guarded(avow_store *s, const char *type, const char *jws,
                                       int64_t iat, avow_time at, avow_store_guard *g,
                                       avow_error *err)
{
    memset(g, 0, sizeof(*g));
    char t[64], hash[44];
    size_t n = type ? strlen(type) : 0;
    if (!n || n >= sizeof(t) || !jws)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "policy: bad attestation type or no JWS");
    for (size_t i = 0; i <= n; i++)
        t[i] = (type[i] >= 'A' && type[i] <= 'Z') ? (char)(type[i] - 'A' + 'a') : type[i];
    uint8_t h[32];
    avow_sha256(jws, strlen(jws), h);
    avow_base64url_encode(h, sizeof(h), hash);
    policy_ctx c = {t, jws, hash, at};
    avow_err rc = guarded(s, t, iat, write_policy, &c, g, err);
    if (!rc && g->accepted) memcpy(g->hash, hash, sizeof(hash));
    return rc;
}

/* ---- policy-signer certificates ------------------------------------------ */

typedef struct {
    bool add;
    const char *thumb, *pem;
    avow_time at;
    int64_t changed;
} cert_ctx;

static avow_err write_cert(const st_backend *be, void *conn, const void *ctx, avow_error *err)
{
    cert_ctx *c = (cert_ctx *)ctx;
    char ts[24];
    snprintf(ts, sizeof(ts), "%lld", (long long)c->at);
    const char *p[] = {c->thumb, c->pem, ts};
    if (!c->add)
        return be->exec(conn, "DELETE FROM policy_certificates WHERE thumbprint = $1", 1, p, NULL,
                        &c->changed, err);
    return be->exec(conn,
                    "INSERT INTO policy_certificates (thumbprint, cert_pem, added_at, seq)"
                    " SELECT $1, $2, CAST($3 AS BIGINT), COALESCE(MAX(seq), 0) + 1"
                    " FROM policy_certificates WHERE 1 = 1"
                    " ON CONFLICT (thumbprint) DO NOTHING",
                    3, p, NULL, &c->changed, err);
}

avow_err avow_store_cert_change_guarded(avow_store *s, bool add, const char *cert_pem, int64_t iat,
                                        avow_time at, avow_store_guard *g, avow_error *err)
{
    memset(g, 0, sizeof(*g));
    if (!cert_pem)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "certificate: none given");
    char *pem = NULL, thumb[41];
    /* one canonical PEM per certificate, as avow_store_cert_add keeps it */
    avow_err rc = avow_cert_pem_canonical(cert_pem, strlen(cert_pem), &pem, thumb, err);
    if (!rc) {
        cert_ctx c = {add, thumb, pem, at, 0};
        rc = guarded(s, NULL, iat, write_cert, &c, g, err);
        g->changed = c.changed > 0;
        if (!rc) memcpy(g->thumbprint, thumb, sizeof(thumb));
    }
    free(pem);
    return rc;
}
