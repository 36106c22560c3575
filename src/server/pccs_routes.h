/* avowd's PCCS-compatible collateral routes (pccs_routes.c): GET
 * /sgx|tdx/certification/v4/{tcb,qe/identity,pckcrl,rootcacrl} from the
 * store. Thread-safety: per-request state only. */
#pragma once

#include "server/request.h"

int avowd_handle_pccs(avowd_req *r);
