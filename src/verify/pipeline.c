/* avow_verify_quote: step 0 (parameters) and step "quote_format" (parse, TEE,
 * certification data type), then the platform part (steps.c) from cache (c)
 * or built now, then the replay of its step records against `at` into the
 * result's trace and verdict. The hot path with warm caches is: parse the
 * quote (views), hash the collateral and the platform bytes, one cache
 * lookup, one ECDSA verification (the quote signature), and the replay.
 * TD quotes take the same path with the TD steps (steps.h).
 * Pure: no I/O, no clock. Thread-safe: see verify.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/quote.h"
#include "core/cursor.h"
#include "core/sha256.h"
#include "pki/ecdsa.h"
#include "verify/internal.h"
#include "verify/tcb_match.h"

/* avow_td_info's arrays are the TD report byte for byte (quote.h offsets). */
_Static_assert(offsetof(avow_td_info, mr_signer_seam) == AVOW_TD_MR_SIGNER_SEAM, "TD layout");
_Static_assert(offsetof(avow_td_info, td_attributes) == AVOW_TD_TD_ATTRIBUTES, "TD layout");
_Static_assert(offsetof(avow_td_info, mr_td) == AVOW_TD_MR_TD, "TD layout");
_Static_assert(offsetof(avow_td_info, rtmr) == AVOW_TD_RTMR0, "TD layout");
_Static_assert(offsetof(avow_td_info, report_data) == AVOW_TD_REPORT_DATA, "TD layout");
_Static_assert(offsetof(avow_td_info, mr_service_td) == AVOW_TD_MR_SERVICE_TD, "TD layout");
_Static_assert(offsetof(avow_td_info, body_type) >= AVOW_TD_REPORT15_SIZE, "TD layout");

/* The TD report's fields, copied (zero where TD 1.0 has none). */
static void fill_td(const avow_td_report *t, uint16_t body_type, avow_td_info *o)
{
    memcpy(o, t->raw, t->len);
    o->body_type = body_type;
}

static void fill_report(const avow_quote *q, avow_verify_result *r)
{
    r->quote_version = q->version;
    r->tee_type = q->tee_type;
    r->qe_svn = q->qe_svn;
    r->pce_svn = q->pce_svn;
    if (q->body_type != AVOW_BODY_SGX) {
        r->is_td = true;
        fill_td(&q->td, q->body_type, &r->td);
        r->debug = avow_td_report_is_debug(&q->td); /* TDATTRIBUTES.TUD.DEBUG */
        return;
    }
    const avow_report_body *b = &q->report;
    r->debug = avow_report_body_is_debug(b);
    memcpy(r->mr_enclave, b->mr_enclave, 32);
    memcpy(r->mr_signer, b->mr_signer, 32);
    memcpy(r->report_data, b->report_data, 64);
    memcpy(r->attributes, b->attributes, 16);
    memcpy(r->cpu_svn, b->cpu_svn, 16);
    memcpy(r->isv_ext_prod_id, b->isv_ext_prod_id, 16);
    memcpy(r->isv_family_id, b->isv_family_id, 16);
    memcpy(r->config_id, b->config_id, 64);
    r->isv_prod_id = b->isv_prod_id;
    r->isv_svn = b->isv_svn;
    r->config_svn = b->config_svn;
    r->misc_select = b->misc_select;
}

static const char *cert_type_unsupported(uint16_t t)
{
    switch (t) {
        case AVOW_CERT_PPID_CLEAR:
            return "certification data type 1 (PPID in clear): the PCK certificate must be "
                   "fetched; "
                   "not supported";
        case AVOW_CERT_PPID_RSA2048:
            return "certification data type 2 (encrypted PPID, RSA-2048): the PCK certificate must "
                   "be fetched; not supported";
        case AVOW_CERT_PPID_RSA3072:
            return "certification data type 3 (encrypted PPID, RSA-3072): the PCK certificate must "
                   "be fetched; not supported";
        case AVOW_CERT_PCK_LEAF:
            return "certification data type 4 (PCK leaf only): the full PCK chain (type 5) is "
                   "required; not supported";
        case AVOW_CERT_PLATFORM_MANIFEST:
            return "certification data type 7 (platform manifest) cannot be verified";
        default:
            return "unknown certification data type: not supported";
    }
}

static void fail(avow_verify_result *r, avow_err err)
{
    r->ok = false;
    if (r->err == AVOW_OK) r->err = err;
}

/* Judges the record's validity windows at `at`; writes the failure detail. */
static bool windows_ok(const vrec *rec, avow_time at, char *why, size_t n, avow_time *earliest)
{
    bool ok = true;
    for (int i = 0; i < rec->n_win; i++) {
        const vwin *w = &rec->win[i];
        if (w->until < *earliest) *earliest = w->until;
        if (!ok) continue;
        char t[21];
        if (at < w->from) {
            avow_time_format(w->from, t);
            snprintf(why, n, "%s %s (%s %s)", w->what,
                     w->kind == VWIN_ISSUED ? "issued in the future" : "not yet valid",
                     w->kind == VWIN_CERT  ? "notBefore"
                     : w->kind == VWIN_CRL ? "thisUpdate"
                                           : "issueDate",
                     t);
            ok = false;
        } else if (at > w->until) {
            avow_time_format(w->until, t);
            snprintf(why, n, "%s expired (%s %s)", w->what,
                     w->kind == VWIN_CERT ? "notAfter" : "nextUpdate", t);
            ok = false;
        }
    }
    return ok;
}

/* Appends copies of `src` to (*dst, *n); stops quietly when memory runs out. */
static void append_ids(char ***dst, size_t *n, char *const *src, size_t n_src)
{
    for (size_t k = 0; k < n_src; k++) {
        char **m = realloc(*dst, (*n + 1) * sizeof(*m));
        if (!m) return;
        *dst = m;
        if (!(m[*n] = strdup(src[k]))) return;
        (*n)++;
    }
}

static void replay(const vplat *p, const avow_quote *q, avow_time at, avow_verify_result *r)
{
    bool failed = false, reached = false;
    avow_time earliest = INT64_MAX;
    for (size_t i = 0; i < p->n_recs; i++) {
        const vrec *rec = &p->recs[i];
        bool stop = false;
        if (rec->sets_status) {
            reached = true;
            r->status = p->status;
            r->platform_status = p->platform_status;
            r->qe_status = p->qe_status;
            r->result_code = avow_qv_result_for_status(p->status);
            r->tcb_date = p->tcb_date;
            r->tcb_eval_num = p->tcb_eval_num;
            r->sgx_tcb_status = p->sgx_status;
            r->module_status = p->module_status;
            memcpy(r->module_id, p->module_id, sizeof(r->module_id));
            append_ids(&r->advisory_ids, &r->n_advisory_ids, p->advisory_ids, p->n_advisory_ids);
            append_ids(&r->module_advisory_ids, &r->n_module_advisory_ids, p->module_advisory_ids,
                       p->n_module_advisory_ids);
        }
        if (rec->quote_sig) {
            bool ok = avow_ecdsa_verify_raw(p->attest_key, q->signed_data, q->signed_len,
                                            q->signature) == AVOW_OK;
            if (ok)
                avow_trace_add(&r->trace, rec->step, true,
                               "quote (%zu signed bytes: header and %s) signed by the "
                               "attestation key",
                               q->signed_len, r->is_td ? "TD report" : "report body");
            else
                avow_trace_add(&r->trace, rec->step, false,
                               "quote signature does not verify with the attestation key");
            if (!ok) {
                fail(r, AVOW_ERR_SIGNATURE);
                stop = true;
            }
        } else if (!rec->pass) {
            avow_trace_add(&r->trace, rec->step, false, "%s", rec->detail);
            fail(r, rec->err);
            stop = true;
        } else {
            char why[VDETAIL];
            if (windows_ok(rec, at, why, sizeof(why), &earliest)) {
                avow_trace_add(&r->trace, rec->step, true, "%s", rec->detail);
            } else {
                avow_trace_add(&r->trace, rec->step, false, "%s", why);
                r->collateral_expired = true;
                fail(r, AVOW_ERR_EXPIRED);
            }
        }
        if (stop) {
            failed = true;
            break;
        }
    }
    r->earliest_expiration = earliest == INT64_MAX ? 0 : earliest;
    if (reached && p->supp.valid) vsupp_replay(p, at, r);
    if (failed && !r->status) r->result_code = AVOW_QV_UNSPECIFIED;
    if (!failed && !p->complete) fail(r, AVOW_ERR_INTERNAL);
}

static void finish(avow_verify_result *r)
{
    const avow_trace_entry *f = avow_trace_first_failure(&r->trace);
    if (f) {
        r->ok = false;
        if (r->err == AVOW_OK) r->err = AVOW_ERR_INTERNAL;
        snprintf(r->reason, sizeof(r->reason), "%s", f->detail);
    } else if (r->err == AVOW_OK && avow_tcb_status_acceptable(r->status)) {
        r->ok = true;
        r->reason[0] = '\0';
    } else {
        r->ok = false;
        if (r->err == AVOW_OK) r->err = AVOW_ERR_INTERNAL;
        if (!r->reason[0]) snprintf(r->reason, sizeof(r->reason), "no verdict reached");
    }
}

/* SHA-256 of the platform part of a quote (identical in every quote of one
 * platform and QE key), the collateral hash and the options it depends on.
 * For TD quotes the part also covers what the TDX steps judge of the TD
 * report: the module's TEE_TCB_SVN(_2), MRSIGNERSEAM and SEAMATTRIBUTES. */
static void platform_key(const avow_quote *q, const uint8_t coll_hash[32],
                         const avow_verify_opts *opts, uint8_t out[32])
{
    avow_sha256_ctx h;
    if (!avow_sha256_init(&h)) {
        memset(out, 0, 32);
        return;
    }
    avow_sha256_update_lp(&h, q->cert_data, q->cert_data_len);
    avow_sha256_update(&h, q->qe_report, AVOW_REPORT_BODY_SIZE);
    avow_sha256_update(&h, q->qe_report_sig, AVOW_ECDSA_SIG_SIZE);
    avow_sha256_update_lp(&h, q->qe_auth_data, q->qe_auth_data_len);
    avow_sha256_update(&h, q->attest_key, AVOW_ECDSA_PUBKEY_SIZE);
    avow_sha256_update(&h, coll_hash, 32);
    uint8_t flags = opts->allow_missing_crl ? 1 : 0;
    avow_sha256_update(&h, &flags, 1);
    uint8_t kind[8];
    avow_put_le16(kind, q->version);
    avow_put_le16(kind + 2, q->body_type);
    avow_put_le32(kind + 4, q->tee_type);
    avow_sha256_update(&h, kind, sizeof(kind));
    if (q->body_type != AVOW_BODY_SGX) {
        avow_sha256_update(&h, q->td.tee_tcb_svn, 16);
        avow_sha256_update(&h, q->td.mr_signer_seam, 48);
        avow_sha256_update(&h, q->td.seam_attributes, 8);
        if (q->td.tee_tcb_svn2) avow_sha256_update(&h, q->td.tee_tcb_svn2, 16);
    }
    avow_sha256_final(&h, out);
}

/* Everything after the parse: TEE and certification data type, the
 * platform part (cache or built), the replay. `given` is checked collateral
 * (coll is its raw copy and coll_hash its identity) or NULL. */
static avow_err verify_parsed(avow_verifier *v, const avow_quote *q, const avow_collateral *coll,
                              vcoll *given, const uint8_t *coll_hash_in,
                              const avow_verify_opts *opts, avow_verify_result *r)
{
    fill_report(q, r);
    if (q->cert_type != AVOW_CERT_PCK_CHAIN) {
        avow_trace_add(&r->trace, "quote_format", false, "%s", cert_type_unsupported(q->cert_type));
        r->err = AVOW_ERR_UNSUPPORTED;
        finish(r);
        return AVOW_OK;
    }
    if (q->tee_type == AVOW_TEE_TDX)
        avow_trace_add(&r->trace, "quote_format", true,
                       "TDX quote v%u, TD report %s (%zu bytes), ECDSA P-256 attestation key, "
                       "certification data type 5 (PCK certificate chain)",
                       q->version, q->body_type == AVOW_BODY_TD15 ? "1.5" : "1.0", q->body_len);
    else
        avow_trace_add(&r->trace, "quote_format", true,
                       "SGX quote v%u, ECDSA P-256 attestation key, certification data type 5 "
                       "(PCK certificate chain)",
                       q->version);

    /* the hashes only key the caches: a verifier with caches off skips them */
    uint8_t coll_hash[32] = {0}, pkey[32] = {0};
    if (v->cache_on) {
        if (coll_hash_in)
            memcpy(coll_hash, coll_hash_in, 32);
        else if (opts->digests)
            memcpy(coll_hash, opts->digests->identity, 32);
        else
            avow_collateral_identity(coll, coll_hash);
        platform_key(q, coll_hash, opts, pkey);
    }
    vplat *p = v->cache_on ? vcache_get(v->plats, pkey, sizeof(pkey)) : NULL;
    if (!p) {
        p = vplat_build(v, q, coll, given, opts, coll_hash);
        if (!p) {
            avow_trace_add(&r->trace, "internal", false, "out of memory");
            r->err = AVOW_ERR_NOMEM;
            finish(r);
            return AVOW_OK;
        }
        if (v->cache_on && p->complete) vcache_put(v->plats, pkey, sizeof(pkey), p);
    }
    replay(p, q, opts->at, r);
    r->have_pck = p->have_pck;
    if (p->have_pck) r->pck = p->pck;
    r->pck_ca = p->ca;
    r->crl_missing = p->crl_missing;
    r->simulated_root = p->simulated_root;
    vplat_unref(p);
    finish(r);
    return AVOW_OK;
}

/* 0. Parameters; false (and a finished result) when unusable. */
static bool params_ok(const avow_verifier *v, const void *quote, const void *coll,
                      const avow_verify_opts *opts, avow_verify_result *r)
{
    if (v && quote && coll && opts && opts->at > 0) return true;
    avow_trace_add(&r->trace, "parameters", false,
                   "verifier, quote, collateral and a verification time > 0 are required");
    r->err = AVOW_ERR_ARG;
    finish(r);
    return false;
}

avow_err avow_verify_quote(avow_verifier *v, const uint8_t *quote, size_t len,
                           const avow_collateral *coll, const avow_verify_opts *opts,
                           avow_verify_result *r)
{
    if (!r) return AVOW_ERR_ARG;
    avow_verify_result_init(r);
    if (!params_ok(v, quote, coll, opts, r)) return AVOW_ERR_ARG;
    r->at = opts->at;
    /* quote_format: parse (trailing bytes accepted and ignored, as everywhere). */
    avow_quote q;
    avow_error e;
    avow_error_clear(&e);
    if (avow_quote_parse(quote, len, &q, &e) != AVOW_OK) {
        avow_trace_add(&r->trace, "quote_format", false, "%s", e.msg[0] ? e.msg : "malformed");
        r->err = AVOW_ERR_FORMAT;
        finish(r);
        return AVOW_ERR_FORMAT;
    }
    return verify_parsed(v, &q, coll, NULL, NULL, opts, r);
}

avow_err avow_verify_quote_checked(avow_verifier *v, const avow_quote *q,
                                   const avow_verified_collateral *vc, const avow_verify_opts *opts,
                                   avow_verify_result *r)
{
    if (!r) return AVOW_ERR_ARG;
    avow_verify_result_init(r);
    if (!params_ok(v, q, vc, opts, r)) return AVOW_ERR_ARG;
    r->at = opts->at;
    const avow_collateral *raw = NULL;
    const uint8_t *identity = NULL;
    vcoll *c = vcoll_of_checked(v, vc, &raw, &identity);
    if (!c) {
        avow_trace_add(&r->trace, "parameters", false,
                       "the collateral was checked by another verifier (other trusted roots)");
        r->err = AVOW_ERR_ARG;
        finish(r);
        return AVOW_ERR_ARG;
    }
    return verify_parsed(v, q, raw, c, identity, opts, r);
}
