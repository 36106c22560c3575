/* avowd's operations routes (health.c): GET /health and GET /metrics.
 * Thread-safety: read-only over the service. */
#pragma once

#include "server/request.h"

int avowd_handle_health(avowd_req *r);
int avowd_handle_metrics(avowd_req *r);
