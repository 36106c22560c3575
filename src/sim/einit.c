/* EINIT of the simulated CPU: checks the SIGSTRUCT as hardware does (the
 * signature and Q1/Q2, the measurement, attributes under the masks), unlike
 * Intel's SDK simulation mode which skips the signature and measurement.
 * Thread-safe: no shared state. */
#include <string.h>

#include "avow/encode.h"
#include "sim/sim_internal.h"

static avow_err fail(uint32_t *st, uint32_t code, avow_error *err, avow_err rc, const char *msg)
{
    if (st) *st = code;
    return avow_error_set(err, rc, AVOW_NO_OFFSET, "EINIT: %s", msg);
}

static bool is_zero(const uint8_t *p, size_t n)
{
    uint8_t a = 0;
    for (size_t i = 0; i < n; i++)
        a |= p[i];
    return a == 0;
}

avow_err avow_sim_einit(const avow_sim_platform *p, const avow_sim_create *c,
                        const uint8_t mrenclave[32], const avow_sigstruct *ss,
                        avow_sim_enclave *out, uint32_t *sgx_status, avow_error *err)
{
    if (sgx_status) *sgx_status = AVOW_SGX_SUCCESS;
    if (!p || !c || !mrenclave || !ss || !out)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "EINIT: NULL argument");
    /* 1. the SIGSTRUCT itself: constants, then the signature */
    uint8_t raw[AVOW_SIGSTRUCT_SIZE];
    avow_sigstruct_serialize(ss, raw);
    avow_sigstruct chk;
    avow_err rc = avow_sigstruct_parse(raw, sizeof raw, &chk, err);
    if (rc) {
        if (sgx_status) *sgx_status = AVOW_SGX_INVALID_SIG_STRUCT;
        avow_error_prefix(err, "EINIT");
        return AVOW_ERR_FORMAT;
    }
    if ((rc = avow_sigstruct_verify(ss, err))) {
        if (sgx_status) *sgx_status = AVOW_SGX_INVALID_SIGNATURE;
        avow_error_prefix(err, "EINIT");
        return rc == AVOW_ERR_FORMAT ? AVOW_ERR_FORMAT : AVOW_ERR_SIGNATURE;
    }
    /* 2. attributes, MISCSELECT and CET under the SIGSTRUCT's masks */
    uint64_t flags = c->attr_flags | AVOW_ATTR_INIT;
    if (((flags ^ ss->attr_flags) & ss->attr_mask_flags & ~AVOW_ATTR_INIT) ||
        ((c->attr_xfrm ^ ss->attr_xfrm) & ss->attr_mask_xfrm))
        return fail(sgx_status, AVOW_SGX_INVALID_ATTRIBUTE, err, AVOW_ERR_MISMATCH,
                    "SECS.ATTRIBUTES do not match SIGSTRUCT.ATTRIBUTES under ATTRIBUTEMASK");
    if ((c->misc_select ^ ss->misc_select) & ss->misc_mask)
        return fail(sgx_status, AVOW_SGX_INVALID_ATTRIBUTE, err, AVOW_ERR_MISMATCH,
                    "SECS.MISCSELECT does not match SIGSTRUCT.MISCSELECT under MISCMASK");
    if ((c->cet_attributes ^ ss->cet_attributes) & ss->cet_attributes_mask)
        return fail(sgx_status, AVOW_SGX_INVALID_ATTRIBUTE, err, AVOW_ERR_MISMATCH,
                    "SECS.CET_ATTRIBUTES do not match the SIGSTRUCT under its mask");
    if (!(flags & AVOW_ATTR_KSS) &&
        (!is_zero(ss->isv_family_id, 16) || !is_zero(ss->isv_ext_prod_id, 16) ||
         !is_zero(c->config_id, 64) || c->config_svn))
        return fail(sgx_status, AVOW_SGX_INVALID_ATTRIBUTE, err, AVOW_ERR_MISMATCH,
                    "ISVFAMILYID/ISVEXTPRODID/CONFIGID/CONFIGSVN need ATTRIBUTES.KSS");
    /* 3. the measurement */
    if (memcmp(mrenclave, ss->enclave_hash, 32) != 0)
        return fail(sgx_status, AVOW_SGX_INVALID_MEASUREMENT, err, AVOW_ERR_MISMATCH,
                    "measured MRENCLAVE differs from SIGSTRUCT.ENCLAVEHASH");
    /* 4. commit */
    memset(out, 0, sizeof *out);
    out->platform = p;
    avow_sim_secs *s = &out->secs;
    memcpy(s->mr_enclave, mrenclave, 32);
    avow_sigstruct_mrsigner(ss, s->mr_signer);
    s->attr_flags = flags;
    s->attr_xfrm = c->attr_xfrm;
    s->misc_select = c->misc_select;
    s->cet_attributes = c->cet_attributes;
    s->isv_prod_id = ss->isv_prod_id;
    s->isv_svn = ss->isv_svn;
    s->config_svn = c->config_svn;
    memcpy(s->config_id, c->config_id, 64);
    memcpy(s->isv_family_id, ss->isv_family_id, 16);
    memcpy(s->isv_ext_prod_id, ss->isv_ext_prod_id, 16);
    return AVOW_OK;
}

void avow_sim_enclave_from_identity(const avow_sim_platform *p, const avow_sim_secs *secs,
                                    avow_sim_enclave *out)
{
    memset(out, 0, sizeof *out);
    out->platform = p;
    out->secs = *secs;
    out->secs.attr_flags |= AVOW_ATTR_INIT;
}
