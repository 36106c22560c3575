/* avowd's operations routes: GET /metrics (the Prometheus exposition of the
 * service's metrics object, with its collateral, store and uptime gauges)
 * and GET /health, which answers 200 {"status":"ok"} or, while the store is
 * unreachable, 200 {"status":"degraded","reason":...}: the service still
 * answers from memory (see sync.c), so a load balancer should keep sending
 * it traffic; monitoring alerts on the status.
 * Thread-safety: reads the service; no state of its own. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/health.h"
#include "server/metrics.h"
#include "server/service.h"
#include "server/sync.h"

int avowd_handle_metrics(avowd_req *r)
{
    avowd *d = r->d;
    avow_pccs_stats st;
    if (d->pccs) avow_pccs_stats_get(d->pccs, &st);
    avowd_metrics_gauges g = {.collateral = d->pccs ? &st : NULL,
                              .store_up = avowd_sync_healthy(d, NULL, 0),
                              .started_at = d->started_at};
    size_t len = 0;
    char *text = avowd_metrics_render(d->metrics, &g, &len);
    if (!text) return avowd_error(r, 500, "InternalError", "out of memory rendering metrics");
    return avowd_respond_take(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

int avowd_handle_health(avowd_req *r)
{
    char reason[320];
    bool ok = avowd_sync_healthy(r->d, reason, sizeof(reason));
    json_t *o = json_pack("{s:s,s:s,s:I}", "status", ok ? "ok" : "degraded", "store",
                          avow_store_backend(r->d->store), "uptime_seconds",
                          (json_int_t)(avow_time_now() - r->d->started_at));
    if (o && !ok) json_object_set_new(o, "reason", json_string(reason));
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body) return avowd_error(r, 500, "InternalError", "out of memory");
    return avowd_respond_take(r, 200, AVOWD_JSON, body, strlen(body));
}
