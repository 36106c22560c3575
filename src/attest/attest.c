/* One MAA attestation (include/avow/attest.h), step by step: evidence parse,
 * data bindings, draft policy, platform (begin); verification, incoming
 * claims, decision, token claims (finish); and the default policy per type.
 * Each step that refuses sets the outcome, MAA's error code and a reason
 * naming the step; the messages are the ones avowd answers with and `avow
 * policy eval` prints.
 * Thread-safe: no state of its own. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest_int.h"
#include "avow/encode.h"
#include "avow/tcb.h"
#include "core/sha256.h"

void avow_attestation_init(avow_attestation *a)
{
    memset(a, 0, sizeof(*a));
    avow_verify_result_init(&a->verify);
    avow_policy_result_init(&a->policy);
}

void avow_attestation_free(avow_attestation *a)
{
    if (!a) return;
    avow_verify_result_free(&a->verify);
    avow_policy_result_free(&a->policy);
    avow_claims_free(a->incoming);
    avow_claims_free(a->token);
    avow_policy_free(a->own_draft);
    avow_attestation_init(a);
}

const avow_policy *avow_attest_default_policy(avow_attest_type t)
{
    return t == AVOW_ATTEST_TDX_VM ? avow_policy_default_tdx() : avow_policy_default();
}

static avow_attest_outcome refuse(avow_attestation *a, avow_attest_outcome o, const char *code,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static avow_attest_outcome refuse(avow_attestation *a, avow_attest_outcome o, const char *code,
                                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
    va_end(ap);
    a->outcome = o;
    a->error_code = code;
    return o;
}

/* MAA's bindings of the request's data to the evidence (docs/maa.md §1.3). */
static bool bind_data(avow_attestation *a, const char *what, const avow_attest_data *d,
                      const uint8_t field[32], const char *field_name)
{
    if (!d->present) return true;
    uint8_t h[32];
    avow_sha256(d->data, d->len, h);
    if (!memcmp(h, field, 32)) return true;
    char want[65], got[65];
    avow_hex_encode(h, 32, want);
    avow_hex_encode(field, 32, got);
    refuse(a, AVOW_ATTEST_BAD_REQUEST, "InvalidParameter",
           "%s does not match the quote: SHA-256(%s) = %s but %s[0..32] = %s", what, what, want,
           field_name, got);
    return false;
}

avow_attest_outcome avow_attest_begin(avow_attestation *a, avow_verifier *v,
                                      const avow_attest_request *req)
{
    avow_error err;
    avow_error_clear(&err);
    if (avow_quote_parse(req->quote, req->quote_len, &a->quote, &err) != AVOW_OK)
        return refuse(a, AVOW_ATTEST_BAD_EVIDENCE, "InvalidQuote", "the quote does not parse: %s",
                      err.msg);
    a->have_quote = true;
    /* each route takes its TEE's quotes only (docs/maa.md §1.2) */
    uint32_t want = avow_attest_type_tee(req->type);
    if (a->quote.tee_type != want)
        return refuse(
            a, AVOW_ATTEST_BAD_EVIDENCE, "InvalidQuote",
            "the quote is a%s %s quote (tee_type 0x%x); /attest/%s takes %s quotes%s",
            a->quote.tee_type == AVOW_TEE_SGX ? "n" : "", avow_tee_name(a->quote.tee_type),
            a->quote.tee_type, avow_attest_type_name(req->type), avow_tee_name(want),
            a->quote.tee_type == AVOW_TEE_TDX   ? ": attest a TD at /attest/TdxVm"
            : a->quote.tee_type == AVOW_TEE_SGX ? ": attest an enclave at /attest/SgxEnclave"
                                                : "");
    /* runtimeData binds REPORTDATA, initTimeData the configuration ID: an
     * enclave's CONFIGID, a TD's MRCONFIGID (docs/maa.md §1.3, §1.10) */
    bool td = want == AVOW_TEE_TDX;
    const uint8_t *report_data = td ? a->quote.td.report_data : a->quote.report.report_data;
    const uint8_t *config_id = td ? a->quote.td.mr_config_id : a->quote.report.config_id;
    if (!bind_data(a, "runtimeData", &req->runtime, report_data, "REPORTDATA") ||
        !bind_data(a, "initTimeData", &req->init_time, config_id, td ? "MRCONFIGID" : "CONFIGID"))
        return a->outcome;
    /* the draft policy compiles before any expensive work */
    if (req->draft_policy) {
        avow_policy_diag diag;
        memset(&diag, 0, sizeof(diag));
        if (avow_policy_compile(req->draft_policy, req->draft_len, "draft policy", &a->own_draft,
                                &diag) != AVOW_OK)
            return refuse(a, AVOW_ATTEST_BAD_REQUEST, "InvalidParameter",
                          "draftPolicyForAttestation: %s", diag.msg);
        a->draft = true;
    }
    /* The PCK chain must come from a trusted root before anything is looked
     * up or fetched for this platform: a forged chain costs no upstream
     * request and no store read. */
    if (avow_quote_platform(v, &a->quote, &a->platform, &err) != AVOW_OK)
        return refuse(a, AVOW_ATTEST_BAD_EVIDENCE, "InvalidQuote",
                      "the quote's PCK certificate chain does not check, so its platform is not "
                      "looked up: %s",
                      err.msg);
    a->have_platform = true;
    a->outcome = AVOW_ATTEST_PERMITTED; /* so far */
    return a->outcome;
}

/* The incoming claims: the evidence's (an enclave's or a TD's), then the
 * request's JSON data. */
static avow_err mint_incoming(avow_attestation *a, const avow_attest_request *req,
                              const avow_collateral *coll, const avow_collateral_digests *dg)
{
    avow_err e = req->type == AVOW_ATTEST_TDX_VM
                     ? avow_claims_incoming_tdx(&a->verify, &a->incoming)
                     : avow_claims_incoming_sgx(&a->verify, req->quote, req->quote_len, coll, dg,
                                                req->runtime.present ? req->runtime.data : NULL,
                                                req->runtime.len, &a->incoming);
    if (e == AVOW_OK && req->runtime.json)
        e = avow_claims_add_json(a->incoming, "x-ms-runtime", req->runtime.json,
                                 AVOW_ISSUER_SERVICE);
    if (e == AVOW_OK && req->init_time.json)
        e = avow_claims_add_json(a->incoming, "x-ms-inittime", req->init_time.json,
                                 AVOW_ISSUER_SERVICE);
    return e;
}

const avow_policy *avow_attest_deciding_policy(const avow_attestation *a,
                                               const avow_policy *in_force)
{
    return a && a->own_draft ? a->own_draft : in_force;
}

/* Phase 2 against checked collateral `vc`, or (avow_attest) raw collateral
 * `coll` verified as it is, so that a set that does not check is reported
 * by the verification's own trace. */
static avow_attest_outcome finish(avow_attestation *a, avow_verifier *v,
                                  const avow_attest_request *req,
                                  const avow_verified_collateral *vc, const avow_collateral *coll,
                                  const avow_attest_opts *o)
{
    if (a->outcome != AVOW_ATTEST_PERMITTED || !a->have_platform) {
        if (a->outcome == AVOW_ATTEST_PERMITTED)
            refuse(a, AVOW_ATTEST_FAILED, "InternalError", "the attestation was not begun");
        return a->outcome;
    }
    const avow_policy *policy = avow_attest_deciding_policy(a, o->policy);
    if (!policy)
        return refuse(a, AVOW_ATTEST_FAILED, "InternalError", "no policy to appraise with");
    snprintf(a->policy_hash, sizeof(a->policy_hash), "%s", avow_policy_get_hash(policy));

    avow_verify_opts vo = {.at = o->at, .allow_missing_crl = o->allow_missing_crl};
    avow_err e = vc ? avow_verify_quote_checked(v, &a->quote, vc, &vo, &a->verify)
                    : avow_verify_quote(v, req->quote, req->quote_len, coll, &vo, &a->verify);
    a->verified = true;
    if (vc) coll = avow_verified_collateral_raw(vc);
    if (e == AVOW_OK &&
        (mint_incoming(a, req, coll, vc ? avow_verified_collateral_digests(vc) : NULL) != AVOW_OK ||
         (a->verify.ok && attest_recovery_claim(a, o) != AVOW_OK)))
        return refuse(a, AVOW_ATTEST_FAILED, "InternalError",
                      "building the incoming claims failed");
    if (e != AVOW_OK || !a->verify.ok || a->verify.collateral_expired) {
        const char *st = avow_tcb_status_name(a->verify.status);
        return refuse(a, AVOW_ATTEST_BAD_EVIDENCE, "InvalidQuote",
                      "quote verification failed: %s (%s, TCB status %s)",
                      a->verify.reason[0]            ? a->verify.reason
                      : a->verify.collateral_expired ? "collateral expired at the verification time"
                                                     : avow_err_name(a->verify.err),
                      avow_qv_result_name(a->verify.result_code), st ? st : "undetermined");
    }

    avow_error err;
    avow_error_clear(&err);
    if (avow_policy_evaluate(policy, a->incoming, &a->policy, &err) != AVOW_OK)
        return refuse(a, AVOW_ATTEST_FAILED, "InternalError", "policy evaluation failed: %s",
                      err.msg);
    if (!a->policy.permit)
        return refuse(a, AVOW_ATTEST_DENIED, "PolicyEvaluationFailed",
                      "attestation refused by the %s policy (x-ms-policy-hash %s): %s",
                      a->draft ? "draft" : avow_attest_type_name(req->type), a->policy_hash,
                      a->policy.reason[0] ? a->policy.reason : "no authorization rule permitted");
    if (attest_token_claims(a, req, a->draft ? NULL : o->policy_signer_jwk, &err) != AVOW_OK)
        return refuse(a, AVOW_ATTEST_FAILED, "InternalError", "%s", err.msg);
    a->outcome = AVOW_ATTEST_PERMITTED;
    a->error_code = NULL;
    a->reason[0] = '\0';
    return a->outcome;
}

avow_attest_outcome avow_attest_finish(avow_attestation *a, avow_verifier *v,
                                       const avow_attest_request *req,
                                       const avow_verified_collateral *vc,
                                       const avow_attest_opts *o)
{
    if (!vc) return refuse(a, AVOW_ATTEST_FAILED, "InternalError", "no collateral");
    return finish(a, v, req, vc, NULL, o);
}

avow_attest_outcome avow_attest(avow_attestation *a, avow_verifier *v,
                                const avow_attest_request *req, const avow_collateral *coll,
                                const avow_attest_opts *o)
{
    if (avow_attest_begin(a, v, req) != AVOW_ATTEST_PERMITTED) return a->outcome;
    if (!coll) return refuse(a, AVOW_ATTEST_FAILED, "InternalError", "no collateral");
    return finish(a, v, req, NULL, coll, o);
}
