/* `avow sim quote --tee tdx` (sim_tdx.h): a TD on the simulated TDX module,
 * quoted by the simulated TD QE, and the options of its TDX collateral.
 * Thread-safe: n/a (CLI). */
#include <stdio.h>
#include <string.h>

#include "avow/quote.h"
#include "cli/cli.h"
#include "cli/cmd_sim_tdx.h"

bool cli_sim_tdx_quote(const avow_sim_platform *p, const cli_sim_tdx *a, int version, bool debug,
                       const uint8_t report_data[64], avow_sim_collateral_opts *co,
                       avow_sim_tdx_module *m, uint8_t **quote, size_t *len)
{
    if (a->td15 && version != 5) {
        fprintf(stderr, "avow: --td15 needs --version 5\n");
        return false;
    }
    bool relaunch = co->tcb_status == AVOW_TCB_TD_RELAUNCH_ADVISED ||
                    co->tcb_status == AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
    if (relaunch && !a->td15) {
        fprintf(stderr, "avow: --tcb-status %s needs a TD report 1.5: --version 5 --td15\n",
                avow_sim_status_name(co->tcb_status));
        return false;
    }
    avow_sim_td_opts o;
    avow_sim_td_opts_default(&o);
    o.version = version;
    o.body_type = a->td15 ? AVOW_BODY_TD15 : AVOW_BODY_TD10;
    if (a->have_svn) memcpy(o.module.tee_tcb_svn, a->tee_tcb_svn, 16);
    memcpy(o.module.tee_tcb_svn2, o.module.tee_tcb_svn, 16);
    if (relaunch) { /* a TD-preserving update raised the module and SEAM SVNs under the TD */
        o.module.tee_tcb_svn2[0]++;
        o.module.tee_tcb_svn2[2]++;
    }
    if (a->have_mrtd) memcpy(o.mr_td, a->mr_td, 48);
    if (debug) o.td_attributes[0] |= (uint8_t)AVOW_TD_ATTR_DEBUG;
    memcpy(o.report_data, report_data, 64);
    *m = o.module;
    co->tee = AVOW_TEE_TDX;
    co->module = m;
    co->module_status = a->module_status;
    co->module_mismatch = a->module_mismatch;
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_td_quote(p, &o, quote, len, &e) != AVOW_OK) {
        cli_error(&e, "sim quote --tee tdx");
        return false;
    }
    return true;
}
