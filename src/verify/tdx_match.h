/* Pure functions of the TDX verdict (internal to libavow), each one Intel
 * QVL function (named beside it) in C: TDX TCB level matching, the module
 * identity and its TCB level, the module/TDX-level convergence and the TD
 * relaunch advice (docs/tdx.md; docs/verification.md A4, A7). The QE
 * convergence that ends a TDX verdict is avow_tcb_converge (tcb_match.h).
 * Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/tcb.h"

/* Intel isTdxTcbHigherOrEqual: every TEE_TCB_SVN byte >= the level's
 * tdxtcbcomponents SVN, comparing from byte 2 when tee_tcb_svn[1] (the
 * module's major version) > 0 -- bytes 0 and 1 are then the module's and are
 * judged by its identity -- and from byte 0 otherwise. `miss` (may be NULL)
 * receives the first byte below the level, or -1. */
bool avow_tdx_tcb_higher_or_equal(const uint8_t tee_tcb_svn[16], const avow_tcb_level *lv,
                                  int *miss);

/* Intel matchTcbLevels with a TEE_TCB_SVN: walks `levels` in Intel's order;
 * *sgx is the first level whose SGX components and PCESVN the PCK meets,
 * *tdx the first of those levels (the same or a later one) whose TDX
 * components TEE_TCB_SVN also meets. -1 where none. */
void avow_tcb_match_tdx(const avow_tcb_level *levels, size_t n, const uint8_t comp[16],
                        uint16_t pcesvn, const uint8_t tee_tcb_svn[16], long *sgx, long *tdx);

/* Intel findTdxModuleIdentity: the tdxModuleIdentities entry whose id is
 * "TDX_%02X" of `major` (case-insensitive), or NULL. */
const avow_tdx_module_identity *avow_tdx_module_find(const avow_tcb_info *t, uint8_t major);

/* How Intel judges a module. */
typedef enum {
    AVOW_TDX_MODULE_OK,            /* a status was determined */
    AVOW_TDX_MODULE_MISMATCH,      /* no identity for the major version: TDX_MODULE_MISMATCH */
    AVOW_TDX_MODULE_NOT_SUPPORTED, /* SVN below every level: TCB_NOT_SUPPORTED */
} avow_tdx_module_rc;

/* Intel checkTdxModuleTcbStatus (quote version > 3, as every TD quote is):
 * major version tee_tcb_svn[1] == 0 -> OK with *status UpToDate and no
 * identity (*id NULL: only tdxModule, which has no levels, applies); else
 * the identity "TDX_%02X" of the major version and its first level (levels
 * by descending isvsvn) with tee_tcb_svn[0] >= isvsvn. *id and *level (may be
 * NULL) receive the identity and the level index (-1 when none). */
avow_tdx_module_rc avow_tdx_module_tcb(const avow_tcb_info *t, const uint8_t tee_tcb_svn[16],
                                       const avow_tdx_module_identity **id, long *level,
                                       avow_tcb_status *status);

/* Intel convergeTcbStatusWithTdxModuleStatus: the TDX level's status with
 * the module's (UpToDate, OutOfDate or Revoked):
 *   module OutOfDate + UpToDate/SWHardeningNeeded          -> OutOfDate
 *   module OutOfDate + Configuration(AndSWHardening)Needed -> OutOfDateConfigurationNeeded
 *   module Revoked                                         -> Revoked
 *   otherwise                                              -> the TDX level's status
 * (a TDX level status outside Intel's seven is NONE: TCB_UNRECOGNIZED_STATUS). */
avow_tcb_status avow_tdx_converge_module(avow_tcb_status tdx_level, avow_tcb_status module);

/* Outcome of Intel checkForRelaunch beyond a status. */
typedef enum {
    AVOW_RELAUNCH_DONE,          /* *out holds the (possibly unchanged) TDX status */
    AVOW_RELAUNCH_MISMATCH,      /* no identity for TEE_TCB_SVN_2's major version */
    AVOW_RELAUNCH_NOT_SUPPORTED, /* no TCB level / module level to compare with */
} avow_relaunch_rc;

/* Intel checkForRelaunch (TD report 1.5): when the QE level is neither
 * OutOfDate nor Revoked (`qe` UpToDate), the SGX level is UpToDate,
 * SWHardeningNeeded, ConfigurationNeeded or ConfigurationAndSWHardeningNeeded,
 * the converged TDX status is OutOfDate or OutOfDateConfigurationNeeded and
 * the module's status is OutOfDate, TEE_TCB_SVN_2 (the TCB the platform was
 * updated to while the TD ran) is compared with the highest TCB level:
 * svn2[1] == 0: svn2[0] >= its tdx[0] and svn2[2] >= its tdx[2];
 * else: svn2[0] >= the highest isvsvn of identity "TDX_%02X" of svn2[1] and
 * svn2[2] >= its tdx[2]. Met: TDRelaunchAdvised, or
 * TDRelaunchAdvisedConfigurationNeeded when the SGX or TDX status is a
 * ConfigurationNeeded one. Otherwise *out = `tdx`. */
avow_relaunch_rc avow_tdx_relaunch(const avow_tcb_info *t, const uint8_t svn2[16],
                                   avow_tcb_status sgx, avow_tcb_status tdx, avow_tcb_status module,
                                   avow_tcb_status qe, avow_tcb_status *out);
