/* The simulated PCS: issues collateral for a platform in Intel's formats —
 * TCB Info v3 and QE Identity v2 as compact JSON signed (ECDSA P-256, raw
 * r||s) over the exact bytes by the TCB Signing key, the root CA and PCK CRLs,
 * and the issuer chains — with the levels built so that the platform and the
 * QE land on the statuses asked for. SGX TCB Info and the (TD) QE Identity
 * are built here; the TDX TCB Info in issue_tdx.c.
 * Thread-safe: reads the platform only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "avow/quote.h"
#include "sim/sim_internal.h"

#define DAY 86400LL

static char *build_tcb_info(const avow_sim_platform *p, const avow_sim_collateral_opts *o,
                            avow_tcb_status st, avow_time next)
{
    sim_sb b = {0};
    sim_put_tcb_info_head(&b, "SGX", p, o, next);
    sim_sb_printf(&b, ",\"tcbLevels\":[");
    sim_put_platform_levels(&b, p, o, st, NULL, false);
    sim_sb_printf(&b, "]}");
    return sim_sb_take(&b);
}

/* QE Identity v2 of quoting enclave `qe` under `id` ("QE" or "TD_QE"). */
static char *build_qe_identity(const avow_sim_collateral_opts *o, const char *id,
                               const avow_sim_secs *qe, avow_tcb_status st, avow_time next)
{
    char mrsigner[65];
    sim_upper_hex(qe->mr_signer, 32, mrsigner);
    sim_sb b = {0};
    sim_sb_printf(&b, "{\"id\":\"%s\",\"version\":2,", id);
    sim_put_date(&b, "issueDate", o->issue_date);
    sim_sb_printf(&b, ",");
    sim_put_date(&b, "nextUpdate", next);
    /* attributes 0x11 under mask FBFF..: INIT|PROVISIONKEY required, DEBUG must be 0,
     * MODE64BIT ignored (as Intel's QE and TD QE identities). */
    sim_sb_printf(&b,
                  ",\"tcbEvaluationDataNumber\":%d,\"miscselect\":\"00000000\","
                  "\"miscselectMask\":\"FFFFFFFF\","
                  "\"attributes\":\"11000000000000000000000000000000\","
                  "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%s\","
                  "\"isvprodid\":%u,\"tcbLevels\":[",
                  o->tcb_eval_num ? o->tcb_eval_num : 17, mrsigner, qe->isv_prod_id);
    uint32_t svn = qe->isv_svn;
    avow_time today = sim_day_floor(o->issue_date);
    static const char *const QE_SA[] = {"INTEL-SA-00615"};
    const char *const *ids = o->qe_advisory_ids;
    size_t n = o->n_qe_advisory_ids;
    if (!ids && st != AVOW_TCB_UP_TO_DATE) ids = QE_SA, n = 1;
    bool first = true;
    if (st != AVOW_TCB_UP_TO_DATE) {
        sim_put_identity_level(&b, svn + 1, today - 30 * DAY, AVOW_TCB_UP_TO_DATE, NULL, 0, first);
        first = false;
    }
    sim_put_identity_level(&b, svn, today - (st == AVOW_TCB_UP_TO_DATE ? 30 : 400) * DAY, st, ids,
                           n, first);
    if (svn > 0)
        sim_put_identity_level(&b, svn - 1, today - 800 * DAY, AVOW_TCB_OUT_OF_DATE, QE_SA, 1,
                               false);
    sim_sb_printf(&b, "]}");
    return sim_sb_take(&b);
}

void avow_sim_collateral_opts_default(avow_sim_collateral_opts *o, avow_time now)
{
    memset(o, 0, sizeof *o);
    o->issue_date = now;
    o->next_update = now + 30 * DAY;
    o->tcb_status = AVOW_TCB_UP_TO_DATE;
    o->qe_status = AVOW_TCB_UP_TO_DATE;
    o->tcb_eval_num = 17;
    o->tee = AVOW_TEE_SGX;
}

avow_err avow_sim_collateral(const avow_sim_platform *p, const avow_sim_collateral_opts *o,
                             avow_collateral *out, avow_error *err)
{
    if (!p || !o || !out)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim collateral: NULL argument");
    avow_collateral_init(out);
    bool tdx = o->tee == AVOW_TEE_TDX;
    avow_tcb_status st = o->tcb_status == AVOW_TCB_NONE ? AVOW_TCB_UP_TO_DATE : o->tcb_status;
    avow_tcb_status qst = o->qe_status == AVOW_TCB_NONE ? AVOW_TCB_UP_TO_DATE : o->qe_status;
    const avow_sim_secs *qe = tdx ? &p->td_qe_secs : &p->qe_secs;
    if (o->tee != AVOW_TEE_SGX && !tdx)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: TEE type 0x%x (SGX 0 or TDX 0x81)", o->tee);
    if (st > AVOW_TCB_REVOKED && !tdx)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: %s is not an SGX TCB status",
                              avow_sim_status_name(st));
    if (qst != AVOW_TCB_UP_TO_DATE && qst != AVOW_TCB_OUT_OF_DATE && qst != AVOW_TCB_REVOKED)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: QE status must be UpToDate, OutOfDate or Revoked, "
                              "not %s",
                              avow_sim_status_name(qst));
    if (o->issue_date <= 0)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: an issue date is required");
    if (p->opts.pce_svn == 0xffff || qe->isv_svn == 0xffff)
        return avow_error_set(
            err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
            "sim collateral: PCESVN/QE SVN 65535 leaves no room for a newer level");
    avow_time next = o->next_update ? o->next_update : o->issue_date + 30 * DAY;
    avow_err rc = AVOW_ERR_NOMEM;
    out->tee_type = tdx ? AVOW_TEE_TDX : AVOW_TEE_SGX;
    if (tdx) {
        if ((rc = sim_tdx_tcb_info(p, o, st, next, &out->tcb_info, err))) goto fail;
        rc = AVOW_ERR_NOMEM;
    } else {
        out->tcb_info = build_tcb_info(p, o, st, next);
    }
    out->qe_identity = build_qe_identity(o, tdx ? "TD_QE" : "QE", qe, qst, next);
    const avow_cert_copy *tcb_chain[] = {&p->tcb_cert, &p->root_cert, NULL};
    const avow_cert_copy *pck_chain[] = {&p->ca_cert, &p->root_cert, NULL};
    out->tcb_info_issuer_chain = sim_pem_chain(tcb_chain);
    out->qe_identity_issuer_chain = sim_pem_chain(tcb_chain);
    out->pck_crl_issuer_chain = sim_pem_chain(pck_chain);
    if (!out->tcb_info || !out->qe_identity || !out->tcb_info_issuer_chain ||
        !out->qe_identity_issuer_chain || !out->pck_crl_issuer_chain)
        goto fail;
    out->tcb_info_len = strlen(out->tcb_info);
    out->qe_identity_len = strlen(out->qe_identity);
    rc = AVOW_ERR_INTERNAL;
    if (sim_ecdsa_sign(p->tcb_key, (const uint8_t *)out->tcb_info, out->tcb_info_len,
                       out->tcb_info_sig) ||
        sim_ecdsa_sign(p->tcb_key, (const uint8_t *)out->qe_identity, out->qe_identity_len,
                       out->qe_identity_sig))
        goto fail;
    if ((rc = sim_pki_crl(&p->root_cert, p->root_key, o->revoke_pck_ca ? &p->ca_cert : NULL,
                          o->issue_date, next, &out->root_ca_crl, &out->root_ca_crl_len, err)) ||
        (rc = sim_pki_crl(&p->ca_cert, p->ca_key, o->revoke_pck ? &p->pck_cert : NULL,
                          o->issue_date, next, &out->pck_crl, &out->pck_crl_len, err)))
        goto fail;
    return AVOW_OK;
fail:
    avow_collateral_free(out);
    if (rc == AVOW_ERR_NOMEM)
        avow_error_set(err, rc, AVOW_NO_OFFSET, "sim collateral: out of memory");
    else if (err && !err->msg[0])
        avow_error_set(err, rc, AVOW_NO_OFFSET, "sim collateral: signing failed");
    return rc;
}
