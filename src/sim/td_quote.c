/* The simulated TDX side of the platform (sim.h "TD quotes"): the model's
 * TDX module (TEE_TCB_SVN, MRSEAM, MRSIGNERSEAM, SEAMATTRIBUTES), the TD
 * report a TD on it gets (TD report 1.0, or 1.5 with TEE_TCB_SVN_2 and
 * MRSERVICETD; layout docs/verification.md A1.2) and the TD QE quoting it
 * as a v4 or v5 quote. No TDX module MAC is modelled: the report is taken
 * as TDG.MR.REPORT would give it. Thread-safe: reads the platform only. */
#include <string.h>

#include <openssl/evp.h>

#include "avow/quote.h"
#include "core/cursor.h"
#include "sim/sim_internal.h"

static void sha384(const char *s, uint8_t out[48])
{
    EVP_Digest(s, strlen(s), out, NULL, EVP_sha384(), NULL);
}

void avow_sim_tdx_module_default(avow_sim_tdx_module *m)
{
    memset(m, 0, sizeof *m);
    m->tee_tcb_svn[0] = 5; /* module SVN */
    m->tee_tcb_svn[1] = 1; /* major version: TDX module 1.x */
    m->tee_tcb_svn[2] = 3; /* SEAM loader / microcode SVN */
    memcpy(m->tee_tcb_svn2, m->tee_tcb_svn, 16);
    sha384("Avow simulated TDX module 1.5", m->mr_seam);
    sha384("Avow simulated TDX module signer", m->mr_signer_seam);
}

void avow_sim_td_opts_default(avow_sim_td_opts *o)
{
    memset(o, 0, sizeof *o);
    o->version = 4;
    o->body_type = AVOW_BODY_TD10;
    avow_sim_tdx_module_default(&o->module);
    avow_put_le64(o->td_attributes, AVOW_TD_ATTR_SEPT_VE_DISABLE);
    static const uint8_t xfam[8] = {0xe7, 0x02, 0x06};
    memcpy(o->xfam, xfam, 8);
    sha384("Avow simulated TD", o->mr_td);
}

avow_err avow_sim_td_quote(const avow_sim_platform *p, const avow_sim_td_opts *o, uint8_t **quote,
                           size_t *len, avow_error *err)
{
    if (!p || !o || !quote || !len)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim TD QE: NULL argument");
    if (o->version != 4 && o->version != 5)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim TD QE: quote version %d (4 or 5)", o->version);
    if (o->body_type != AVOW_BODY_TD10 && o->body_type != AVOW_BODY_TD15)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim TD QE: body type %u (2: TD 1.0, 3: TD 1.5)", o->body_type);
    if (o->body_type == AVOW_BODY_TD15 && o->version != 5)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim TD QE: a TD report 1.5 needs a version 5 quote");
    uint8_t r[AVOW_TD_REPORT15_SIZE] = {0};
    const avow_sim_tdx_module *m = &o->module;
    memcpy(r + AVOW_TD_TEE_TCB_SVN, m->tee_tcb_svn, 16);
    memcpy(r + AVOW_TD_MR_SEAM, m->mr_seam, 48);
    memcpy(r + AVOW_TD_MR_SIGNER_SEAM, m->mr_signer_seam, 48);
    memcpy(r + AVOW_TD_SEAM_ATTRIBUTES, m->seam_attributes, 8);
    memcpy(r + AVOW_TD_TD_ATTRIBUTES, o->td_attributes, 8);
    memcpy(r + AVOW_TD_XFAM, o->xfam, 8);
    memcpy(r + AVOW_TD_MR_TD, o->mr_td, 48);
    memcpy(r + AVOW_TD_MR_CONFIG_ID, o->mr_config_id, 48);
    memcpy(r + AVOW_TD_MR_OWNER, o->mr_owner, 48);
    memcpy(r + AVOW_TD_MR_OWNER_CONFIG, o->mr_owner_config, 48);
    memcpy(r + AVOW_TD_RTMR0, o->rtmr, sizeof o->rtmr);
    memcpy(r + AVOW_TD_REPORT_DATA, o->report_data, 64);
    size_t n = AVOW_TD_REPORT10_SIZE;
    if (o->body_type == AVOW_BODY_TD15) {
        memcpy(r + AVOW_TD_TEE_TCB_SVN2, m->tee_tcb_svn2, 16);
        memcpy(r + AVOW_TD_MR_SERVICE_TD, o->mr_service_td, 48);
        n = AVOW_TD_REPORT15_SIZE;
    }
    return sim_quote_assemble(p, &p->td_qe_secs, p->td_att_key, o->version, AVOW_TEE_TDX,
                              o->body_type, r, n, quote, len, err);
}
