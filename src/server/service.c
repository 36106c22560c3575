/* avowd's service context: creation (logs, metrics), startup (store, policy
 * mode, verifier and trust roots, upstream PCS/PCCS client, collateral
 * service, URLs, signing keys, policies, the discovery document) and
 * teardown. Nothing here is global: each context owns what it opened, so
 * two services can run in one process.
 * Thread-safety: new, start and free are called by the owner only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/file.h"
#include "server/certs.h"
#include "server/keys.h"
#include "server/log.h"
#include "server/policies.h"
#include "server/service.h"
#include "server/sync.h"

static char *read_file(const char *path, size_t *len)
{
    uint8_t *b = NULL;
    size_t n = 0;
    if (avow_file_read(path, 1u << 20, false, &b, &n, NULL) != AVOW_OK) return NULL;
    if (len) *len = n;
    return (char *)b;
}

/* Policy mode and the initial policy-signer certificate (store creation). */
static bool setup_policy_mode(avowd *d, avow_error *err)
{
    const avowd_config *cfg = d->cfg;
    char *mode = NULL;
    avow_err e = avow_store_setting_get(d->store, AVOW_SETTING_POLICY_MODE, &mode, err);
    if (e == AVOW_ERR_NOT_FOUND) {
        const char *want = cfg->policy_mode          ? cfg->policy_mode
                           : cfg->policy_signer_cert ? "isolated"
                                                     : "token";
        /* another replica starting at the same time may have set it first */
        if (avow_store_setting_set_default(d->store, AVOW_SETTING_POLICY_MODE, want, NULL, err) ||
            avow_store_setting_get(d->store, AVOW_SETTING_POLICY_MODE, &mode, err))
            return false;
        e = AVOW_OK;
    } else if (e != AVOW_OK) {
        return false;
    }
    snprintf(d->policy_mode, sizeof(d->policy_mode), "%s", mode);
    free(mode);
    if (strcmp(d->policy_mode, "token") && strcmp(d->policy_mode, "isolated")) {
        avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                       "the store's policy_mode is '%s' (expected token or isolated)",
                       d->policy_mode);
        return false;
    }
    if (cfg->policy_mode && strcmp(cfg->policy_mode, d->policy_mode)) {
        avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                       "--policy-mode %s, but this store was created in \"%s\" mode (the mode "
                       "is fixed at store creation)",
                       cfg->policy_mode, d->policy_mode);
        return false;
    }
    avow_store_cert *certs = NULL;
    size_t n = 0;
    if (avow_store_cert_list(d->store, &certs, &n, err) != AVOW_OK) return false;
    avow_store_cert_list_free(certs, n);
    if (cfg->policy_signer_cert) {
        size_t len;
        char *pem = read_file(cfg->policy_signer_cert, &len);
        if (!pem) {
            avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "--policy-signer-cert %s: %s",
                           cfg->policy_signer_cert, strerror(errno));
            return false;
        }
        if (n == 0) {
            char thumb[41];
            bool added = false; /* false: a replica starting beside this one added it */
            e = avow_store_cert_add(d->store, pem, avow_time_now(), &added, thumb, err);
            if (e == AVOW_OK) {
                if (added) avowd_log("info", "policy-signer certificate %s added", thumb);
                n = 1;
            }
        } else {
            avowd_log("warn",
                      "--policy-signer-cert ignored: the store already has %zu policy-signer "
                      "certificate(s); manage them with POST /certificates:add|remove",
                      n);
        }
        free(pem);
        if (e != AVOW_OK) return false;
    }
    if (!strcmp(d->policy_mode, "isolated") && n == 0) {
        avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                       "isolated policy mode needs a policy-signer certificate: pass "
                       "--policy-signer-cert PEM");
        return false;
    }
    if (!strcmp(d->policy_mode, "token") && !cfg->admin_token)
        avowd_log("warn",
                  "policy mode \"token\" without --admin-token: policy writes are "
                  "disabled");
    return true;
}

static bool setup_verifier(avowd *d, avow_error *err)
{
    if (avow_verifier_new(&d->verifier, err) != AVOW_OK) return false;
    for (size_t i = 0; i < d->cfg->n_trust_roots; i++) {
        size_t len;
        char *pem = read_file(d->cfg->trust_roots[i], &len);
        if (!pem) {
            avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "--trust-root %s: %s",
                           d->cfg->trust_roots[i], strerror(errno));
            return false;
        }
        avow_err e = avow_verifier_add_root_pem(d->verifier, pem, len, err);
        free(pem);
        if (e != AVOW_OK) {
            avow_error_prefix(err, d->cfg->trust_roots[i]);
            return false;
        }
        avowd_log("warn",
                  "!!! TRUSTING AN EXTRA ROOT CA from %s: quotes chaining to it are accepted; "
                  "unless it is Intel's key they prove nothing about genuine SGX hardware "
                  "(simulated PKI, tests only) !!!",
                  d->cfg->trust_roots[i]);
    }
    return true;
}

static bool setup_collateral(avowd *d, avow_error *err)
{
    if (d->cfg->pcs_url) {
        avow_pcs_opts o = {.base_url = d->cfg->pcs_url,
                           .api_key = d->cfg->pcs_key,
                           .update = d->cfg->pcs_update ? d->cfg->pcs_update : "standard",
                           .timeout_ms = 1000L * (d->cfg->pcs_timeout ? d->cfg->pcs_timeout : 10)};
        if (avow_pcs_client_new(&o, &d->pcs, err) != AVOW_OK) return false;
        avowd_log("info", "collateral upstream: %s%s", avow_pcs_client_base_url(d->pcs),
                  d->cfg->pcs_key ? " (with subscription key)" : "");
    } else {
        avowd_log("info", "no collateral upstream (--pcs-url): the store's collateral only");
    }
    const avowd_config *c = d->cfg;
    avow_pccs_opts po = {.store = d->store,
                         .verifier = d->verifier,
                         .upstream = d->pcs,
                         .fetchers = c->collateral_fetchers,
                         .max_pending = c->collateral_max_pending,
                         .failure_ttl = c->collateral_failure_ttl,
                         .max_entries = c->collateral_cache_entries,
                         .update = c->pcs_update ? c->pcs_update : "standard"};
    return avow_pccs_new(&po, &d->pccs, err) == AVOW_OK;
}

static bool setup_urls(avowd *d, const char *host, uint16_t port)
{
    char buf[1100];
    if (d->cfg->issuer) {
        snprintf(buf, sizeof(buf), "%s", d->cfg->issuer);
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == '/')
            buf[--n] = '\0';
    } else {
        bool v6 = strchr(host, ':') != NULL;
        snprintf(buf, sizeof(buf), "%s://%s%s%s:%u", d->cfg->tls_cert ? "https" : "http",
                 v6 ? "[" : "", host, v6 ? "]" : "", port);
    }
    d->base_url = strdup(buf);
    snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/certs");
    d->jku = strdup(buf);
    return d->base_url && d->jku;
}

avowd *avowd_new(const avowd_config *cfg)
{
    avowd *d = calloc(1, sizeof(*d));
    if (!d) {
        fprintf(stderr, "avowd: out of memory\n");
        return NULL;
    }
    d->cfg = cfg;
    d->started_at = avow_time_now();
    pthread_mutex_init(&d->keys_lock, NULL);
    atomic_init(&d->request_seq, 0);
    if (!(d->logs = avowd_logs_open(cfg->access_log, cfg->audit_log))) {
        avowd_free(d);
        return NULL;
    }
    if (!(d->metrics = avowd_metrics_new())) {
        fprintf(stderr, "avowd: out of memory\n");
        avowd_free(d);
        return NULL;
    }
    return d;
}

bool avowd_start(avowd *d, const char *host, uint16_t port, const avow_time *clock, avow_error *err)
{
    const avowd_config *cfg = d->cfg;
    if (clock) {
        d->clock_pinned = true;
        d->clock = *clock;
    }
    if (!setup_urls(d, host, port)) {
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        return false;
    }
    if (avow_store_open(cfg->data, &d->store, err) != AVOW_OK) {
        char what[1100];
        snprintf(what, sizeof(what), "cannot open the store %s", cfg->data);
        avow_error_prefix(err, what);
        return false;
    }
    avowd_log("info", "store: %s at %s", avow_store_backend(d->store),
              avow_store_location(d->store));
    if (!setup_policy_mode(d, err) || !setup_verifier(d, err) || !setup_collateral(d, err))
        return false;
    if (!avowd_keys_load(d, err)) {
        avow_error_prefix(err, "token signing key");
        return false;
    }
    if (!avowd_policies_init(d, err)) {
        avow_error_prefix(err, "policies");
        return false;
    }
    if (!avowd_openid_build(d)) {
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        return false;
    }
    return true;
}

void avowd_free(avowd *d)
{
    if (!d) return;
    avowd_sync_stop(d);
    avowd_policies_free(d);
    avowd_keys_shutdown(d);
    avow_pccs_free(d->pccs);
    avow_pcs_client_free(d->pcs);
    avow_verifier_free(d->verifier);
    avow_store_close(d->store);
    free(d->base_url);
    free(d->jku);
    free(d->openid);
    pthread_mutex_destroy(&d->keys_lock);
    avowd_metrics_free(d->metrics);
    avowd_logs_close(d->logs);
    free(d);
}
