/* avowd's request threads (workers.c): a pool of threads sharing the HTTP
 * I/O and one FIFO queue of complete requests; see workers.c for the design
 * and why. The HTTP layer owns a pool and gives it its callbacks.
 * Thread-safety: every function may be called from any thread; start and
 * stop once each by the owner. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "avow/err.h"

/* A queued request: embedded in the HTTP layer's request context. */
typedef struct avowd_job {
    struct avowd_job *next;
} avowd_job;

typedef struct {
    void (*run)(void *arg, avowd_job *j); /* handles one request */
    /* Does the pending socket work without blocking (never called by two
     * threads at once); returns how long an idle thread may wait for network
     * activity before the work is due again, in ms (-1: no limit; 0: run
     * again now). */
    int (*io)(void *arg);
    /* Waits up to ms (-1: no limit) for network activity, a kick or wake.
     * Called by any number of threads at once; one event wakes one thread. */
    void (*wait)(void *arg, int ms);
    void (*kick)(void *arg); /* wakes one waiting thread (a job is queued) */
    void (*wake)(void *arg); /* makes every wait return now and from now on (stop) */
    void *arg;               /* passed to each callback */
} avowd_workers_ops;

typedef struct avowd_workers avowd_workers;

/* Starts n threads sharing the I/O and taking queued jobs oldest-first.
 * *out is set before the first thread starts (the callbacks may need it at
 * once); false with err, and *out NULL, when they cannot start. */
bool avowd_workers_start(size_t n, const avowd_workers_ops *ops, avowd_workers **out,
                         avow_error *err);
/* Runs fn(arg) holding the I/O turn (no thread in the `io` callback meanwhile). */
void avowd_workers_io_exclusive(avowd_workers *w, void (*fn)(void *), void *arg);
/* Queues a job; false once stopping has begun (the caller runs it itself). */
bool avowd_workers_submit(avowd_workers *w, avowd_job *j);
/* Queues a job from a thread outside the request threads (a collateral
 * fetch thread resuming a parked request) and wakes one request thread. */
bool avowd_workers_requeue(avowd_workers *w, avowd_job *j);
/* Refuses new jobs (submit returns false from now on), runs every queued
 * one and joins the threads. */
void avowd_workers_stop(avowd_workers *w);
/* Frees a stopped pool. */
void avowd_workers_free(avowd_workers *w);
