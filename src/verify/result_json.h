/* A verification result as a jansson object, exactly the layout of
 * `avow quote verify --json` (docs/design.md "Interfaces"): verdict,
 * status, advisory_ids, result_code, result_name, collateral_expired, debug,
 * crl_missing, simulated_root, reason (on fail), checks [{step, pass,
 * detail}], report {...} (SGX) or td {...} (TDX), platform {...},
 * supplemental {...} or null. Shared by the CLI and the service (internal to
 * libavow). Thread-safe: no state. */
#pragma once

#include <jansson.h>

#include "avow/verify.h"

/* A new object (caller json_decref's), or NULL on allocation failure. */
json_t *avow_verify_result_json(const avow_verify_result *r);

/* Intel's supplemental data of `r` (avow_supplemental, verify.h) as the
 * `supplemental` object of the result, with Intel's field names: dates RFC
 * 3339 (null when absent), binary lower-case hex, CRL numbers null without
 * the CRL, the PCK flags true / false / null (undefined), TD quotes adding
 * tdx_module_*. The same object goes into tokens as x-avow-sgx-supplemental.
 * A new reference (json_null() when r has none), or NULL when memory runs
 * out. */
json_t *avow_supplemental_json(const avow_verify_result *r);
