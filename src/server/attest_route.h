/* avowd's MAA attest route (attest_route.c): POST /attest/SgxEnclave,
 * /attest/OpenEnclave and /attest/TdxVm. Thread-safety: per-request state only. */
#pragma once

#include "avow/attest.h"
#include "server/request.h"

/* May return AVOWD_PARKED (waiting for a collateral fetch; request.h). */
int avowd_handle_attest(avowd_req *r, avow_attest_type t);
