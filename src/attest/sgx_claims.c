/* Mints the incoming claim set of a verified SGX quote (include/avow/attest.h,
 * avow_claims_incoming_sgx): MAA's x-ms-sgx-* names, the deprecated `$`
 * aliases, the collateral hashes, Avow's TCB status claims and the
 * freshness claims of freshness.c.
 * Thread-safe: no state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/attest.h"
#include "avow/encode.h"
#include "avow/report.h"
#include "avow/tcb.h"
#include "avow/time.h"
#include "attest/attest_int.h"
#include "core/sha256.h"

/* The x-ms-sgx-collateral object as compact JSON (keys in MAA's order),
 * written directly: fixed ASCII keys and hex values, exactly the bytes jansson's
 * compact dump gave (without building a DOM on every request). */
static char *collateral_json(const uint8_t *quote, size_t quote_len, const avow_collateral *coll,
                             const avow_collateral_digests *dg)
{
    avow_collateral_digests own;
    if (coll && !dg) {
        avow_collateral_digests_compute(coll, &own);
        dg = &own;
    }
    /* 7 members of at most 20 + 64 + 6 bytes, braces, NUL */
    char *out = malloc(7 * 90 + 3);
    if (!out) return NULL;
    size_t o = 0;
    char h[65];
    uint8_t qh[32];
    avow_sha256(quote ? quote : (const uint8_t *)"", quote ? quote_len : 0, qh);
#define PUT(key, md)                                                                             \
    do {                                                                                         \
        avow_hex_encode((md), 32, h);                                                            \
        o += (size_t)snprintf(out + o, 7 * 90 + 3 - o, "%s\"" key "\":\"%s\"", o > 1 ? "," : "", \
                              h);                                                                \
    } while (0)
    out[o++] = '{';
    out[o] = '\0';
    if (coll) {
        PUT("qeidcertshash", dg->qe_identity_chain);
        PUT("qeidcrlhash", dg->root_ca_crl);
        PUT("qeidhash", dg->qe_identity);
    }
    PUT("quotehash", qh);
    if (coll) {
        PUT("tcbinfocertshash", dg->tcb_info_chain);
        PUT("tcbinfocrlhash", dg->root_ca_crl);
        PUT("tcbinfohash", dg->tcb_info);
    }
#undef PUT
    out[o++] = '}';
    out[o] = '\0';
    return out;
}

avow_err avow_claims_incoming_sgx(const avow_verify_result *r, const uint8_t *quote,
                                  size_t quote_len, const avow_collateral *coll,
                                  const avow_collateral_digests *digests, const uint8_t *ehd,
                                  size_t ehd_len, avow_claims **out)
{
    if (!r || !out || (!quote && quote_len)) return AVOW_ERR_ARG;
    *out = NULL;
    /* a verified TD quote has no enclave fields: its claims are TDX ones */
    if (r->is_td) return AVOW_ERR_UNSUPPORTED;
    const avow_claim_issuer S = AVOW_ISSUER_SERVICE;
    avow_err rc = AVOW_OK;
    char *ehd_b64 = NULL, *coll_json = NULL;
    avow_claims *cs = avow_claims_new();
    if (!cs) return AVOW_ERR_NOMEM;

    char mrenclave[65], mrsigner[65], report_data[129];
    avow_hex_encode(r->mr_enclave, 32, mrenclave);
    avow_hex_encode(r->mr_signer, 32, mrsigner);
    avow_hex_encode(r->report_data, 64, report_data);
    if (ehd) {
        if (ehd_len > (SIZE_MAX - 4) / 4 * 3) {
            rc = AVOW_ERR_ARG;
            goto done;
        }
        ehd_b64 = malloc(avow_base64_len(ehd_len));
        if (!ehd_b64) {
            rc = AVOW_ERR_NOMEM;
            goto done;
        }
        avow_base64url_encode(ehd, ehd_len, ehd_b64);
    }
    coll_json = collateral_json(quote, quote_len, coll, digests);
    if (!coll_json) {
        rc = AVOW_ERR_NOMEM;
        goto done;
    }

#define TRY(call)                     \
    do {                              \
        if ((rc = (call))) goto done; \
    } while (0)
    TRY(avow_claims_add_string(cs, "x-ms-ver", "1.0", S));
    TRY(avow_claims_add_string(cs, "x-ms-attestation-type", "sgx", S));
    TRY(avow_claims_add_bool(cs, "x-ms-sgx-is-debuggable", r->debug, S));
    TRY(avow_claims_add_int(cs, "x-ms-sgx-product-id", r->isv_prod_id, S));
    TRY(avow_claims_add_string(cs, "x-ms-sgx-mrsigner", mrsigner, S));
    TRY(avow_claims_add_string(cs, "x-ms-sgx-mrenclave", mrenclave, S));
    TRY(avow_claims_add_int(cs, "x-ms-sgx-svn", r->isv_svn, S));
    TRY(avow_claims_add_string(cs, "x-ms-sgx-report-data", report_data, S));
    if (ehd_b64) TRY(avow_claims_add_string(cs, "x-ms-sgx-ehd", ehd_b64, S));
    TRY(avow_claims_add_json(cs, "x-ms-sgx-collateral", coll_json, S));

    uint64_t flags = 0;
    for (int i = 7; i >= 0; i--)
        flags = flags << 8 | r->attributes[i];
    if (flags & AVOW_ATTR_KSS) {
        char config_id[129], ext_prod[33], family[33];
        avow_hex_encode(r->config_id, 64, config_id);
        avow_hex_encode(r->isv_ext_prod_id, 16, ext_prod);
        avow_hex_encode(r->isv_family_id, 16, family);
        TRY(avow_claims_add_string(cs, "x-ms-sgx-config-id", config_id, S));
        TRY(avow_claims_add_int(cs, "x-ms-sgx-config-svn", r->config_svn, S));
        TRY(avow_claims_add_string(cs, "x-ms-sgx-isv-extended-product-id", ext_prod, S));
        TRY(avow_claims_add_string(cs, "x-ms-sgx-isv-family-id", family, S));
    }

    /* Deprecated aliases (docs/maa.md §3.4). */
    TRY(avow_claims_add_bool(cs, "$is-debuggable", r->debug, S));
    TRY(avow_claims_add_int(cs, "$product-id", r->isv_prod_id, S));
    TRY(avow_claims_add_string(cs, "$sgx-mrsigner", mrsigner, S));
    TRY(avow_claims_add_string(cs, "$sgx-mrenclave", mrenclave, S));
    TRY(avow_claims_add_int(cs, "$svn", r->isv_svn, S));
    TRY(avow_claims_add_string(cs, "$tee", "sgx", S));
    if (ehd_b64) {
        TRY(avow_claims_add_string(cs, "$maa-ehd", ehd_b64, S));
        TRY(avow_claims_add_string(cs, "$aas-ehd", ehd_b64, S));
    }
    TRY(avow_claims_add_json(cs, "$maa-attestationcollateral", coll_json, S));

    /* Avow's TCB claims. */
    const char *status = avow_tcb_status_name(r->status);
    if (status) TRY(avow_claims_add_string(cs, "x-avow-sgx-tcb-status", status, S));
    for (size_t i = 0; i < r->n_advisory_ids; i++)
        if (r->advisory_ids && r->advisory_ids[i])
            TRY(avow_claims_add_string(cs, "x-avow-sgx-advisory-ids", r->advisory_ids[i], S));
    if (r->tcb_date) {
        char date[21];
        avow_time_format(r->tcb_date, date);
        TRY(avow_claims_add_string(cs, "x-avow-sgx-tcb-date", date, S));
    }

    /* Freshness and platform claims from Intel's supplemental data
     * (x-avow-sgx-supplemental, -tcb-eval-num, -tcb-level-age-days,
     * -qe-tcb-level-age-days, -collateral-expired, -type, -smt-enabled,
     * -dynamic-platform, -cached-keys): freshness.c, docs/policy.md. */
    TRY(attest_freshness_claims(cs, r));
#undef TRY
    *out = cs;
    cs = NULL;
done:
    avow_claims_free(cs);
    free(ehd_b64);
    free(coll_json);
    return rc;
}
