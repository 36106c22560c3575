/* Checked collateral (include/avow/verify.h, "check once, verify many"): the
 * object a service builds once per collateral set it receives — a private
 * copy of the raw pieces, their digests, the set's identity and bounds, and
 * the verifier's own verified form of it (vcoll: chains, CRLs, signatures,
 * parsed TCB Info and QE Identity) — and the platform pre-check a service
 * runs before it fetches anything for a quote.
 * Thread-safe: objects are immutable once built and shared by reference
 * count; the pre-check's cache locks internally. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "verify/internal.h"

struct avow_verified_collateral {
    atomic_int refs;
    const avow_verifier *v; /* whose roots it was checked against */
    avow_collateral raw;
    avow_collateral_digests digests;
    avow_collateral_info info;
    vcoll *c; /* complete */
};

avow_verified_collateral *avow_verified_collateral_ref(avow_verified_collateral *vc)
{
    if (vc) atomic_fetch_add(&vc->refs, 1);
    return vc;
}

void avow_verified_collateral_unref(avow_verified_collateral *vc)
{
    if (!vc || atomic_fetch_sub(&vc->refs, 1) != 1) return;
    vcoll_unref(vc->c);
    avow_collateral_free(&vc->raw);
    free(vc);
}

const avow_collateral *avow_verified_collateral_raw(const avow_verified_collateral *vc)
{
    return &vc->raw;
}

const avow_collateral_info *avow_verified_collateral_info(const avow_verified_collateral *vc)
{
    return &vc->info;
}

const avow_collateral_digests *avow_verified_collateral_digests(const avow_verified_collateral *vc)
{
    return &vc->digests;
}

/* The first failing stage of an incomplete build, as an error. */
static avow_err stage_error(const vcoll *c, avow_error *err)
{
    for (int s = 0; s < VC_N; s++)
        if (c->st[s].done && !c->st[s].pass)
            return avow_error_set(err, c->st[s].err, AVOW_NO_OFFSET, "%s", c->st[s].detail);
    return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET,
                          "collateral check stopped without a reason");
}

static void earliest(avow_time *t, avow_time candidate)
{
    if (candidate < *t) *t = candidate;
}

/* "Processor" / "Platform" in a CA name. */
static avow_pck_ca ca_of_cn(avow_span cn)
{
    char s[128];
    avow_cert_text(cn, s, sizeof(s));
    return strstr(s, "Processor")  ? AVOW_PCK_CA_PROCESSOR
           : strstr(s, "Platform") ? AVOW_PCK_CA_PLATFORM
                                   : AVOW_PCK_CA_UNKNOWN;
}

static void fill_info(const avow_verifier *v, const vcoll *c, avow_collateral_info *i)
{
    memset(i, 0, sizeof(*i));
    memcpy(i->platform.fmspc, c->tcb.fmspc, 6);
    i->platform.tee_type = c->tcb.is_tdx ? AVOW_TEE_TDX : AVOW_TEE_SGX;
    i->platform.ca = c->pck_ca;
    if (i->platform.ca == AVOW_PCK_CA_UNKNOWN && c->have_pck_crl)
        i->platform.ca = ca_of_cn(c->pck_crl.issuer_cn);
    i->next_update = c->tcb.next_update;
    earliest(&i->next_update, c->qe.next_update);
    if (c->have_pck_crl) earliest(&i->next_update, c->pck_crl_until);
    if (c->have_root_crl) earliest(&i->next_update, c->root_crl_until);
    i->tcb_issue_date = c->tcb.issue_date;
    i->tcb_eval_num = c->tcb.tcb_eval_num;
    i->qe_eval_num = c->qe.tcb_eval_num;
    i->has_pck_crl = c->have_pck_crl;
    i->has_root_ca_crl = c->have_root_crl;
    i->pck_crl_checked = c->have_pck_crl && c->pck_crl_ca_cert;
    i->simulated_root = c->tcb_root >= 0 && !v->roots[c->tcb_root].intel;
}

avow_err avow_collateral_check(avow_verifier *v, const avow_collateral *coll,
                               avow_verified_collateral **out, avow_error *err)
{
    *out = NULL;
    if (!v || !coll)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "collateral check: no input");
    avow_verified_collateral *vc = calloc(1, sizeof(*vc));
    if (!vc) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    atomic_init(&vc->refs, 1);
    vc->v = v;
    if (avow_collateral_copy(coll, &vc->raw) != AVOW_OK) {
        free(vc);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    vc->c = vcoll_build(v, &vc->raw, NULL, NULL);
    avow_err rc = !vc->c ? avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory")
                  : !vc->c->complete ? stage_error(vc->c, err)
                                     : AVOW_OK;
    if (rc != AVOW_OK) {
        avow_verified_collateral_unref(vc);
        return rc;
    }
    avow_collateral_digests_compute(&vc->raw, &vc->digests);
    fill_info(v, vc->c, &vc->info);
    *out = vc;
    return AVOW_OK;
}

avow_err avow_verify_collateral(avow_verifier *v, const avow_collateral *coll, avow_error *err)
{
    if (!v || !coll)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "collateral check: no input");
    vcoll *c = vcoll_build(v, coll, NULL, NULL);
    if (!c) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    avow_err rc = c->complete ? AVOW_OK : stage_error(c, err);
    vcoll_unref(c);
    return rc;
}

/* Internal: the verified form and identity digest of checked collateral, for
 * the pipeline (pipeline.c). NULL when `vc` belongs to another verifier. */
vcoll *vcoll_of_checked(const avow_verifier *v, const avow_verified_collateral *vc,
                        const avow_collateral **raw, const uint8_t **identity)
{
    if (!vc || vc->v != v) return NULL;
    *raw = &vc->raw;
    *identity = vc->digests.identity;
    return vc->c;
}

/* ---- the platform pre-check ------------------------------------------------ */

/* One cached outcome of the chain checks for a certification-data blob. */
typedef struct {
    atomic_int refs;
    avow_err rc;
    avow_platform_id pid;
    char detail[sizeof(((avow_error *)0)->msg)];
} vchain;

void vchain_ref(void *p)
{
    atomic_fetch_add(&((vchain *)p)->refs, 1);
}

void vchain_unref(void *p)
{
    vchain *c = p;
    if (c && atomic_fetch_sub(&c->refs, 1) == 1) free(c);
}

/* The cached outcome for quote `q`: FMSPC and CA are the chain's, the TEE is
 * the quote's own (an SGX and a TD quote of one platform carry the same PCK
 * chain, so the entry may have been made for the other TEE). */
static avow_err vchain_result(const vchain *c, const avow_quote *q, avow_platform_id *out,
                              avow_error *err)
{
    if (c->rc == AVOW_OK) {
        *out = c->pid;
        out->tee_type = q->tee_type;
        return AVOW_OK;
    }
    return avow_error_set(err, c->rc, AVOW_NO_OFFSET, "%s", c->detail);
}

avow_err avow_quote_platform(avow_verifier *v, const avow_quote *q, avow_platform_id *out,
                             avow_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!v || !q) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no quote");
    if (q->cert_type != AVOW_CERT_PCK_CHAIN)
        return avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                              "certification data type %u carries no PCK certificate chain",
                              q->cert_type);
    /* Outcomes (failures too: repeated junk then costs a hash, not two
     * signature checks) are cached by the exact certification data. */
    uint8_t key[32];
    avow_sha256(q->cert_data, q->cert_data_len, key);
    vchain *c = v->cache_on ? vcache_get(v->chains, key, sizeof(key)) : NULL;
    if (c) {
        avow_err rc = vchain_result(c, q, out, err);
        vchain_unref(c);
        return rc;
    }
    if (!(c = calloc(1, sizeof(*c))))
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    atomic_init(&c->refs, 1);
    avow_error e;
    avow_error_clear(&e);
    c->rc = vplat_chain_check(v, q, &c->pid, &e);
    snprintf(c->detail, sizeof(c->detail), "%s", e.msg);
    if (v->cache_on && c->rc != AVOW_ERR_NOMEM) vcache_put(v->chains, key, sizeof(key), c);
    avow_err rc = vchain_result(c, q, out, err);
    vchain_unref(c);
    return rc;
}
