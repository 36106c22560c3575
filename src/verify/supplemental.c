/* Intel's supplemental data (avow_supplemental, verify.h; Intel's
 * sgx_ql_qv_supplemental_t as QvE's qve_set_quote_supplemental_data and
 * qve_get_collateral_dates fill it), computed from what the pipeline already
 * parsed and checked: the builder's PCK chain and PCK extension, the verified
 * collateral (vcoll: CRLs, issuer chains, TCB Info, QE Identity) and the
 * matched levels. Everything but collateral_expiration_status depends only
 * on bytes and is built once into the platform part (vsupp_build, cached
 * with it); collateral_expiration_status depends on `at` and is judged when
 * the records are replayed (vsupp_replay), so a warm verification gives the
 * cold one's result (internal.h). Where Avow deliberately differs from
 * Intel's code, docs/verification.md A10 says how and why.
 * Thread-safe: builds into a private vplat; the replay writes only `r`. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "verify/internal.h"
#include "verify/steps.h"
#include "verify/tcb_match.h"

/* Earliest and latest issue, earliest expiry over some dated pieces. */
typedef struct {
    avow_time first, last, expiry;
    bool any;
} vspan;

static void span_add(vspan *s, avow_time issue, avow_time expiry)
{
    if (!s->any || issue < s->first) s->first = issue;
    if (!s->any || issue > s->last) s->last = issue;
    if (!s->any || expiry < s->expiry) s->expiry = expiry;
    s->any = true;
}

static void span_cert(vspan *s, const vcert *c)
{
    if (c) span_add(s, c->c.not_before, c->c.not_after);
}

/* A CRL Number (INTEGER contents, non-negative and minimal: pki/cert.h) as
 * Intel's uint32_t; false when absent or wider (Intel then fails the whole
 * verification with SGX_QL_ERROR_UNEXPECTED; Avow reports no number). */
static bool crl_num(avow_span v, uint32_t *out)
{
    if (!v.len) return false;
    if (v.len > 1 && v.p[0] == 0) {
        v.p++;
        v.len--;
    }
    if (v.len > 4) return false;
    uint32_t n = 0;
    for (size_t i = 0; i < v.len; i++)
        n = n << 8 | v.p[i];
    *out = n;
    return true;
}

static avow_pck_flag flag(bool has, bool value)
{
    return !has ? AVOW_PCK_FLAG_UNDEFINED : value ? AVOW_PCK_FLAG_TRUE : AVOW_PCK_FLAG_FALSE;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The advisory IDs sorted, without duplicates, joined by ','; NULL when
 * memory runs out. */
static char *sa_list(char *const *ids, size_t n)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(ids[i]) + 1;
    char **sorted = n ? malloc(n * sizeof(*sorted)) : NULL;
    char *out = malloc(total);
    if (!out || (n && !sorted)) {
        free(sorted);
        free(out);
        return NULL;
    }
    if (n) memcpy(sorted, ids, n * sizeof(*sorted));
    if (n) qsort(sorted, n, sizeof(*sorted), cmp_str);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(sorted[i], sorted[i - 1])) continue;
        if (o) out[o++] = ',';
        size_t l = strlen(sorted[i]);
        memcpy(out + o, sorted[i], l);
        o += l;
    }
    out[o] = '\0';
    free(sorted);
    return out;
}

static void min_date(avow_time *acc, avow_time t)
{
    if (t && (!*acc || t < *acc)) *acc = t;
}

/* The collateral dates: qve_get_collateral_dates' eight sources for the
 * whole set, and the QE Identity with its issuer chain for qe_iden_*. */
static void dates(const vb *b, avow_supplemental *s)
{
    const vcoll *c = b->c;
    vspan all = {0}, qe = {0};
    if (c->have_root_crl) span_add(&all, c->root_crl_from, c->root_crl_until);
    if (c->have_pck_crl) span_add(&all, c->pck_crl_from, c->pck_crl_until);
    span_cert(&all, c->pck_crl_ca_cert);
    span_cert(&all, c->pck_crl_chain_root);
    span_cert(&all, b->leaf);
    span_cert(&all, b->ca);
    span_cert(&all, b->root);
    span_cert(&all, c->tcb_signer);
    span_cert(&all, c->tcb_chain_root);
    span_cert(&all, c->qe_signer);
    span_cert(&all, c->qe_chain_root);
    span_add(&all, c->tcb.issue_date, c->tcb.next_update);
    span_add(&all, c->qe.issue_date, c->qe.next_update);
    span_cert(&qe, c->qe_signer);
    span_cert(&qe, c->qe_chain_root);
    span_add(&qe, c->qe.issue_date, c->qe.next_update);
    s->earliest_issue_date = all.first;
    s->latest_issue_date = all.last;
    s->earliest_expiration_date = all.expiry;
    s->qe_iden_earliest_issue_date = qe.first;
    s->qe_iden_latest_issue_date = qe.last;
    s->qe_iden_earliest_expiration_date = qe.expiry;
}

/* The PCK certificate's fields; the Platform-CA ones for the Scalable types
 * only, as Intel fills them. */
static void pck_fields(const vplat *p, avow_supplemental *s)
{
    const avow_pck_ext *x = &p->pck;
    memcpy(s->pck_ppid, x->ppid, 16);
    memcpy(s->tcb_cpusvn, x->cpusvn, 16);
    s->tcb_pce_isvsvn = x->pcesvn;
    memcpy(s->pce_id, x->pce_id, 2);
    s->sgx_type = (uint8_t)x->sgx_type;
    s->dynamic_platform = s->cached_keys = s->smt_enabled = AVOW_PCK_FLAG_UNDEFINED;
    if (x->sgx_type != 1 && x->sgx_type != 2) return;
    if ((s->has_platform_instance_id = x->has_platform_instance_id))
        memcpy(s->platform_instance_id, x->platform_instance_id, 16);
    s->dynamic_platform = flag(x->has_dynamic_platform, x->dynamic_platform);
    s->cached_keys = flag(x->has_cached_keys, x->cached_keys);
    s->smt_enabled = flag(x->has_smt_enabled, x->smt_enabled);
}

void vsupp_build(vb *b)
{
    vplat *p = b->p;
    const vcoll *c = b->c;
    avow_supplemental *s = &p->supp;
    free(s->sa_list);
    memset(s, 0, sizeof(*s));
    if (!c || !b->leaf || !b->root || b->qe_level < 0) return;
    s->major_version = AVOW_SUPPLEMENTAL_MAJOR_VERSION;
    s->minor_version = AVOW_SUPPLEMENTAL_MINOR_VERSION;
    dates(b, s);

    /* level dates: the TCB level's, the QE level's and (TD) the module's */
    const avow_qe_level *ql = &c->qe.levels[b->qe_level];
    s->platform_tcb_level_date_tag = p->tcb_date;
    s->qe_iden_tcb_level_date_tag = ql->tcb_date;
    if (b->q->tee_type == AVOW_TEE_TDX) {
        s->tdx_module_major_ver = b->q->td.tee_tcb_svn[1];
        if (s->tdx_module_major_ver && b->module && b->module_level >= 0) {
            const avow_qe_level *ml = &b->module->levels[b->module_level];
            s->tdx_module_svn = ml->isvsvn;
            s->tdx_module_tcb_level_date_tag = ml->tcb_date;
        }
    }
    min_date(&s->tcb_level_date_tag, s->platform_tcb_level_date_tag);
    min_date(&s->tcb_level_date_tag, s->qe_iden_tcb_level_date_tag);
    min_date(&s->tcb_level_date_tag, s->tdx_module_tcb_level_date_tag);

    s->has_pck_crl_num = c->have_pck_crl && crl_num(c->pck_crl.crl_number, &s->pck_crl_num);
    s->has_root_ca_crl_num =
        c->have_root_crl && crl_num(c->root_crl.crl_number, &s->root_ca_crl_num);
    int tn = c->tcb.tcb_eval_num, qn = c->qe.tcb_eval_num;
    s->tcb_eval_ref_num = (uint32_t)(tn < qn ? tn : qn);
    s->qe_iden_tcb_eval_ref_num = (uint32_t)qn;
    s->qe_iden_status = avow_qv_result_for_status(p->qe_status);
    s->tee_type = b->q->tee_type;
    pck_fields(p, s);

    unsigned int n = 0;
    const avow_span *k = &b->root->c.key;
    if (!EVP_Digest(k->p, k->len, s->root_key_id, &n, EVP_sha384(), NULL) || n != 48) return;
    if (!(s->sa_list = sa_list(p->advisory_ids, p->n_advisory_ids))) return;
    s->valid = true;
}

void vsupp_replay(const vplat *p, avow_time at, avow_verify_result *r)
{
    avow_supplemental *s = &r->supplemental;
    free(s->sa_list);
    *s = p->supp;
    s->sa_list = strdup(p->supp.sa_list);
    if (!s->sa_list) {
        memset(s, 0, sizeof(*s));
        return;
    }
    /* Intel: expired when earliest_expiration_date <= expiration_check_date,
     * and whenever a check failed on a validity window */
    s->collateral_expiration_status =
        s->earliest_expiration_date <= at || r->collateral_expired ? 1 : 0;
}
