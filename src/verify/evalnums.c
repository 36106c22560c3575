/* The verifier's side of TCB evaluation data numbers (include/avow/evalnum.h):
 * checking Intel's signed document with the checks TCB Info gets
 * (vsigned_doc_check in collateral.c), and the days since the TCB recovery
 * that made a platform's TCB out of date (docs/policy.md "Days since a TCB
 * recovery"), matched with the same level walk as the verification
 * (tcb_match.h). Thread-safe: no state. */
#include <string.h>

#include "avow/evalnum.h"
#include "verify/internal.h"
#include "verify/tcb_match.h"

avow_err avow_evalnums_check(avow_verifier *v, const avow_evalnums_raw *r, avow_evalnums *out,
                             avow_error *err)
{
    if (out) memset(out, 0, sizeof(*out));
    if (!v || !r || !r->signed_json)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "TCB evaluation data numbers: nothing to check");
    avow_err e = vsigned_doc_check(v, "TCB evaluation data numbers", r->issuer_chain,
                                   r->signed_json, r->signed_len, r->sig, err);
    if (e) return e;
    avow_evalnums d;
    if ((e = avow_evalnums_parse(r->signed_json, r->signed_len, &d, err))) return e;
    if (out)
        *out = d;
    else
        avow_evalnums_free(&d);
    return AVOW_OK;
}

/* Whether a status means the TCB itself is behind (a recovery passed it). */
static bool out_of_date(avow_tcb_status s)
{
    return s == AVOW_TCB_OUT_OF_DATE || s == AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED ||
           s == AVOW_TCB_REVOKED;
}

/* The platform's status under one number's TCB Info; NONE when not held or
 * no level matches. */
static avow_tcb_status status_under(const avow_evalnum_tcb *tcbs, size_t n, int number,
                                    const uint8_t comp[16], uint16_t pcesvn, bool *held)
{
    *held = false;
    for (size_t i = 0; i < n; i++) {
        if (tcbs[i].number != number || !tcbs[i].tcb) continue;
        *held = true;
        long l = avow_tcb_match_sgx(tcbs[i].tcb->levels, tcbs[i].tcb->n_levels, comp, pcesvn, NULL);
        return l < 0 ? AVOW_TCB_NONE : tcbs[i].tcb->levels[l].status;
    }
    return AVOW_TCB_NONE;
}

bool avow_days_since_tcb_recovery(const avow_evalnums *doc, const avow_evalnum_tcb *tcbs,
                                  size_t n_tcbs, int judged, const uint8_t comp[16],
                                  uint16_t pcesvn, avow_time at, int64_t *days)
{
    if (!doc || !tcbs || !comp || !days) return false;
    long top = -1;
    for (size_t i = 0; i < doc->n_entries; i++)
        if (doc->entries[i].number == judged) top = (long)i;
    if (top < 0) return false;
    bool held;
    if (!out_of_date(status_under(tcbs, n_tcbs, judged, comp, pcesvn, &held)) || !held)
        return false;
    /* Down the listed numbers while the platform stays out of date. */
    long n = top;
    for (;;) {
        if (n == 0) return false; /* out of date since before the oldest listed number */
        avow_tcb_status s =
            status_under(tcbs, n_tcbs, doc->entries[n - 1].number, comp, pcesvn, &held);
        if (!held || s == AVOW_TCB_NONE) return false; /* a gap: when is unknown */
        if (!out_of_date(s)) break;
        n--;
    }
    avow_time from = doc->entries[n].recovery_date;
    if (at < from) return false;
    *days = (at - from) / 86400;
    return true;
}
