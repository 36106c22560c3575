/* avowd's MAA attest handler (POST /attest/SgxEnclave, /attest/OpenEnclave):
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
#include "avow/quote.h"
#include "avow/tcb.h"
#include "server/attest.h"
#include "server/evidence.h"
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
        char mre[65], mrs[65];
        avow_hex_encode(vr->mr_enclave, 32, mre);
        avow_hex_encode(vr->mr_signer, 32, mrs);
        json_object_set_new(o, "mrenclave", json_string(mre));
        json_object_set_new(o, "mrsigner", json_string(mrs));
        json_object_set_new(o, "isv_prod_id", json_integer(vr->isv_prod_id));
        json_object_set_new(o, "isv_svn", json_integer(vr->isv_svn));
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

int avowd_handle_attest(avowd_req *r, bool oe)
{
    avowd *d = r->d;
    const char *tname = oe ? "OpenEnclave" : "SgxEnclave";
    avow_error err;
    avow_error_clear(&err);
    avowd_evidence ev;
    avowd_evidence_init(&ev);
    avow_verify_result vr;
    avow_verify_result_init(&vr);
    avow_policy_result pr;
    avow_policy_result_init(&pr);
    avow_claims *incoming = NULL, *out = NULL;
    avow_verified_collateral *coll = NULL;
    bool audit_off = false;
    avowd_pol *pol = NULL, draft_pol;
    avow_policy *draft = NULL;
    audit_rec a = {.type = tname, .verdict = "error"};
    int ret;
    char reason[1100];
    avow_policy_diag diag;
    memset(&diag, 0, sizeof(diag));

    if (avowd_evidence_parse(r->body, r->body_len, oe, &ev, &err) != AVOW_OK) {
        a.verdict = "fail";
        a.reason = err.msg;
        ret = avowd_error(r, 400, "InvalidParameter", "%s", err.msg);
        goto done;
    }
    avow_quote q;
    if (avow_quote_parse(ev.quote, ev.quote_len, &q, &err) != AVOW_OK) {
        a.verdict = "fail";
        snprintf(reason, sizeof(reason), "the quote does not parse: %s", err.msg);
        a.reason = reason;
        ret = avowd_error(r, 400, "InvalidQuote", "%s", reason);
        goto done;
    }
    if (q.tee_type != AVOW_TEE_SGX) {
        a.verdict = "fail";
        a.reason = "not an SGX quote";
        ret = avowd_error(r, 400, "InvalidQuote",
                          "the quote is a %s quote (tee_type 0x%x); /attest/%s takes SGX quotes",
                          avow_tee_name(q.tee_type), q.tee_type, tname);
        goto done;
    }
    if (avowd_evidence_bind(&ev, &q, &err) != AVOW_OK) {
        a.verdict = "fail";
        a.reason = err.msg;
        ret = avowd_error(r, 400, "InvalidParameter", "%s", err.msg);
        goto done;
    }
    /* the draft policy compiles before any expensive work */
    if (ev.draft_policy) {
        if (avow_policy_compile(ev.draft_policy, ev.draft_len, "draft policy", &draft, &diag) !=
            AVOW_OK) {
            a.verdict = "fail";
            a.reason = diag.msg;
            ret =
                avowd_error(r, 400, "InvalidParameter", "draftPolicyForAttestation: %s", diag.msg);
            goto done;
        }
    }

    /* The PCK chain must come from a trusted root before anything is looked
     * up or fetched for this platform: a forged chain costs no upstream
     * request and no store read. */
    avow_platform_id pid;
    if (avow_quote_platform(d->verifier, &q, &pid, &err) != AVOW_OK) {
        a.verdict = "fail";
        snprintf(reason, sizeof(reason),
                 "the quote's PCK certificate chain does not check, so its platform is not "
                 "looked up: %s",
                 err.msg);
        a.reason = reason;
        ret = avowd_error(r, 400, "InvalidQuote", "%s", reason);
        goto done;
    }
    a.fmspc = pid.fmspc;
    avow_time at = avowd_now(d);
    bool parked;
    avow_err e = avow_pccs_get(d->pccs, &pid, at, &r->waiter, &parked, &coll, &err);
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
        ret = avowd_error(r, status, "CollateralUnavailable", "collateral unavailable: %s",
                          err.msg);
        goto done;
    }
    avow_verify_opts opts = {.at = at, .allow_missing_crl = d->cfg->allow_missing_crl};
    e = avow_verify_quote_checked(d->verifier, &q, coll, &opts, &vr);
    a.vr = &vr;
    if (e != AVOW_OK || !vr.ok || vr.collateral_expired) {
        const char *st = avow_tcb_status_name(vr.status);
        snprintf(reason, sizeof(reason), "quote verification failed: %s (%s, TCB status %s)",
                 vr.reason[0]            ? vr.reason
                 : vr.collateral_expired ? "collateral expired at the verification time"
                                         : avow_err_name(vr.err),
                 avow_qv_result_name(vr.result_code), st ? st : "undetermined");
        a.verdict = "fail";
        a.reason = reason;
        avowd_metrics_verdict(d->metrics, false, (int)vr.status);
        ret = avowd_error(r, 400, "InvalidQuote", "%s", reason);
        goto done;
    }

    e = avow_claims_incoming_sgx(&vr, ev.quote, ev.quote_len, avow_verified_collateral_raw(coll),
                                 avow_verified_collateral_digests(coll),
                                 ev.runtime.present ? ev.runtime.data : NULL, ev.runtime.len,
                                 &incoming);
    if (e == AVOW_OK && ev.runtime.json)
        e = avow_claims_add_json(incoming, "x-ms-runtime", ev.runtime.json, AVOW_ISSUER_SERVICE);
    if (e == AVOW_OK && ev.inittime.json)
        e = avow_claims_add_json(incoming, "x-ms-inittime", ev.inittime.json, AVOW_ISSUER_SERVICE);
    if (e != AVOW_OK) {
        a.reason = "building incoming claims failed";
        ret = avowd_error(r, 500, "InternalError", "building the incoming claims failed: %s",
                          avow_err_name(e));
        goto done;
    }

    if (draft) {
        memset(&draft_pol, 0, sizeof(draft_pol));
        draft_pol.policy = draft;
        pol = &draft_pol;
        a.draft = true;
    } else {
        pol = avowd_pol_get(d, oe ? 1 : 0);
    }
    a.policy_hash = avow_policy_get_hash(pol->policy);
    if (avow_policy_evaluate(pol->policy, incoming, &pr, &err) != AVOW_OK) {
        a.reason = err.msg;
        ret = avowd_error(r, 500, "InternalError", "policy evaluation failed: %s", err.msg);
        goto done;
    }
    if (!pr.permit) {
        snprintf(reason, sizeof(reason),
                 "attestation refused by the %s policy (x-ms-policy-hash %s): %s",
                 draft ? "draft" : tname, a.policy_hash,
                 pr.reason[0] ? pr.reason : "no authorization rule permitted");
        a.verdict = "deny";
        a.reason = reason;
        avowd_metrics_verdict(d->metrics, false, (int)vr.status);
        ret = avowd_error(r, 400, "PolicyEvaluationFailed", "%s", reason);
        goto done;
    }
    if (avowd_attest_claims(d, incoming, &pr, pol, ev.nonce, &out, &err) != AVOW_OK) {
        a.reason = err.msg;
        ret = avowd_error(r, 500, "InternalError", "%s", err.msg);
        goto done;
    }
    a.verdict = "permit";
    avowd_metrics_verdict(d->metrics, true, (int)vr.status);
    snprintf(r->detail, sizeof(r->detail), "permit %s", avow_tcb_status_name(vr.status));
    ret = avowd_respond_token(r, out, draft != NULL);

done:
    if (!audit_off) audit(r, &a);
    if (pol && pol != &draft_pol) avowd_pol_put(pol);
    avow_policy_free(draft);
    avow_claims_free(out);
    avow_claims_free(incoming);
    avow_policy_result_free(&pr);
    avow_verify_result_free(&vr);
    avow_verified_collateral_unref(coll);
    avowd_evidence_free(&ev);
    return ret;
}
