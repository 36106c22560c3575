/* avowd's service context (service.c): everything one attestation service
 * holds — configuration, store, verifier and trust roots, upstream client,
 * collateral service, URLs, token signing keys, policies, the store sync,
 * logs and metrics — created and freed explicitly, so that two services can
 * live in one process. The HTTP layer (http.h) is started over a context.
 * Thread-safety: the request threads share a context; every member is
 * immutable after avowd_start or guarded as its module documents. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"
#include "pccs/upstream.h"
#include "store/store.h"
#include "avow/time.h"
#include "avow/verify.h"
#include "pccs/pccs.h"
#include "server/config.h"
#include "server/log.h"
#include "server/metrics.h"

struct avowd_keys;     /* keys.h */
struct avowd_policies; /* policies.h */
struct avowd_sync;     /* sync.h */

typedef struct avowd {
    const avowd_config *cfg;
    avowd_logs *logs;
    avowd_metrics *metrics;
    avow_store *store;
    avow_verifier *verifier;
    avow_pcs_client *pcs; /* NULL: no upstream */
    avow_pccs *pccs;      /* the collateral service: memory, store, upstream */
    char *base_url;       /* iss, no trailing slash */
    char *jku;            /* base_url + "/certs" */
    char *openid;         /* /.well-known/openid-configuration body */
    size_t openid_len;
    bool clock_pinned;
    avow_time clock;      /* when pinned */
    char policy_mode[16]; /* "token" or "isolated" */

    pthread_mutex_t keys_lock;
    struct avowd_keys *keys; /* guarded by keys_lock (pointer swap); keys.c */

    struct avowd_policies *policies; /* policies.c */
    struct avowd_sync *sync;         /* sync.c */
    atomic_ullong request_seq;
    avow_time started_at;
} avowd;

/* A context over `cfg` (which must outlive it) with its logs and metrics
 * open; NULL (message on stderr) when a log cannot be opened or out of
 * memory. */
avowd *avowd_new(const avowd_config *cfg);
/* Opens the store and brings the service up: policy mode, verifier and
 * trust roots, upstream client, collateral service, signing keys, policies,
 * the discovery document. `host`/`port` make the default issuer URL;
 * `clock` pins the verification time (NULL: the real clock). The store sync
 * is started separately (sync.h). False with err (the service is then only
 * fit for avowd_free). */
bool avowd_start(avowd *d, const char *host, uint16_t port, const avow_time *clock,
                 avow_error *err);
/* Stops the sync if running and frees everything the context holds. */
void avowd_free(avowd *d);

/* Verification time: the pinned clock, or now. */
static inline avow_time avowd_now(const avowd *d)
{
    return d->clock_pinned ? d->clock : avow_time_now();
}
