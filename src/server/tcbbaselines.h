/* avowd's GET /tcbbaselines/{type} (tcbbaselines.c): MAA's TCB baselines
 * (docs/maa.md §1.11). Thread-safety: per-request state only. */
#pragma once

#include "server/request.h"

int avowd_handle_tcbbaselines(avowd_req *r);
