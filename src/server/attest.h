/* avowd's MAA attest route (attest.c): POST /attest/SgxEnclave and
 * /attest/OpenEnclave. Thread-safety: per-request state only. */
#pragma once

#include <stdbool.h>

#include "server/request.h"

/* May return AVOWD_PARKED (waiting for a collateral fetch; request.h). */
int avowd_handle_attest(avowd_req *r, bool open_enclave);
