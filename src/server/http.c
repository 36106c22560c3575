/* avowd's HTTP layer over libmicrohttpd: the daemon (epoll, external event
 * loop driven by the request threads of workers.c, optional TLS),
 * per-request body accumulation under the size limit (413 before reading
 * when Content-Length says too much) and under the budget for bodies held in
 * memory (budget.h: in all and per client address; 503 + Retry-After), the
 * per-client connection limit, the
 * drain at shutdown (no new connections; requests in progress answered, with
 * Connection: close, for up to --drain-time), the queueing of each complete
 * request with its connection suspended, turning the response a handler left
 * in its request (response.h) into libmicrohttpd's, and the per-request
 * epilogue (metrics, access log). Handlers never see libmicrohttpd: the
 * router (router.h) runs them over an avowd_req (request.h).
 * Limits, TLS priorities and the drain: docs/security.md.
 * Thread-safety: MHD's event loop (io) runs on one thread at a time (the
 * workers' I/O turn). A request context is owned by that loop while the
 * request is read and answered, and by one thread while its handler runs
 * (the connection is suspended then, so MHD does not touch it); the hand-over
 * both ways goes through a mutex (the queue's, and MHD's resume lock).
 * Headers and query arguments are copied into the request before queueing,
 * and the response is queued by the event loop after the resume. All state
 * is in the avowd_http object (the body budget and the drain counters are
 * atomics). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "avow/encode.h"
#include "avow/file.h"
#include "server/budget.h"
#include "server/http.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/request.h"
#include "server/router.h"
#include "server/workers.h"

/* GnuTLS priorities for HTTPS (docs/security.md, "TLS versions and
 * ciphers"): TLS 1.3 and 1.2 only; on 1.2, ECDHE key exchange with AEAD
 * ciphers only (forward secrecy, no CBC, no SHA-1 MACs, no RSA key
 * transport); the server's order wins. */
#define TLS_PRIORITIES                                                                     \
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:" \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

struct avowd_http {
    avowd *d;
    struct MHD_Daemon *daemon;
    avowd_workers *workers;
    int loop_fd; /* epoll over MHD's epoll fd, kick_fd and wake_fd */
    int kick_fd; /* eventfd: wakes one idle thread (edge-triggered, never drained) */
    int wake_fd; /* eventfd written once, at stop; never drained */
    /* Bytes of request bodies allocated now: never more than
     * cfg->body_memory in all, nor than a client address's share
     * (docs/security.md, "Connections and request memory"). */
    avowd_budget *budget;
    /* Shutdown drain (docs/security.md, "Shutdown"): requests between their
     * headers and their completion; when the last request arrived (ms). */
    atomic_int in_flight;
    atomic_llong last_request_ms;
    atomic_bool draining;
    char id_prefix[17];
    char *tls_key_pem, *tls_cert_pem;
};

/* A handler waiting for a collateral fetch (response.h, AVOWD_PARKED): the
 * fetch may end before the handler has returned, so the two sides meet on
 * one atomic state and exactly one of them runs the request again. */
enum { PARK_RUNNING, PARK_WAITING, PARK_READY };

typedef enum {
    REQ_READING,  /* I/O thread: headers and body arriving */
    REQ_HANDLING, /* a worker runs the handler; the connection is suspended */
    REQ_HANDLED,  /* resumed: the I/O thread queues the prepared response */
} req_state;

/* The request context (avowd_req first). */
typedef struct {
    avowd_req req;
    avowd_http *h;
    struct MHD_Connection *conn;
    avowd_job job;
    req_state state;
    atomic_int park; /* PARK_* while the handler runs or waits for a fetch */
    double t_start;
    avowd_client client; /* whose share of the body budget the body uses */
    uint8_t *body;       /* what arrived, NUL-terminated; req.body_len bytes */
    size_t body_cap;
    bool too_large;
    bool over_budget; /* the body would pass the global budget: 503 */
    bool nul_value;   /* a header or query argument holds a NUL byte (%00): 400 */
    bool responded;
    /* what a worker prepared: queued by the I/O thread after the resume */
    struct MHD_Response *resp;
    unsigned resp_status;
    /* what was sent, for the access log */
    unsigned status;
    size_t resp_len;
} req_ctx;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long mono_ms(void)
{
    return (long long)(mono_now() * 1e3);
}

/* The bytes of request bodies one client address may hold (0: no share,
 * when --per-ip-connections is off, as behind a proxy every client shares
 * the proxy's address): a quarter of --body-memory, and always room for one
 * body of --max-body (docs/security.md, "Connections and request memory"). */
static size_t client_share(const avowd *d)
{
    if (!d->cfg->per_ip_connections) return 0;
    size_t q = d->cfg->body_memory / 4;
    return q > d->cfg->max_body ? q : d->cfg->max_body + 1;
}

/* Takes n bytes of the body budget for the request's client; false when
 * they are not left. */
static bool body_reserve(req_ctx *c, size_t n)
{
    return avowd_budget_take(c->h->budget, &c->client, n);
}

static void body_release(req_ctx *c, size_t n)
{
    avowd_budget_give(c->h->budget, &c->client, n);
}

/* Drops a request's body and gives its bytes back to the budget. */
static void body_drop(req_ctx *c)
{
    if (c->body_cap) {
        free(c->body);
        body_release(c, c->body_cap);
    }
    c->body = NULL;
    c->body_cap = 0;
    c->req.body = NULL;
    c->req.body_len = 0;
}

/* MHD_queue_response, with Connection: close once draining: the client
 * gets its answer and then the connection closes, so it sends nothing more
 * on a connection that is about to go. */
static enum MHD_Result queue_now(req_ctx *c, unsigned status, struct MHD_Response *resp)
{
    if (atomic_load(&c->h->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    return MHD_queue_response(c->conn, status, resp);
}

/* libmicrohttpd's response from the one the handler left in the request
 * (which is emptied); NULL when out of memory. */
static struct MHD_Response *build_response(req_ctx *c, unsigned *status, size_t *len)
{
    avowd_resp *p = &c->req.resp;
    size_t n = p->len;
    char *body = avowd_resp_take_body(p);
    struct MHD_Response *resp = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        avowd_resp_clear(p);
        return NULL;
    }
    if (p->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, p->content_type);
    MHD_add_response_header(resp, "x-ms-request-id", c->req.request_id);
    MHD_add_response_header(resp, "x-ms-maa-service-version", "1.10 (avowd)");
    for (int i = 0; i < p->n_headers; i++)
        MHD_add_response_header(resp, p->headers[i].name, p->headers[i].value);
    *status = p->status;
    *len = n;
    avowd_resp_clear(p);
    return resp;
}

/* Sends the response in the request now (on the I/O thread, before the
 * request is complete: 413 and 503 answers). */
static enum MHD_Result answer_now(req_ctx *c, int made)
{
    if (made != AVOWD_OK) return MHD_NO;
    unsigned status;
    size_t len;
    struct MHD_Response *resp = build_response(c, &status, &len);
    if (!resp) return MHD_NO;
    enum MHD_Result ret = queue_now(c, status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES) {
        c->status = status;
        c->resp_len = len;
        c->responded = true;
    }
    return ret;
}

static enum MHD_Result busy_answer(req_ctx *c)
{
    const avowd *d = c->h->d;
    char share[64] = "";
    if (client_share(d))
        snprintf(share, sizeof(share), ", %zu per client address", client_share(d));
    avowd_resp_header(&c->req, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    return answer_now(c, avowd_error(&c->req, 503, "ServiceUnavailable",
                                     "the service holds its limit of request bodies in memory "
                                     "(%zu bytes in all%s); retry later",
                                     d->cfg->body_memory, share));
}

static enum MHD_Result copy_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
    req_ctx *c = cls;
    /* A NUL decoded from %00 would silently cut the value short ("17%00x"
     * read as "17"): refuse the request instead (docs/security.md §4). */
    if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
        c->nul_value = true;
        return MHD_NO;
    }
    /* out of memory: lookups of the rest then miss, and the handler says what */
    return avowd_req_add_value(&c->req, kind == MHD_HEADER_KIND ? AVOWD_HEADER : AVOWD_QUERY, key,
                               value)
               ? MHD_YES
               : MHD_NO;
}

/* Runs one request's handler (on a request thread, or inside the event loop
 * during shutdown), prepares its response and hands the connection back to
 * the event loop. */
static void run_job(void *arg, avowd_job *j)
{
    (void)arg;
    req_ctx *c = (req_ctx *)((char *)j - offsetof(req_ctx, job));
    avowd_req *r = &c->req;
    int rc;
    for (;;) {
        atomic_store(&c->park, PARK_RUNNING);
        avowd_resp_clear(&r->resp); /* a request run again starts afresh */
        rc = avowd_route_request(r);
        if (rc != AVOWD_PARKED) break;
        int running = PARK_RUNNING;
        if (atomic_compare_exchange_strong(&c->park, &running, PARK_WAITING))
            return; /* on_fetch_ready queues it again; the connection stays suspended */
        /* the fetch ended while the handler was returning: run again now */
    }
    if (rc == AVOWD_OK && !r->resp.status) /* a handler must answer; never leave the client */
        rc = avowd_error(r, 500, "InternalError", "the %s route gave no answer",
                         avowd_route_name(r->route));
    c->resp = NULL;
    if (rc == AVOWD_OK) c->resp = build_response(c, &c->resp_status, &c->resp_len);
    if (c->resp) { /* else: the handler could not answer (out of memory): close */
        c->status = c->resp_status;
        c->responded = true;
    }
    c->state = REQ_HANDLED;
    /* The response goes out on the next MHD_run: this thread's own, which
     * its loop (workers.c) starts next, or, if another thread has the I/O
     * turn, that thread's next round (it runs the loop again before it lets
     * go). MHD's wake-up for the resume may also wake an idle thread. */
    MHD_resume_connection(c->conn);
}

/* The collateral service's call (on a fetch thread) when the fetch a parked
 * request waits for has ended: queue the request to run again. */
static void on_fetch_ready(avow_pccs_waiter *w)
{
    req_ctx *c = (req_ctx *)((char *)w - offsetof(req_ctx, req.waiter));
    if (atomic_exchange(&c->park, PARK_READY) != PARK_WAITING) return;          /* run_job loops */
    if (!avowd_workers_requeue(c->h->workers, &c->job)) run_job(c->h, &c->job); /* stopping */
}

/* How the request frames its body: the headers that can say where it ends. */
typedef struct {
    const char *cl; /* the first Content-Length */
    bool cl_differ; /* another Content-Length with a different value */
    bool te;        /* Transfer-Encoding */
} framing;

static enum MHD_Result note_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    framing *f = cls;
    if (!key || !value) return MHD_YES;
    if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        f->te = true;
    } else if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        if (f->cl && strcmp(f->cl, value)) f->cl_differ = true;
        if (!f->cl) f->cl = value;
    }
    return MHD_YES;
}

/* The first call for a request: its context, id and route; the body's
 * memory when Content-Length announces one (413 or 503 at once when it
 * cannot be taken). */
static enum MHD_Result begin(avowd_http *h, struct MHD_Connection *conn, const char *url,
                             const char *method, void **con_cls)
{
    req_ctx *c = calloc(1, sizeof(*c));
    if (!c) return MHD_NO;
    *con_cls = c;
    atomic_fetch_add(&h->in_flight, 1);
    avowd_req *r = &c->req;
    avowd_req_init(r, h->d);
    c->h = h;
    c->conn = conn;
    r->method = method;
    r->path = url;
    c->t_start = mono_now();
    r->waiter.ready = on_fetch_ready;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    avowd_client_of(ci ? ci->client_addr : NULL, &c->client);
    unsigned long long seq = atomic_fetch_add(&h->d->request_seq, 1) + 1;
    snprintf(r->request_id, sizeof(r->request_id), "%s-%016llx", h->id_prefix, seq);
    bool method_ok;
    const char *allow;
    r->route = avowd_route_classify(method, url, &method_ok, &allow);
    /* A body framed two ways (Transfer-Encoding and Content-Length, or two
     * different Content-Lengths) is where a proxy in front and avowd may
     * disagree on where the next request starts (request smuggling): refused,
     * and the connection closed (RFC 9112 §6.1, §6.3; docs/security.md,
     * "Connections and request memory"). */
    framing f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, note_framing, &f);
    if ((f.te && f.cl) || f.cl_differ) {
        avowd_resp_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
        return answer_now(c, avowd_error(r, 400, "InvalidRequest",
                                         "the request frames its body two ways (%s): refused, "
                                         "and the connection closed",
                                         f.cl_differ ? "different Content-Length headers"
                                                     : "Transfer-Encoding and Content-Length"));
    }
    const char *cl = f.cl;
    if (!cl) return MHD_YES;
    size_t max_body = h->d->cfg->max_body;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    if (errno || end == cl || n > max_body) {
        c->too_large = true;
        /* answer now: the client need not send the body (Expect: 100-continue) */
        return answer_now(c, avowd_error(r, 413, "RequestTooLarge",
                                         "request body of %s bytes exceeds the limit of %zu bytes",
                                         cl, max_body));
    }
    /* the whole body in one allocation, no regrowth (n <= max_body) */
    if (n > 0 && !body_reserve(c, (size_t)n + 1)) {
        c->over_budget = true;
        return busy_answer(c); /* before the body */
    }
    if (n > 0 && (c->body = malloc((size_t)n + 1)) != NULL) {
        c->body[0] = '\0';
        c->body_cap = (size_t)n + 1;
    } else if (n > 0) {
        body_release(c, (size_t)n + 1);
    }
    return MHD_YES;
}

/* A piece of the body: kept within max_body and the budget, else dropped. */
static enum MHD_Result take_body(req_ctx *c, const char *data, size_t n)
{
    avowd_http *h = c->h;
    avowd_req *r = &c->req;
    size_t max_body = h->d->cfg->max_body;
    if (c->responded || c->too_large || c->over_budget) return MHD_YES; /* discard */
    if (n > max_body - r->body_len) {
        c->too_large = true;
        body_drop(c);
        return MHD_YES;
    }
    if (r->body_len + n + 1 > c->body_cap) {
        /* body without Content-Length (chunked): grow, within max_body and
         * within the budget */
        size_t cap = c->body_cap ? c->body_cap : 4096;
        while (cap < r->body_len + n + 1)
            cap *= 2;
        if (cap > max_body + 1) cap = max_body + 1;
        if (!body_reserve(c, cap - c->body_cap)) {
            c->over_budget = true;
            body_drop(c);
            return MHD_YES;
        }
        uint8_t *nb = realloc(c->body, cap);
        if (!nb) {
            body_release(c, cap - c->body_cap);
            return MHD_NO;
        }
        c->body = nb;
        c->body_cap = cap;
    }
    memcpy(c->body + r->body_len, data, n);
    r->body_len += n;
    c->body[r->body_len] = '\0';
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    avowd_http *h = cls;
    req_ctx *c = *con_cls;
    atomic_store(&h->last_request_ms, mono_ms());
    if (!c) return begin(h, conn, url, method, con_cls);
    avowd_req *r = &c->req;
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return take_body(c, upload_data, n);
    }
    if (c->state == REQ_HANDLED) { /* resumed: send what the handler prepared */
        struct MHD_Response *resp = c->resp;
        c->resp = NULL;
        c->state = REQ_READING;
        if (!resp) return MHD_NO; /* the handler could not answer (out of memory): close */
        enum MHD_Result ret = queue_now(c, c->resp_status, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (c->responded) return MHD_YES;
    if (c->over_budget) return busy_answer(c);
    if (c->too_large)
        return answer_now(
            c, avowd_error(r, 413, "RequestTooLarge", "request body exceeds the limit of %zu bytes",
                           h->d->cfg->max_body));
    static const uint8_t empty[1];
    r->body = c->body ? c->body : empty;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, copy_value, c);
    if (c->nul_value)
        return answer_now(c, avowd_error(r, 400, "InvalidParameter",
                                         "a query argument or header holds a NUL byte (%%00)"));
    c->state = REQ_HANDLING;
    MHD_suspend_connection(conn); /* before the hand-off, so the resume cannot come first */
    if (!avowd_workers_submit(h->workers, &c->job)) run_job(h, &c->job); /* stopping: answer here */
    return MHD_YES;
}

/* Everything the client sent is copied into the access log through this
 * (docs/security.md, "Access log"): quotes, backslashes, control bytes and
 * non-ASCII bytes become JSON escapes, so a line is valid JSON whatever the
 * request held. Truncates at a character boundary to fit `cap`. */
static void json_escape_into(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; s && *s && o + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch >= 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    avowd_http *h = cls;
    req_ctx *c = *con_cls;
    if (!c) return;
    avowd_req *r = &c->req;
    double dt = mono_now() - c->t_start;
    unsigned status = c->status ? c->status : 499; /* nothing sent: client went away */
    avowd_metrics_request(h->d->metrics, r->route, status, dt);
    if (avowd_logs_access_enabled(h->d->logs)) {
        char method[100], path[512], detail[420], ts[21], remote[64] = "";
        json_escape_into(method, sizeof(method), r->method);
        json_escape_into(path, sizeof(path), r->path);
        json_escape_into(detail, sizeof(detail), r->detail);
        avow_time_format(avow_time_now(), ts);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, remote,
                          sizeof(remote));
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, remote,
                          sizeof(remote));
        }
        char line[2400]; /* fits method (99) + path (511) + detail (419) + the rest */
        snprintf(line, sizeof(line),
                 "{\"ts\":\"%s\",\"request_id\":\"%s\",\"remote\":\"%s\",\"method\":\"%s\","
                 "\"path\":\"%s\",\"route\":\"%s\",\"status\":%u,\"request_bytes\":%zu,"
                 "\"response_bytes\":%zu,\"duration_ms\":%.3f,\"completed\":%s%s%s%s}",
                 ts, r->request_id, remote, method, path, avowd_route_name(r->route), status,
                 r->body_len, c->resp_len, dt * 1e3,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "true" : "false",
                 detail[0] ? ",\"detail\":\"" : "", detail, detail[0] ? "\"" : "");
        avowd_logs_access_line(h->d->logs, line);
    }
    body_drop(c);
    if (c->resp) MHD_destroy_response(c->resp);
    avowd_req_clear(r);
    free(c);
    *con_cls = NULL;
    atomic_fetch_sub(&h->in_flight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    avowd_log("warn", "libmicrohttpd: %s", msg);
}

/* The workers' I/O turn: MHD's event loop without blocking; returns how long
 * an idle thread may then wait (MHD's next connection timeout, at most 60 s). */
static int run_io(void *arg)
{
    avowd_http *h = arg;
    MHD_run(h->daemon);
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(h->daemon, &ms) != MHD_YES) return 60000;
    return ms > 60000 ? 60000 : (int)ms;
}

/* An idle thread's wait for the network (MHD's epoll fd, edge-triggered: one
 * thread per event), a kick or the stop. */
static void wait_io(void *arg, int ms)
{
    avowd_http *h = arg;
    struct epoll_event ev[3];
    (void)epoll_wait(h->loop_fd, ev, 3, ms); /* EINTR: the caller just runs the loop */
}

static void signal_fd(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
        avowd_log("warn", "cannot wake the request threads: %s", strerror(errno));
}

static void kick_io(void *arg)
{
    signal_fd(((avowd_http *)arg)->kick_fd);
}

static void wake_io(void *arg)
{
    signal_fd(((avowd_http *)arg)->wake_fd);
}

static void close_loop_fds(avowd_http *h)
{
    if (h->loop_fd >= 0) close(h->loop_fd);
    if (h->kick_fd >= 0) close(h->kick_fd);
    if (h->wake_fd >= 0) close(h->wake_fd);
    h->loop_fd = h->kick_fd = h->wake_fd = -1;
}

/* The epoll set idle threads wait on: MHD's own epoll fd (readable when any
 * of its sockets is) and the kick eventfd, both edge-triggered so that one
 * event wakes one thread once; the stop eventfd level-triggered, so that it
 * wakes every thread, every time. */
static bool open_loop_fds(avowd_http *h, avow_error *err)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    h->loop_fd = epoll_create1(EPOLL_CLOEXEC);
    h->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event a = {.events = EPOLLIN | EPOLLET}, b = {.events = EPOLLIN | EPOLLET},
                       c = {.events = EPOLLIN};
    if (!i || h->loop_fd < 0 || h->kick_fd < 0 || h->wake_fd < 0 ||
        epoll_ctl(h->loop_fd, EPOLL_CTL_ADD, i->epoll_fd, &a) ||
        epoll_ctl(h->loop_fd, EPOLL_CTL_ADD, h->kick_fd, &b) ||
        epoll_ctl(h->loop_fd, EPOLL_CTL_ADD, h->wake_fd, &c)) {
        avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "cannot set up the HTTP event loop: %s",
                       strerror(errno));
        close_loop_fds(h);
        return false;
    }
    return true;
}

static char *read_text(const char *path, avow_error *err)
{
    uint8_t *b = NULL;
    size_t n;
    /* the TLS key is a secret */
    return avow_file_read(path, 1u << 20, true, &b, &n, err) == AVOW_OK ? (char *)b : NULL;
}

/* Frees what start made (the daemon and the threads are stopped). */
static void http_free(avowd_http *h)
{
    close_loop_fds(h);
    avowd_workers_free(h->workers);
    if (h->tls_key_pem) {
        avow_wipe(h->tls_key_pem, strlen(h->tls_key_pem));
        free(h->tls_key_pem);
    }
    free(h->tls_cert_pem);
    avowd_budget_free(h->budget);
    free(h);
}

avowd_http *avowd_http_start(avowd *d, const char *host, uint16_t port, avow_error *err)
{
    avowd_http *h = calloc(1, sizeof(*h));
    if (!h) {
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        return NULL;
    }
    h->d = d;
    h->loop_fd = h->kick_fd = h->wake_fd = -1;
    h->budget = avowd_budget_new(d->cfg->body_memory, client_share(d));
    if (!h->budget) {
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        http_free(h);
        return NULL;
    }
    atomic_init(&h->in_flight, 0);
    atomic_init(&h->last_request_ms, 0);
    atomic_init(&h->draining, false);
    uint8_t rnd[8];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) memset(rnd, 0x5a, sizeof(rnd));
    avow_hex_encode(rnd, sizeof(rnd), h->id_prefix);

    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "--listen %s: %s", host,
                       gai_strerror(gai));
        http_free(h);
        return NULL;
    }

    /* No internal thread: the request threads run MHD's loop (workers.c). */
    unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned int threads =
        d->cfg->threads > 0 ? (unsigned)d->cfg->threads : (unsigned)(nproc > 0 ? nproc : 2);
    struct MHD_OptionItem opts[16];
    int n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 4096, NULL};
    /* one client address cannot take all 4096 (docs/security.md) */
    if (d->cfg->per_ip_connections)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                            (intptr_t)d->cfg->per_ip_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    if (d->cfg->tls_cert) {
        h->tls_cert_pem = read_text(d->cfg->tls_cert, err);
        h->tls_key_pem = h->tls_cert_pem ? read_text(d->cfg->tls_key, err) : NULL;
        if (!h->tls_key_pem) {
            freeaddrinfo(ai);
            http_free(h);
            return NULL;
        }
        flags |= MHD_USE_TLS;
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, TLS_PRIORITIES};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    h->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, h, MHD_OPTION_ARRAY, opts,
                                 MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->daemon) {
        avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET,
                       "cannot listen on %s:%u (address in use, bad TLS key/certificate, or "
                       "TLS unsupported by libmicrohttpd)",
                       host, port);
        http_free(h);
        return NULL;
    }
    const avowd_workers_ops ops = {
        .run = run_job, .io = run_io, .wait = wait_io, .kick = kick_io, .wake = wake_io, .arg = h};
    if (!open_loop_fds(h, err) || !avowd_workers_start(threads, &ops, &h->workers, err)) {
        MHD_stop_daemon(h->daemon);
        http_free(h);
        return NULL;
    }
    return h;
}

uint16_t avowd_http_port(const avowd_http *h)
{
    if (!h || !h->daemon) return 0;
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

typedef struct {
    avowd_http *h;
    MHD_socket lfd;
} quiesce_arg;

static void quiesce(void *arg)
{
    quiesce_arg *q = arg;
    q->lfd = MHD_quiesce_daemon(q->h->daemon);
}

/* Stops accepting, then lets the request threads answer every request in
 * progress (each answer closes its connection), up to drain_seconds: done
 * when none is in progress and none has arrived for QUIET_MS (a request a
 * client sent just before the stop may still be in its socket's buffer). */
#define QUIET_MS 200
static void drain(avowd_http *h, int drain_seconds)
{
    atomic_store(&h->draining, true);
    quiesce_arg q = {h, MHD_INVALID_SOCKET};
    avowd_workers_io_exclusive(h->workers, quiesce, &q); /* never while MHD_run runs */
    if (q.lfd != MHD_INVALID_SOCKET) close(q.lfd); /* new connections are refused from now on */
    long long deadline = mono_ms() + 1000LL * drain_seconds;
    int logged = -1;
    for (;;) {
        int n = atomic_load(&h->in_flight);
        long long now = mono_ms();
        if (n == 0 && now - atomic_load(&h->last_request_ms) >= QUIET_MS) break;
        if (now >= deadline) {
            avowd_log("warn", "drain time (%d s) over: closing %d request(s) still in progress",
                      drain_seconds, n);
            break;
        }
        if (n != logged) {
            if (logged < 0 && n > 0)
                avowd_log("info", "no longer accepting connections; %d request(s) in progress", n);
            logged = n;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void avowd_http_stop(avowd_http *h)
{
    if (!h) return;
    drain(h, h->d->cfg->drain_seconds);
    /* Threads next: they finish what is queued and resume those connections
     * (MHD refuses to stop with a connection still suspended). */
    avowd_workers_stop(h->workers);
    MHD_stop_daemon(h->daemon);
    http_free(h);
}
