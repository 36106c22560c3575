/* A simulated platform's life cycle: defaults, creation (fresh CPU secrets,
 * QE attestation key, derived PCE/QE values, PKI), public information, PEM
 * exports, the owner epoch, and the status names the CLI accepts.
 * Thread-safe: creation and free are per object; readers only read. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "avow/encode.h"
#include "sim/sim_internal.h"

void avow_sim_platform_opts_default(avow_sim_platform_opts *o, avow_time now)
{
    static const uint8_t comps[16] = {11, 11, 2, 2, 255, 1, 12, 0};
    static const uint8_t fmspc[6] = {0x00, 0xa0, 0xaa, 0x10, 0x00, 0x00};
    memset(o, 0, sizeof *o);
    o->now = now;
    memcpy(o->comp_svn, comps, 16);
    o->pce_svn = 13;
    o->qe_svn = 8;
    memcpy(o->fmspc, fmspc, 6);
    o->ca = AVOW_PCK_CA_PROCESSOR;
    o->sgx_type = 0;
    o->dynamic_platform = o->cached_keys = 0;
    o->smt_enabled = 1;
}

void avow_sim_platform_free(avow_sim_platform *p)
{
    if (!p) return;
    EVP_PKEY_free(p->att_key);
    EVP_PKEY_free(p->td_att_key);
    EVP_PKEY_free(p->pck_key);
    EVP_PKEY_free(p->root_key);
    EVP_PKEY_free(p->ca_key);
    EVP_PKEY_free(p->tcb_key);
    avow_cert_copy_free(&p->root_cert);
    avow_cert_copy_free(&p->ca_cert);
    avow_cert_copy_free(&p->tcb_cert);
    avow_cert_copy_free(&p->pck_cert);
    avow_wipe(p, sizeof *p);
    free(p);
}

static avow_err check_opts(const avow_sim_platform_opts *o, avow_error *err)
{
    if (!o || o->now <= 0)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim platform: a creation time (now) is required");
    if (o->ca != AVOW_PCK_CA_PROCESSOR && o->ca != AVOW_PCK_CA_PLATFORM)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim platform: the PCK CA must be processor or platform");
    if (o->sgx_type < 0 || o->sgx_type > 2)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim platform: SGX type %d (0, 1 or 2)", o->sgx_type);
    if (o->pki_from && o->pki_from->opts.ca != o->ca)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim platform: the shared PKI has a %s CA, not a %s CA",
                              avow_pck_ca_name(o->pki_from->opts.ca), avow_pck_ca_name(o->ca));
    const int flags[3] = {o->dynamic_platform, o->cached_keys, o->smt_enabled};
    for (int i = 0; i < 3; i++)
        if (flags[i] < -1 || flags[i] > 1)
            return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                                  "sim platform: Configuration flag %d is %d (1, 0 or -1)", i + 1,
                                  flags[i]);
    if (o->cert_not_after && o->cert_not_before && o->cert_not_after <= o->cert_not_before)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim platform: certificate notAfter is not after notBefore");
    return AVOW_OK;
}

avow_err sim_platform_derive(avow_sim_platform *p, avow_error *err)
{
    memcpy(p->cpu_svn, p->opts.comp_svn, 16);
    return sim_pce_qe_setup(p, err);
}

avow_err avow_sim_platform_new(const avow_sim_platform_opts *o, avow_sim_platform **out,
                               avow_error *err)
{
    avow_err rc = check_opts(o, err);
    if (rc) return rc;
    if (!out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim platform: NULL out");
    avow_sim_platform *p = calloc(1, sizeof *p);
    if (!p)
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "sim platform: out of memory");
    p->opts = *o;
    if (RAND_priv_bytes(p->seal_root, 16) != 1 || RAND_priv_bytes(p->prov_root, 16) != 1 ||
        RAND_priv_bytes(p->owner_epoch, 16) != 1 || RAND_bytes(p->report_keyid, 32) != 1 ||
        !(p->att_key = sim_ec_generate())) {
        rc = avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim platform: no randomness");
        goto fail;
    }
    if ((rc = sim_platform_derive(p, err)) || (rc = sim_pki_create(p, err)) ||
        (rc = sim_pki_issue_pck(p, err)))
        goto fail;
    p->opts.pki_from = NULL; /* borrowed for the creation only */
    *out = p;
    return AVOW_OK;
fail:
    avow_sim_platform_free(p);
    return rc;
}

void avow_sim_platform_set_owner_epoch(avow_sim_platform *p, const uint8_t epoch[16])
{
    memcpy(p->owner_epoch, epoch, 16);
}

void avow_sim_platform_get_info(const avow_sim_platform *p, avow_sim_platform_info *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->cpu_svn, p->cpu_svn, 16);
    memcpy(out->comp_svn, p->opts.comp_svn, 16);
    out->pce_svn = p->opts.pce_svn;
    out->qe_svn = p->opts.qe_svn;
    memcpy(out->fmspc, p->opts.fmspc, 6);
    memcpy(out->ppid, p->ppid, 16);
    memcpy(out->qe_id, p->qe_id, 16);
    out->ca = p->opts.ca;
    out->sgx_type = p->opts.sgx_type;
    memcpy(out->qe_mr_enclave, p->qe_secs.mr_enclave, 32);
    memcpy(out->qe_mr_signer, p->qe_secs.mr_signer, 32);
    out->qe_isv_prod_id = p->qe_secs.isv_prod_id;
    /* the serial's magnitude (its DER contents without a sign byte) */
    avow_span sn = p->pck_cert.c.serial;
    if (sn.len > 1 && sn.p[0] == 0) {
        sn.p++;
        sn.len--;
    }
    if (sn.len > 0 && sn.len <= 20) {
        memcpy(out->pck_serial, sn.p, sn.len);
        out->pck_serial_len = sn.len;
    }
}

avow_err avow_sim_root_pem(const avow_sim_platform *p, char **pem, avow_error *err)
{
    const avow_cert_copy *chain[] = {&p->root_cert, NULL};
    *pem = sim_pem_chain(chain);
    return *pem ? AVOW_OK : avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
}

avow_err avow_sim_pck_chain_pem(const avow_sim_platform *p, char **pem, avow_error *err)
{
    const avow_cert_copy *chain[] = {&p->pck_cert, &p->ca_cert, &p->root_cert, NULL};
    *pem = sim_pem_chain(chain);
    return *pem ? AVOW_OK : avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
}

avow_err avow_sim_tcb_sign(const avow_sim_platform *p, const uint8_t *msg, size_t len,
                           uint8_t sig[64], avow_error *err)
{
    if (!p || (!msg && len) || !sig)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim sign: NULL argument");
    return sim_ecdsa_sign(p->tcb_key, msg, len, sig)
               ? avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim sign: ECDSA failed")
               : AVOW_OK;
}

/* Status names: Intel's exact spelling, or any case with '-'/'_' ignored. */
avow_err avow_sim_status_parse(const char *s, avow_tcb_status *out, avow_error *err)
{
    if (!s) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "status: NULL");
    char norm[64];
    size_t n = 0;
    for (const char *c = s; *c && n + 1 < sizeof norm; c++)
        if (*c != '-' && *c != '_' && *c != ' ') norm[n++] = (char)tolower((unsigned char)*c);
    norm[n] = '\0';
    for (int st = AVOW_TCB_UP_TO_DATE; st <= AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
         st++) {
        const char *name = avow_tcb_status_name((avow_tcb_status)st);
        if (!name) continue;
        char nn[64];
        size_t m = 0;
        for (const char *c = name; *c && m + 1 < sizeof nn; c++)
            nn[m++] = (char)tolower((unsigned char)*c);
        nn[m] = '\0';
        if (!strcmp(norm, nn) ||
            (st == AVOW_TCB_SW_HARDENING_NEEDED && !strcmp(norm, "softwarehardeningneeded"))) {
            *out = (avow_tcb_status)st;
            return AVOW_OK;
        }
    }
    return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                          "unknown status '%s' (UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
                          "ConfigurationAndSWHardeningNeeded, OutOfDate, "
                          "OutOfDateConfigurationNeeded, Revoked; for TD quotes also "
                          "TDRelaunchAdvised, TDRelaunchAdvisedConfigurationNeeded)",
                          s);
}

const char *avow_sim_status_name(avow_tcb_status s)
{
    const char *n = avow_tcb_status_name(s);
    return n ? n : "None";
}
