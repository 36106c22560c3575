/* Mints the incoming claim set of a verified TD quote (include/avow/attest.h,
 * avow_claims_incoming_tdx): the claims of MAA's EAT profile for Intel TDX
 * with the value formats of docs/maa.md §3.4 (lowercase hex of the TD
 * report's bytes, integers, booleans, EAT strings), Avow's TDX TCB
 * claims and the freshness claims of freshness.c.
 * Thread-safe: no state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest_int.h"
#include "avow/encode.h"
#include "avow/quote.h"
#include "avow/tcb.h"
#include "avow/time.h"

/* The profile's identifier and intended use (docs/maa.md §3.4): the values
 * MAA's own TdxVm tokens carry. */
#define TDX_EAT_PROFILE "https://aka.ms/maa-eat-profile-tdxvm"
#define TDX_INTUSE      "generic"

/* TDATTRIBUTES bits that the profile breaks out (Intel TDX module ABI). */
#define TD_ATTR_PKS     (1ULL << 30)
#define TD_ATTR_KL      (1ULL << 31)
#define TD_ATTR_PERFMON (1ULL << 63)

/* One hex claim of `n` bytes (at most 64). */
static avow_err add_hex(avow_claims *cs, const char *type, const uint8_t *p, size_t n)
{
    char hex[129];
    if (n > 64) return AVOW_ERR_ARG;
    avow_hex_encode(p, n, hex);
    return avow_claims_add_string(cs, type, hex, AVOW_ISSUER_SERVICE);
}

static uint64_t le64(const uint8_t b[8])
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

avow_err avow_claims_incoming_tdx(const avow_verify_result *r, avow_claims **out)
{
    if (!r || !out) return AVOW_ERR_ARG;
    *out = NULL;
    if (!r->is_td) return AVOW_ERR_UNSUPPORTED; /* an enclave has no TD report */
    const avow_claim_issuer S = AVOW_ISSUER_SERVICE;
    const avow_td_info *td = &r->td;
    avow_err rc = AVOW_OK;
    avow_claims *cs = avow_claims_new();
    if (!cs) return AVOW_ERR_NOMEM;
    uint64_t attr = le64(td->td_attributes);
    static const char *const rtmr_names[4] = {"tdx_rtmr0", "tdx_rtmr1", "tdx_rtmr2", "tdx_rtmr3"};

#define TRY(call)                     \
    do {                              \
        if ((rc = (call))) goto done; \
    } while (0)
    TRY(avow_claims_add_string(cs, "x-ms-ver", "1.0", S));
    TRY(avow_claims_add_string(cs, "x-ms-attestation-type", "tdxvm", S));
    TRY(avow_claims_add_string(cs, "eat_profile", TDX_EAT_PROFILE, S));
    TRY(avow_claims_add_string(cs, "intuse", TDX_INTUSE, S));
    TRY(avow_claims_add_string(cs, "dbgstat", (attr & AVOW_TD_ATTR_DEBUG) ? "enabled" : "disabled",
                               S));
    TRY(add_hex(cs, "tdx_mrsignerseam", td->mr_signer_seam, 48));
    TRY(add_hex(cs, "tdx_mrseam", td->mr_seam, 48));
    TRY(add_hex(cs, "tdx_mrtd", td->mr_td, 48));
    for (int i = 0; i < 4; i++)
        TRY(add_hex(cs, rtmr_names[i], td->rtmr[i], 48));
    TRY(add_hex(cs, "tdx_mrconfigid", td->mr_config_id, 48));
    TRY(add_hex(cs, "tdx_mrowner", td->mr_owner, 48));
    TRY(add_hex(cs, "tdx_mrownerconfig", td->mr_owner_config, 48));
    TRY(add_hex(cs, "tdx_report_data", td->report_data, 64));
    TRY(add_hex(cs, "tdx_seam_attributes", td->seam_attributes, 8));
    TRY(add_hex(cs, "tdx_td_attributes", td->td_attributes, 8));
    TRY(avow_claims_add_bool(cs, "tdx_td_attributes_debug", (attr & AVOW_TD_ATTR_DEBUG) != 0, S));
    TRY(avow_claims_add_bool(cs, "tdx_td_attributes_key_locker", (attr & TD_ATTR_KL) != 0, S));
    TRY(avow_claims_add_bool(cs, "tdx_td_attributes_perfmon", (attr & TD_ATTR_PERFMON) != 0, S));
    TRY(avow_claims_add_bool(cs, "tdx_td_attributes_protection_keys", (attr & TD_ATTR_PKS) != 0,
                             S));
    TRY(avow_claims_add_bool(cs, "tdx_td_attributes_septve_disable",
                             (attr & AVOW_TD_ATTR_SEPT_VE_DISABLE) != 0, S));
    TRY(add_hex(cs, "tdx_tee_tcb_svn", td->tee_tcb_svn, 16));
    TRY(add_hex(cs, "tdx_xfam", td->xfam, 8));
    /* SEAMSVN: TEE_TCB_SVN[0] the module's SVN, [1] its major version */
    TRY(avow_claims_add_int(cs, "tdx_seamsvn", td->tee_tcb_svn[0] | td->tee_tcb_svn[1] << 8, S));
    const char *status = avow_tcb_status_name(r->status);
    if (status) TRY(avow_claims_add_string(cs, "attester_tcb_status", status, S));

    /* Avow's TDX TCB claims. */
    for (size_t i = 0; i < r->n_advisory_ids; i++)
        if (r->advisory_ids && r->advisory_ids[i])
            TRY(avow_claims_add_string(cs, "x-avow-tdx-advisory-ids", r->advisory_ids[i], S));
    const char *mstatus = avow_tcb_status_name(r->module_status);
    if (mstatus) TRY(avow_claims_add_string(cs, "x-avow-tdx-module-status", mstatus, S));
    if (r->module_id[0]) TRY(avow_claims_add_string(cs, "x-avow-tdx-module-id", r->module_id, S));
    if (r->tcb_date) {
        char date[21];
        avow_time_format(r->tcb_date, date);
        TRY(avow_claims_add_string(cs, "x-avow-tdx-tcb-date", date, S));
    }
    if (td->body_type == AVOW_BODY_TD15) {
        TRY(add_hex(cs, "x-avow-tdx-tee-tcb-svn2", td->tee_tcb_svn2, 16));
        TRY(add_hex(cs, "x-avow-tdx-mrservicetd", td->mr_service_td, 48));
    }

    /* Freshness and platform claims from Intel's supplemental data
     * (x-avow-tdx-supplemental, -tcb-eval-num, -tcb-level-age-days,
     * -qe-tcb-level-age-days, -module-tcb-level-age-days, -collateral-expired,
     * -sgx-type, -smt-enabled, -dynamic-platform, -cached-keys): freshness.c,
     * docs/policy.md. */
    TRY(attest_freshness_claims(cs, r));
#undef TRY
    *out = cs;
    cs = NULL;
done:
    avow_claims_free(cs);
    return rc;
}
