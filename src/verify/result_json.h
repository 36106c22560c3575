/* A verification result as a jansson object, exactly the layout of
 * `avow quote verify --json` (docs/design.md "Interfaces"): verdict,
 * status, advisory_ids, result_code, result_name, collateral_expired, debug,
 * crl_missing, simulated_root, reason (on fail), checks [{step, pass,
 * detail}], report {...} (SGX) or td {...} (TDX), platform {...}. Shared by
 * the CLI and the service
 * (internal to libavow). Thread-safe: no state. */
#pragma once

#include <jansson.h>

#include "avow/verify.h"

/* A new object (caller json_decref's), or NULL on allocation failure. */
json_t *avow_verify_result_json(const avow_verify_result *r);
