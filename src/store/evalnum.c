/* The store's collateral per TCB evaluation number and Intel's evaluation
 * numbers document (store.h, schema version 4, docs/verification.md A13):
 * collateral_sets keeps every checked set under (platform, number, update
 * kind) so that older numbers stay beside newer ones; tcb_eval_numbers one
 * checked document per TEE. SQL in the dialect both backends accept.
 * Thread-safe: like the rest of the store (per-thread or pooled connections). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"

void avow_store_coll_set_free(avow_store_coll_set *c)
{
    if (!c) return;
    free(c->bundle);
    free(c->source);
    c->bundle = c->source = NULL;
}

void avow_store_coll_set_list_free(avow_store_coll_set *rows, size_t n)
{
    if (!rows) return;
    for (size_t i = 0; i < n; i++)
        avow_store_coll_set_free(&rows[i]);
    free(rows);
}

static avow_err check_update(const char *u, avow_error *err)
{
    if (u &&
        (!strcmp(u, "standard") || !strcmp(u, "early") || !strcmp(u, AVOW_STORE_UPDATE_BY_NUMBER)))
        return AVOW_OK;
    return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                          "collateral: update must be \"standard\", \"early\" or "
                          "\"" AVOW_STORE_UPDATE_BY_NUMBER "\"");
}

avow_err avow_store_coll_set_put(avow_store *s, const avow_store_coll_set *row, avow_error *err)
{
    char f[13], en[24], nu[24], fa[24];
    avow_err rc = st_check_coll_key(row->fmspc, row->ca, row->tee, f, err);
    if (rc || (rc = check_update(row->update, err))) return rc;
    if (!row->bundle || row->eval_num <= 0)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "collateral set: a bundle and an evaluation number are required");
    st_fmt_i64(row->eval_num, en);
    st_fmt_i64(row->next_update, nu);
    st_fmt_i64(row->fetched_at, fa);
    const char *p[] = {
        f, row->ca, row->tee, en, row->update, row->bundle, nu, fa, row->source ? row->source : ""};
    return st_exec(s,
                   "INSERT INTO collateral_sets (fmspc, ca, tee, eval_num, update_kind, bundle,"
                   " next_update, fetched_at, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                   " ON CONFLICT (fmspc, ca, tee, eval_num, update_kind) DO UPDATE"
                   " SET bundle = excluded.bundle, next_update = excluded.next_update,"
                   " fetched_at = excluded.fetched_at, source = excluded.source",
                   9, p, NULL, NULL, err);
}

#define SET_COLUMNS "fmspc, ca, tee, eval_num, update_kind, next_update, fetched_at, source"

static void set_from_row(const st_rows *r, size_t i, bool with_bundle, avow_store_coll_set *c)
{
    memset(c, 0, sizeof(*c));
    const char *v;
    snprintf(c->fmspc, sizeof(c->fmspc), "%s", (v = st_cell(r, i, 0)) ? v : "");
    snprintf(c->ca, sizeof(c->ca), "%s", (v = st_cell(r, i, 1)) ? v : "");
    snprintf(c->tee, sizeof(c->tee), "%s", (v = st_cell(r, i, 2)) ? v : "");
    c->eval_num = (int)st_parse_i64(st_cell(r, i, 3));
    snprintf(c->update, sizeof(c->update), "%s", (v = st_cell(r, i, 4)) ? v : "");
    c->next_update = st_parse_i64(st_cell(r, i, 5));
    c->fetched_at = st_parse_i64(st_cell(r, i, 6));
    c->source = st_dup_cell(st_cell(r, i, 7));
    c->bundle = with_bundle ? st_dup_cell(st_cell(r, i, 8)) : NULL;
}

avow_err avow_store_coll_set_get(avow_store *s, const char *fmspc, const char *ca, const char *tee,
                                 int eval_num, const char *update, avow_store_coll_set *out,
                                 avow_error *err)
{
    memset(out, 0, sizeof(*out));
    char f[13], en[24];
    avow_err rc = st_check_coll_key(fmspc, ca, tee, f, err);
    if (rc || (rc = check_update(update, err))) return rc;
    st_fmt_i64(eval_num, en);
    const char *p[] = {f, ca, tee, en, update};
    st_rows r;
    /* the kind asked for first ($5 sorts before the other kind) */
    rc = st_exec(s,
                 "SELECT " SET_COLUMNS
                 ", bundle FROM collateral_sets"
                 " WHERE fmspc = $1 AND ca = $2 AND tee = $3 AND eval_num = $4"
                 " ORDER BY CASE WHEN update_kind = $5 THEN 0 ELSE 1 END",
                 5, p, &r, NULL, err);
    if (rc) return rc;
    if (!r.nrows) {
        rc = avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                            "no collateral of TCB evaluation number %d stored for FMSPC %s (CA "
                            "\"%s\", TEE %s)",
                            eval_num, f, ca, tee);
    } else {
        set_from_row(&r, 0, true, out);
        if (!out->source || !out->bundle) {
            avow_store_coll_set_free(out);
            rc = st_nomem(err);
        }
    }
    st_rows_free(&r);
    return rc;
}

avow_err avow_store_coll_set_list(avow_store *s, const char *fmspc, const char *ca, const char *tee,
                                  avow_store_coll_set **out, size_t *n, avow_error *err)
{
    *out = NULL;
    *n = 0;
    char f[13];
    avow_err rc = AVOW_OK;
    st_rows r;
    if (fmspc) {
        if ((rc = st_check_coll_key(fmspc, ca, tee, f, err))) return rc;
        const char *p[] = {f, ca, tee};
        rc = st_exec(s,
                     "SELECT " SET_COLUMNS
                     " FROM collateral_sets"
                     " WHERE fmspc = $1 AND ca = $2 AND tee = $3 ORDER BY eval_num, update_kind",
                     3, p, &r, NULL, err);
    } else {
        rc = st_exec(s,
                     "SELECT " SET_COLUMNS
                     " FROM collateral_sets"
                     " ORDER BY fmspc, ca, tee, eval_num, update_kind",
                     0, NULL, &r, NULL, err);
    }
    if (rc) return rc;
    if (r.nrows && !(*out = calloc(r.nrows, sizeof(**out)))) rc = st_nomem(err);
    for (size_t i = 0; !rc && i < r.nrows; i++) {
        set_from_row(&r, i, false, &(*out)[i]);
        *n = i + 1;
        if (!(*out)[i].source) rc = st_nomem(err);
    }
    if (rc) {
        avow_store_coll_set_list_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    st_rows_free(&r);
    return rc;
}

void avow_store_evalnums_free(avow_store_evalnums *d)
{
    if (!d) return;
    free(d->signed_json);
    free(d->issuer_chain);
    free(d->source);
    d->signed_json = d->issuer_chain = d->source = NULL;
}

static avow_err check_tee(const char *tee, avow_error *err)
{
    if (tee && (!strcmp(tee, "sgx") || !strcmp(tee, "tdx"))) return AVOW_OK;
    return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                          "evaluation numbers: TEE must be \"sgx\" or \"tdx\"");
}

avow_err avow_store_evalnums_put(avow_store *s, const avow_store_evalnums *d, bool replace_any,
                                 avow_error *err)
{
    avow_err rc = check_tee(d->tee, err);
    if (rc) return rc;
    if (!d->signed_json || !d->issuer_chain || strlen(d->signature) != 128)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "evaluation numbers: the signed JSON, its signature and its issuer "
                              "chain are required");
    char nw[24], nu[24], fa[24];
    st_fmt_i64(d->newest, nw);
    st_fmt_i64(d->next_update, nu);
    st_fmt_i64(d->fetched_at, fa);
    const char *p[] = {d->tee,       d->signed_json,
                       d->signature, d->issuer_chain,
                       nw,           nu,
                       fa,           d->source ? d->source : ""};
#define EVALNUMS_UPSERT                                                        \
    "INSERT INTO tcb_eval_numbers (tee, signed_json, signature, issuer_chain," \
    " newest, next_update, fetched_at, source)"                                \
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tee) DO UPDATE"     \
    " SET signed_json = excluded.signed_json, signature = excluded.signature," \
    " issuer_chain = excluded.issuer_chain, newest = excluded.newest,"         \
    " next_update = excluded.next_update, fetched_at = excluded.fetched_at,"   \
    " source = excluded.source"
    return st_exec(s,
                   replace_any ? EVALNUMS_UPSERT
                               : EVALNUMS_UPSERT
                       " WHERE tcb_eval_numbers.next_update <= excluded.next_update",
                   8, p, NULL, NULL, err);
#undef EVALNUMS_UPSERT
}

avow_err avow_store_evalnums_get(avow_store *s, const char *tee, avow_store_evalnums *out,
                                 avow_error *err)
{
    memset(out, 0, sizeof(*out));
    avow_err rc = check_tee(tee, err);
    if (rc) return rc;
    const char *p[] = {tee};
    st_rows r;
    rc = st_exec(s,
                 "SELECT tee, signed_json, signature, issuer_chain, newest, next_update,"
                 " fetched_at, source FROM tcb_eval_numbers WHERE tee = $1",
                 1, p, &r, NULL, err);
    if (rc) return rc;
    if (!r.nrows) {
        rc = avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                            "no TCB evaluation data numbers stored for %s", tee);
    } else {
        const char *v;
        snprintf(out->tee, sizeof(out->tee), "%s", (v = st_cell(&r, 0, 0)) ? v : "");
        out->signed_json = st_dup_cell(st_cell(&r, 0, 1));
        snprintf(out->signature, sizeof(out->signature), "%s", (v = st_cell(&r, 0, 2)) ? v : "");
        out->issuer_chain = st_dup_cell(st_cell(&r, 0, 3));
        out->newest = (int)st_parse_i64(st_cell(&r, 0, 4));
        out->next_update = st_parse_i64(st_cell(&r, 0, 5));
        out->fetched_at = st_parse_i64(st_cell(&r, 0, 6));
        out->source = st_dup_cell(st_cell(&r, 0, 7));
        if (!out->signed_json || !out->issuer_chain || !out->source) {
            avow_store_evalnums_free(out);
            rc = st_nomem(err);
        }
    }
    st_rows_free(&r);
    return rc;
}
