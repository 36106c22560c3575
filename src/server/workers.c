/* avowd's request threads: a fixed set of threads that share the HTTP I/O
 * and one FIFO queue of complete requests.
 *
 * Each thread loops: do the pending socket work unless another thread is
 * doing it (the `io` callback: libmicrohttpd's event loop, run by one thread
 * at a time), then run the oldest queued request (the `run` callback). A
 * thread with nothing to run waits for network activity itself (the `wait`
 * callback: every idle thread waits on the same epoll set, and the kernel
 * wakes one of them per event), so the thread that reads a request is the
 * one that runs it, and no thread is woken just to take over the watch.
 * (libmicrohttpd's own wake-up for a resumed connection may still wake an
 * idle thread, which then sends the answer.)
 *
 * The I/O turn is a try-lock with a "run again" flag: a thread woken while
 * another has the turn sets the flag and goes back to waiting, and the thread
 * with the turn runs the loop once more before it lets go, so no event is
 * left unhandled and no thread spins.
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
 * request, +10 % CPU per attestation). Why idle threads wait on the network
 * rather than on a condition variable (the design before): the thread that
 * blocked for I/O held the turn, so each request woke a second thread to
 * watch the network and a third time to send the answer — wake-ups that
 * cost most at moderate load, when threads do go idle.
 *
 * Thread-safety: all functions may be called from any thread; start and stop
 * are called once each by the owner. All state is in the pool object. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "server/workers.h"

struct avowd_workers {
    pthread_mutex_t lock; /* guards the queue */
    avowd_job *head, *tail;
    size_t queued;
    bool running;
    atomic_bool stopping;
    atomic_int waiting;      /* threads in (or about to enter) ops.wait */
    pthread_mutex_t io_lock; /* held by the thread doing the socket work */
    atomic_bool io_again;    /* network activity seen while io_lock was held */
    atomic_int wait_ms;      /* how long an idle thread may wait (MHD's timeout) */
    avowd_workers_ops ops;
    pthread_t *threads;
    size_t n;
};

/* Runs the event loop unless another thread is running it; then that thread
 * runs it again (io_again) before it lets go of the turn. */
static void do_io(avowd_workers *pool)
{
    /* bounded, so that queued requests are not starved by a busy network */
    for (int round = 0; round < 4; round++) {
        if (pthread_mutex_trylock(&pool->io_lock) != 0) {
            atomic_store(&pool->io_again, true);
            atomic_thread_fence(memory_order_seq_cst); /* the flag, then the re-check */
            /* the holder may have let go between the two: then it is ours */
            if (pthread_mutex_trylock(&pool->io_lock) != 0) return;
        }
        atomic_store(&pool->io_again, false);
        int ms = pool->ops.io(pool->ops.arg);
        atomic_store(&pool->wait_ms, ms);
        pthread_mutex_unlock(&pool->io_lock);
        atomic_thread_fence(memory_order_seq_cst); /* the unlock, then the flag */
        if (ms != 0 && !atomic_load(&pool->io_again)) return;
    }
    /* Rounds used up with work still due (MHD asked to run again, or a
     * thread took an event's wake-up and left it to us): this thread may now
     * run a long request, so wake an idle one to carry on. */
    pool->ops.kick(pool->ops.arg);
}

/* The oldest job; *more says whether others are still queued. */
static avowd_job *pop(avowd_workers *pool, bool *more)
{
    pthread_mutex_lock(&pool->lock);
    avowd_job *j = pool->head;
    if (j) {
        pool->head = j->next;
        if (!pool->head) pool->tail = NULL;
        j->next = NULL;
        pool->queued--;
    }
    *more = pool->queued > 0;
    pthread_mutex_unlock(&pool->lock);
    return j;
}

static void *worker(void *arg)
{
    avowd_workers *pool = arg;
    bool more;
    for (;;) {
        do_io(pool);
        avowd_job *j = pop(pool, &more);
        if (!j) {
            if (atomic_load(&pool->stopping)) return NULL; /* queue empty */
            /* Announce the wait before the last look at the queue, so a
             * thread that queues a job either sees us waiting (and kicks)
             * or we see its job. */
            atomic_fetch_add(&pool->waiting, 1);
            j = pop(pool, &more);
            if (!j) pool->ops.wait(pool->ops.arg, atomic_load(&pool->wait_ms));
            atomic_fetch_sub(&pool->waiting, 1);
            if (!j) continue;
        }
        /* Another request is queued and a thread is idle: hand it over. */
        if (more && atomic_load(&pool->waiting) > 0) pool->ops.kick(pool->ops.arg);
        pool->ops.run(pool->ops.arg, j);
    }
}

bool avowd_workers_start(size_t n, const avowd_workers_ops *ops, avowd_workers **out,
                         avow_error *err)
{
    avowd_workers *pool = calloc(1, sizeof(*pool));
    if (pool) pool->threads = calloc(n ? n : 1, sizeof(*pool->threads));
    if (!pool || !pool->threads) {
        free(pool);
        *out = NULL;
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        return false;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_mutex_init(&pool->io_lock, NULL);
    pool->ops = *ops;
    atomic_init(&pool->stopping, false);
    atomic_init(&pool->waiting, 0);
    atomic_init(&pool->io_again, false);
    atomic_init(&pool->wait_ms, 0);
    pool->running = true;
    *out = pool; /* before the first thread: its callbacks may submit jobs already */
    size_t i = 0;
    while (i < n && pthread_create(&pool->threads[i], NULL, worker, pool) == 0)
        i++;
    pool->n = i; /* read by stop only, on this thread */
    if (i < n) {
        avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "cannot start request thread %zu of %zu",
                       i + 1, n);
        avowd_workers_stop(pool);
        avowd_workers_free(pool);
        *out = NULL;
        return false;
    }
    return true;
}

void avowd_workers_io_exclusive(avowd_workers *pool, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&pool->io_lock);
    fn(arg);
    pthread_mutex_unlock(&pool->io_lock);
    pool->ops.kick(pool->ops.arg); /* the loop may have work after fn: run it */
}

bool avowd_workers_submit(avowd_workers *pool, avowd_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&pool->lock);
    if (atomic_load(&pool->stopping) || !pool->running) {
        pthread_mutex_unlock(&pool->lock);
        return false;
    }
    if (pool->tail)
        pool->tail->next = j;
    else
        pool->head = j;
    pool->tail = j;
    pool->queued++;
    pthread_mutex_unlock(&pool->lock);
    /* No wake-up here: jobs are queued by the thread with the I/O turn,
     * which takes the oldest itself once its event-loop rounds are done and
     * kicks an idle thread when more are queued. */
    return true;
}

bool avowd_workers_requeue(avowd_workers *pool, avowd_job *j)
{
    if (!avowd_workers_submit(pool, j)) return false;
    /* From outside the event loop (a collateral fetch thread): no request
     * thread is about to look at the queue, so wake one. */
    pool->ops.kick(pool->ops.arg);
    return true;
}

void avowd_workers_stop(avowd_workers *pool)
{
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->stopping, true); /* submit refuses from now on; queued jobs still run */
    pthread_mutex_unlock(&pool->lock);
    pool->ops.wake(pool->ops.arg); /* every waiting thread, from now on */
    for (size_t i = 0; i < pool->n; i++)
        pthread_join(pool->threads[i], NULL);
    pool->n = 0;
    pthread_mutex_lock(&pool->lock);
    pool->running = false;
    pthread_mutex_unlock(&pool->lock);
}

void avowd_workers_free(avowd_workers *pool)
{
    if (!pool) return;
    free(pool->threads);
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_destroy(&pool->io_lock);
    free(pool);
}
