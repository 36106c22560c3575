/* Change-notification listener of the store (src/store/store.h,
 * avow_store_listen): one dedicated backend connection that is subscribed to
 * the store's changes, waited on with poll(2) together with a wake pipe, and
 * reconnected (at most once a second) after it breaks; a reconnection
 * reports every kind of change, since what happened meanwhile was not
 * announced. The backend does the subscribing and decoding (postgres.c).
 * Thread-safety: one thread waits; avow_store_listener_wake may be called
 * from any thread (it only writes to a non-blocking pipe). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/backend.h"

#define RETRY_SECONDS 1.0

struct avow_store_listener {
    avow_store *s;
    void *lconn; /* NULL while disconnected */
    int wake[2]; /* pipe: [0] polled, [1] written by wake */
    double next_attempt;
    avow_error down; /* why disconnected */
};

avow_err avow_store_listen(avow_store *s, avow_store_listener **out, avow_error *err)
{
    *out = NULL;
    if (!s->be->listen_open)
        return avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                              "the %s store has no change notifications", s->be->name);
    avow_store_listener *l = calloc(1, sizeof(*l));
    if (!l) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    if (pipe2(l->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        free(l);
        return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "listener wake pipe: %s",
                              strerror(errno));
    }
    l->s = s;
    avow_error_set(&l->down, AVOW_ERR_IO, AVOW_NO_OFFSET, "listener not connected yet");
    *out = l;
    return AVOW_OK;
}

void avow_store_listener_wake(avow_store_listener *l)
{
    if (!l) return;
    int saved = errno;
    ssize_t n = write(l->wake[1], "w", 1); /* a full pipe is already a pending wake */
    (void)n;
    errno = saved;
}

void avow_store_listener_close(avow_store_listener *l)
{
    if (!l) return;
    if (l->lconn) l->s->be->listen_close(l->lconn);
    close(l->wake[0]);
    close(l->wake[1]);
    free(l);
}

static avow_err still_down(const avow_store_listener *l, avow_error *err)
{
    if (err) *err = l->down;
    return AVOW_ERR_IO;
}

avow_err avow_store_listener_wait(avow_store_listener *l, int timeout_ms, unsigned *changes,
                                  avow_error *err)
{
    const st_backend *be = l->s->be;
    double deadline = st_mono() + (timeout_ms > 0 ? timeout_ms : 0) / 1000.0;
    for (;;) {
        double now = st_mono();
        if (!l->lconn && now >= l->next_attempt) {
            avow_error e;
            avow_error_clear(&e);
            if (be->listen_open(l->s->impl, &l->lconn, &e) == AVOW_OK) {
                *changes |= AVOW_STORE_CHANGED_ALL;
                return AVOW_OK;
            }
            l->lconn = NULL;
            l->down = e;
            l->next_attempt = now + RETRY_SECONDS;
            return still_down(l, err);
        }
        double until = l->lconn || l->next_attempt > deadline ? deadline : l->next_attempt;
        int ms = until > now ? (int)((until - now) * 1000.0) + 1 : 0; /* rounded up */
        struct pollfd p[2] = {{.fd = l->wake[0], .events = POLLIN},
                              {.fd = l->lconn ? be->listen_fd(l->lconn) : -1, .events = POLLIN}};
        if (poll(p, 2, ms) < 0 && errno != EINTR) {
            avow_err rc = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "listener poll: %s",
                                         strerror(errno));
            return rc;
        }
        bool woken = p[0].revents != 0;
        if (woken) {
            char buf[64];
            while (read(l->wake[0], buf, sizeof(buf)) > 0) {
            }
        }
        if (l->lconn && p[1].revents) {
            avow_error e;
            avow_error_clear(&e);
            if (be->listen_read(l->lconn, changes, &e) != AVOW_OK) {
                be->listen_close(l->lconn);
                l->lconn = NULL;
                l->down = e;
                l->next_attempt = st_mono(); /* the next call tries at once */
                return still_down(l, err);
            }
            if (*changes) return AVOW_OK;
            /* input that announced nothing (a notice): keep waiting */
        }
        if (woken || st_mono() >= deadline) return l->lconn ? AVOW_OK : still_down(l, err);
        /* disconnected and the next attempt is due: loop */
    }
}
