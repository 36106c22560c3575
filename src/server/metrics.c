/* avowd metrics in the Prometheus text format (served by health.c at
 * /metrics): requests and a latency histogram by route, attestation verdicts
 * by TCB status; and the gauges the service passes in: collateral cache hits
 * and misses, upstream fetches, whether the store is reachable, start time.
 * Thread-safety: counters are C11 atomics (relaxed), so recording from the
 * HTTP threads needs no lock; a render is a consistent-enough snapshot. The
 * object is created and freed by its owner (the service context). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "avow/tcb.h"
#include "server/metrics.h"

static const unsigned statuses[] = {200, 400, 401, 403, 404, 405, 413, 500, 502, 503};
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0]) + 1) /* + "other" */

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02,
                                 0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

#define N_TCB 10 /* AVOW_TCB_NONE .. AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED */

struct avowd_metrics {
    atomic_ullong requests[ROUTE_COUNT][N_STATUS];
    atomic_ullong hist[ROUTE_COUNT][N_BUCKETS + 1]; /* non-cumulative; last = +Inf */
    atomic_ullong sum_us[ROUTE_COUNT];
    atomic_ullong verdicts[2][N_TCB];
};

avowd_metrics *avowd_metrics_new(void)
{
    return calloc(1, sizeof(avowd_metrics)); /* all-zero atomics are valid zeros */
}

void avowd_metrics_free(avowd_metrics *m)
{
    free(m);
}

void avowd_metrics_request(avowd_metrics *m, avowd_route r, unsigned status, double seconds)
{
    if (r >= ROUTE_COUNT) r = ROUTE_NONE;
    size_t si = N_STATUS - 1;
    for (size_t i = 0; i < N_STATUS - 1; i++)
        if (statuses[i] == status) si = i;
    atomic_fetch_add_explicit(&m->requests[r][si], 1, memory_order_relaxed);
    size_t b = N_BUCKETS;
    for (size_t i = 0; i < N_BUCKETS; i++)
        if (seconds <= buckets[i]) {
            b = i;
            break;
        }
    atomic_fetch_add_explicit(&m->hist[r][b], 1, memory_order_relaxed);
    if (seconds < 0) seconds = 0;
    atomic_fetch_add_explicit(&m->sum_us[r], (unsigned long long)(seconds * 1e6),
                              memory_order_relaxed);
}

void avowd_metrics_verdict(avowd_metrics *m, bool ok, int tcb_status)
{
    if (tcb_status < 0 || tcb_status >= N_TCB) tcb_status = 0;
    atomic_fetch_add_explicit(&m->verdicts[ok ? 1 : 0][tcb_status], 1, memory_order_relaxed);
}

/* A growing text buffer. */
typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = b->cap * 2 + (size_t)n;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

static unsigned long long ld(atomic_ullong *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

char *avowd_metrics_render(avowd_metrics *m, const avowd_metrics_gauges *g, size_t *len)
{
    sbuf b = {malloc(16384), 0, 16384, false};
    if (!b.p) return NULL;
    b.p[0] = '\0';

    sb_printf(&b,
              "# HELP avowd_requests_total HTTP requests by route and status.\n"
              "# TYPE avowd_requests_total counter\n");
    for (size_t r = 0; r < ROUTE_COUNT; r++)
        for (size_t s = 0; s < N_STATUS; s++) {
            unsigned long long v = ld(&m->requests[r][s]);
            if (!v) continue;
            char st[8];
            if (s < N_STATUS - 1)
                snprintf(st, sizeof(st), "%u", statuses[s]);
            else
                snprintf(st, sizeof(st), "other");
            sb_printf(&b, "avowd_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                      avowd_route_name((avowd_route)r), st, v);
        }

    sb_printf(&b,
              "# HELP avowd_request_duration_seconds Request latency by route.\n"
              "# TYPE avowd_request_duration_seconds histogram\n");
    for (size_t r = 0; r < ROUTE_COUNT; r++) {
        unsigned long long cum = 0, counts[N_BUCKETS + 1];
        for (size_t i = 0; i <= N_BUCKETS; i++)
            counts[i] = ld(&m->hist[r][i]);
        unsigned long long total = 0;
        for (size_t i = 0; i <= N_BUCKETS; i++)
            total += counts[i];
        if (!total) continue;
        for (size_t i = 0; i < N_BUCKETS; i++) {
            cum += counts[i];
            sb_printf(&b, "avowd_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                      avowd_route_name((avowd_route)r), buckets[i], cum);
        }
        sb_printf(&b, "avowd_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                  avowd_route_name((avowd_route)r), total);
        sb_printf(&b, "avowd_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                  avowd_route_name((avowd_route)r), (double)ld(&m->sum_us[r]) / 1e6);
        sb_printf(&b, "avowd_request_duration_seconds_count{route=\"%s\"} %llu\n",
                  avowd_route_name((avowd_route)r), total);
    }

    sb_printf(&b,
              "# HELP avowd_attestations_total Attestation verdicts by Intel TCB status.\n"
              "# TYPE avowd_attestations_total counter\n");
    for (int ok = 1; ok >= 0; ok--)
        for (int s = 0; s < N_TCB; s++) {
            unsigned long long v = ld(&m->verdicts[ok][s]);
            if (!v) continue;
            const char *name = avow_tcb_status_name((avow_tcb_status)s);
            sb_printf(&b, "avowd_attestations_total{verdict=\"%s\",tcb_status=\"%s\"} %llu\n",
                      ok ? "ok" : "fail", name ? name : "none", v);
        }

    if (g && g->collateral) {
        const avow_pccs_stats st = *g->collateral;
        sb_printf(&b,
                  "# HELP avowd_collateral_cache_total Collateral lookups by where they were "
                  "answered: hit = memory, store = loaded from the store, failure = a "
                  "remembered upstream failure, busy = refused (too many fetches pending).\n"
                  "# TYPE avowd_collateral_cache_total counter\n"
                  "avowd_collateral_cache_total{result=\"hit\"} %llu\n"
                  "avowd_collateral_cache_total{result=\"store\"} %llu\n"
                  "avowd_collateral_cache_total{result=\"failure\"} %llu\n"
                  "avowd_collateral_cache_total{result=\"busy\"} %llu\n"
                  "# HELP avowd_upstream_fetches_total Collateral fetches from the upstream "
                  "PCS/PCCS: ok = checked and stored; error = failed, stale or not verifying.\n"
                  "# TYPE avowd_upstream_fetches_total counter\n"
                  "avowd_upstream_fetches_total{result=\"ok\"} %llu\n"
                  "avowd_upstream_fetches_total{result=\"error\"} %llu\n"
                  "# HELP avowd_upstream_fetches_in_flight Upstream fetches under way.\n"
                  "# TYPE avowd_upstream_fetches_in_flight gauge\n"
                  "avowd_upstream_fetches_in_flight %u\n"
                  "# HELP avowd_upstream_fetches_pending Platforms queued or being fetched.\n"
                  "# TYPE avowd_upstream_fetches_pending gauge\n"
                  "avowd_upstream_fetches_pending %u\n"
                  "# HELP avowd_collateral_entries Platforms whose collateral is in memory.\n"
                  "# TYPE avowd_collateral_entries gauge\n"
                  "avowd_collateral_entries %zu\n"
                  "# HELP avowd_collateral_evictions_total Platforms dropped from memory (LRU).\n"
                  "# TYPE avowd_collateral_evictions_total counter\n"
                  "avowd_collateral_evictions_total %llu\n"
                  "# HELP avowd_collateral_store_errors_total Collateral store reads or writes "
                  "that failed.\n"
                  "# TYPE avowd_collateral_store_errors_total counter\n"
                  "avowd_collateral_store_errors_total %llu\n",
                  (unsigned long long)st.hits, (unsigned long long)st.store_loads,
                  (unsigned long long)st.failures_reused, (unsigned long long)st.busy,
                  (unsigned long long)st.fetches, (unsigned long long)st.fetch_failures,
                  st.in_flight, st.pending, st.entries, (unsigned long long)st.evictions,
                  (unsigned long long)st.store_errors);
    }
    if (g) {
        sb_printf(&b,
                  "# HELP avowd_store_up 1 while the store is reachable, 0 while /health says "
                  "degraded.\n"
                  "# TYPE avowd_store_up gauge\n"
                  "avowd_store_up %d\n",
                  g->store_up ? 1 : 0);
        sb_printf(&b,
                  "# HELP avowd_start_time_seconds Unix time avowd started.\n"
                  "# TYPE avowd_start_time_seconds gauge\n"
                  "avowd_start_time_seconds %lld\n",
                  (long long)g->started_at);
    }
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
