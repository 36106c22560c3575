/* The collateral service (pccs.h): a table of platform families in memory
 * (hash + LRU list), each entry holding the checked collateral in use, the
 * digest of its store row, a remembered upstream failure, and the fetch under
 * way; fetch threads that run queued fetches against the upstream; and the
 * lookup that ties memory, store and upstream together.
 *
 * Lookup at time T for platform P (avow_pccs_get):
 *   1. P in memory, valid at T: answer (a hit); if its store row is due for a
 *      re-check, this thread re-reads it (the others keep answering).
 *   2. a fetch of P under way: wait for it (park the waiter, or block).
 *   3. an upstream failure for P remembered: answer that failure.
 *   4. P's store row valid at T: check it, keep it, answer.
 *   5. an upstream: queue one fetch of P (bounded), wait for it.
 * Entries with a fetch or a re-check under way are never evicted, so the
 * pointers those threads hold stay valid.
 *
 * Thread-safety: `mu` guards the table, the queue and the counters; it is
 * never held across store I/O, upstream I/O or verification. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avow/encode.h"
#include "pccs/evaldocs.h"
#include "pccs/pccs.h"

typedef struct fetch fetch;

typedef struct entry {
    avow_platform_id pid;
    int eval_num;              /* 0: the current set; else that TCB evaluation number */
    struct entry *hnext;       /* hash bucket chain */
    struct entry *prev, *next; /* LRU list, most recent first */
    avow_verified_collateral *vc;
    avow_time next_update; /* of vc */
    uint8_t row_digest[32];
    bool have_digest, rechecking;
    double checked; /* monotonic seconds of the last store read */
    double failed_until;
    avow_err fail_code;
    char fail_msg[256];
    fetch *fetch; /* queued or under way */
} entry;

struct fetch {
    fetch *next; /* queue */
    entry *e;
    avow_time at;        /* the time of the request that asked */
    avow_time stale_end; /* next_update of the stored copy that expired; 0 if none */
    double queued;
    avow_pccs_waiter *waiters;
};

struct avow_pccs {
    avow_pccs_opts o;
    pccs_docs *docs; /* the evaluation numbers documents (evaldocs.c) */
    pthread_mutex_t mu;
    pthread_cond_t work; /* fetch threads: the queue has something, or exit */
    pthread_cond_t done; /* blocking callers: a fetch ended */
    entry **buckets;
    size_t mask;
    entry *lru_head, *lru_tail;
    size_t n_entries;
    fetch *q_head, *q_tail;
    bool quiesced, exiting;
    pthread_t *threads;
    unsigned n_threads;
    avow_pccs_stats st;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "FMSPC 00606a000000 (platform CA, SGX)", with ", TCB evaluation number
 * 17" when one is named */
#define DESCRIBE_LEN 100
static void describe(const avow_platform_id *p, int eval_num, char out[DESCRIBE_LEN])
{
    char hex[13];
    avow_hex_encode(p->fmspc, 6, hex);
    int n = snprintf(out, DESCRIBE_LEN, "FMSPC %s (%s CA, %s", hex, avow_pck_ca_name(p->ca),
                     p->tee_type == AVOW_TEE_TDX ? "TDX" : "SGX");
    if (eval_num > 0 && n > 0 && n < DESCRIBE_LEN)
        n += snprintf(out + n, DESCRIBE_LEN - (size_t)n, ", TCB evaluation number %d", eval_num);
    if (n > 0 && n < DESCRIBE_LEN) snprintf(out + n, DESCRIBE_LEN - (size_t)n, ")");
}

/* ---- the table ------------------------------------------------------------- */

static bool same(const avow_platform_id *a, const avow_platform_id *b)
{
    return !memcmp(a->fmspc, b->fmspc, 6) && a->ca == b->ca && a->tee_type == b->tee_type;
}

static entry **bucket(avow_pccs *s, const avow_platform_id *p, int eval_num)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < 6; i++)
        h = (h ^ p->fmspc[i]) * 1099511628211ULL;
    h = (h ^ (uint64_t)p->ca) * 1099511628211ULL;
    h = (h ^ p->tee_type) * 1099511628211ULL;
    h = (h ^ (uint64_t)(unsigned)eval_num) * 1099511628211ULL;
    return &s->buckets[h & s->mask];
}

static void lru_unlink(avow_pccs *s, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        s->lru_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->lru_tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(avow_pccs *s, entry *e)
{
    if (s->lru_head == e) return;
    if (e->prev || e->next || s->lru_tail == e) lru_unlink(s, e);
    e->next = s->lru_head;
    if (s->lru_head) s->lru_head->prev = e;
    s->lru_head = e;
    if (!s->lru_tail) s->lru_tail = e;
}

static entry *find(avow_pccs *s, const avow_platform_id *p, int eval_num)
{
    for (entry *e = *bucket(s, p, eval_num); e; e = e->hnext)
        if (same(&e->pid, p) && e->eval_num == eval_num) return e;
    return NULL;
}

static void drop(avow_pccs *s, entry *e)
{
    entry **pp = bucket(s, &e->pid, e->eval_num);
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(s, e);
    avow_verified_collateral_unref(e->vc);
    free(e);
    s->n_entries--;
}

/* The entry of `p`, made (evicting the least recently used idle entry when
 * full) if absent; NULL only when out of memory. */
static entry *find_or_make(avow_pccs *s, const avow_platform_id *p, int eval_num)
{
    entry *e = find(s, p, eval_num);
    if (e) return e;
    if (s->n_entries >= s->o.max_entries)
        for (entry *v = s->lru_tail; v; v = v->prev)
            if (!v->fetch && !v->rechecking) {
                drop(s, v);
                s->st.evictions++;
                break;
            }
    if (!(e = calloc(1, sizeof(*e)))) return NULL;
    e->pid = *p;
    e->eval_num = eval_num;
    entry **b = bucket(s, p, eval_num);
    e->hnext = *b;
    *b = e;
    lru_front(s, e);
    s->n_entries++;
    return e;
}

/* Makes `vc` the entry's collateral (taking a reference). */
static void install(entry *e, avow_verified_collateral *vc, const uint8_t digest[32], double now)
{
    if (e->vc != vc) {
        avow_verified_collateral_unref(e->vc);
        e->vc = avow_verified_collateral_ref(vc);
        e->next_update = avow_verified_collateral_info(vc)->next_update;
    }
    if (digest) memcpy(e->row_digest, digest, 32);
    e->have_digest = digest != NULL;
    e->checked = now;
    e->failed_until = 0;
}

static avow_err remembered(const entry *e, avow_error *err)
{
    return avow_error_set(err, e->fail_code, AVOW_NO_OFFSET, "%s", e->fail_msg);
}

/* ---- store ------------------------------------------------------------------ */

/* Checks a row read from the store. */
static avow_err check_row(avow_pccs *s, const avow_platform_id *p, int eval_num, avow_pccs_row *row,
                          avow_verified_collateral **vc, avow_error *err)
{
    char what[160], d[DESCRIBE_LEN];
    describe(p, eval_num, d);
    avow_err rc = avow_collateral_check(s->o.verifier, &row->coll, vc, err);
    if (rc) {
        snprintf(what, sizeof(what), "the stored collateral for %s does not check", d);
        avow_error_prefix(err, what);
        return rc;
    }
    /* A set is used only for the number it carries: a row of number N
     * holding another number's (genuine) set would judge by the wrong one. */
    int got = avow_verified_collateral_info(*vc)->tcb_eval_num;
    if (eval_num > 0 && got != eval_num) {
        avow_verified_collateral_unref(*vc);
        *vc = NULL;
        return avow_error_set(err, AVOW_ERR_MISMATCH, AVOW_NO_OFFSET,
                              "the stored set for %s holds TCB Info of evaluation number %d", d,
                              got);
    }
    return AVOW_OK;
}

/* Re-reads the store row of a kept entry (claimed by e->rechecking) and
 * installs a changed, valid one; returns the collateral to use (a reference):
 * the new one, or `cur` (whose reference passes to the caller). */
static avow_verified_collateral *recheck(avow_pccs *s, entry *e, avow_verified_collateral *cur,
                                         const uint8_t *digest, avow_time at, double now)
{
    avow_pccs_row row;
    avow_error err;
    avow_error_clear(&err);
    avow_err rc =
        avow_pccs_row_get(s->o.store, &e->pid, e->eval_num, s->o.update, digest, &row, &err);
    avow_verified_collateral *vc = NULL;
    bool read_ok = rc == AVOW_OK;
    if (read_ok && row.found && !row.unchanged && at <= row.next_update &&
        check_row(s, &e->pid, e->eval_num, &row, &vc, &err) != AVOW_OK)
        read_ok = false;
    pthread_mutex_lock(&s->mu);
    if (!read_ok) s->st.store_errors++;
    if (vc) {
        install(e, vc, row.digest, now);
        avow_verified_collateral_unref(cur);
        cur = vc; /* the reference from the check passes to the caller */
    } else {
        e->checked = now; /* unchanged, gone, stale, or unreadable: keep what we hold */
        if (read_ok && row.found && row.unchanged) {
            memcpy(e->row_digest, row.digest, 32);
            e->have_digest = true;
        }
    }
    e->rechecking = false;
    pthread_mutex_unlock(&s->mu);
    avow_pccs_row_free(&row);
    return cur;
}

/* ---- fetching --------------------------------------------------------------- */

/* Fetches, checks and stores the collateral of f->e->pid; on success *out. */
static avow_err run_fetch(avow_pccs *s, const fetch *f, const avow_platform_id *p, int num,
                          avow_verified_collateral **out, uint8_t digest[32], avow_error *err)
{
    char d[DESCRIBE_LEN], when[21];
    describe(p, num, d);
    const char *url = avow_pcs_client_base_url(s->o.upstream);
    double waited = mono() - f->queued;
    if (waited > s->o.max_queue_seconds)
        return avow_error_set(err, AVOW_ERR_AGAIN, AVOW_NO_OFFSET,
                              "collateral for %s: no upstream slot free within %.0f s", d,
                              s->o.max_queue_seconds);
    avow_collateral coll;
    avow_error sub;
    avow_error_clear(&sub);
    pccs_docs_refresh(s->docs, p->tee_type, f->at);
    if (num > 0 && !pccs_docs_lists(s->docs, p->tee_type, num, &sub))
        return avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET, "collateral for %s: %s", d,
                              sub.msg);
    avow_err rc = avow_pcs_fetch_num(s->o.upstream, p->fmspc, p->ca, p->tee_type, num, &coll, &sub);
    if (rc) {
        if (f->stale_end) {
            avow_time_format(f->stale_end, when);
            return avow_error_set(err, AVOW_ERR_EXPIRED, AVOW_NO_OFFSET,
                                  "collateral for %s expired at %s and the upstream %s is "
                                  "unreachable: %s",
                                  d, when, url, sub.msg);
        }
        return avow_error_set(
            err, rc == AVOW_ERR_NOT_FOUND ? AVOW_ERR_NOT_FOUND : AVOW_ERR_IO, AVOW_NO_OFFSET,
            "collateral for %s is not cached and the upstream %s failed: %s", d, url, sub.msg);
    }
    /* Only what checks is kept: a bad answer kept would fail every
     * attestation of this platform until its nextUpdate, and be passed on to
     * the services that use this one as their upstream. */
    avow_verified_collateral *vc = NULL;
    rc = avow_collateral_check(s->o.verifier, &coll, &vc, &sub);
    avow_collateral_free(&coll);
    if (rc)
        return avow_error_set(err, rc, AVOW_NO_OFFSET,
                              "the upstream %s served collateral for %s that does not verify (not "
                              "stored): %s",
                              url, d, sub.msg);
    const avow_collateral_info *i = avow_verified_collateral_info(vc);
    if (memcmp(i->platform.fmspc, p->fmspc, 6) || i->platform.tee_type != p->tee_type ||
        (i->platform.ca != AVOW_PCK_CA_UNKNOWN && i->platform.ca != p->ca)) {
        char got[DESCRIBE_LEN];
        describe(&i->platform, 0, got);
        rc = avow_error_set(err, AVOW_ERR_MISMATCH, AVOW_NO_OFFSET,
                            "the upstream %s served the collateral of %s when asked for %s", url,
                            got, d);
    } else if (num > 0 && (i->tcb_eval_num != num || i->qe_eval_num != num)) {
        rc = avow_error_set(err, AVOW_ERR_MISMATCH, AVOW_NO_OFFSET,
                            "the upstream %s served TCB Info of evaluation number %d and QE "
                            "Identity of %d when asked for %s",
                            url, i->tcb_eval_num, i->qe_eval_num, d);
    } else if (f->at > i->next_update) {
        avow_time_format(i->next_update, when);
        rc = avow_error_set(err, AVOW_ERR_EXPIRED, AVOW_NO_OFFSET,
                            "the upstream %s served collateral for %s that expired at %s", url, d,
                            when);
    }
    if (rc) {
        avow_verified_collateral_unref(vc);
        return rc;
    }
    /* Stored under the platform asked for, so the next lookup finds it. A
     * store failure does not waste the fetch: the copy serves from memory.
     * A set fetched by its number (a policy's choice, any client's with a
     * draft policy) is of neither update channel: labelled so, it never
     * becomes the newest set of ours served to a downstream service asking
     * for a channel (docs/security.md 7.2). */
    const char *kind = num > 0 ? AVOW_STORE_UPDATE_BY_NUMBER : s->o.update;
    if (avow_pccs_row_put(s->o.store, vc, p, url, f->at, kind, num == 0, digest, &sub) != AVOW_OK) {
        pthread_mutex_lock(&s->mu);
        s->st.store_errors++;
        pthread_mutex_unlock(&s->mu);
        memset(digest, 0, 32);
    }
    *out = vc;
    return AVOW_OK;
}

/* Ends a fetch (under mu): records its outcome, unlinks it; returns its
 * waiters, to be woken once the lock is released. */
static avow_pccs_waiter *finish(avow_pccs *s, fetch *f, avow_err rc, avow_verified_collateral *vc,
                                const uint8_t digest[32], const avow_error *err)
{
    entry *e = f->e;
    double now = mono();
    if (rc == AVOW_OK) {
        bool stored = false;
        for (int i = 0; i < 32; i++)
            stored |= digest[i] != 0;
        install(e, vc, stored ? digest : NULL, now);
        s->st.fetches++;
    } else {
        e->fail_code = rc;
        snprintf(e->fail_msg, sizeof(e->fail_msg), "%s", err->msg);
        e->failed_until = now + s->o.failure_ttl;
        s->st.fetch_failures++;
    }
    e->fetch = NULL;
    s->st.pending--;
    pthread_cond_broadcast(&s->done);
    return f->waiters;
}

static void wake(avow_pccs_waiter *w)
{
    while (w) {
        avow_pccs_waiter *next = w->next; /* the callee may reuse w at once */
        w->ready(w);
        w = next;
    }
}

static void *fetch_thread(void *arg)
{
    avow_pccs *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->q_head && !s->exiting)
            pthread_cond_wait(&s->work, &s->mu);
        if (!s->q_head) break; /* exiting, nothing queued */
        fetch *f = s->q_head;
        s->q_head = f->next;
        if (!s->q_head) s->q_tail = NULL;
        s->st.in_flight++;
        avow_platform_id p = f->e->pid; /* the entry is pinned while f is its fetch */
        int num = f->e->eval_num;
        pthread_mutex_unlock(&s->mu);

        avow_verified_collateral *vc = NULL;
        uint8_t digest[32] = {0};
        avow_error err;
        avow_error_clear(&err);
        avow_err rc = run_fetch(s, f, &p, num, &vc, digest, &err);

        pthread_mutex_lock(&s->mu);
        s->st.in_flight--;
        avow_pccs_waiter *w = finish(s, f, rc, vc, digest, &err);
        pthread_mutex_unlock(&s->mu);
        avow_verified_collateral_unref(vc); /* the entry holds its own reference */
        free(f);
        wake(w);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Queues a fetch for `e` (under mu). NULL when out of memory. */
static fetch *enqueue(avow_pccs *s, entry *e, avow_time at, avow_time stale_end)
{
    fetch *f = calloc(1, sizeof(*f));
    if (!f) return NULL;
    f->e = e;
    f->at = at;
    f->stale_end = stale_end;
    f->queued = mono();
    e->fetch = f;
    if (s->q_tail)
        s->q_tail->next = f;
    else
        s->q_head = f;
    s->q_tail = f;
    s->st.pending++;
    pthread_cond_signal(&s->work);
    return f;
}

/* ---- lookup ----------------------------------------------------------------- */

/* Waits for the fetch `f` of `e` (under mu): parks `w`, or blocks. Returns
 * AVOW_ERR_AGAIN when parked, or at once (not parked) once the service is
 * quiesced: the caller's owner is shutting down and could not take a late
 * wake-up; AVOW_OK when a blocking wait ended (look again). */
static avow_err await(avow_pccs *s, entry *e, fetch *f, avow_pccs_waiter *w, bool *parked,
                      const char *d, avow_error *err)
{
    if (w && s->quiesced) {
        s->st.busy++;
        return avow_error_set(err, AVOW_ERR_AGAIN, AVOW_NO_OFFSET,
                              "collateral for %s: the service is stopping", d);
    }
    if (w) {
        w->next = f->waiters;
        f->waiters = w;
        *parked = true;
        return AVOW_ERR_AGAIN;
    }
    while (e->fetch == f)
        pthread_cond_wait(&s->done, &s->mu);
    return AVOW_OK;
}

avow_err avow_pccs_get(avow_pccs *s, const avow_platform_id *pid, avow_time at, avow_pccs_waiter *w,
                       bool *parked, avow_verified_collateral **out, avow_error *err)
{
    return avow_pccs_get_num(s, pid, 0, at, w, parked, out, err);
}

avow_err avow_pccs_get_num(avow_pccs *s, const avow_platform_id *pid, int num, avow_time at,
                           avow_pccs_waiter *w, bool *parked, avow_verified_collateral **out,
                           avow_error *err)
{
    *out = NULL;
    if (parked) *parked = false;
    bool dummy, waited = false;
    if (!parked) parked = &dummy;
    if (num < 0) num = 0;
    char d[DESCRIBE_LEN], when[21];
    describe(pid, num, d);
again:;
    double now = mono();
    pthread_mutex_lock(&s->mu);
    entry *e = find(s, pid, num);
    if (e) {
        lru_front(s, e);
        if (e->vc && at <= e->next_update) {
            avow_verified_collateral *vc = avow_verified_collateral_ref(e->vc);
            s->st.hits++;
            if (now - e->checked < s->o.recheck_seconds || e->rechecking) {
                pthread_mutex_unlock(&s->mu);
                *out = vc;
                return AVOW_OK;
            }
            e->rechecking = true; /* ours: the entry is pinned until we clear it */
            uint8_t digest[32];
            bool have = e->have_digest;
            memcpy(digest, e->row_digest, 32);
            pthread_mutex_unlock(&s->mu);
            *out = recheck(s, e, vc, have ? digest : NULL, at, now);
            return AVOW_OK;
        }
        if (e->fetch) {
            fetch *f = e->fetch;
            avow_err rc = await(s, e, f, w, parked, d, err);
            pthread_mutex_unlock(&s->mu);
            if (rc == AVOW_OK) {
                waited = true;
                goto again;
            }
            return rc;
        }
        if (e->failed_until > now || (waited && e->failed_until > 0)) {
            s->st.failures_reused += !waited;
            avow_err rc = remembered(e, err);
            pthread_mutex_unlock(&s->mu);
            return rc;
        }
    }
    pthread_mutex_unlock(&s->mu);

    /* Not in memory: the store. */
    avow_pccs_row row;
    avow_err rc = avow_pccs_row_get(s->o.store, pid, num, s->o.update, NULL, &row, err);
    if (rc) {
        pthread_mutex_lock(&s->mu);
        s->st.store_errors++;
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    avow_time stale_end = 0;
    if (row.found && at <= row.next_update) {
        avow_verified_collateral *vc = NULL;
        rc = check_row(s, pid, num, &row, &vc, err);
        if (rc == AVOW_OK) {
            pthread_mutex_lock(&s->mu);
            entry *e2 = find_or_make(s, pid, num);
            if (e2) install(e2, vc, row.digest, mono());
            s->st.store_loads++;
            pthread_mutex_unlock(&s->mu);
            avow_pccs_row_free(&row);
            *out = vc;
            return AVOW_OK;
        }
        /* a stored set that no longer checks (the roots changed, say): the
         * upstream may have a good one */
        pthread_mutex_lock(&s->mu);
        s->st.store_errors++;
        pthread_mutex_unlock(&s->mu);
        if (!s->o.upstream) {
            avow_pccs_row_free(&row);
            return rc;
        }
        avow_error_clear(err);
    } else if (row.found) {
        stale_end = row.next_update;
    }
    avow_pccs_row_free(&row);

    if (!s->o.upstream) {
        if (stale_end) {
            avow_time_format(stale_end, when);
            return avow_error_set(err, AVOW_ERR_EXPIRED, AVOW_NO_OFFSET,
                                  "collateral for %s expired at %s and no upstream is configured",
                                  d, when);
        }
        return avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                              "no collateral for %s in the store and no upstream is configured", d);
    }

    /* A number Intel's document (held for this TEE) does not list is not
     * asked for: made-up numbers cost no upstream request. */
    avow_error sub;
    avow_error_clear(&sub);
    if (num > 0 && !pccs_docs_lists(s->docs, pid->tee_type, num, &sub))
        return avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET, "no collateral for %s: %s",
                              d, sub.msg);

    /* The upstream: one fetch per platform, bounded. */
    pthread_mutex_lock(&s->mu);
    e = find_or_make(s, pid, num);
    if (!e) {
        pthread_mutex_unlock(&s->mu);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    if (e->vc && at <= e->next_update) { /* another thread got it meanwhile */
        pthread_mutex_unlock(&s->mu);
        goto again;
    }
    if (!e->fetch && e->failed_until > mono()) {
        s->st.failures_reused++;
        rc = remembered(e, err);
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    fetch *f = e->fetch;
    if (!f) {
        if (s->quiesced || s->st.pending >= s->o.max_pending) {
            s->st.busy++;
            pthread_mutex_unlock(&s->mu);
            return avow_error_set(err, AVOW_ERR_AGAIN, AVOW_NO_OFFSET,
                                  s->quiesced ? "collateral for %s: the service is stopping"
                                              : "collateral for %s: too many platforms are "
                                                "waiting for the upstream; retry later",
                                  d);
        }
        if (!(f = enqueue(s, e, at, stale_end))) {
            pthread_mutex_unlock(&s->mu);
            return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        }
    }
    rc = await(s, e, f, w, parked, d, err);
    pthread_mutex_unlock(&s->mu);
    if (rc == AVOW_OK) {
        waited = true;
        goto again;
    }
    return rc;
}

/* ---- life cycle ------------------------------------------------------------- */

avow_err avow_pccs_new(const avow_pccs_opts *opts, avow_pccs **out, avow_error *err)
{
    *out = NULL;
    if (!opts || !opts->store || !opts->verifier)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "collateral service: a store and a verifier are required");
    avow_pccs *s = calloc(1, sizeof(*s));
    if (!s) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    s->o = *opts;
    if (!s->o.fetchers) s->o.fetchers = 4;
    if (!s->o.max_pending) s->o.max_pending = 64;
    if (s->o.max_queue_seconds <= 0) s->o.max_queue_seconds = 30;
    if (s->o.failure_ttl <= 0) s->o.failure_ttl = 10;
    if (!s->o.max_entries) s->o.max_entries = 512;
    if (s->o.recheck_seconds <= 0) s->o.recheck_seconds = 5;
    size_t n = 16;
    while (n < s->o.max_entries * 2)
        n <<= 1;
    s->buckets = calloc(n, sizeof(*s->buckets));
    s->docs = pccs_docs_new(s->o.store, s->o.verifier, s->o.upstream, s->o.recheck_seconds,
                            s->o.failure_ttl);
    s->mask = n - 1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->done, NULL);
    if (!s->buckets || !s->docs) {
        avow_pccs_free(s);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    if (s->o.upstream) {
        s->threads = calloc(s->o.fetchers, sizeof(*s->threads));
        while (s->threads && s->n_threads < s->o.fetchers &&
               pthread_create(&s->threads[s->n_threads], NULL, fetch_thread, s) == 0)
            s->n_threads++;
        if (s->n_threads < s->o.fetchers) {
            avow_pccs_free(s);
            return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET,
                                  "collateral service: cannot start its fetch threads");
        }
    }
    *out = s;
    return AVOW_OK;
}

/* Moves the waiters `w` onto *all (woken once the lock is released). */
static void collect(avow_pccs_waiter **all, avow_pccs_waiter *w)
{
    while (w) {
        avow_pccs_waiter *next = w->next;
        w->next = *all;
        *all = w;
        w = next;
    }
}

void avow_pccs_quiesce(avow_pccs *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->quiesced = true;
    fetch *q = s->q_head;
    s->q_head = s->q_tail = NULL;
    avow_pccs_waiter *all = NULL;
    avow_error err;
    avow_error_clear(&err);
    while (q) {
        fetch *f = q;
        q = f->next;
        char d[DESCRIBE_LEN];
        describe(&f->e->pid, f->e->eval_num, d);
        avow_error_set(&err, AVOW_ERR_AGAIN, AVOW_NO_OFFSET,
                       "collateral for %s: the service is stopping", d);
        collect(&all, finish(s, f, AVOW_ERR_AGAIN, NULL, NULL, &err));
        free(f);
    }
    /* The waiters of fetches under way too: those fetches may outlast the
     * owner's shutdown (each upstream request has its own timeout), and a
     * waiter woken after that would be gone. The fetches finish unwatched. */
    for (entry *e = s->lru_head; e; e = e->next)
        if (e->fetch) {
            collect(&all, e->fetch->waiters);
            e->fetch->waiters = NULL;
        }
    pthread_mutex_unlock(&s->mu);
    wake(all);
}

void avow_pccs_free(avow_pccs *s)
{
    if (!s) return;
    avow_pccs_quiesce(s);
    pthread_mutex_lock(&s->mu);
    s->exiting = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    for (unsigned i = 0; i < s->n_threads; i++)
        pthread_join(s->threads[i], NULL);
    free(s->threads);
    while (s->lru_head)
        drop(s, s->lru_head);
    pccs_docs_free(s->docs);
    free(s->buckets);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void avow_pccs_stats_get(avow_pccs *s, avow_pccs_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->st;
    out->entries = s->n_entries;
    pthread_mutex_unlock(&s->mu);
}

avow_err avow_pccs_evalnums(avow_pccs *s, uint32_t tee, avow_evalnums *out, avow_error *err)
{
    return pccs_docs_get(s->docs, tee, out, err);
}

avow_err avow_pccs_history_get(avow_pccs *s, const avow_platform_id *pid, avow_pccs_history *out,
                               avow_error *err)
{
    return pccs_history_load(s->o.store, s->o.update, pid, out, err);
}
