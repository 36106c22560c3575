/* The store's single interface (src/store/store.h): opens a backend by
 * location and implements every operation once in SQL that SQLite and
 * PostgreSQL both accept (the connection pool is pool.c).
 * Thread-safe: connections come from a mutex-protected pool and are used by
 * one thread at a time; multi-statement changes run in transactions. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "core/sha256.h"
#include "pki/cert.h"
#include "store/backend.h"

/* ---- open / close ---------------------------------------------------------*/

static bool is_pg_uri(const char *loc)
{
    return !strncmp(loc, "postgresql://", 13) || !strncmp(loc, "postgres://", 11);
}

/* "postgresql://user:secret@host/db?password=x" -> password parts as "***". */
static char *mask_location(const char *loc)
{
    char *m = malloc(strlen(loc) + 8);
    if (!m) return NULL;
    strcpy(m, loc);
    if (!is_pg_uri(loc)) return m;
    char *auth = strstr(m, "://") + 3;
    char *at = strchr(auth, '@'), *slash = strchr(auth, '/');
    if (at && (!slash || at < slash)) {
        char *colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon) memmove(colon + 4, at, strlen(at) + 1), memcpy(colon, ":***", 4);
    }
    char *pw = strstr(m, "password=");
    if (pw) {
        char *end = strchr(pw, '&');
        char *rest = end ? strdup(end) : strdup("");
        if (rest) {
            strcpy(pw + 9, "***");
            strcat(pw, rest);
            free(rest);
        }
    }
    return m;
}

avow_err avow_store_open(const char *location, avow_store **out, avow_error *err)
{
    *out = NULL;
    if (!location || !*location)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "store: no location given");
    avow_store *s = calloc(1, sizeof(*s));
    if (!s) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->location = mask_location(location);
    avow_err rc = !s->location
                      ? avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory")
                  : is_pg_uri(location) ? st_pg_open(location, &s->be, &s->impl, err)
                                        : st_sqlite_open(location, &s->be, &s->impl, err);
    if (!rc) rc = st_schema_apply(s, err);
    if (rc) {
        char what[300];
        snprintf(what, sizeof(what), "store %s", s->location ? s->location : location);
        avow_error_prefix(err, what);
        avow_store_close(s);
        return rc;
    }
    *out = s;
    return AVOW_OK;
}

void avow_store_close(avow_store *s)
{
    if (!s) return;
    if (s->be) st_pool_close(s);
    if (s->be && s->impl) s->be->free_impl(s->impl);
    free(s->location);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

const char *avow_store_backend(const avow_store *s)
{
    return s->be->name;
}

const char *avow_store_location(const avow_store *s)
{
    return s->location;
}

/* ---- helpers ------------------------------------------------------------- */

void st_fmt_i64(int64_t v, char buf[24])
{
    snprintf(buf, 24, "%lld", (long long)v);
}

int64_t st_parse_i64(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

char *st_dup_cell(const char *c)
{
    return c ? strdup(c) : NULL;
}

avow_err st_nomem(avow_error *err)
{
    return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
}

/* Lower-case copy into `out` (cap bytes); false if too long or empty. */
static bool lower_into(const char *in, char *out, size_t cap)
{
    size_t n = in ? strlen(in) : 0;
    if (n == 0 || n >= cap) return false;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    return true;
}

/* ---- settings -------------------------------------------------------------*/

avow_err avow_store_setting_get(avow_store *s, const char *key, char **value, avow_error *err)
{
    *value = NULL;
    if (!key) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "setting: no key");
    st_rows r;
    const char *p[] = {key};
    avow_err rc = st_exec(s, "SELECT value FROM settings WHERE key = $1", 1, p, &r, NULL, err);
    if (rc) return rc;
    if (!r.nrows)
        rc =
            avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET, "setting '%s' is not set", key);
    else if (!(*value = st_dup_cell(st_cell(&r, 0, 0))))
        rc = st_nomem(err);
    st_rows_free(&r);
    return rc;
}

avow_err avow_store_setting_set(avow_store *s, const char *key, const char *value, avow_error *err)
{
    if (!key || !value)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "setting: no key or value");
    const char *p[] = {key, value};
    return st_exec(s,
                   "INSERT INTO settings (key, value) VALUES ($1, $2)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   2, p, NULL, NULL, err);
}

avow_err avow_store_setting_set_default(avow_store *s, const char *key, const char *value,
                                        bool *set, avow_error *err)
{
    if (set) *set = false;
    if (!key || !value)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "setting: no key or value");
    const char *p[] = {key, value};
    int64_t n = 0;
    avow_err rc = st_exec(s,
                          "INSERT INTO settings (key, value) VALUES ($1, $2)"
                          " ON CONFLICT (key) DO NOTHING",
                          2, p, NULL, &n, err);
    if (!rc && set) *set = n > 0;
    return rc;
}

avow_err avow_store_setting_delete(avow_store *s, const char *key, avow_error *err)
{
    const char *p[] = {key};
    return st_exec(s, "DELETE FROM settings WHERE key = $1", 1, p, NULL, NULL, err);
}

/* ---- signing keys ---------------------------------------------------------*/

void avow_store_key_free(avow_store_key *k)
{
    if (!k) return;
    if (k->key_pem) {
        avow_wipe(k->key_pem, strlen(k->key_pem));
        free(k->key_pem);
    }
    free(k->kid);
    free(k->cert_pem);
    memset(k, 0, sizeof(*k));
}

void avow_store_key_list_free(avow_store_key *keys, size_t n)
{
    if (!keys) return;
    for (size_t i = 0; i < n; i++)
        avow_store_key_free(&keys[i]);
    free(keys);
}

#define KEY_COLS "kid, key_pem, cert_pem, created_at, active, retired_at"

static avow_err key_from_row(const st_rows *r, size_t i, avow_store_key *k, avow_error *err)
{
    memset(k, 0, sizeof(*k));
    k->kid = st_dup_cell(st_cell(r, i, 0));
    k->key_pem = st_dup_cell(st_cell(r, i, 1));
    k->cert_pem = st_dup_cell(st_cell(r, i, 2));
    k->created_at = st_parse_i64(st_cell(r, i, 3));
    k->active = st_parse_i64(st_cell(r, i, 4)) != 0;
    k->retired_at = st_parse_i64(st_cell(r, i, 5));
    if (!k->kid || !k->key_pem || !k->cert_pem) {
        avow_store_key_free(k);
        return st_nomem(err);
    }
    return AVOW_OK;
}

/* Wipes every cell of a result that carried private keys. */
static void rows_wipe_free(st_rows *r)
{
    for (size_t i = 0; r->cells && i < r->nrows * r->ncols; i++)
        if (r->cells[i]) avow_wipe(r->cells[i], strlen(r->cells[i]));
    st_rows_free(r);
}

/* Adds a key in one transaction under the signing-keys lock, so concurrent
 * writers (rotations, replicas creating their first key) are serialised.
 * With only_first, adds nothing when an active key exists. */
static avow_err key_add(avow_store *s, const avow_store_key *k, bool only_first, bool *added,
                        avow_error *err)
{
    if (added) *added = false;
    if (!k || !k->kid || !*k->kid || !k->key_pem || !k->cert_pem)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "signing key: kid, key and certificate required");
    void *conn;
    avow_err rc = st_tx_begin(s, ST_LOCK_SIGNING_KEYS, &conn, err);
    if (rc) return rc;
    const st_backend *be = s->be;
    st_rows r;
    char created[24], active[2] = {k->active ? '1' : '0', 0}, retired[24];
    st_fmt_i64(k->created_at, created);
    st_fmt_i64(k->retired_at, retired);
    const char *pk[] = {k->kid};
    const char *pi[] = {k->kid, k->key_pem, k->cert_pem, created, active, retired};
    bool skipped = false;
    if (only_first) {
        if ((rc = be->exec(conn, "SELECT 1 FROM signing_keys WHERE active <> 0", 0, NULL, &r, NULL,
                           err)))
            goto end;
        skipped = r.nrows > 0; /* another writer was first: nothing to do */
        st_rows_free(&r);
        if (skipped) goto end;
    }
    if ((rc = be->exec(conn, "SELECT 1 FROM signing_keys WHERE kid = $1", 1, pk, &r, NULL, err)))
        goto end;
    bool dup = r.nrows > 0;
    st_rows_free(&r);
    if (dup) {
        rc = avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "signing key %s already exists",
                            k->kid);
        goto end;
    }
    if (k->active && (rc = be->exec(conn, "UPDATE signing_keys SET active = 0 WHERE active <> 0", 0,
                                    NULL, NULL, NULL, err)))
        goto end;
    rc = be->exec(conn, "INSERT INTO signing_keys (" KEY_COLS ") VALUES ($1, $2, $3, $4, $5, $6)",
                  6, pi, NULL, NULL, err);
end:
    rc = st_tx_end(s, conn, rc, err);
    if (rc == AVOW_OK && added) *added = !skipped;
    return rc;
}

avow_err avow_store_key_add(avow_store *s, const avow_store_key *k, avow_error *err)
{
    return key_add(s, k, false, NULL, err);
}

avow_err avow_store_key_add_first(avow_store *s, const avow_store_key *k, bool *added,
                                  avow_error *err)
{
    if (k && !k->active)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "signing key: the first key must be the active one");
    return key_add(s, k, true, added, err);
}

avow_err avow_store_key_active(avow_store *s, avow_store_key *out, avow_error *err)
{
    memset(out, 0, sizeof(*out));
    st_rows r;
    avow_err rc = st_exec(s,
                          "SELECT " KEY_COLS
                          " FROM signing_keys WHERE active <> 0"
                          " ORDER BY created_at DESC, kid LIMIT 1",
                          0, NULL, &r, NULL, err);
    if (rc) return rc;
    if (!r.nrows)
        rc = avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET, "no active signing key");
    else
        rc = key_from_row(&r, 0, out, err);
    rows_wipe_free(&r);
    return rc;
}

avow_err avow_store_key_list(avow_store *s, bool include_retired, avow_store_key **out, size_t *n,
                             avow_error *err)
{
    *out = NULL;
    *n = 0;
    st_rows r;
    avow_err rc = st_exec(s,
                          include_retired ? "SELECT " KEY_COLS
                                            " FROM signing_keys ORDER BY created_at DESC, kid"
                                          : "SELECT " KEY_COLS
                                            " FROM signing_keys WHERE retired_at = 0"
                                            " ORDER BY created_at DESC, kid",
                          0, NULL, &r, NULL, err);
    if (rc) return rc;
    if (r.nrows) {
        *out = calloc(r.nrows, sizeof(avow_store_key));
        if (!*out) rc = st_nomem(err);
        for (size_t i = 0; !rc && i < r.nrows; i++) {
            rc = key_from_row(&r, i, &(*out)[i], err);
            if (!rc) *n = i + 1;
        }
        if (rc) {
            avow_store_key_list_free(*out, *n);
            *out = NULL;
            *n = 0;
        }
    }
    rows_wipe_free(&r);
    return rc;
}

avow_err avow_store_key_retire(avow_store *s, const char *kid, avow_time at, avow_error *err)
{
    if (!kid) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "retire: no kid");
    char t[24];
    st_fmt_i64(at, t);
    const char *p[] = {kid, t};
    int64_t changed = 0;
    avow_err rc = st_exec(s,
                          "UPDATE signing_keys SET retired_at = $2"
                          " WHERE kid = $1 AND active = 0",
                          2, p, NULL, &changed, err);
    if (rc || changed) return rc;
    st_rows r;
    if ((rc = st_exec(s, "SELECT active FROM signing_keys WHERE kid = $1", 1, p, &r, NULL, err)))
        return rc;
    rc = r.nrows
             ? avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "signing key %s is the active key: rotate before retiring it", kid)
             : avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET, "no signing key %s", kid);
    st_rows_free(&r);
    return rc;
}

/* ---- policies ------------------------------------------------------------ */

void avow_store_policy_free(avow_store_policy *p)
{
    if (!p) return;
    free(p->type);
    free(p->jws);
    free(p->hash);
    memset(p, 0, sizeof(*p));
}

avow_err avow_store_policy_get(avow_store *s, const char *type, avow_store_policy *out,
                               avow_error *err)
{
    memset(out, 0, sizeof(*out));
    char t[64];
    if (!lower_into(type, t, sizeof(t)))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "policy: bad attestation type");
    const char *p[] = {t};
    st_rows r;
    avow_err rc = st_exec(s,
                          "SELECT attestation_type, jws, hash, updated_at FROM policies"
                          " WHERE attestation_type = $1",
                          1, p, &r, NULL, err);
    if (rc) return rc;
    if (!r.nrows) {
        rc = avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET, "no policy stored for %s",
                            type);
    } else {
        out->type = st_dup_cell(st_cell(&r, 0, 0));
        out->jws = st_dup_cell(st_cell(&r, 0, 1));
        out->hash = st_dup_cell(st_cell(&r, 0, 2));
        out->updated_at = st_parse_i64(st_cell(&r, 0, 3));
        if (!out->type || !out->jws || !out->hash) {
            avow_store_policy_free(out);
            rc = st_nomem(err);
        }
    }
    st_rows_free(&r);
    return rc;
}

avow_err avow_store_policy_put(avow_store *s, const char *type, const char *jws, avow_time at,
                               char *hash_out, avow_error *err)
{
    char t[64];
    if (!lower_into(type, t, sizeof(t)) || !jws)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "policy: bad attestation type or no JWS");
    uint8_t h[32];
    char hash[44], ts[24];
    avow_sha256(jws, strlen(jws), h);
    avow_base64url_encode(h, sizeof(h), hash);
    st_fmt_i64(at, ts);
    const char *p[] = {t, jws, hash, ts};
    avow_err rc = st_exec(s,
                          "INSERT INTO policies (attestation_type, jws, hash, updated_at)"
                          " VALUES ($1, $2, $3, $4) ON CONFLICT (attestation_type) DO UPDATE"
                          " SET jws = excluded.jws, hash = excluded.hash,"
                          " updated_at = excluded.updated_at",
                          4, p, NULL, NULL, err);
    if (!rc && hash_out) memcpy(hash_out, hash, sizeof(hash));
    return rc;
}

avow_err avow_store_policy_delete(avow_store *s, const char *type, bool *removed, avow_error *err)
{
    if (removed) *removed = false;
    char t[64];
    if (!lower_into(type, t, sizeof(t)))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "policy: bad attestation type");
    const char *p[] = {t};
    int64_t n = 0;
    avow_err rc =
        st_exec(s, "DELETE FROM policies WHERE attestation_type = $1", 1, p, NULL, &n, err);
    if (!rc && removed) *removed = n > 0;
    return rc;
}

/* ---- policy-signer certificates ------------------------------------------ */

void avow_store_cert_list_free(avow_store_cert *certs, size_t n)
{
    if (!certs) return;
    for (size_t i = 0; i < n; i++)
        free(certs[i].cert_pem);
    free(certs);
}

avow_err avow_store_cert_add(avow_store *s, const char *cert_pem, avow_time at, bool *added,
                             char *thumbprint_out, avow_error *err)
{
    if (added) *added = false;
    if (!cert_pem)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "certificate: none given");
    char *pem = NULL, thumb[41], ts[24];
    /* Keep one canonical certificate, whatever surrounded it in the input. */
    avow_err rc = avow_cert_pem_canonical(cert_pem, strlen(cert_pem), &pem, thumb, err);
    if (rc) {
        free(pem);
        return rc;
    }
    st_fmt_i64(at, ts);
    const char *p[] = {thumb, pem, ts};
    int64_t n = 0;
    rc = st_exec(s,
                 "INSERT INTO policy_certificates (thumbprint, cert_pem, added_at, seq)"
                 " SELECT $1, $2, CAST($3 AS BIGINT), COALESCE(MAX(seq), 0) + 1"
                 " FROM policy_certificates WHERE 1 = 1"
                 " ON CONFLICT (thumbprint) DO NOTHING",
                 3, p, NULL, &n, err);
    free(pem);
    if (rc) return rc;
    if (added) *added = n > 0;
    if (thumbprint_out) memcpy(thumbprint_out, thumb, sizeof(thumb));
    return AVOW_OK;
}

avow_err avow_store_cert_remove(avow_store *s, const char *thumbprint, bool *removed,
                                avow_error *err)
{
    if (removed) *removed = false;
    char t[41];
    if (!lower_into(thumbprint, t, sizeof(t)))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "certificate: bad thumbprint");
    const char *p[] = {t};
    int64_t n = 0;
    avow_err rc =
        st_exec(s, "DELETE FROM policy_certificates WHERE thumbprint = $1", 1, p, NULL, &n, err);
    if (!rc && removed) *removed = n > 0;
    return rc;
}

avow_err avow_store_cert_list(avow_store *s, avow_store_cert **out, size_t *n, avow_error *err)
{
    *out = NULL;
    *n = 0;
    st_rows r;
    avow_err rc = st_exec(s,
                          "SELECT thumbprint, cert_pem, added_at FROM policy_certificates"
                          " ORDER BY seq, thumbprint",
                          0, NULL, &r, NULL, err);
    if (rc) return rc;
    if (r.nrows) {
        *out = calloc(r.nrows, sizeof(avow_store_cert));
        if (!*out) rc = st_nomem(err);
        for (size_t i = 0; !rc && i < r.nrows; i++) {
            avow_store_cert *c = &(*out)[i];
            snprintf(c->thumbprint, sizeof(c->thumbprint), "%s",
                     st_cell(&r, i, 0) ? st_cell(&r, i, 0) : "");
            c->added_at = st_parse_i64(st_cell(&r, i, 2));
            if (!(c->cert_pem = st_dup_cell(st_cell(&r, i, 1)))) rc = st_nomem(err);
            *n = i + 1;
        }
        if (rc) {
            avow_store_cert_list_free(*out, *n);
            *out = NULL;
            *n = 0;
        }
    }
    st_rows_free(&r);
    return rc;
}

/* ---- collateral rows ----------------------------------------------------- */

void avow_store_collateral_free(avow_store_collateral *c)
{
    if (!c) return;
    free(c->bundle);
    free(c->source);
    c->bundle = NULL;
    c->source = NULL;
}

void avow_store_collateral_list_free(avow_store_collateral *rows, size_t n)
{
    if (!rows) return;
    for (size_t i = 0; i < n; i++)
        avow_store_collateral_free(&rows[i]);
    free(rows);
}

avow_err st_check_coll_key(const char *fmspc, const char *ca, const char *tee, char f[13],
                           avow_error *err)
{
    if (!lower_into(fmspc, f, 13) || strlen(f) != 12 || strspn(f, "0123456789abcdef") != 12)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "collateral: FMSPC must be 12 hex digits");
    if (!ca || (strcmp(ca, "processor") && strcmp(ca, "platform") && strcmp(ca, "")))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "collateral: CA must be \"processor\", \"platform\" or \"\"");
    if (!tee || (strcmp(tee, "sgx") && strcmp(tee, "tdx")))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "collateral: TEE must be \"sgx\" or \"tdx\"");
    return AVOW_OK;
}

avow_err avow_store_collateral_put(avow_store *s, const avow_store_collateral *row, avow_error *err)
{
    char f[13], nu[24], fa[24];
    avow_err rc = st_check_coll_key(row->fmspc, row->ca, row->tee, f, err);
    if (rc) return rc;
    if (!row->bundle)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "collateral: no bundle");
    st_fmt_i64(row->next_update, nu);
    st_fmt_i64(row->fetched_at, fa);
    char en[24];
    st_fmt_i64(row->eval_num, en);
    const char *p[] = {f, row->ca, row->tee, row->bundle, nu, fa, row->source ? row->source : "",
                       en};
    /* an older evaluation number never replaces a newer one (it is kept in
     * collateral_sets, evalnum.c) */
    return st_exec(
        s,
        "INSERT INTO collateral (fmspc, ca, tee, bundle, next_update, fetched_at, source,"
        " eval_num) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (fmspc, ca, tee) DO UPDATE"
        " SET bundle = excluded.bundle, next_update = excluded.next_update,"
        " fetched_at = excluded.fetched_at, source = excluded.source,"
        " eval_num = excluded.eval_num WHERE collateral.eval_num <= excluded.eval_num",
        8, p, NULL, NULL, err);
}

static void coll_from_row(const st_rows *r, size_t i, bool with_bundle, avow_store_collateral *c)
{
    size_t k = 0;
    snprintf(c->fmspc, sizeof(c->fmspc), "%s", st_cell(r, i, k) ? st_cell(r, i, k) : "");
    k++;
    snprintf(c->ca, sizeof(c->ca), "%s", st_cell(r, i, k) ? st_cell(r, i, k) : "");
    k++;
    snprintf(c->tee, sizeof(c->tee), "%s", st_cell(r, i, k) ? st_cell(r, i, k) : "");
    k++;
    c->next_update = st_parse_i64(st_cell(r, i, k++));
    c->fetched_at = st_parse_i64(st_cell(r, i, k++));
    c->source = st_dup_cell(st_cell(r, i, k++));
    c->eval_num = (int)st_parse_i64(st_cell(r, i, k++));
    c->bundle = with_bundle ? st_dup_cell(st_cell(r, i, k)) : NULL;
}

avow_err avow_store_collateral_get(avow_store *s, const char *fmspc, const char *ca,
                                   const char *tee, avow_store_collateral *out, avow_error *err)
{
    memset(out, 0, sizeof(*out));
    char f[13];
    avow_err rc = st_check_coll_key(fmspc, ca, tee, f, err);
    if (rc) return rc;
    const char *p[] = {f, ca, tee};
    st_rows r;
    rc = st_exec(s,
                 "SELECT fmspc, ca, tee, next_update, fetched_at, source, eval_num, bundle"
                 " FROM collateral"
                 " WHERE fmspc = $1 AND ca = $2 AND tee = $3",
                 3, p, &r, NULL, err);
    if (rc) return rc;
    if (!r.nrows) {
        rc = avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                            "no collateral stored for FMSPC %s (CA \"%s\", TEE %s)", f, ca, tee);
    } else {
        coll_from_row(&r, 0, true, out);
        if (!out->source || !out->bundle) {
            avow_store_collateral_free(out);
            rc = st_nomem(err);
        }
    }
    st_rows_free(&r);
    return rc;
}

avow_err avow_store_collateral_list(avow_store *s, avow_store_collateral **out, size_t *n,
                                    avow_error *err)
{
    *out = NULL;
    *n = 0;
    st_rows r;
    avow_err rc = st_exec(s,
                          "SELECT fmspc, ca, tee, next_update, fetched_at, source, eval_num"
                          " FROM collateral ORDER BY fmspc, ca, tee",
                          0, NULL, &r, NULL, err);
    if (rc) return rc;
    if (r.nrows) {
        *out = calloc(r.nrows, sizeof(avow_store_collateral));
        if (!*out) rc = st_nomem(err);
        for (size_t i = 0; !rc && i < r.nrows; i++) {
            coll_from_row(&r, i, false, &(*out)[i]);
            *n = i + 1;
            if (!(*out)[i].source) rc = st_nomem(err);
        }
        if (rc) {
            avow_store_collateral_list_free(*out, *n);
            *out = NULL;
            *n = 0;
        }
    }
    st_rows_free(&r);
    return rc;
}

avow_err avow_store_collateral_delete(avow_store *s, const char *fmspc, const char *ca,
                                      const char *tee, bool *removed, avow_error *err)
{
    if (removed) *removed = false;
    char f[13];
    avow_err rc = st_check_coll_key(fmspc, ca, tee, f, err);
    if (rc) return rc;
    const char *p[] = {f, ca, tee};
    int64_t n = 0;
    rc = st_exec(s, "DELETE FROM collateral WHERE fmspc = $1 AND ca = $2 AND tee = $3", 3, p, NULL,
                 &n, err);
    if (!rc && removed) *removed = n > 0;
    return rc;
}
