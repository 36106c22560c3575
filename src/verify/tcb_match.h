/* Pure functions of the DCAP verdict (internal to libavow): SGX TCB level
 * matching on the PCK certificate's 16 component SVNs and PCESVN, QE Identity
 * level matching on the QE's ISVSVN, Intel's QE/platform status convergence
 * table (docs/verification.md A7: a table, not "max severity"), and the
 * advisory-ID union. Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/tcb.h"

/* Why a level did not match: the first component (0..15) or 16 for PCESVN
 * whose platform value `have` is below the level's `need`. */
typedef struct {
    int comp; /* -1 when the level matched */
    unsigned have, need;
} avow_tcb_shortfall;

/* Walks `levels` in order (Intel's sort order) and returns the index of the
 * first level with every comp[i] >= level.sgx_comp[i] and pcesvn >=
 * level.pcesvn, or -1. `top` (may be NULL) receives why levels[0] did not
 * match (comp -1 when it did). */
long avow_tcb_match_sgx(const avow_tcb_level *levels, size_t n, const uint8_t comp[16],
                        uint16_t pcesvn, avow_tcb_shortfall *top);

/* The QE Identity level for `isvsvn`: the one with the highest level isvsvn
 * <= isvsvn (equal to Intel's "first in descending order"), or -1. */
long avow_qe_match(const avow_qe_level *levels, size_t n, uint16_t isvsvn);

/* Intel convergeTcbStatusWithQeTcbStatus. `qe_level_status` is the matched QE
 * level's status (UP_TO_DATE, OUT_OF_DATE, REVOKED; anything but UpToDate
 * and Revoked counts as ISVSVN_OUT_OF_DATE), or NONE when no QE level
 * matched (ISVSVN_NOT_SUPPORTED -> the result is NONE: not supported).
 *   QE OutOfDate + UpToDate/SWHardeningNeeded            -> OutOfDate
 *   QE OutOfDate + Configuration(AndSWHardening)Needed   -> OutOfDateConfigurationNeeded
 *   QE OutOfDate + anything else                         -> unchanged
 *   QE Revoked                                           -> Revoked
 *   otherwise                                            -> the platform status */
avow_tcb_status avow_tcb_converge(avow_tcb_status platform, avow_tcb_status qe_level_status);

/* The rule Intel applies when the QE or the TDX module is OutOfDate:
 * UpToDate/SWHardeningNeeded -> OutOfDate, Configuration(AndSWHardening)Needed
 * -> OutOfDateConfigurationNeeded, anything else unchanged. */
avow_tcb_status avow_tcb_out_of_date(avow_tcb_status s);

/* True for the statuses a verification may end with as "ok" (UpToDate through
 * OutOfDateConfigurationNeeded, and the TDX relaunch statuses). */
bool avow_tcb_status_acceptable(avow_tcb_status s);

/* De-duplicated union: `a` in order, then the entries of `b` not already
 * present. Returns a malloc'd array of malloc'd strings (NULL when empty) and
 * its count; false on allocation failure. */
bool avow_advisory_union(char *const *a, size_t na, char *const *b, size_t nb, char ***out,
                         size_t *n_out);
void avow_advisory_free(char **ids, size_t n);
