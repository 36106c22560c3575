/* avowd's request threads: a fixed set of threads that share the HTTP I/O
 * and one FIFO queue of complete requests.
 *
 * Each thread loops: do the pending socket work if no other thread is doing
 * it (the `io` callback: libmicrohttpd's event loop, run by one thread at a
 * time), then run the oldest queued request (the `run` callback). A thread
 * with nothing to run becomes the one that blocks for I/O, or, if another
 * thread already does, sleeps until a request is queued.
 *
 * Why not libmicrohttpd's own thread pool: it pins every connection to one
 * pool thread for the connection's lifetime, so with keep-alive clients the
 * thread that happened to accept more connections serves each of them less
 * often. Measured with 64 connections on 2 threads, a 34/30 split gave those
 * connections a steady 22.5 ms versus 18.6 ms per request: most of the p99.
 * One queue serves requests oldest-first whatever connection they came on,
 * and a slow request (an upstream collateral fetch) holds one thread while
 * the others keep serving every connection. Why not a separate I/O thread
 * feeding workers: the hand-off costs context switches (measured: 2.4 per
 * request, +10 % CPU per attestation); here, under load, the thread that
 * finishes a request goes straight on to the socket work and the next
 * request without sleeping (0.5 context switches per request).
 *
 * Thread-safety: all functions may be called from any thread; start and stop
 * are called once each by the owner. */
#include <pthread.h>
#include <stdlib.h>

#include "server/server.h"

static struct {
    pthread_mutex_t lock; /* guards the queue, stopping and idle */
    pthread_cond_t ready; /* a job was queued, the I/O turn is free, or stop */
    avowd_job *head, *tail;
    bool running, stopping;
    size_t idle;             /* threads waiting on `ready` */
    pthread_mutex_t io_lock; /* held by the thread doing the socket work */
    avowd_workers_ops ops;
    pthread_t *threads;
    size_t n;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
          .ready = PTHREAD_COND_INITIALIZER,
          .io_lock = PTHREAD_MUTEX_INITIALIZER};

/* Takes the I/O turn if free; after it, wakes a sleeper to take the next
 * one (this thread may now be busy with a request for a while). */
static bool try_io(bool block)
{
    if (pthread_mutex_trylock(&pool.io_lock) != 0) return false;
    pool.ops.io(block);
    pthread_mutex_unlock(&pool.io_lock);
    pthread_mutex_lock(&pool.lock);
    if (pool.idle) pthread_cond_signal(&pool.ready);
    pthread_mutex_unlock(&pool.lock);
    return true;
}

static avowd_job *pop(void)
{
    pthread_mutex_lock(&pool.lock);
    avowd_job *j = pool.head;
    if (j) {
        pool.head = j->next;
        if (!pool.head) pool.tail = NULL;
        j->next = NULL;
    }
    pthread_mutex_unlock(&pool.lock);
    return j;
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        try_io(false);
        avowd_job *j = pop();
        if (j) {
            pool.ops.run(j);
            continue;
        }
        pthread_mutex_lock(&pool.lock);
        bool stop = pool.stopping && !pool.head;
        pthread_mutex_unlock(&pool.lock);
        if (stop) return NULL;
        if (try_io(true)) continue; /* nothing queued: wait for the network */
        /* Another thread has the I/O turn: sleep until a job is queued or the
         * turn is handed on. A hand-off missed between the two checks only
         * delays I/O until that thread's current request is done: the thread
         * holding the turn always comes back to it. */
        pthread_mutex_lock(&pool.lock);
        if (!pool.head && !pool.stopping) {
            pool.idle++;
            pthread_cond_wait(&pool.ready, &pool.lock);
            pool.idle--;
        }
        pthread_mutex_unlock(&pool.lock);
    }
}

bool avowd_workers_start(size_t n, const avowd_workers_ops *ops, avow_error *err)
{
    pool.threads = calloc(n, sizeof(*pool.threads));
    if (!pool.threads) {
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        return false;
    }
    pool.ops = *ops;
    pthread_mutex_lock(&pool.lock);
    pool.running = true;
    pool.stopping = false;
    pthread_mutex_unlock(&pool.lock);
    size_t i = 0;
    while (i < n && pthread_create(&pool.threads[i], NULL, worker, NULL) == 0)
        i++;
    pool.n = i; /* read by stop only, on this thread */
    if (i < n) {
        avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "cannot start request thread %zu of %zu",
                       i + 1, n);
        avowd_workers_stop();
        return false;
    }
    return true;
}

bool avowd_workers_submit(avowd_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&pool.lock);
    if (pool.stopping || !pool.running) {
        pthread_mutex_unlock(&pool.lock);
        return false;
    }
    if (pool.tail)
        pool.tail->next = j;
    else
        pool.head = j;
    pool.tail = j;
    if (pool.idle) pthread_cond_signal(&pool.ready);
    pthread_mutex_unlock(&pool.lock);
    return true;
}

void avowd_workers_stop(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.stopping = true; /* submit refuses from now on; queued jobs still run */
    pthread_cond_broadcast(&pool.ready);
    pthread_mutex_unlock(&pool.lock);
    if (pool.ops.wake) pool.ops.wake(); /* the thread blocked for I/O */
    for (size_t i = 0; i < pool.n; i++)
        pthread_join(pool.threads[i], NULL);
    free(pool.threads);
    pool.threads = NULL;
    pool.n = 0;
    pthread_mutex_lock(&pool.lock);
    pool.running = false;
    pthread_mutex_unlock(&pool.lock);
}
