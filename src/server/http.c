/* avowd's HTTP layer over libmicrohttpd: the daemon (epoll, external event
 * loop driven by the request threads of workers.c, optional TLS),
 * per-request body accumulation under the size limit (413 before reading
 * when Content-Length says too much) and under the global budget for bodies
 * held in memory (503 + Retry-After), the per-client connection limit, the
 * drain at shutdown (no new connections; requests in progress answered, with
 * Connection: close, for up to --drain-time), the queueing of each complete
 * request with its connection suspended, response helpers (JSON, MAA errors,
 * extra headers), and the per-request epilogue (metrics, access log).
 * Limits, TLS priorities and the drain: docs/security.md.
 * Thread-safety: MHD's event loop (io) runs on one thread at a time (the
 * workers' I/O turn). A request context is owned by that loop while the
 * request is read and answered, and by one thread while its handler runs
 * (the connection is suspended then, so MHD does not touch it); the hand-over
 * both ways goes through a mutex (the queue's, and MHD's resume lock).
 * Handlers never call MHD: headers and query arguments are copied into the
 * context before queueing, and the response is queued by the event loop
 * after the resume. Globals are set once in avowd_http_start (the body
 * budget and the drain counters are atomics). */
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

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/rand.h>

#include "avow/encode.h"
#include "avow/file.h"
#include "server/server.h"

#define MAX_EXTRA_HEADERS 6

/* GnuTLS priorities for HTTPS (docs/security.md, "TLS versions and
 * ciphers"): TLS 1.3 and 1.2 only; on 1.2, ECDHE key exchange with AEAD
 * ciphers only (forward secrecy, no CBC, no SHA-1 MACs, no RSA key
 * transport); the server's order wins. */
#define TLS_PRIORITIES                                                                     \
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:" \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"
#define INLINE_VALUES 16 /* headers + query arguments kept without a malloc */

static struct MHD_Daemon *daemon_;
static int loop_fd = -1; /* epoll over MHD's epoll fd, kick_fd and wake_fd */
static int kick_fd = -1; /* eventfd: wakes one idle thread (edge-triggered, never drained) */
static int wake_fd = -1; /* eventfd written once, at stop; never drained */
static avowd *svc;
/* Bytes of request bodies allocated now, all requests together; never more
 * than cfg->body_memory (docs/security.md, "Connections and request memory"). */
static atomic_size_t body_bytes;
/* Shutdown drain (docs/security.md, "Shutdown"): requests between their
 * headers and their completion; when the last request arrived (ms). */
static atomic_int in_flight;
static atomic_llong last_request_ms;
static atomic_bool draining;
static char id_prefix[17];
static char *tls_key_pem, *tls_cert_pem;

/* A header or query argument of the request (strings owned by MHD's
 * connection pool, valid until the request completes). */
typedef struct {
    enum MHD_ValueKind kind;
    const char *key, *value;
} kv;

typedef enum {
    REQ_READING,  /* I/O thread: headers and body arriving */
    REQ_HANDLING, /* a worker runs the handler; the connection is suspended */
    REQ_HANDLED,  /* resumed: the I/O thread queues the prepared response */
} req_state;

/* The request context (avowd_req first, so the handlers' pointer converts). */
typedef struct {
    avowd_req req;
    avowd_job job;
    req_state state;
    /* extra headers for the response (pointers valid until it is created) */
    const char *hname[MAX_EXTRA_HEADERS], *hvalue[MAX_EXTRA_HEADERS];
    int n_headers;
    bool responded;
    /* what a worker prepared: queued by the I/O thread after the resume */
    struct MHD_Response *resp;
    unsigned resp_status;
    bool handler_ok;
    bool over_budget; /* the body would pass the global budget: 503 */
    /* copies of the headers and query arguments, for the worker */
    kv inline_values[INLINE_VALUES];
    kv *values;
    size_t n_values, cap_values;
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

/* Takes n bytes of the body budget; false when they are not left. */
static bool body_reserve(size_t n)
{
    size_t cur = atomic_load(&body_bytes);
    do {
        if (n > svc->cfg->body_memory - cur) return false;
    } while (!atomic_compare_exchange_weak(&body_bytes, &cur, cur + n));
    return true;
}

static void body_release(size_t n)
{
    atomic_fetch_sub(&body_bytes, n);
}

/* Drops a request's body and gives its bytes back to the budget. */
static void body_drop(avowd_req *r)
{
    if (r->body_cap) {
        free(r->body);
        body_release(r->body_cap);
    }
    r->body = NULL;
    r->body_len = r->body_cap = 0;
}

/* MHD_queue_response, with Connection: close once draining: the client
 * gets its answer and then the connection closes, so it sends nothing more
 * on a connection that is about to go. */
static enum MHD_Result queue_now(struct MHD_Connection *conn, unsigned status,
                                 struct MHD_Response *resp)
{
    if (atomic_load(&draining)) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    return MHD_queue_response(conn, status, resp);
}

static int busy_answer(avowd_req *r)
{
    avowd_resp_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    return avowd_error(r, 503, "ServiceUnavailable",
                       "the service holds its limit of request bodies in memory (%zu bytes); "
                       "retry later",
                       svc->cfg->body_memory);
}

static enum MHD_Result copy_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    req_ctx *c = cls;
    if (c->n_values == c->cap_values) {
        size_t cap = c->cap_values * 2;
        kv *nv = malloc(cap * sizeof(*nv));
        if (!nv) return MHD_NO; /* lookups of the rest then miss: the handler says what */
        memcpy(nv, c->values, c->n_values * sizeof(*nv));
        if (c->values != c->inline_values) free(c->values);
        c->values = nv;
        c->cap_values = cap;
    }
    c->values[c->n_values++] = (kv){kind, key, value};
    return MHD_YES;
}

/* Names compare without case, for query arguments too, as MHD's own lookup. */
static const char *lookup(avowd_req *r, enum MHD_ValueKind kind, const char *name)
{
    req_ctx *c = (req_ctx *)r;
    for (size_t i = 0; i < c->n_values; i++)
        if (c->values[i].kind == kind && c->values[i].key && !strcasecmp(c->values[i].key, name))
            return c->values[i].value;
    return NULL;
}

const char *avowd_req_query(avowd_req *r, const char *name)
{
    return lookup(r, MHD_GET_ARGUMENT_KIND, name);
}

const char *avowd_req_header(avowd_req *r, const char *name)
{
    return lookup(r, MHD_HEADER_KIND, name);
}

void avowd_resp_header(avowd_req *r, const char *name, const char *value)
{
    req_ctx *c = (req_ctx *)r;
    if (c->n_headers < MAX_EXTRA_HEADERS) {
        c->hname[c->n_headers] = name;
        c->hvalue[c->n_headers] = value;
        c->n_headers++;
    }
}

static int queue(avowd_req *r, unsigned status, const char *ctype, struct MHD_Response *resp,
                 size_t len)
{
    req_ctx *c = (req_ctx *)r;
    if (!resp) return MHD_NO;
    if (ctype) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, "x-ms-request-id", r->request_id);
    MHD_add_response_header(resp, "x-ms-maa-service-version", "1.10 (avowd)");
    for (int i = 0; i < c->n_headers; i++)
        MHD_add_response_header(resp, c->hname[i], c->hvalue[i]);
    c->n_headers = 0;
    if (c->state == REQ_HANDLING) { /* on a worker: the I/O thread queues it after the resume */
        if (c->resp) MHD_destroy_response(c->resp); /* a handler answers once; keep the last */
        c->resp = resp;
        c->resp_status = status;
        r->status = status;
        r->resp_len = len;
        c->responded = true;
        return MHD_YES;
    }
    enum MHD_Result ret = queue_now(r->conn, status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES) {
        r->status = status;
        r->resp_len = len;
        c->responded = true;
    }
    return ret;
}

int avowd_respond(avowd_req *r, unsigned status, const char *content_type, const void *body,
                  size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    return queue(r, status, content_type, resp, len);
}

int avowd_respond_take(avowd_req *r, unsigned status, const char *content_type, char *body,
                       size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) free(body);
    return queue(r, status, content_type, resp, len);
}

int avowd_error(avowd_req *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t cl = strlen(code), ml = strlen(msg), cap = sizeof(r->detail) - 1, dl;
    memcpy(r->detail, code, cl < cap ? cl : cap); /* "code: message", truncated */
    dl = cl < cap ? cl : cap;
    if (dl + 2 < cap) {
        memcpy(r->detail + dl, ": ", 2);
        dl += 2;
        memcpy(r->detail + dl, msg, ml < cap - dl ? ml : cap - dl);
        dl += ml < cap - dl ? ml : cap - dl;
    }
    r->detail[dl] = '\0';
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    if (!o) /* message not UTF-8: say so rather than fail */
        o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
                      "(error message not representable as UTF-8)");
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    avowd_resp_header(r, "x-ms-error-code", code);
    if (!text) {
        static const char oom[] =
            "{\"error\":{\"code\":\"InternalError\",\"message\":\"out of "
            "memory\"}}";
        return avowd_respond(r, 500, AVOWD_JSON, oom, sizeof(oom) - 1);
    }
    return avowd_respond_take(r, status, AVOWD_JSON, text, strlen(text));
}

/* Runs one request's handler (on a request thread, or inside the event loop
 * during shutdown) and hands the connection back to the event loop. */
static void run_job(avowd_job *j)
{
    req_ctx *c = (req_ctx *)((char *)j - offsetof(req_ctx, job));
    c->handler_ok = avowd_route_request(&c->req) == MHD_YES;
    c->state = REQ_HANDLED;
    /* The response goes out on the next MHD_run: this thread's own, which
     * its loop (workers.c) starts next, or, if another thread has the I/O
     * turn, that thread's next round (it runs the loop again before it lets
     * go). MHD's wake-up for the resume may also wake an idle thread. */
    MHD_resume_connection(c->req.conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    req_ctx *c = *con_cls;
    atomic_store(&last_request_ms, mono_ms());
    if (!c) {
        c = calloc(1, sizeof(*c));
        if (!c) return MHD_NO;
        *con_cls = c;
        atomic_fetch_add(&in_flight, 1);
        avowd_req *r = &c->req;
        r->conn = conn;
        r->d = svc;
        r->method = method;
        r->path = url;
        r->t_start = mono_now();
        c->values = c->inline_values;
        c->cap_values = INLINE_VALUES;
        unsigned long long seq = atomic_fetch_add(&svc->request_seq, 1) + 1;
        snprintf(r->request_id, sizeof(r->request_id), "%s-%016llx", id_prefix, seq);
        bool method_ok;
        const char *allow;
        r->route = avowd_route_classify(method, url, &method_ok, &allow);
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || end == cl || n > svc->cfg->max_body) {
                r->too_large = true;
                /* answer now: the client need not send the body (Expect: 100-continue) */
                return avowd_error(r, 413, "RequestTooLarge",
                                   "request body of %s bytes exceeds the limit of %zu bytes", cl,
                                   svc->cfg->max_body) == MHD_YES
                           ? MHD_YES
                           : MHD_NO;
            }
            /* the whole body in one allocation, no regrowth (n <= max_body) */
            if (n > 0 && !body_reserve((size_t)n + 1)) {
                c->over_budget = true;
                return busy_answer(r) == MHD_YES ? MHD_YES : MHD_NO; /* before the body */
            }
            if (n > 0 && (r->body = malloc((size_t)n + 1)) != NULL) {
                r->body[0] = '\0';
                r->body_cap = (size_t)n + 1;
            } else if (n > 0) {
                body_release((size_t)n + 1);
            }
        }
        return MHD_YES;
    }
    avowd_req *r = &c->req;
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (c->responded || r->too_large || c->over_budget) return MHD_YES; /* discard */
        if (n > svc->cfg->max_body - r->body_len) {
            r->too_large = true;
            body_drop(r);
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            /* body without Content-Length (chunked): grow, within max_body
             * and within the budget */
            size_t cap = r->body_cap ? r->body_cap : 4096;
            while (cap < r->body_len + n + 1)
                cap *= 2;
            if (cap > svc->cfg->max_body + 1) cap = svc->cfg->max_body + 1;
            if (!body_reserve(cap - r->body_cap)) {
                c->over_budget = true;
                body_drop(r);
                return MHD_YES;
            }
            uint8_t *nb = realloc(r->body, cap);
            if (!nb) {
                body_release(cap - r->body_cap);
                return MHD_NO;
            }
            r->body = nb;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
        return MHD_YES;
    }
    if (c->state == REQ_HANDLED) { /* resumed: send what the handler prepared */
        struct MHD_Response *resp = c->resp;
        c->resp = NULL;
        c->state = REQ_READING;
        if (!resp || !c->handler_ok) {
            if (resp) MHD_destroy_response(resp);
            return MHD_NO; /* the handler could not answer (out of memory): close */
        }
        enum MHD_Result ret = queue_now(conn, c->resp_status, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (c->responded) return MHD_YES;
    if (c->over_budget) return busy_answer(r) == MHD_YES ? MHD_YES : MHD_NO;
    if (r->too_large)
        return avowd_error(r, 413, "RequestTooLarge", "request body exceeds the limit of %zu bytes",
                           svc->cfg->max_body) == MHD_YES
                   ? MHD_YES
                   : MHD_NO;
    if (!r->body) {
        static uint8_t empty[1];
        r->body = empty; /* never freed: see on_completed */
        r->body_len = 0;
    }
    MHD_get_connection_values(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, copy_value, c);
    c->state = REQ_HANDLING;
    MHD_suspend_connection(conn); /* before the hand-off, so the resume cannot come first */
    if (!avowd_workers_submit(&c->job)) run_job(&c->job); /* stopping: answer here */
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
    (void)cls;
    req_ctx *c = *con_cls;
    if (!c) return;
    avowd_req *r = &c->req;
    double dt = mono_now() - r->t_start;
    unsigned status = r->status ? r->status : 499; /* nothing sent: client went away */
    avowd_metrics_request(r->route, status, dt);
    if (avowd_log_access_enabled()) {
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
                 r->body_len, r->resp_len, dt * 1e3,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "true" : "false",
                 detail[0] ? ",\"detail\":\"" : "", detail, detail[0] ? "\"" : "");
        avowd_log_access_line(line);
    }
    body_drop(r);
    if (c->resp) MHD_destroy_response(c->resp);
    if (c->values != c->inline_values) free(c->values);
    free(c);
    *con_cls = NULL;
    atomic_fetch_sub(&in_flight, 1);
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
static int run_io(void)
{
    MHD_run(daemon_);
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(daemon_, &ms) != MHD_YES) return 60000;
    return ms > 60000 ? 60000 : (int)ms;
}

/* An idle thread's wait for the network (MHD's epoll fd, edge-triggered: one
 * thread per event), a kick or the stop. */
static void wait_io(int ms)
{
    struct epoll_event ev[3];
    (void)epoll_wait(loop_fd, ev, 3, ms); /* EINTR: the caller just runs the loop */
}

static void signal_fd(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
        avowd_log("warn", "cannot wake the request threads: %s", strerror(errno));
}

static void kick_io(void)
{
    signal_fd(kick_fd);
}

static void wake_io(void)
{
    signal_fd(wake_fd);
}

static void close_loop_fds(void)
{
    if (loop_fd >= 0) close(loop_fd);
    if (kick_fd >= 0) close(kick_fd);
    if (wake_fd >= 0) close(wake_fd);
    loop_fd = kick_fd = wake_fd = -1;
}

/* The epoll set idle threads wait on: MHD's own epoll fd (readable when any
 * of its sockets is) and the kick eventfd, both edge-triggered so that one
 * event wakes one thread once; the stop eventfd level-triggered, so that it
 * wakes every thread, every time. */
static bool open_loop_fds(avow_error *err)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD);
    loop_fd = epoll_create1(EPOLL_CLOEXEC);
    kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event a = {.events = EPOLLIN | EPOLLET}, b = {.events = EPOLLIN | EPOLLET},
                       c = {.events = EPOLLIN};
    if (!i || loop_fd < 0 || kick_fd < 0 || wake_fd < 0 ||
        epoll_ctl(loop_fd, EPOLL_CTL_ADD, i->epoll_fd, &a) ||
        epoll_ctl(loop_fd, EPOLL_CTL_ADD, kick_fd, &b) ||
        epoll_ctl(loop_fd, EPOLL_CTL_ADD, wake_fd, &c)) {
        avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "cannot set up the HTTP event loop: %s",
                       strerror(errno));
        close_loop_fds();
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

bool avowd_http_start(avowd *d, const char *host, uint16_t port, avow_error *err)
{
    svc = d;
    uint8_t rnd[8];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) memset(rnd, 0x5a, sizeof(rnd));
    avow_hex_encode(rnd, sizeof(rnd), id_prefix);

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
        return false;
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
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 4096, NULL};
    /* one client address cannot take all 4096 (docs/security.md) */
    if (d->cfg->per_ip_connections)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                            (intptr_t)d->cfg->per_ip_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    if (d->cfg->tls_cert) {
        tls_cert_pem = read_text(d->cfg->tls_cert, err);
        tls_key_pem = tls_cert_pem ? read_text(d->cfg->tls_key, err) : NULL;
        if (!tls_key_pem) {
            freeaddrinfo(ai);
            return false;
        }
        flags |= MHD_USE_TLS;
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, TLS_PRIORITIES};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    daemon_ = MHD_start_daemon(flags, port, NULL, NULL, on_request, NULL, MHD_OPTION_ARRAY, opts,
                               MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!daemon_) {
        avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET,
                       "cannot listen on %s:%u (address in use, bad TLS key/certificate, or "
                       "TLS unsupported by libmicrohttpd)",
                       host, port);
        return false;
    }
    static const avowd_workers_ops ops = {
        .run = run_job, .io = run_io, .wait = wait_io, .kick = kick_io, .wake = wake_io};
    if (!open_loop_fds(err) || !avowd_workers_start(threads, &ops, err)) {
        close_loop_fds();
        MHD_stop_daemon(daemon_);
        daemon_ = NULL;
        return false;
    }
    return true;
}

uint16_t avowd_http_port(void)
{
    if (!daemon_) return 0;
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

static void quiesce(void *arg)
{
    *(MHD_socket *)arg = MHD_quiesce_daemon(daemon_);
}

/* Stops accepting, then lets the request threads answer every request in
 * progress (each answer closes its connection), up to drain_seconds: done
 * when none is in progress and none has arrived for QUIET_MS (a request a
 * client sent just before the stop may still be in its socket's buffer). */
#define QUIET_MS 200
static void drain(int drain_seconds)
{
    atomic_store(&draining, true);
    MHD_socket lfd = MHD_INVALID_SOCKET;
    avowd_workers_io_exclusive(quiesce, &lfd); /* never while MHD_run runs */
    if (lfd != MHD_INVALID_SOCKET) close(lfd); /* new connections are refused from now on */
    long long deadline = mono_ms() + 1000LL * drain_seconds;
    int logged = -1;
    for (;;) {
        int n = atomic_load(&in_flight);
        long long now = mono_ms();
        if (n == 0 && now - atomic_load(&last_request_ms) >= QUIET_MS) break;
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

void avowd_http_stop(void)
{
    if (daemon_) drain(svc->cfg->drain_seconds);
    /* Threads next: they finish what is queued and resume those connections
     * (MHD refuses to stop with a connection still suspended). */
    if (daemon_) avowd_workers_stop();
    if (daemon_) MHD_stop_daemon(daemon_);
    close_loop_fds();
    daemon_ = NULL;
    if (tls_key_pem) {
        avow_wipe(tls_key_pem, strlen(tls_key_pem));
        free(tls_key_pem);
    }
    free(tls_cert_pem);
    tls_key_pem = tls_cert_pem = NULL;
}
