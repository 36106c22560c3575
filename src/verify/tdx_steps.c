/* The TD-only steps of the DCAP pipeline (steps.h), in Intel QVL's order
 * (QuoteVerifier::verify and checkTcbLevel; docs/tdx.md):
 *
 *  14a tdx_module      4.1.2.4.11: the module is judged by `tdxModule`, or by
 *                      the `tdxModuleIdentities` entry "TDX_%02X" of its
 *                      major version TEE_TCB_SVN[1] when that is > 0 (none:
 *                      TDX module mismatch); MRSIGNERSEAM equal to its
 *                      mrsigner, SEAMATTRIBUTES all zero and equal to its
 *                      attributes (Intel applies no mask)
 *  19  tcb_level       4.1.2.4.17.1-3: the SGX level (first level the PCK's
 *                      components and PCESVN meet) and the TDX level (first
 *                      of those TEE_TCB_SVN also meets, from byte 2 when the
 *                      major version is > 0)
 *  19a tdx_module_tcb  4.1.2.4.17.4.1: the module's level (first with
 *                      TEE_TCB_SVN[0] >= isvsvn; major version 0: UpToDate),
 *                      converged with the TDX level's status
 *  19b td_relaunch     4.1.2.4.17.4.3, TD report 1.5 only: relaunch advice
 *  20  status          the QE convergence, advisories
 *
 * Each step appends one record (or one failing record and stops), as the
 * steps of steps.c do. Thread-safe: builds a private vplat. */
#include <stdio.h>
#include <string.h>

#include "avow/encode.h"
#include "verify/steps.h"
#include "verify/tcb_match.h"
#include "verify/tdx_match.h"

static const char *sname(avow_tcb_status s)
{
    const char *n = avow_tcb_status_name(s);
    return n ? n : "none";
}

/* A failing tdx_module record: `field` of the TD report is not what the
 * identity `name` says (hex shown up to 16 digits). */
static bool module_mismatch(vb *b, const char *field, const uint8_t *have, const char *name,
                            const char *what, const uint8_t *want, size_t n, const char *rule)
{
    char h[2 * 48 + 1], w[2 * 48 + 1];
    avow_hex_encode(have, n, h);
    avow_hex_encode(want, n, w);
    vrec_add(b->p, "tdx_module", false, AVOW_ERR_MISMATCH,
             "TDX module mismatch: %s %.16s%s is not %s's %s %.16s%s%s", field, h,
             n > 8 ? "..." : "", name, what, w, n > 8 ? "..." : "", rule);
    return false;
}

bool vs_tdx_module(vb *b)
{
    if (b->q->tee_type != AVOW_TEE_TDX) return true;
    const avow_tcb_info *t = &b->c->tcb;
    const avow_td_report *td = &b->q->td;
    unsigned major = td->tee_tcb_svn[1];
    const uint8_t *mrsigner = t->tdx_module.mrsigner, *attrs = t->tdx_module.attributes;
    const char *name = "tdxModule";
    b->module = NULL;
    if (major > 0) {
        if (!(b->module = avow_tdx_module_find(t, (uint8_t)major)))
            return vrec_add(b->p, "tdx_module", false, AVOW_ERR_MISMATCH,
                            "TDX module mismatch: the TCB Info has no tdxModuleIdentities entry "
                            "TDX_%02X for the module's major version %u (TEE_TCB_SVN[1])",
                            major, major),
                   false;
        mrsigner = b->module->mrsigner;
        attrs = b->module->attributes;
        name = b->module->id;
    }
    if (memcmp(td->mr_signer_seam, mrsigner, 48) != 0)
        return module_mismatch(b, "MRSIGNERSEAM", td->mr_signer_seam, name, "mrsigner", mrsigner,
                               48, "");
    static const uint8_t zero[8];
    if (memcmp(td->seam_attributes, zero, 8) != 0 || memcmp(attrs, zero, 8) != 0)
        return module_mismatch(b, "SEAMATTRIBUTES", td->seam_attributes, name, "attributes", attrs,
                               8, ": both must be zero (Intel applies no mask)");
    char w[2 * 48 + 1];
    avow_hex_encode(mrsigner, 48, w);
    vrec_add(b->p, "tdx_module", true, AVOW_OK,
             "module (major version %u) judged by %s: MRSIGNERSEAM %.16s... and SEAMATTRIBUTES "
             "(zero) match",
             major, name, w);
    return true;
}

bool vs_tdx_tcb_level(vb *b)
{
    const avow_tcb_info *t = &b->c->tcb;
    const uint8_t *svn = b->q->td.tee_tcb_svn;
    char hs[33];
    avow_hex_encode(svn, 16, hs);
    avow_tcb_match_tdx(t->levels, t->n_levels, b->p->pck.comp_svn, b->p->pck.pcesvn, svn,
                       &b->sgx_level, &b->tdx_level);
    if (b->sgx_level < 0) {
        avow_tcb_shortfall top;
        avow_tcb_match_sgx(t->levels, t->n_levels, b->p->pck.comp_svn, b->p->pck.pcesvn, &top);
        char why[96] = "";
        if (top.comp >= 0 && top.comp < 16)
            snprintf(why, sizeof(why), ": component %d SVN %u < %u required by the top level",
                     top.comp + 1, top.have, top.need);
        else if (top.comp == 16)
            snprintf(why, sizeof(why), ": PCESVN %u < %u required by the top level", top.have,
                     top.need);
        return vrec_add(b->p, "tcb_level", false, AVOW_ERR_MISMATCH,
                        "no TCB level matches the platform (TCB not supported)%s", why),
               false;
    }
    int from = svn[1] > 0 ? 2 : 0;
    if (b->tdx_level < 0) {
        int miss;
        const avow_tcb_level *s = &t->levels[b->sgx_level];
        avow_tdx_tcb_higher_or_equal(svn, s, &miss);
        return vrec_add(b->p, "tcb_level", false, AVOW_ERR_MISMATCH,
                        "no TCB level matches the TD's TEE_TCB_SVN %s (TCB not supported): from "
                        "SGX level %ld on, byte %d is %u < %u (bytes %d..15 compared)",
                        hs, b->sgx_level + 1, miss, svn[miss < 0 ? 0 : miss],
                        s->tdx_comp[miss < 0 ? 0 : miss], from),
               false;
    }
    const avow_tcb_level *sl = &t->levels[b->sgx_level], *tl = &t->levels[b->tdx_level];
    b->p->sgx_status = sl->status;
    b->p->platform_status = tl->status;
    b->p->tcb_date = tl->tcb_date;
    char ds[11], dt[11];
    vdate(sl->tcb_date, ds);
    vdate(tl->tcb_date, dt);
    vrec_add(b->p, "tcb_level", true, AVOW_OK,
             "SGX level %ld of %zu (tcbDate %s): %s; TDX level %ld (tcbDate %s): %s; TEE_TCB_SVN "
             "%s compared from byte %d",
             b->sgx_level + 1, t->n_levels, ds, sname(sl->status), b->tdx_level + 1, dt,
             sname(tl->status), hs, from);
    return true;
}

bool vs_tdx_module_tcb(vb *b)
{
    if (b->q->tee_type != AVOW_TEE_TDX) return true;
    const uint8_t *svn = b->q->td.tee_tcb_svn;
    const avow_tdx_module_identity *id;
    avow_tcb_status st;
    avow_tdx_module_rc rc = avow_tdx_module_tcb(&b->c->tcb, svn, &id, &b->module_level, &st);
    if (rc == AVOW_TDX_MODULE_MISMATCH)
        return vrec_add(b->p, "tdx_module_tcb", false, AVOW_ERR_MISMATCH,
                        "TDX module mismatch: no identity TDX_%02X for major version %u", svn[1],
                        svn[1]),
               false;
    if (rc == AVOW_TDX_MODULE_NOT_SUPPORTED)
        return vrec_add(b->p, "tdx_module_tcb", false, AVOW_ERR_MISMATCH,
                        "module SVN %u (TEE_TCB_SVN[0]) is below every level of %s (TCB not "
                        "supported)",
                        svn[0], id->id),
               false;
    vplat *p = b->p;
    p->module_status = st;
    b->tdx_status = avow_tdx_converge_module(p->platform_status, st);
    if (!b->tdx_status)
        return vrec_add(p, "tdx_module_tcb", false, AVOW_ERR_MISMATCH,
                        "TDX level status %s is not one Intel converges",
                        sname(p->platform_status)),
               false;
    if (!id) {
        vrec_add(p, "tdx_module_tcb", true, AVOW_OK,
                 "module major version 0: tdxModule alone applies (no levels): UpToDate; TDX "
                 "status %s",
                 sname(b->tdx_status));
        return true;
    }
    const avow_qe_level *lv = &id->levels[b->module_level];
    snprintf(p->module_id, sizeof(p->module_id), "%s", id->id);
    if (!avow_advisory_union(lv->advisory_ids, lv->n_advisory_ids, NULL, 0, &p->module_advisory_ids,
                             &p->n_module_advisory_ids))
        return vrec_add(p, "tdx_module_tcb", false, AVOW_ERR_NOMEM, "out of memory"), false;
    char d[11];
    vdate(lv->tcb_date, d);
    vrec_add(p, "tdx_module_tcb", true, AVOW_OK,
             "module %s SVN %u -> level isvsvn %u (tcbDate %s): %s; TDX level %s with module %s "
             "-> %s",
             id->id, svn[0], lv->isvsvn, d, sname(st), sname(p->platform_status), sname(st),
             sname(b->tdx_status));
    return true;
}

bool vs_td_relaunch(vb *b)
{
    const avow_td_report *td = &b->q->td;
    if (b->q->tee_type != AVOW_TEE_TDX || !td->tee_tcb_svn2)
        return true; /* SGX, or TD report 1.0: Intel has nothing to compare */
    vplat *p = b->p;
    avow_tcb_status out;
    char h[33];
    avow_hex_encode(td->tee_tcb_svn2, 16, h);
    avow_relaunch_rc rc = avow_tdx_relaunch(&b->c->tcb, td->tee_tcb_svn2, p->sgx_status,
                                            b->tdx_status, p->module_status, p->qe_status, &out);
    if (rc == AVOW_RELAUNCH_MISMATCH)
        return vrec_add(p, "td_relaunch", false, AVOW_ERR_MISMATCH,
                        "TEE_TCB_SVN_2 %s: no identity TDX_%02X for its major version; Intel's "
                        "relaunch check then yields TDX_MODULE_MISMATCH, an unrecognised status",
                        h, td->tee_tcb_svn2[1]),
               false;
    if (rc == AVOW_RELAUNCH_NOT_SUPPORTED)
        return vrec_add(p, "td_relaunch", false, AVOW_ERR_MISMATCH,
                        "TEE_TCB_SVN_2 %s: no level to compare with (TCB not supported)", h),
               false;
    if (out != b->tdx_status)
        vrec_add(p, "td_relaunch", true, AVOW_OK,
                 "TEE_TCB_SVN_2 %s meets the highest TCB level and module level: %s (the TD "
                 "started on an older TCB than the platform now runs)",
                 h, sname(out));
    else
        vrec_add(p, "td_relaunch", true, AVOW_OK,
                 "no relaunch advice (TDX %s, module %s, SGX %s, QE %s; TEE_TCB_SVN_2 %s)",
                 sname(b->tdx_status), sname(p->module_status), sname(p->sgx_status),
                 sname(p->qe_status), h);
    b->tdx_status = out;
    return true;
}

bool vs_tdx_status(vb *b)
{
    vplat *p = b->p;
    const avow_tcb_info *t = &b->c->tcb;
    p->status = avow_tcb_converge(b->tdx_status, p->qe_status);
    const avow_tcb_level *tl = &t->levels[b->tdx_level];
    long ql = avow_qe_match(b->c->qe.levels, b->c->qe.n_levels, b->q->qe.isv_svn);
    const avow_qe_level *qlv = &b->c->qe.levels[ql];
    /* TDX level, then module level, then QE level (de-duplicated) */
    char **ids = NULL;
    size_t n = 0;
    bool mem = avow_advisory_union(tl->advisory_ids, tl->n_advisory_ids, p->module_advisory_ids,
                                   p->n_module_advisory_ids, &ids, &n) &&
               avow_advisory_union(ids, n, qlv->advisory_ids, qlv->n_advisory_ids, &p->advisory_ids,
                                   &p->n_advisory_ids);
    avow_advisory_free(ids, n);
    if (!mem) return vrec_add(p, "status", false, AVOW_ERR_NOMEM, "out of memory"), false;
    p->tcb_eval_num =
        t->tcb_eval_num < b->c->qe.tcb_eval_num ? t->tcb_eval_num : b->c->qe.tcb_eval_num;
    bool ok = avow_tcb_status_acceptable(p->status);
    vrec *r = vrec_add(p, "status", ok,
                       p->status == AVOW_TCB_REVOKED ? AVOW_ERR_REVOKED : AVOW_ERR_MISMATCH,
                       "%s%s (TDX level %s, module %s, QE %s; SGX level %s)",
                       ok ? "" : "TCB status ", sname(p->status), sname(p->platform_status),
                       sname(p->module_status), sname(p->qe_status), sname(p->sgx_status));
    if (r) r->sets_status = true;
    return ok;
}
