/* avowd's in-memory collateral layer over the store-backed collateral cache
 * (collateral_cache.h): entries keyed by (FMSPC, PCK CA, TEE) hold one
 * immutable, refcounted avow_collateral until its nextUpdate, so the hot path
 * touches neither SQLite nor JSON. The store is consulted when an entry is
 * missing, past nextUpdate at the verification time, or older than
 * RECHECK_SECONDS of wall time (so rows imported by `avow collateral import`
 * into a running avowd, or refreshed by another replica, are seen).
 * One thread at a time re-checks an entry that is due: the others go on with
 * the cached copy, which is still valid (a re-check of every request thread at
 * once showed as a latency spike under load every RECHECK_SECONDS).
 * Thread-safety: a rwlock guards the table; entries are immutable and
 * refcounted, so readers hold no lock while verifying. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pki/x509.h"
#include "server/server.h"

#define RECHECK_SECONDS 5.0
#define MAX_ENTRIES     256
#define PID_SLOTS       1024 /* platform-id cache: direct-mapped by certification-data hash */

typedef struct {
    uint8_t hash[32];
    bool used;
    uint8_t fmspc[6];
    avow_pck_ca ca;
    uint32_t tee;
} pid_slot;

typedef struct {
    uint8_t fmspc[6];
    avow_pck_ca ca;
    uint32_t tee;
    avowd_coll *coll;
    double checked;      /* monotonic seconds */
    atomic_bool recheck; /* a thread is re-reading this entry's row from the store */
} entry;

struct avowd_colmem {
    pthread_rwlock_t lock;
    entry e[MAX_ENTRIES];
    size_t n;
    pthread_mutex_t pid_lock;
    pid_slot pid[PID_SLOTS];
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool avowd_colmem_new(avowd *d)
{
    struct avowd_colmem *m = calloc(1, sizeof(*m));
    if (!m) return false;
    pthread_rwlock_init(&m->lock, NULL);
    pthread_mutex_init(&m->pid_lock, NULL);
    d->colmem = m;
    return true;
}

void avowd_colmem_put(avowd_coll *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1) {
        avow_collateral_free(&c->coll);
        free(c);
    }
}

void avowd_colmem_free(avowd *d)
{
    struct avowd_colmem *m = d->colmem;
    if (!m) return;
    for (size_t i = 0; i < m->n; i++)
        avowd_colmem_put(m->e[i].coll);
    pthread_rwlock_destroy(&m->lock);
    pthread_mutex_destroy(&m->pid_lock);
    free(m);
    d->colmem = NULL;
}

static entry *find(struct avowd_colmem *m, const uint8_t fmspc[6], avow_pck_ca ca, uint32_t tee)
{
    for (size_t i = 0; i < m->n; i++)
        if (!memcmp(m->e[i].fmspc, fmspc, 6) && m->e[i].ca == ca && m->e[i].tee == tee)
            return &m->e[i];
    return NULL;
}

static avow_err refresh(avowd *d, const uint8_t fmspc[6], avow_pck_ca ca, uint32_t tee,
                        avow_time at, double now, avowd_coll *stale, avowd_coll **out,
                        avow_error *err);

avow_err avowd_colmem_get(avowd *d, const uint8_t fmspc[6], avow_pck_ca ca, uint32_t tee,
                          avow_time at, avowd_coll **out, avow_error *err)
{
    struct avowd_colmem *m = d->colmem;
    double now = mono();
    avowd_coll *stale = NULL;
    entry *claimed = NULL; /* entries stay at their index, so the pointer stays valid */
    pthread_rwlock_rdlock(&m->lock);
    entry *e = find(m, fmspc, ca, tee);
    if (e && at <= e->coll->next_update) {
        if (now - e->checked < RECHECK_SECONDS ||
            atomic_exchange_explicit(&e->recheck, true, memory_order_acquire)) {
            atomic_fetch_add(&e->coll->refs, 1);
            *out = e->coll;
            pthread_rwlock_unlock(&m->lock);
            avowd_metrics_collateral(true);
            return AVOW_OK;
        }
        claimed = e;
        stale = e->coll; /* fresh but due for a store check */
        atomic_fetch_add(&stale->refs, 1);
    }
    pthread_rwlock_unlock(&m->lock);
    if (!stale) avowd_metrics_collateral(false);
    avow_err rc = refresh(d, fmspc, ca, tee, at, now, stale, out, err);
    if (claimed) atomic_store_explicit(&claimed->recheck, false, memory_order_release);
    return rc;
}

/* Reads the row of (fmspc, ca, tee) from the store and installs it, or keeps
 * `stale` (the caller's reference, may be NULL) when the row is the same or the
 * store fails. */
static avow_err refresh(avowd *d, const uint8_t fmspc[6], avow_pck_ca ca, uint32_t tee,
                        avow_time at, double now, avowd_coll *stale, avowd_coll **out,
                        avow_error *err)
{
    struct avowd_colmem *m = d->colmem;
    avowd_coll *c = calloc(1, sizeof(*c));
    if (!c) {
        avowd_colmem_put(stale);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    atomic_init(&c->refs, 1);
    avow_err rc = avow_collateral_cache_get(d->ccache, fmspc, ca, tee, at, &c->coll, err);
    if (rc != AVOW_OK) {
        free(c);
        if (stale) { /* the store hiccuped, but what we hold is still valid at `at` */
            avowd_log("warn", "collateral store re-check failed (%s); keeping the cached copy",
                      err->msg);
            pthread_rwlock_wrlock(&m->lock);
            entry *e2 = find(m, fmspc, ca, tee);
            if (e2 && e2->coll == stale) e2->checked = now;
            pthread_rwlock_unlock(&m->lock);
            *out = stale;
            avow_error_clear(err);
            return AVOW_OK;
        }
        return rc;
    }
    avow_collateral_key key;
    if (avow_collateral_key_of(&c->coll, &key, err) != AVOW_OK) {
        avowd_colmem_put(c);
        avowd_colmem_put(stale);
        return err->code ? err->code : AVOW_ERR_FORMAT;
    }
    c->next_update = key.next_update;
    if (stale && avow_collateral_equal(&stale->coll, &c->coll)) {
        avowd_colmem_put(c);
        c = stale; /* keep the object the verifier already knows (and its digests) */
        stale = NULL;
        avowd_metrics_collateral(true);
    } else {
        avow_collateral_digests_compute(&c->coll, &c->digests); /* only for an object kept */
        if (stale) avowd_metrics_collateral(false);
    }
    pthread_rwlock_wrlock(&m->lock);
    entry *slot = find(m, fmspc, ca, tee);
    if (!slot && m->n < MAX_ENTRIES) {
        slot = &m->e[m->n++];
        memcpy(slot->fmspc, fmspc, 6);
        slot->ca = ca;
        slot->tee = tee;
        slot->coll = NULL;
    }
    if (slot) {
        if (slot->coll != c) {
            avowd_colmem_put(slot->coll);
            atomic_fetch_add(&c->refs, 1);
            slot->coll = c;
        }
        slot->checked = now;
    }
    pthread_rwlock_unlock(&m->lock);
    avowd_colmem_put(stale);
    *out = c; /* the caller's reference */
    return AVOW_OK;
}

avow_err avowd_platform_id(avowd *d, const avow_quote *q, uint8_t fmspc[6], avow_pck_ca *ca,
                           uint32_t *tee, avow_error *err)
{
    /* Parsing the PCK chain costs more than the rest of a warm verification;
     * its result depends only on the certification data, so remember it. */
    struct avowd_colmem *m = d->colmem;
    uint8_t h[32];
    avow_sha256(q->cert_data, q->cert_data_len, h);
    pid_slot *s = &m->pid[(h[0] | (h[1] << 8)) % PID_SLOTS];
    pthread_mutex_lock(&m->pid_lock);
    if (s->used && !memcmp(s->hash, h, 32)) {
        memcpy(fmspc, s->fmspc, 6);
        *ca = s->ca;
        *tee = s->tee;
        pthread_mutex_unlock(&m->pid_lock);
        return AVOW_OK;
    }
    pthread_mutex_unlock(&m->pid_lock);
    avow_err e = avow_quote_platform_id(q->raw, q->raw_len, fmspc, ca, tee, err);
    if (e != AVOW_OK) return e;
    pthread_mutex_lock(&m->pid_lock);
    memcpy(s->hash, h, 32);
    memcpy(s->fmspc, fmspc, 6);
    s->ca = *ca;
    s->tee = *tee;
    s->used = true;
    pthread_mutex_unlock(&m->pid_lock);
    return AVOW_OK;
}
