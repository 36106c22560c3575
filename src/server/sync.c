/* avowd's replica sync: one thread keeps the token signing keys and the
 * policies in memory in step with the store, which other replicas and
 * `avow key rotate` also write. On PostgreSQL it waits on the store's change
 * notifications (avow_store_listen: a dedicated connection, poll(2) on its
 * socket) and re-reads what changed the moment a write commits; on every
 * (re)connection it re-reads everything it may have missed. Every
 * PERIOD_SECONDS it re-reads everything anyway: the fallback, and the only
 * mechanism on SQLite, which has no notifications.
 * It also tracks the store's health for /health: "degraded" (with the
 * reason) from the moment the listener loses the database or a re-read
 * fails, "ok" again once a full re-read succeeds. While degraded, requests
 * are served from memory (keys, policies, cached collateral).
 * Thread-safety: the thread owns the listener; the flags and the health
 * reason are guarded by `mu`; kick, stop and healthy may be called from any
 * thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/keys.h"
#include "server/log.h"
#include "server/policies.h"
#include "server/sync.h"

#define PERIOD_SECONDS 5

struct avowd_sync {
    avowd *d;
    pthread_t thread;
    avow_store_listener *listener; /* NULL: the store has no notifications */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC; SQLite's wait */
    bool stop, kick;
    char degraded[320]; /* "" while healthy */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* /health is public: it says what failed, and the database's own message
 * (host, port, role names) goes to the log only (docs/security.md,
 * "The store and its database connection"). */
static void set_degraded(struct avowd_sync *s, const char *why, const avow_error *err)
{
    pthread_mutex_lock(&s->mu);
    bool was_ok = !s->degraded[0];
    snprintf(s->degraded, sizeof(s->degraded), "%s (the error is in avowd's log)", why);
    pthread_mutex_unlock(&s->mu);
    if (was_ok)
        avowd_log("error",
                  "store degraded (%s: %s); serving keys, policies and cached collateral from "
                  "memory until it is back",
                  why, err->msg);
}

static void set_healthy(struct avowd_sync *s)
{
    pthread_mutex_lock(&s->mu);
    bool was_degraded = s->degraded[0] != '\0';
    s->degraded[0] = '\0';
    pthread_mutex_unlock(&s->mu);
    if (was_degraded) avowd_log("info", "store reachable again; keys and policies re-read");
}

/* Re-reads what `changes` names; false (err set) when the store failed. */
static bool reread(avowd *d, unsigned changes, avow_error *err)
{
    bool ok = true;
    if (changes & AVOW_STORE_CHANGED_KEYS) ok = avowd_keys_refresh(d, err);
    /* the policy state depends on the signer certificates too */
    if (changes & (AVOW_STORE_CHANGED_POLICIES | AVOW_STORE_CHANGED_CERTIFICATES))
        avowd_policies_refresh(d);
    return ok;
}

/* Takes the pending kick; true when stopping. */
static bool take_flags(struct avowd_sync *s, bool *kick)
{
    pthread_mutex_lock(&s->mu);
    bool stop = s->stop;
    *kick = *kick || s->kick;
    s->kick = false;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

/* SQLite: sleeps until `next` (monotonic seconds), a kick or stop. */
static void sleep_until(struct avowd_sync *s, double next)
{
    struct timespec until;
    until.tv_sec = (time_t)next;
    until.tv_nsec = (long)((next - (double)until.tv_sec) * 1e9);
    pthread_mutex_lock(&s->mu);
    while (!s->stop && !s->kick && mono() < next)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&s->mu);
}

static void *sync_thread(void *arg)
{
    struct avowd_sync *s = arg;
    double next = mono() + PERIOD_SECONDS;
    for (;;) {
        unsigned changes = 0;
        bool kick = false;
        avow_error err;
        avow_error_clear(&err);
        if (take_flags(s, &kick)) break;
        if (!kick) {
            if (s->listener) {
                double left = next - mono();
                int ms = left > 0 ? (int)(left * 1000.0) + 1 : 0;
                if (avow_store_listener_wait(s->listener, ms, &changes, &err) != AVOW_OK) {
                    /* re-reading is pointless until the listener is back */
                    set_degraded(s, "database unreachable", &err);
                    continue;
                }
            } else {
                sleep_until(s, next);
            }
            if (take_flags(s, &kick)) break;
        }
        if (kick || mono() >= next) {
            changes = AVOW_STORE_CHANGED_ALL;
            next = mono() + PERIOD_SECONDS;
        }
        if (!changes) continue;
        if (!reread(s->d, changes, &err))
            set_degraded(s, "re-reading the store failed", &err);
        else if (changes == AVOW_STORE_CHANGED_ALL)
            set_healthy(s);
    }
    return NULL;
}

bool avowd_sync_start(avowd *d, avow_error *err)
{
    struct avowd_sync *s = calloc(1, sizeof(*s));
    if (!s) {
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        return false;
    }
    s->d = d;
    avow_err e = avow_store_listen(d->store, &s->listener, err);
    if (e == AVOW_ERR_UNSUPPORTED) {
        avow_error_clear(err);
        avowd_log("info",
                  "store changes are re-read every %d s (the %s store has no change "
                  "notifications)",
                  PERIOD_SECONDS, avow_store_backend(d->store));
    } else if (e != AVOW_OK) {
        free(s);
        return false;
    } else {
        avowd_log("info",
                  "store changes: notifications (re-read at once), and a full re-read "
                  "every %d s",
                  PERIOD_SECONDS);
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);
    if (pthread_create(&s->thread, NULL, sync_thread, s) != 0) {
        avow_store_listener_close(s->listener);
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "cannot start the sync thread");
        return false;
    }
    d->sync = s;
    return true;
}

static void poke(struct avowd_sync *s, bool stop)
{
    pthread_mutex_lock(&s->mu);
    if (stop)
        s->stop = true;
    else
        s->kick = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    avow_store_listener_wake(s->listener);
}

void avowd_sync_kick(avowd *d)
{
    if (d->sync) poke(d->sync, false);
}

void avowd_sync_stop(avowd *d)
{
    struct avowd_sync *s = d->sync;
    if (!s) return;
    poke(s, true);
    pthread_join(s->thread, NULL);
    avow_store_listener_close(s->listener);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    d->sync = NULL;
}

bool avowd_sync_healthy(avowd *d, char *reason, size_t cap)
{
    struct avowd_sync *s = d->sync;
    if (cap) reason[0] = '\0';
    if (!s) return true;
    pthread_mutex_lock(&s->mu);
    bool ok = !s->degraded[0];
    if (!ok && cap) snprintf(reason, cap, "%s", s->degraded);
    pthread_mutex_unlock(&s->mu);
    return ok;
}
