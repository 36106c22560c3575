/* avowd's MAA attest handler (POST /attest/SgxEnclave, /attest/OpenEnclave,
 * /attest/TdxVm):
 * the attestation itself is libavow's (attest.h: request, bindings, PCK chain,
 * verification, claims, policy, token claims); this file adds what a service
 * adds:
 * evidence intake and bindings (evidence.c), the PCK chain pre-check and the
 * collateral service (pccs.h: a request waiting for a fetch is parked and run
 * again when it ends), DCAP
 * verification (verify.h), incoming claims (claims.h), the policy in force or
 * the request's draft policy (policy.h), the token (token_claims.c), and one
 * audit record per attestation. Every refusal is a 400 whose message says
 * which step refused and why (the verifier's reason, the policy decision).
 * Thread-safety: per-request state only; shared objects are immutable
 * snapshots or internally locked (verifier, collateral cache). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "avow/encode.h"
#include "avow/evalnum.h"
#include "avow/quote.h"
#include "avow/tcb.h"
#include "avow/attest.h"
#include "server/attest_route.h"
#include "server/policies.h"
#include "server/token_claims.h"

typedef struct {
    const char *type;
    const char *verdict; /* "permit", "deny", "fail", "error" */
    const char *reason;
    const avow_verify_result *vr;
    const uint8_t *fmspc;
    const char *policy_hash;
    bool draft;
} audit_rec;

static void audit(avowd_req *r, const audit_rec *a)
{
    if (!avowd_logs_audit_enabled(r->d->logs)) return;
    char ts[21];
    avow_time_format(avow_time_now(), ts);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "ts", ts, "event", "attestation", "request_id",
                          r->request_id, "type", a->type, "verdict", a->verdict);
    if (!o) return;
    if (a->reason && a->reason[0]) json_object_set_new(o, "reason", json_string(a->reason));
    if (a->fmspc) {
        char hex[13];
        avow_hex_encode(a->fmspc, 6, hex);
        json_object_set_new(o, "fmspc", json_string(hex));
    }
    const avow_verify_result *vr = a->vr;
    if (vr) {
        const char *st = avow_tcb_status_name(vr->status);
        json_object_set_new(o, "tcb_status", st ? json_string(st) : json_null());
        json_t *adv = json_array();
        for (size_t i = 0; adv && i < vr->n_advisory_ids; i++)
            json_array_append_new(adv, json_string(vr->advisory_ids[i]));
        json_object_set_new(o, "advisory_ids", adv ? adv : json_null());
        json_object_set_new(o, "result_code", json_string(avow_qv_result_name(vr->result_code)));
        if (vr->is_td) { /* a TD: its measurement and module */
            char mrtd[97];
            avow_hex_encode(vr->td.mr_td, 48, mrtd);
            json_object_set_new(o, "mrtd", json_string(mrtd));
            const char *ms = avow_tcb_status_name(vr->module_status);
            json_object_set_new(o, "module_status", ms ? json_string(ms) : json_null());
        } else {
            char mre[65], mrs[65];
            avow_hex_encode(vr->mr_enclave, 32, mre);
            avow_hex_encode(vr->mr_signer, 32, mrs);
            json_object_set_new(o, "mrenclave", json_string(mre));
            json_object_set_new(o, "mrsigner", json_string(mrs));
            json_object_set_new(o, "isv_prod_id", json_integer(vr->isv_prod_id));
            json_object_set_new(o, "isv_svn", json_integer(vr->isv_svn));
        }
        json_object_set_new(o, "debug", json_boolean(vr->debug));
        json_object_set_new(o, "simulated_root", json_boolean(vr->simulated_root));
        json_object_set_new(o, "collateral_expired", json_boolean(vr->collateral_expired));
    }
    if (a->policy_hash) json_object_set_new(o, "policy_hash", json_string(a->policy_hash));
    if (a->draft) json_object_set_new(o, "draft_policy", json_true());
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (line) avowd_logs_audit_line(r->d->logs, line);
    free(line);
}

/* x-avow-sgx-days-since-tcb-recovery (docs/policy.md "Days since a TCB
 * recovery"): from the evaluation numbers document and the older sets the
 * collateral service holds for the platform; only for a platform whose TCB
 * level is out of date, so other quotes cost no store read. */
typedef struct {
    avowd *d;
    const avow_platform_id *pid;
    avow_time at;
} recovery_ctx;

static bool store_days_since_recovery(void *ctx, const avow_verify_result *r, int64_t *days)
{
    recovery_ctx *c = ctx;
    avow_tcb_status st = r->platform_status;
    if (!r->have_pck || (st != AVOW_TCB_OUT_OF_DATE &&
                         st != AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED && st != AVOW_TCB_REVOKED))
        return false;
    avow_evalnums doc;
    avow_pccs_history h;
    avow_error err;
    avow_error_clear(&err);
    if (avow_pccs_evalnums(c->d->pccs, c->pid->tee_type, &doc, &err) != AVOW_OK) return false;
    bool ok = false;
    if (avow_pccs_history_get(c->d->pccs, c->pid, &h, &err) == AVOW_OK) {
        ok = avow_days_since_tcb_recovery(&doc, h.items, h.n, r->tcb_eval_num, r->pck.comp_svn,
                                          r->pck.pcesvn, c->at, days);
        avow_pccs_history_free(&h);
    }
    avow_evalnums_free(&doc);
    return ok;
}

/* The audit verdict of an outcome. */
static const char *verdict_of(avow_attest_outcome o)
{
    switch (o) {
        case AVOW_ATTEST_PERMITTED:
            return "permit";
        case AVOW_ATTEST_DENIED:
            return "deny";
        case AVOW_ATTEST_BAD_REQUEST:
        case AVOW_ATTEST_BAD_EVIDENCE:
            return "fail";
        default:
            return "error";
    }
}

int avowd_handle_attest(avowd_req *r, avow_attest_type type)
{
    avowd *d = r->d;
    audit_rec a = {.type = avow_attest_type_name(type), .verdict = "error"};
    avow_error err;
    avow_error_clear(&err);
    avow_attest_request req;
    avow_attest_request_init(&req);
    avow_attestation at;
    avow_attestation_init(&at);
    avow_verified_collateral *coll = NULL;
    avowd_pol *pol = NULL;
    avow_claims *token = NULL;
    bool audit_off = false;
    int ret;

    if (avow_attest_request_parse(r->body, r->body_len, type, &req, &err) != AVOW_OK) {
        a.verdict = "fail";
        a.reason = err.msg;
        ret = avowd_error(r, 400, "InvalidParameter", "%s", err.msg);
        goto done;
    }
    if (avow_attest_begin(&at, d->verifier, &req) != AVOW_ATTEST_PERMITTED) goto refused;
    a.fmspc = at.platform.fmspc;

    /* The policy first: its configurationrules choose the TCB evaluation
     * number that judges (MAA's TCB baselines, docs/maa.md §1.11); none
     * ("azuredefault") is avowd's --tcb-eval-num, else the current set. */
    pol = avowd_pol_get(d, avowd_policy_type_index(avow_attest_type_name(type)));
    int num = 0;
    if (avow_attest_tcb_eval_num(avow_attest_deciding_policy(&at, pol->policy), &num, &err) !=
        AVOW_OK) {
        a.verdict = "fail";
        a.reason = err.msg;
        ret = avowd_error(r, 400, "PolicyEvaluationFailed", "%s", err.msg);
        goto done;
    }
    if (!num) num = (int)d->cfg->tcb_eval_num;

    avow_time now = avowd_now(d);
    bool parked;
    avow_err e =
        avow_pccs_get_num(d->pccs, &at.platform, num, now, &r->waiter, &parked, &coll, &err);
    if (e == AVOW_ERR_AGAIN && parked) {
        audit_off = true; /* run again when the fetch ends: audited then */
        ret = AVOWD_PARKED;
        goto done;
    }
    if (e != AVOW_OK) {
        a.reason = err.msg;
        /* 400 when this platform's collateral is missing or out of date (also
         * when the upstream that could refresh it is down: the message says
         * so); 503 for the service's own trouble (the store, an upstream
         * failing on a miss, serving collateral that does not verify, or too
         * many fetches pending: retry). */
        unsigned status = e == AVOW_ERR_NOT_FOUND || e == AVOW_ERR_EXPIRED ? 400 : 503;
        if (e == AVOW_ERR_AGAIN) avowd_resp_header(r, "Retry-After", "1");
        ret =
            avowd_error(r, status, "CollateralUnavailable", "collateral unavailable: %s", err.msg);
        goto done;
    }

    recovery_ctx rc_ctx = {.d = d, .pid = &at.platform, .at = now};
    avow_attest_opts opts = {.at = now,
                             .allow_missing_crl = d->cfg->allow_missing_crl,
                             .policy = pol->policy,
                             .policy_signer_jwk = pol->signer_jwk,
                             .days_since_recovery = store_days_since_recovery,
                             .recovery_ctx = &rc_ctx};
    avow_attest_finish(&at, d->verifier, &req, coll, &opts);
    if (at.verified) a.vr = &at.verify;
    if (at.policy_hash[0]) a.policy_hash = at.policy_hash;
    a.draft = at.draft;
    if (at.outcome != AVOW_ATTEST_PERMITTED) goto refused;

    token = avow_claims_copy(at.token);
    if (!token || avowd_claims_add_std(d, token, ATTEST_TOKEN_LIFETIME, &err) != AVOW_OK) {
        a.reason = "building the token failed";
        ret = avowd_error(r, 500, "InternalError", "building the token failed: %s",
                          err.msg[0] ? err.msg : "out of memory");
        goto done;
    }
    a.verdict = "permit";
    avowd_metrics_verdict(d->metrics, true, (int)at.verify.status);
    snprintf(r->detail, sizeof(r->detail), "permit %s", avow_tcb_status_name(at.verify.status));
    ret = avowd_respond_token(r, token, at.draft);
    goto done;

refused:
    a.verdict = verdict_of(at.outcome);
    a.reason = at.reason;
    if (at.verified) avowd_metrics_verdict(d->metrics, false, (int)at.verify.status);
    ret = avowd_error(r, at.outcome == AVOW_ATTEST_FAILED ? 500 : 400, at.error_code, "%s",
                      at.reason);
done:
    if (!audit_off) audit(r, &a);
    avowd_pol_put(pol);
    avow_claims_free(token);
    avow_verified_collateral_unref(coll);
    avow_attestation_free(&at);
    avow_attest_request_free(&req);
    return ret;
}
