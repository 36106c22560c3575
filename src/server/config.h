/* avowd configuration (config.c): the command-line flags and the equivalent
 * config file, parsed into one plain struct the service reads at startup.
 * Thread-safety: filled once by the main thread; read-only afterwards. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

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
    char *pcs_update; /* "standard" (default) or "early": the channel fetched and served */
    char *min_psw_linux, *min_psw_windows; /* TCB baselines' minimum PSW versions, or NULL */
    unsigned tcb_eval_num; /* the TCB evaluation number judging by default; 0: the newest held */
    char *admin_token; /* secret: never logged */
    char *policy_signer_cert;
    char *policy_mode; /* "token" or "isolated" at store creation */
    char *access_log, *audit_log;
    size_t max_body;
    unsigned per_ip_connections;  /* open connections per client address; 0: no limit */
    size_t body_memory;           /* request bodies held in memory at once, all requests */
    int drain_seconds;            /* at SIGTERM: how long requests in progress may finish */
    int threads;                  /* 0: nproc */
    unsigned pcs_timeout;         /* seconds per upstream request (0: 10) */
    unsigned collateral_fetchers; /* 0: the service's defaults (pccs.h) */
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
