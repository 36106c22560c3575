/* avowd: the attestation service, wire-compatible with Microsoft Azure
 * Attestation. This file: configuration, the service context (service.h),
 * the store sync thread and the HTTP layer, the signal loop (SIGTERM/SIGINT
 * stop, SIGHUP re-reads keys and policies from the store; sync.c re-reads
 * them on change notifications and every few seconds), and a clean
 * shutdown.
 * Thread-safety: runs on the main thread; the HTTP layer starts last and is
 * stopped first. Signals are blocked in every thread and taken here. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/http.h"
#include "server/log.h"
#include "server/service.h"
#include "server/sync.h"

/* "HOST:PORT" or "[V6]:PORT". */
static bool split_listen(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *colon;
    size_t hl;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':') return false;
        hl = (size_t)(end - s - 1);
        if (hl >= cap) return false;
        memcpy(host, s + 1, hl);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) return false;
        hl = (size_t)(colon - s);
        if (hl >= cap) return false;
        memcpy(host, s, hl);
    }
    host[hl] = '\0';
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p == 0 || p > 65535) return false;
    *port = (uint16_t)p;
    return true;
}

int main(int argc, char **argv)
{
    avowd_config cfg;
    avowd_config_init(&cfg);
    int pr = avowd_config_parse(&cfg, argc, argv);
    if (pr) {
        avowd_config_free(&cfg);
        return pr > 0 ? 0 : 2;
    }
    char host[256];
    uint16_t port;
    if (!split_listen(cfg.listen, host, sizeof(host), &port)) {
        fprintf(stderr, "avowd: --listen %s: expected HOST:PORT (port 1-65535)\n", cfg.listen);
        avowd_config_free(&cfg);
        return 2;
    }
    avowd *d = avowd_new(&cfg); /* the logs first */
    if (!d) {
        avowd_config_free(&cfg);
        return 2;
    }

    /* signals: blocked here so every thread started later inherits the mask */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    avow_error err;
    avow_error_clear(&err);
    avowd_http *http = NULL;
    int rc = 1;
    avow_time clock;
    if (cfg.clock) {
        if (avow_time_parse(cfg.clock, &clock, &err) != AVOW_OK) {
            fprintf(stderr, "avowd: --clock %s: %s\n", cfg.clock, err.msg);
            rc = 2;
            goto out;
        }
        char ts[21];
        avow_time_format(clock, ts);
        avowd_log("warn",
                  "--clock pins the verification time to %s (tests and replays only; "
                  "token times stay on the real clock)",
                  ts);
    }
    if (!avowd_start(d, host, port, cfg.clock ? &clock : NULL, &err)) {
        avowd_log("error", "%s", err.msg);
        goto out;
    }
    if (!avowd_sync_start(d, &err)) {
        avowd_log("error", "store sync: %s", err.msg);
        goto out;
    }
    if (!(http = avowd_http_start(d, host, port, &err))) {
        avowd_log("error", "%s", err.msg);
        goto out;
    }
    avowd_log("info", "avowd listening on %s:%u (issuer %s, policy mode %s)", host, port,
              d->base_url, d->policy_mode);

    for (;;) {
        int sig = 0;
        if (sigwait(&sigs, &sig) != 0) break;
        if (sig == SIGTERM || sig == SIGINT) {
            avowd_log("info", "signal %d: shutting down", sig);
            break;
        }
        if (sig == SIGHUP) avowd_sync_kick(d);
    }
    avow_pccs_quiesce(d->pccs); /* requests waiting for a fetch are answered */
    avowd_http_stop(http);      /* waits for requests in flight */
    rc = 0;
out:
    avowd_free(d); /* the sync first, the logs last */
    avowd_log("info", "avowd stopped");
    avowd_config_free(&cfg);
    return rc;
}
