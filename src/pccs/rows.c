/* Collateral rows in the store (pccs.h): one row per platform family
 * (FMSPC, PCK CA, TEE) holding the collateral bundle JSON, its earliest
 * nextUpdate, when and where it came from. Rows are written only from
 * checked collateral, so the key and the bounds come from what the verifier
 * parsed, never from a second, laxer reading of the bytes.
 * Thread-safe: no state (the store is thread-safe). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "avow/encode.h"
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
                           uint8_t digest[32], avow_error *err)
{
    const avow_collateral_info *info = avow_verified_collateral_info(vc);
    avow_pccs_row_key k;
    avow_pccs_row_key_of(pid ? pid : &info->platform, &k);
    avow_store_collateral row;
    memset(&row, 0, sizeof(row));
    memcpy(row.fmspc, k.fmspc, sizeof(row.fmspc));
    memcpy(row.ca, k.ca, sizeof(row.ca));
    memcpy(row.tee, k.tee, sizeof(row.tee));
    row.next_update = info->next_update;
    row.fetched_at = fetched_at;
    row.source = (char *)(source ? source : "");
    avow_err rc = avow_collateral_to_bundle(avow_verified_collateral_raw(vc), &row.bundle, err);
    if (rc) return rc;
    if (digest) avow_sha256(row.bundle, strlen(row.bundle), digest);
    rc = avow_store_collateral_put(st, &row, err);
    free(row.bundle);
    return rc;
}

void avow_pccs_row_free(avow_pccs_row *r)
{
    if (r->found && !r->unchanged) avow_collateral_free(&r->coll);
    memset(r, 0, sizeof(*r));
}

avow_err avow_pccs_row_get(avow_store *st, const avow_platform_id *pid, const uint8_t *known,
                           avow_pccs_row *out, avow_error *err)
{
    memset(out, 0, sizeof(*out));
    avow_pccs_row_key k;
    avow_pccs_row_key_of(pid, &k);
    avow_store_collateral row;
    avow_err rc = avow_store_collateral_get(st, k.fmspc, k.ca, k.tee, &row, err);
    if (rc == AVOW_ERR_NOT_FOUND && k.ca[0]) /* imported without a PCK CRL */
        rc = avow_store_collateral_get(st, k.fmspc, "", k.tee, &row, err);
    if (rc == AVOW_ERR_NOT_FOUND) {
        avow_error_clear(err);
        return AVOW_OK;
    }
    if (rc) return rc;
    out->found = true;
    out->next_update = row.next_update;
    avow_sha256(row.bundle, strlen(row.bundle), out->digest);
    if (known && !memcmp(known, out->digest, 32)) {
        out->unchanged = true;
    } else {
        rc = avow_collateral_from_bundle((const uint8_t *)row.bundle, strlen(row.bundle),
                                         &out->coll, err);
        if (rc) {
            char what[96];
            snprintf(what, sizeof(what), "stored collateral for FMSPC %s (%s)", row.fmspc,
                     row.tee);
            avow_error_prefix(err, what);
            out->found = false;
        }
    }
    avow_store_collateral_free(&row);
    return rc;
}

avow_err avow_pccs_row_find(avow_store *st, const char *fmspc, const char *ca, const char *tee,
                            avow_collateral *out, avow_error *err)
{
    avow_collateral_init(out);
    avow_store_collateral *rows = NULL;
    size_t n = 0;
    avow_err e = avow_store_collateral_list(st, &rows, &n, err);
    if (e != AVOW_OK) return e;
    const avow_store_collateral *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const avow_store_collateral *row = &rows[i];
        if (fmspc && strcasecmp(row->fmspc, fmspc)) continue;
        if (ca && strcmp(row->ca, ca)) continue;
        if (tee && strcmp(row->tee, tee)) continue;
        if (!best || row->next_update > best->next_update) best = row;
    }
    if (!best) {
        avow_store_collateral_list_free(rows, n);
        return avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                              "no collateral%s%s%s%s%s%s in this store",
                              fmspc ? " for FMSPC " : "", fmspc ? fmspc : "",
                              ca ? " from the " : "", ca ? ca : "", ca ? " CA" : "",
                              tee ? (strcmp(tee, "tdx") ? " (SGX)" : " (TDX)") : "");
    }
    avow_store_collateral row;
    memset(&row, 0, sizeof(row));
    e = avow_store_collateral_get(st, best->fmspc, best->ca, best->tee, &row, err);
    avow_store_collateral_list_free(rows, n);
    if (e != AVOW_OK) return e;
    e = avow_collateral_from_bundle((const uint8_t *)row.bundle, strlen(row.bundle), out, err);
    avow_store_collateral_free(&row);
    if (e != AVOW_OK) avow_error_prefix(err, "stored collateral");
    return e;
}
