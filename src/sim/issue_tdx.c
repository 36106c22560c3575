/* The simulated PCS's TDX TCB Info (sim_internal.h, sim.h "TDX options"):
 * TCB Info v3 with id TDX for the platform's FMSPC, `tdxModule`, the
 * `tdxModuleIdentities` entry TDX_XX of the module's major version (its own
 * levels put the module's SVN on the module status asked for) beside a decoy
 * entry for another major version, and TCB levels carrying both the SGX
 * components and the TDX components, built so that a TD quote of `module`
 * lands on the status asked for under Intel's rules (docs/tdx.md), relaunch
 * advice included. Compact JSON, as Intel's PCS serves it.
 * Thread-safe: reads the platform only. */
#include <stdio.h>
#include <string.h>

#include "sim/sim_internal.h"

#define DAY 86400LL

static const char *const SA_MODULE[] = {"INTEL-SA-01036"};
static const char *const SA_CONF[] = {"INTEL-SA-00289"};

static void put_module(sim_sb *b, const char *id, const uint8_t mrsigner[48],
                       const uint8_t attributes[8])
{
    char m[97], a[17];
    sim_upper_hex(mrsigner, 48, m);
    sim_upper_hex(attributes, 8, a);
    if (id)
        sim_sb_printf(b, "{\"id\":\"%s\",", id);
    else
        sim_sb_printf(b, "{");
    sim_sb_printf(
        b, "\"mrsigner\":\"%s\",\"attributes\":\"%s\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"", m,
        a);
}

/* The identity of the module's major version: levels around its SVN. */
static void put_identity(sim_sb *b, const avow_sim_tdx_module *m, const uint8_t mrsigner[48],
                         avow_tcb_status ms, uint8_t top_svn, avow_time today)
{
    char id[7];
    snprintf(id, sizeof(id), "TDX_%02X", m->tee_tcb_svn[1]);
    put_module(b, id, mrsigner, m->seam_attributes);
    sim_sb_printf(b, ",\"tcbLevels\":[");
    unsigned svn = m->tee_tcb_svn[0];
    if (ms == AVOW_TCB_UP_TO_DATE) {
        sim_put_identity_level(b, svn, today - 30 * DAY, ms, NULL, 0, true);
        if (svn > 0)
            sim_put_identity_level(b, svn - 1, today - 400 * DAY, AVOW_TCB_OUT_OF_DATE, SA_MODULE,
                                   1, false);
    } else {
        sim_put_identity_level(b, top_svn, today - 30 * DAY, AVOW_TCB_UP_TO_DATE, NULL, 0, true);
        sim_put_identity_level(b, svn, today - 400 * DAY, ms, SA_MODULE, 1, false);
    }
    sim_sb_printf(b, "]}");
}

/* Another major version's identity, with another signer: selecting it
 * instead of TDX_XX of the quote's major version would fail. */
static void put_decoy(sim_sb *b, const avow_sim_tdx_module *m, avow_time today)
{
    uint8_t major = (uint8_t)(m->tee_tcb_svn[1] + 2), signer[48];
    memcpy(signer, m->mr_signer_seam, 48);
    signer[47] ^= 0xff;
    char id[7];
    snprintf(id, sizeof(id), "TDX_%02X", major);
    put_module(b, id, signer, m->seam_attributes);
    sim_sb_printf(b, ",\"tcbLevels\":[");
    sim_put_identity_level(b, 0, today - 30 * DAY, AVOW_TCB_UP_TO_DATE, NULL, 0, true);
    sim_sb_printf(b, "]}");
}

avow_err sim_tdx_tcb_info(const avow_sim_platform *p, const avow_sim_collateral_opts *o,
                          avow_tcb_status st, avow_time next, char **json, avow_error *err)
{
    *json = NULL;
    const avow_sim_tdx_module *m = o->module;
    if (!m)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: TDX collateral needs the module of the quotes");
    const uint8_t *t = m->tee_tcb_svn, *t2 = m->tee_tcb_svn2;
    avow_tcb_status ms = o->module_status ? o->module_status : AVOW_TCB_UP_TO_DATE;
    bool relaunch = st == AVOW_TCB_TD_RELAUNCH_ADVISED ||
                    st == AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
    if (ms != AVOW_TCB_UP_TO_DATE && ms != AVOW_TCB_OUT_OF_DATE && ms != AVOW_TCB_REVOKED)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: module status must be UpToDate, OutOfDate or "
                              "Revoked, not %s",
                              avow_sim_status_name(ms));
    if (relaunch) {
        if (o->module_status && ms != AVOW_TCB_OUT_OF_DATE)
            return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                                  "sim collateral: relaunch advice needs the module OutOfDate");
        ms = AVOW_TCB_OUT_OF_DATE;
        if (t[1] == 0 || t2[1] != t[1] || t2[0] <= t[0] || t2[2] <= t[2])
            return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                                  "sim collateral: %s needs a module of major version > 0 whose "
                                  "TEE_TCB_SVN_2 is above TEE_TCB_SVN in bytes 0 and 2 (same "
                                  "major version)",
                                  avow_sim_status_name(st));
    }
    if (t[1] == 0 && ms != AVOW_TCB_UP_TO_DATE)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: a module of major version 0 has no TCB levels "
                              "(Intel judges it by tdxModule alone)");
    if (ms != AVOW_TCB_UP_TO_DATE && t[0] == 255)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: module SVN 255 leaves no room for a newer level");

    avow_time today = sim_day_floor(o->issue_date);
    sim_sb b = {0};
    sim_put_tcb_info_head(&b, "TDX", p, o, next);
    sim_sb_printf(&b, ",\"tdxModule\":");
    /* --module-mismatch: the signer of the identity that applies differs */
    uint8_t other[48];
    memcpy(other, m->mr_signer_seam, 48);
    other[0] ^= 0x5a;
    put_module(&b, NULL, o->module_mismatch && t[1] == 0 ? other : m->mr_signer_seam,
               m->seam_attributes);
    sim_sb_printf(&b, "},\"tdxModuleIdentities\":[");
    if (t[1] > 0) {
        put_identity(&b, m, o->module_mismatch ? other : m->mr_signer_seam, ms,
                     relaunch ? t2[0] : (uint8_t)(t[0] + 1), today);
        sim_sb_printf(&b, ",");
    }
    put_decoy(&b, m, today);
    sim_sb_printf(&b, "],\"tcbLevels\":[");

    if (relaunch) {
        /* the highest level: what TEE_TCB_SVN_2 reaches; the SGX components
         * meet it (UpToDate, or ConfigurationNeeded for the config variant),
         * TEE_TCB_SVN does not; the TD lands on the OutOfDate level below */
        avow_tcb_status sgx = st == AVOW_TCB_TD_RELAUNCH_ADVISED ? AVOW_TCB_UP_TO_DATE
                                                                 : AVOW_TCB_CONFIGURATION_NEEDED;
        uint8_t top[16];
        memcpy(top, t, 16);
        top[0] = t2[0];
        top[2] = t2[2];
        sim_put_tcb_level(&b, p->opts.comp_svn, p->opts.pce_svn, top, today - 30 * DAY, sgx,
                          sgx == AVOW_TCB_UP_TO_DATE ? NULL : SA_CONF,
                          sgx == AVOW_TCB_UP_TO_DATE ? 0 : 1, true);
        sim_put_platform_levels(&b, p, o, AVOW_TCB_OUT_OF_DATE, t, true);
    } else {
        sim_put_platform_levels(&b, p, o, st, t, false);
    }
    sim_sb_printf(&b, "]}");
    if (!(*json = sim_sb_take(&b)))
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "sim collateral: out of memory");
    return AVOW_OK;
}
