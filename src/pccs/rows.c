/* Collateral rows in the store (pccs.h): one current row per platform family
 * (FMSPC, PCK CA, TEE) holding the collateral bundle JSON, its earliest
 * nextUpdate, its TCB evaluation number, when and where it came from; every
 * set also under its evaluation number (collateral_sets); Intel's evaluation
 * numbers document per TEE. Rows are written only from
 * checked collateral, so the key and the bounds come from what the verifier
 * parsed, never from a second, laxer reading of the bytes.
 * Thread-safe: no state (the store is thread-safe). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "avow/encode.h"
#include "avow/quote.h"
#include "core/sha256.h"
#include "pccs/pccs.h"

void avow_pccs_row_key_of(const avow_platform_id *pid, avow_pccs_row_key *out)
{
    avow_hex_encode(pid->fmspc, 6, out->fmspc);
    snprintf(out->ca, sizeof(out->ca), "%s",
             pid->ca == AVOW_PCK_CA_UNKNOWN ? "" : avow_pck_ca_name(pid->ca));
    snprintf(out->tee, sizeof(out->tee), "%s", pid->tee_type == AVOW_TEE_TDX ? "tdx" : "sgx");
}

avow_err avow_pccs_row_put(avow_store *st, const avow_verified_collateral *vc,
                           const avow_platform_id *pid, const char *source, avow_time fetched_at,
                           const char *update, bool current, uint8_t digest[32], avow_error *err)
{
    const avow_collateral_info *info = avow_verified_collateral_info(vc);
    avow_pccs_row_key k;
    avow_pccs_row_key_of(pid ? pid : &info->platform, &k);
    char *bundle = NULL;
    avow_err rc = avow_collateral_to_bundle(avow_verified_collateral_raw(vc), &bundle, err);
    if (rc) return rc;
    if (digest) avow_sha256(bundle, strlen(bundle), digest);
    /* The set under its number (docs/verification.md A13); a set without
     * one (a TCB Info whose number is 0) only as the current row. */
    int num = info->tcb_eval_num;
    if (num > 0) {
        avow_store_coll_set set;
        memset(&set, 0, sizeof(set));
        memcpy(set.fmspc, k.fmspc, sizeof(set.fmspc));
        memcpy(set.ca, k.ca, sizeof(set.ca));
        memcpy(set.tee, k.tee, sizeof(set.tee));
        set.eval_num = num;
        snprintf(set.update, sizeof(set.update), "%s", update ? update : "standard");
        set.bundle = bundle;
        set.next_update = info->next_update;
        set.fetched_at = fetched_at;
        set.source = (char *)(source ? source : "");
        rc = avow_store_coll_set_put(st, &set, err);
    }
    if (!rc && current) {
        avow_store_collateral row;
        memset(&row, 0, sizeof(row));
        memcpy(row.fmspc, k.fmspc, sizeof(row.fmspc));
        memcpy(row.ca, k.ca, sizeof(row.ca));
        memcpy(row.tee, k.tee, sizeof(row.tee));
        row.next_update = info->next_update;
        row.fetched_at = fetched_at;
        row.source = (char *)(source ? source : "");
        row.bundle = bundle;
        row.eval_num = num;
        rc = avow_store_collateral_put(st, &row, err);
    }
    free(bundle);
    return rc;
}

void avow_pccs_row_free(avow_pccs_row *r)
{
    if (r->found && !r->unchanged) avow_collateral_free(&r->coll);
    memset(r, 0, sizeof(*r));
}

/* Fills `out` from one stored bundle (its text `bundle`). */
static avow_err row_take(const char *bundle, avow_time next_update, const uint8_t *known,
                         const char *fmspc, const char *tee, avow_pccs_row *out, avow_error *err)
{
    out->found = true;
    out->next_update = next_update;
    avow_sha256(bundle, strlen(bundle), out->digest);
    if (known && !memcmp(known, out->digest, 32)) {
        out->unchanged = true;
        return AVOW_OK;
    }
    avow_err rc =
        avow_collateral_from_bundle((const uint8_t *)bundle, strlen(bundle), &out->coll, err);
    if (rc) {
        char what[96];
        snprintf(what, sizeof(what), "stored collateral for FMSPC %s (%s)", fmspc, tee);
        avow_error_prefix(err, what);
        out->found = false;
    }
    return rc;
}

avow_err avow_pccs_row_get(avow_store *st, const avow_platform_id *pid, int eval_num,
                           const char *update, const uint8_t *known, avow_pccs_row *out,
                           avow_error *err)
{
    memset(out, 0, sizeof(*out));
    avow_pccs_row_key k;
    avow_pccs_row_key_of(pid, &k);
    avow_err rc;
    if (eval_num > 0) {
        avow_store_coll_set set;
        const char *u = update ? update : "standard";
        rc = avow_store_coll_set_get(st, k.fmspc, k.ca, k.tee, eval_num, u, &set, err);
        if (rc == AVOW_ERR_NOT_FOUND && k.ca[0]) /* imported without a PCK CRL */
            rc = avow_store_coll_set_get(st, k.fmspc, "", k.tee, eval_num, u, &set, err);
        if (rc == AVOW_ERR_NOT_FOUND) {
            avow_error_clear(err);
            return AVOW_OK;
        }
        if (rc) return rc;
        rc = row_take(set.bundle, set.next_update, known, set.fmspc, set.tee, out, err);
        avow_store_coll_set_free(&set);
        return rc;
    }
    avow_store_collateral row;
    rc = avow_store_collateral_get(st, k.fmspc, k.ca, k.tee, &row, err);
    if (rc == AVOW_ERR_NOT_FOUND && k.ca[0]) /* imported without a PCK CRL */
        rc = avow_store_collateral_get(st, k.fmspc, "", k.tee, &row, err);
    if (rc == AVOW_ERR_NOT_FOUND) {
        avow_error_clear(err);
        return AVOW_OK;
    }
    if (rc) return rc;
    rc = row_take(row.bundle, row.next_update, known, row.fmspc, row.tee, out, err);
    avow_store_collateral_free(&row);
    return rc;
}

static bool key_matches(const char *rf, const char *rca, const char *rtee, const char *fmspc,
                        const char *ca, const char *tee)
{
    return (!fmspc || !strcasecmp(rf, fmspc)) && (!ca || !strcmp(rca, ca)) &&
           (!tee || !strcmp(rtee, tee));
}

static bool better(const avow_store_coll_set *r, const avow_store_coll_set *b, const char *update)
{
    bool rk = update && !strcmp(r->update, update), bk = update && !strcmp(b->update, update);
    if (rk != bk) return rk;
    if (r->eval_num != b->eval_num) return r->eval_num > b->eval_num;
    return r->next_update > b->next_update;
}

/* The (CA, TEE) keys a lookup with an FMSPC may match: the ones it names, else
 * each possible one. Each is read by its key, so a PCCS request costs at most
 * six indexed reads whatever the store holds (docs/security.md §4); only the
 * CRL routes, which name no FMSPC, go through the whole list. */
#define MAX_KEYS 6
typedef struct {
    const char *ca, *tee;
} cand_key;

static size_t candidate_keys(const char *ca, const char *tee, cand_key out[MAX_KEYS])
{
    static const char *const cas[] = {"processor", "platform", ""}, *const tees[] = {"sgx", "tdx"};
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 2; j++)
            if ((!ca || !strcmp(ca, cas[i])) && (!tee || !strcmp(tee, tees[j])))
                out[n++] = (cand_key){cas[i], tees[j]};
    return n; /* 0: a CA or TEE no row can have */
}

/* The set best matching a number and an update kind among the stored sets:
 * number `eval_num` (the kind asked for first), or with eval_num 0 the
 * highest number of kind `update`; ties go to the latest nextUpdate. */
static avow_err find_set(avow_store *st, const char *fmspc, const char *ca, const char *tee,
                         int eval_num, const char *update, avow_collateral *out, bool *found,
                         avow_error *err)
{
    *found = false;
    cand_key keys[MAX_KEYS];
    size_t nk = fmspc ? candidate_keys(ca, tee, keys) : 1;
    avow_store_coll_set best;
    bool have = false;
    for (size_t k = 0; k < nk; k++) {
        avow_store_coll_set *rows = NULL;
        size_t n = 0;
        avow_err e =
            fmspc ? avow_store_coll_set_list(st, fmspc, keys[k].ca, keys[k].tee, &rows, &n, err)
                  : avow_store_coll_set_list(st, NULL, NULL, NULL, &rows, &n, err);
        if (e) return e;
        for (size_t i = 0; i < n; i++) {
            const avow_store_coll_set *r = &rows[i];
            if (!key_matches(r->fmspc, r->ca, r->tee, fmspc, ca, tee)) continue;
            bool kind = update && !strcmp(r->update, update);
            if (eval_num > 0 ? r->eval_num != eval_num : !kind) continue;
            if (have && !better(r, &best, update)) continue;
            best = *r; /* the key fields only: the strings stay with `rows` */
            best.bundle = best.source = NULL;
            have = true;
        }
        avow_store_coll_set_list_free(rows, n);
    }
    if (!have) return AVOW_OK;
    avow_store_coll_set set;
    avow_err e = avow_store_coll_set_get(st, best.fmspc, best.ca, best.tee, best.eval_num,
                                         best.update, &set, err);
    if (e) return e;
    e = avow_collateral_from_bundle((const uint8_t *)set.bundle, strlen(set.bundle), out, err);
    if (e)
        avow_error_prefix(err, "stored collateral");
    else
        *found = true;
    avow_store_coll_set_free(&set);
    return e;
}

/* The current row best matching the key (latest nextUpdate; with
 * `legacy_only` only rows written before schema 4, number 0): by key with an
 * FMSPC, else from the list of rows (without bundles), then read whole. */
static avow_err find_row(avow_store *st, const char *fmspc, const char *ca, const char *tee,
                         bool legacy_only, avow_store_collateral *best, bool *found,
                         avow_error *err)
{
    *found = false;
    memset(best, 0, sizeof(*best));
    if (fmspc) {
        cand_key keys[MAX_KEYS];
        size_t nk = candidate_keys(ca, tee, keys);
        for (size_t k = 0; k < nk; k++) {
            avow_store_collateral row;
            avow_err e = avow_store_collateral_get(st, fmspc, keys[k].ca, keys[k].tee, &row, err);
            if (e == AVOW_ERR_NOT_FOUND) {
                avow_error_clear(err);
                continue;
            }
            if (e) {
                avow_store_collateral_free(best);
                *found = false;
                return e;
            }
            if ((legacy_only && row.eval_num != 0) ||
                (*found && row.next_update <= best->next_update)) {
                avow_store_collateral_free(&row);
                continue;
            }
            avow_store_collateral_free(best);
            *best = row;
            *found = true;
        }
        return AVOW_OK;
    }
    avow_store_collateral *rows = NULL;
    size_t n = 0;
    avow_err e = avow_store_collateral_list(st, &rows, &n, err);
    if (e != AVOW_OK) return e;
    const avow_store_collateral *pick = NULL;
    for (size_t i = 0; i < n; i++) {
        const avow_store_collateral *row = &rows[i];
        if (!key_matches(row->fmspc, row->ca, row->tee, fmspc, ca, tee)) continue;
        if (legacy_only && row->eval_num != 0) continue;
        if (!pick || row->next_update > pick->next_update) pick = row;
    }
    if (pick) {
        e = avow_store_collateral_get(st, pick->fmspc, pick->ca, pick->tee, best, err);
        *found = e == AVOW_OK;
    }
    avow_store_collateral_list_free(rows, n);
    return e;
}

avow_err avow_pccs_row_find(avow_store *st, const char *fmspc, const char *ca, const char *tee,
                            int eval_num, const char *update, avow_collateral *out, avow_error *err)
{
    avow_collateral_init(out);
    if (eval_num > 0 || update) {
        bool found;
        avow_err e = find_set(st, fmspc, ca, tee, eval_num, update, out, &found, err);
        if (e || found) return e;
        if (eval_num > 0)
            return avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                                  "no collateral of TCB evaluation number %d%s%s in this store",
                                  eval_num, fmspc ? " for FMSPC " : "", fmspc ? fmspc : "");
    }
    /* With a channel asked for and no set of it held: only a current row
     * written before schema 4 (number 0, channel unknown) may answer; a
     * current row with a number is a set of the other channel (a downstream
     * service asking for "early" must not be given "standard" silently). */
    bool legacy_only = update != NULL, found;
    avow_store_collateral row;
    avow_err e = find_row(st, fmspc, ca, tee, legacy_only, &row, &found, err);
    if (e != AVOW_OK) return e;
    if (!found)
        return avow_error_set(
            err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET, "no collateral%s%s%s%s%s%s%s%s in this store",
            legacy_only ? " of update channel " : "", legacy_only ? update : "",
            fmspc ? " for FMSPC " : "", fmspc ? fmspc : "", ca ? " from the " : "", ca ? ca : "",
            ca ? " CA" : "", tee ? (strcmp(tee, "tdx") ? " (SGX)" : " (TDX)") : "");
    e = avow_collateral_from_bundle((const uint8_t *)row.bundle, strlen(row.bundle), out, err);
    avow_store_collateral_free(&row);
    if (e != AVOW_OK) avow_error_prefix(err, "stored collateral");
    return e;
}

/* ---- the evaluation numbers document ---------------------------------------- */

avow_err avow_pccs_evalnums_put(avow_store *st, avow_verifier *v, const avow_evalnums_raw *raw,
                                const avow_evalnums *doc, const char *source, avow_time fetched_at,
                                avow_error *err)
{
    /* A stored document that does not check against v's roots (imported
     * with a warning under another root, say) is no newer document to keep:
     * with a later nextUpdate it would otherwise keep Intel's out for good,
     * and be what the PCCS route serves. Conversely such a document is never
     * stored over one that checks. */
    bool replace_any = false;
    avow_evalnums_raw cur;
    if (v && avow_pccs_evalnums_get(st, doc->tee_type, &cur, NULL) == AVOW_OK) {
        bool cur_ok = avow_evalnums_check(v, &cur, NULL, NULL) == AVOW_OK;
        avow_evalnums_raw_free(&cur);
        if (!cur_ok)
            replace_any = true;
        else if (avow_evalnums_check(v, raw, NULL, NULL) != AVOW_OK)
            return avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                                  "the stored TCB evaluation data numbers (%s) check against the "
                                  "trusted roots and these do not: the stored ones are kept",
                                  doc->tee_type == AVOW_TEE_TDX ? "TDX" : "SGX");
    }
    avow_store_evalnums d;
    memset(&d, 0, sizeof(d));
    snprintf(d.tee, sizeof(d.tee), "%s", doc->tee_type == AVOW_TEE_TDX ? "tdx" : "sgx");
    d.signed_json = raw->signed_json;
    avow_hex_encode(raw->sig, 64, d.signature);
    d.issuer_chain = raw->issuer_chain;
    d.newest = avow_evalnums_newest(doc);
    d.next_update = doc->next_update;
    d.fetched_at = fetched_at;
    d.source = (char *)(source ? source : "");
    return avow_store_evalnums_put(st, &d, replace_any, err);
}

avow_err avow_pccs_evalnums_get(avow_store *st, uint32_t tee, avow_evalnums_raw *out,
                                avow_error *err)
{
    memset(out, 0, sizeof(*out));
    avow_store_evalnums d;
    avow_err e = avow_store_evalnums_get(st, tee == AVOW_TEE_TDX ? "tdx" : "sgx", &d, err);
    if (e) return e;
    if (avow_hex_decode_fixed(d.signature, strlen(d.signature), out->sig, 64, err) != AVOW_OK) {
        avow_store_evalnums_free(&d);
        avow_error_prefix(err, "stored TCB evaluation data numbers: signature");
        return AVOW_ERR_FORMAT;
    }
    out->signed_json = d.signed_json;
    out->signed_len = strlen(d.signed_json);
    out->issuer_chain = d.issuer_chain;
    d.signed_json = d.issuer_chain = NULL;
    avow_store_evalnums_free(&d);
    return AVOW_OK;
}
