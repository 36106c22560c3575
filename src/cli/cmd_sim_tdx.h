/* The TDX part of `avow sim quote --tee tdx` (cmd_sim_tdx.c): the options that
 * shape the simulated TD, its module and their collateral, and the TD quote.
 * Internal to the CLI. Thread-safety: n/a (CLI). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

typedef struct {
    bool tdx;             /* --tee tdx */
    bool td15;            /* --td15: TD report 1.5 (version 5) */
    bool module_mismatch; /* --module-mismatch */
    bool have_svn, have_mrtd;
    uint8_t tee_tcb_svn[16];       /* --tee-tcb-svn HEX */
    uint8_t mr_td[48];             /* --mrtd HEX */
    avow_tcb_status module_status; /* --module-status S (NONE: UpToDate) */
} cli_sim_tdx;

/* Makes the TD quote (`version` 4 or 5) with `report_data` and DEBUG as
 * asked, and sets the TDX fields of `co` (module kept in *m, which must
 * outlive `co`): for the relaunch statuses the module's TEE_TCB_SVN_2 is
 * raised above its TEE_TCB_SVN. On failure prints why and returns false. */
bool cli_sim_tdx_quote(const avow_sim_platform *p, const cli_sim_tdx *a, int version, bool debug,
                       const uint8_t report_data[64], avow_sim_collateral_opts *co,
                       avow_sim_tdx_module *m, uint8_t **quote, size_t *len);
