/* avowd internals shared by the server's files: the configuration, the
 * service state (store, verifier, token signer, policies, collateral cache),
 * the request context and the handler signature. Each .c in src/server owns
 * one job (see the header comment of each); this header only declares.
 * Thread-safety: the service state is shared by the request threads (workers.c); every
 * member is either immutable after startup or guarded as documented here. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/collateral.h"
#include "avow/err.h"
#include "pccs/upstream.h"
#include "avow/quote.h"
#include "store/store.h"
#include "avow/time.h"
#include "avow/token.h"
#include "avow/verify.h"
#include "pccs/pccs.h"

/* ---- configuration (config.c) ---------------------------------------------- */

#define AVOWD_MAX_TRUST_ROOTS  8
#define AVOWD_DEFAULT_MAX_BODY (1024 * 1024)
/* docs/security.md, "Connections and request memory" and "Shutdown" */
#define AVOWD_DEFAULT_PER_IP_CONNECTIONS 128
#define AVOWD_DEFAULT_BODY_MEMORY        (64u * 1024 * 1024)
#define AVOWD_DEFAULT_DRAIN_SECONDS      10

typedef struct {
    char *listen; /* "HOST:PORT" */
    char *data;   /* directory (SQLite) or postgresql:// URI */
    char *trust_roots[AVOWD_MAX_TRUST_ROOTS];
    size_t n_trust_roots;
    char *clock;  /* pinned verification time (text) */
    char *issuer; /* public base URL */
    char *tls_cert, *tls_key;
    char *pcs_url, *pcs_key;
    char *admin_token; /* secret: never logged */
    char *policy_signer_cert;
    char *policy_mode; /* "token" or "isolated" at store creation */
    char *access_log, *audit_log;
    size_t max_body;
    unsigned per_ip_connections; /* open connections per client address; 0: no limit */
    size_t body_memory;          /* request bodies held in memory at once, all requests */
    int drain_seconds;           /* at SIGTERM: how long requests in progress may finish */
    int threads;                 /* 0: nproc */
    unsigned pcs_timeout;            /* seconds per upstream request (0: 10) */
    unsigned collateral_fetchers;    /* 0: the service's defaults (pccs.h) */
    unsigned collateral_max_pending;
    unsigned collateral_failure_ttl; /* seconds */
    size_t collateral_cache_entries;
    bool allow_missing_crl;
} avowd_config;

void avowd_config_init(avowd_config *c);
void avowd_config_free(avowd_config *c);
/* Parses argv (and any --config FILE it names, whose values come first and
 * are overridden by later flags). Returns 0 ok, 1 "--help printed", -1 error
 * (message printed to stderr). */
int avowd_config_parse(avowd_config *c, int argc, char **argv);
void avowd_config_usage(void);

/* ---- logs (log.c) --------------------------------------------------------- */

/* Opens the access and audit logs ("-" or NULL: stderr; "off": none). */
bool avowd_log_open(const char *access_path, const char *audit_path);
void avowd_log_close(void);
/* Operational message to stderr as one JSON line {"ts","level","msg"}. */
void avowd_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes one JSON-lines record (text without newline) to the access or audit
 * log with a single write(2) (atomic for a line). */
void avowd_log_access_line(const char *json);
void avowd_log_audit_line(const char *json);
bool avowd_log_access_enabled(void);
bool avowd_log_audit_enabled(void);

/* ---- metrics (metrics.c) --------------------------------------------------- */

typedef enum {
    ROUTE_NONE = 0, /* unknown path */
    ROUTE_HEALTH,
    ROUTE_METRICS,
    ROUTE_ATTEST_SGX,
    ROUTE_ATTEST_OE,
    ROUTE_ATTEST_OTHER,
    ROUTE_CERTS,
    ROUTE_OPENID,
    ROUTE_POLICY_GET,
    ROUTE_POLICY_PUT,
    ROUTE_POLICY_RESET,
    ROUTE_CERTIFICATES_GET,
    ROUTE_CERTIFICATES_ADD,
    ROUTE_CERTIFICATES_REMOVE,
    ROUTE_PCCS_TCB,
    ROUTE_PCCS_QE,
    ROUTE_PCCS_PCKCRL,
    ROUTE_PCCS_ROOTCACRL,
    ROUTE_COUNT
} avowd_route;

const char *avowd_route_name(avowd_route r);
void avowd_metrics_request(avowd_route r, unsigned status, double seconds);
/* One attestation verdict: ok, tcb status (NONE when undetermined). */
void avowd_metrics_verdict(bool ok, int tcb_status);
/* Renders the Prometheus text exposition (malloc'd); `d` may be NULL. */
struct avowd;
char *avowd_metrics_render(struct avowd *d, size_t *len);

/* ---- refcounted immutable snapshots ------------------------------------- */

/* The token signer and the published keys, swapped atomically on rotation. */
typedef struct {
    atomic_int refs;
    avow_token_signer *signer;
    char *jwks; /* /certs body */
    size_t jwks_len;
    char *active_kid;
} avowd_keys;

/* ---- the service ------------------------------------------------------------ */

struct avowd_policy_slot; /* policies.c */

typedef struct avowd {
    avowd_config *cfg;
    avow_store *store;
    avow_verifier *verifier;
    avow_pcs_client *pcs; /* NULL: no upstream */
    avow_pccs *pccs;      /* the collateral service: memory, store, upstream */
    char *base_url;                /* iss, no trailing slash */
    char *jku;                     /* base_url + "/certs" */
    char *openid;                  /* /.well-known/openid-configuration body */
    size_t openid_len;
    bool clock_pinned;
    avow_time clock;      /* when pinned */
    char policy_mode[16]; /* "token" or "isolated" */

    pthread_mutex_t keys_lock;
    avowd_keys *keys; /* guarded by keys_lock (pointer swap) */

    struct avowd_policies *policies; /* policies.c */
    struct avowd_sync *sync;         /* sync.c */
    atomic_ullong request_seq;
    avow_time started_at;
} avowd;

/* Verification time: the pinned clock, or now. */
avow_time avowd_now(const avowd *d);

/* keys.c: loads (creating on first start) the signing key; refresh swaps in a
 * rotated key from the store (false, with err, when the store failed). */
bool avowd_keys_load(avowd *d, avow_error *err);
bool avowd_keys_refresh(avowd *d, avow_error *err);
avowd_keys *avowd_keys_get(avowd *d);
void avowd_keys_put(avowd_keys *k);
void avowd_keys_shutdown(avowd *d);

/* sync.c: keeps keys and policies in step with the store (change
 * notifications where the store has them, and a re-read every few seconds)
 * and tracks whether the store is reachable. start after keys and policies
 * are loaded; stop before they are freed. */
bool avowd_sync_start(avowd *d, avow_error *err);
void avowd_sync_stop(avowd *d);
/* Re-read everything now (SIGHUP). */
void avowd_sync_kick(avowd *d);
/* True while the store is healthy; else false with the reason (for /health). */
bool avowd_sync_healthy(avowd *d, char *reason, size_t cap);

/* ---- HTTP (http.c) ----------------------------------------------------------- */

typedef struct avowd_req {
    struct MHD_Connection *conn;
    avowd *d;
    const char *method;
    const char *path; /* URL path, without the query */
    avowd_route route;
    uint8_t *body; /* NUL-terminated */
    size_t body_len, body_cap;
    bool too_large;
    double t_start;
    unsigned status; /* status sent */
    size_t resp_len;
    char request_id[40];
    char detail[200]; /* short outcome note for the access log (no secrets) */
    /* A handler that must wait for a collateral fetch passes this to the
     * collateral service and returns AVOWD_PARKED; the request is run again,
     * from the start, when the fetch ends (http.c). */
    avow_pccs_waiter waiter;
} avowd_req;

/* A handler's return value besides MHD_YES/MHD_NO: waiting (see waiter). */
#define AVOWD_PARKED 2

/* Looks up a query argument or header (NULL when absent). */
const char *avowd_req_query(avowd_req *r, const char *name);
const char *avowd_req_header(avowd_req *r, const char *name);

/* Responses. `body` is copied unless noted; content type defaults to JSON. */
#define AVOWD_JSON "application/json; charset=utf-8"
int avowd_respond(avowd_req *r, unsigned status, const char *content_type, const void *body,
                  size_t len);
/* Takes ownership of `body` (malloc'd). */
int avowd_respond_take(avowd_req *r, unsigned status, const char *content_type, char *body,
                       size_t len);
/* Adds an extra header to the next response of this request (max 4). */
void avowd_resp_header(avowd_req *r, const char *name, const char *value);
/* MAA error {"error":{"code","message"}}; the message is printf-style. */
int avowd_error(avowd_req *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- request workers (workers.c) -------------------------------------------- */

/* A queued request: embedded in the HTTP layer's request context. */
typedef struct avowd_job {
    struct avowd_job *next;
} avowd_job;

typedef struct {
    void (*run)(avowd_job *j); /* handles one request */
    /* Does the pending socket work without blocking (never called by two
     * threads at once); returns how long an idle thread may wait for network
     * activity before the work is due again, in ms (-1: no limit; 0: run
     * again now). */
    int (*io)(void);
    /* Waits up to ms (-1: no limit) for network activity, a kick or wake.
     * Called by any number of threads at once; one event wakes one thread. */
    void (*wait)(int ms);
    void (*kick)(void); /* wakes one waiting thread (a job is queued) */
    void (*wake)(void); /* makes every wait return now and from now on (stop) */
} avowd_workers_ops;

/* Starts n threads sharing the I/O and taking queued jobs oldest-first. */
bool avowd_workers_start(size_t n, const avowd_workers_ops *ops, avow_error *err);
/* Runs fn(arg) holding the I/O turn (no thread in the `io` callback meanwhile). */
void avowd_workers_io_exclusive(void (*fn)(void *), void *arg);
/* Queues a job; false once stopping has begun (the caller runs it itself). */
bool avowd_workers_submit(avowd_job *j);
/* Queues a job from a thread outside the request threads (a collateral
 * fetch thread resuming a parked request) and wakes one request thread. */
bool avowd_workers_requeue(avowd_job *j);
/* Refuses new jobs, runs every queued one, joins the threads. */
void avowd_workers_stop(void);

/* Starts/stops the HTTP layer: libmicrohttpd driven by the request threads. */
bool avowd_http_start(avowd *d, const char *host, uint16_t port, avow_error *err);
void avowd_http_stop(void);
/* The port actually bound (after start). */
uint16_t avowd_http_port(void);

/* ---- routing (router.c) and handlers ---------------------------------------- */

/* Classifies the request (sets r->route) and calls the handler. */
int avowd_route_request(avowd_req *r);
avowd_route avowd_route_classify(const char *method, const char *path, bool *method_ok,
                                 const char **allow);

int avowd_handle_attest(avowd_req *r, bool open_enclave); /* attest.c */
int avowd_handle_certs(avowd_req *r);                     /* certs.c */
int avowd_handle_openid(avowd_req *r);                    /* certs.c */
bool avowd_openid_build(avowd *d);                        /* certs.c */
int avowd_handle_policy(avowd_req *r, const char *type);  /* policies.c */
int avowd_handle_certificates(avowd_req *r);              /* policies.c */
int avowd_handle_pccs(avowd_req *r);                      /* pccs.c */
int avowd_handle_health(avowd_req *r);                    /* metrics.c */
int avowd_handle_metrics(avowd_req *r);                   /* metrics.c */

/* policies.c: the per-type policy state (compiled, swapped atomically). */
bool avowd_policies_init(avowd *d, avow_error *err);
void avowd_policies_free(avowd *d);
/* Re-reads stored policies (another replica may have changed them). */
void avowd_policies_refresh(avowd *d);
