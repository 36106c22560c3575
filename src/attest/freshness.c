/* The claims a policy measures freshness and the platform with (attest_int.h,
 * attest_freshness_claims; docs/maa.md §3.4, docs/policy.md): Intel's
 * supplemental data as one JSON claim, and the integers and flags read from
 * it that MAA's policy language can compare, under x-avow-sgx-* for an
 * enclave and x-avow-tdx-* for a TD. Ages are whole days from a TCB level's
 * tcbDate to the verification time, rounded down; a tcbDate later than the
 * verification time counts as 0 days.
 * Thread-safe: no state. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "attest/attest_int.h"
#include "avow/pck.h"
#include "verify/result_json.h"

#define DAY 86400

/* Whole days from `date` to `at`, rounded down; 0 when `date` is later. */
static int64_t age_days(avow_time date, avow_time at)
{
    return at > date ? (int64_t)((at - date) / DAY) : 0;
}

/* "<prefix><name>" into buf. */
static const char *name(char buf[64], const char *prefix, const char *n)
{
    snprintf(buf, 64, "%s%s", prefix, n);
    return buf;
}

static avow_err add_age(avow_claims *cs, const char *type, avow_time date, avow_time at)
{
    if (!date) return AVOW_OK; /* no level matched: no age */
    return avow_claims_add_int(cs, type, age_days(date, at), AVOW_ISSUER_SERVICE);
}

/* A PCK Configuration flag: absent where the certificate says nothing. */
static avow_err add_flag(avow_claims *cs, const char *type, avow_pck_flag f)
{
    if (f != AVOW_PCK_FLAG_TRUE && f != AVOW_PCK_FLAG_FALSE) return AVOW_OK;
    return avow_claims_add_bool(cs, type, f == AVOW_PCK_FLAG_TRUE, AVOW_ISSUER_SERVICE);
}

avow_err attest_freshness_claims(avow_claims *cs, const avow_verify_result *r)
{
    const avow_supplemental *s = &r->supplemental;
    if (!s->valid) return AVOW_OK; /* the verification reached no status */
    const avow_claim_issuer S = AVOW_ISSUER_SERVICE;
    const char *p = r->is_td ? "x-avow-tdx-" : "x-avow-sgx-";
    char n[64];
    avow_err rc;

    json_t *j = avow_supplemental_json(r);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) return AVOW_ERR_NOMEM;
    rc = avow_claims_add_json(cs, name(n, p, "supplemental"), text, S);
    free(text);
    if (rc) return rc;

#define TRY(call)                     \
    do {                              \
        if ((rc = (call))) return rc; \
    } while (0)
    /* the lower of the TCB Info's and QE Identity's evaluation numbers */
    TRY(avow_claims_add_int(cs, name(n, p, "tcb-eval-num"), s->tcb_eval_ref_num, S));
    TRY(add_age(cs, name(n, p, "tcb-level-age-days"), s->platform_tcb_level_date_tag, r->at));
    TRY(add_age(cs, name(n, p, "qe-tcb-level-age-days"), s->qe_iden_tcb_level_date_tag, r->at));
    if (r->is_td)
        TRY(add_age(cs, name(n, p, "module-tcb-level-age-days"), s->tdx_module_tcb_level_date_tag,
                    r->at));
    /* Intel's collateral_expiration_status (its `<=` rule) */
    TRY(avow_claims_add_bool(cs, name(n, p, "collateral-expired"),
                             s->collateral_expiration_status != 0, S));
    /* the PCK certificate's SGX Type: for a TD, of the platform under it */
    const char *type = r->have_pck ? avow_pck_sgx_type_name(r->pck.sgx_type) : NULL;
    if (type) TRY(avow_claims_add_string(cs, name(n, p, r->is_td ? "sgx-type" : "type"), type, S));
    TRY(add_flag(cs, name(n, p, "smt-enabled"), s->smt_enabled));
    TRY(add_flag(cs, name(n, p, "dynamic-platform"), s->dynamic_platform));
    TRY(add_flag(cs, name(n, p, "cached-keys"), s->cached_keys));
#undef TRY
    return AVOW_OK;
}
