/* avowd metrics (metrics.c): an object of counters (requests and a latency
 * histogram by route, attestation verdicts by TCB status) and their
 * Prometheus text exposition, with the service-wide gauges the caller
 * passes in (collateral cache, store health, start time).
 * Thread-safety: recording is lock-free (relaxed atomics) from any thread;
 * a render is a consistent-enough snapshot. New and free by the owner. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "avow/time.h"
#include "pccs/pccs.h"
#include "server/route.h"

typedef struct avowd_metrics avowd_metrics;

avowd_metrics *avowd_metrics_new(void);
void avowd_metrics_free(avowd_metrics *m);

void avowd_metrics_request(avowd_metrics *m, avowd_route r, unsigned status, double seconds);
/* One attestation verdict: ok, tcb status (NONE when undetermined). */
void avowd_metrics_verdict(avowd_metrics *m, bool ok, int tcb_status);

/* What the service adds to the exposition besides the counters. */
typedef struct {
    const avow_pccs_stats *collateral; /* NULL: no collateral service */
    bool store_up;
    avow_time started_at;
} avowd_metrics_gauges;

/* Renders the Prometheus text exposition (malloc'd, NULL when out of
 * memory); `g` may be NULL (counters only). */
char *avowd_metrics_render(avowd_metrics *m, const avowd_metrics_gauges *g, size_t *len);
