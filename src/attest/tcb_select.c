/* Which TCB evaluation number judges a quote (docs/maa.md §3.3, §1.11): the
 * x-ms-sgx-tcbidentifier property that a policy's configurationrules set
 * with issueproperty, read before the evidence is verified; and the days
 * since a TCB recovery added to the incoming claims when the caller can
 * compute it (docs/policy.md "Days since a TCB recovery").
 * Thread-safe: no state. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attest/attest_int.h"
#include "avow/attest.h"

bool avow_tcb_eval_num_parse(const char *s, int *out)
{
    /* strtol alone would also take " 17" and "+17" */
    size_t n = s ? strspn(s, "0123456789") : 0;
    if (!n || s[n] || n > 7) return false;
    long v = strtol(s, NULL, 10);
    if (v < 1 || v > AVOW_TCB_EVAL_NUM_MAX) return false;
    *out = (int)v;
    return true;
}

avow_err avow_attest_tcb_eval_num(const avow_policy *policy, int *eval_num, avow_error *err)
{
    *eval_num = 0;
    if (!policy) return AVOW_OK;
    avow_claims *none = avow_claims_new(), *props = NULL;
    if (!none) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    avow_err e = avow_policy_configuration(policy, none, &props, err);
    avow_claims_free(none);
    if (e) return e;
    const avow_claim *c = avow_claims_find(props, AVOW_TCB_IDENTIFIER_CLAIM, NULL);
    if (c && c->value.kind == AVOW_CLAIM_STRING && strcasecmp(c->value.str, "azuredefault")) {
        const char *v = c->value.str;
        if (!avow_tcb_eval_num_parse(v, eval_num))
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "%s: x-ms-sgx-tcbidentifier \"%.40s\" is neither \"azuredefault\" "
                               "nor a TCB evaluation data number (1 to %d, digits only)",
                               avow_policy_name(policy), v, AVOW_TCB_EVAL_NUM_MAX);
    } else if (c && c->value.kind != AVOW_CLAIM_STRING) {
        e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                           "%s: x-ms-sgx-tcbidentifier must be a string", avow_policy_name(policy));
    }
    avow_claims_free(props);
    return e;
}

avow_err attest_recovery_claim(avow_attestation *a, const avow_attest_opts *o)
{
    if (!o->days_since_recovery || !a->incoming || a->verify.is_td) return AVOW_OK;
    int64_t days;
    if (!o->days_since_recovery(o->recovery_ctx, &a->verify, &days)) return AVOW_OK;
    return avow_claims_add_int(a->incoming, "x-avow-sgx-days-since-tcb-recovery", days,
                               AVOW_ISSUER_SERVICE);
}
