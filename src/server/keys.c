/* avowd token signing keys: on first start creates an RSA-2048 key with a
 * self-signed certificate whose Subject = Issuer = "CN=<iss>" (what MAA
 * clients check; the default name when <iss> is longer than a CN may be)
 * and stores it (of replicas starting together on an empty store, one key
 * wins and every replica loads that one); loads the active key into a token
 * signer (parsed once) and builds the /certs JWKS of every published key. A
 * refresh (sync.c: on a change notification, or every few seconds) notices
 * `avow key rotate` or a retired key and swaps in a new immutable snapshot.
 * Thread-safety: snapshots are refcounted and immutable; the current pointer
 * is swapped under keys_lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/keys.h"
#include "server/log.h"

static void keys_free(avowd_keys *k)
{
    if (!k) return;
    avow_token_signer_free(k->signer);
    free(k->jwks);
    free(k->active_kid);
    free(k);
}

avowd_keys *avowd_keys_get(avowd *d)
{
    pthread_mutex_lock(&d->keys_lock);
    avowd_keys *k = d->keys;
    if (k) atomic_fetch_add(&k->refs, 1);
    pthread_mutex_unlock(&d->keys_lock);
    return k;
}

void avowd_keys_put(avowd_keys *k)
{
    if (k && atomic_fetch_sub(&k->refs, 1) == 1) keys_free(k);
}

/* Warns when the certificate's subject is not CN=<iss> (e.g. the store was
 * created under another URL): MAA's .NET sample validator would reject it. */
static void check_subject(const char *cert_pem, const char *iss)
{
    char cn[512];
    if (avow_cert_subject_cn((const uint8_t *)cert_pem, strlen(cert_pem), cn, sizeof(cn), NULL) !=
            AVOW_OK ||
        !strcmp(cn, iss))
        return;
    if (strlen(iss) > AVOW_SIGNING_MAX_CN)
        avowd_log("warn",
                  "token signing certificate subject CN=%s: the issuer %s is longer than a CN "
                  "may be (%d characters), so clients that compare the two will reject tokens",
                  cn, iss, AVOW_SIGNING_MAX_CN);
    else
        avowd_log("warn",
                  "token signing certificate subject CN=%s differs from the issuer %s; run "
                  "`avow key rotate --cn %s` to make a key for this issuer",
                  cn, iss, iss);
}

/* Builds a snapshot from the store's active key and published keys. */
static avowd_keys *build(avowd *d, avow_error *err)
{
    avow_store_key active;
    memset(&active, 0, sizeof(active));
    avow_store_key *list = NULL;
    size_t n = 0;
    avowd_keys *k = calloc(1, sizeof(*k));
    if (!k) {
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        return NULL;
    }
    atomic_init(&k->refs, 1);
    if (avow_store_key_active(d->store, &active, err) != AVOW_OK) goto fail;
    if (avow_token_signer_new(active.key_pem, active.cert_pem, d->jku, &k->signer, err) !=
        AVOW_OK) {
        avow_error_prefix(err, "token signing key");
        goto fail;
    }
    k->active_kid = strdup(avow_token_signer_kid(k->signer));
    if (avow_store_key_list(d->store, false, &list, &n, err) != AVOW_OK) goto fail;
    /* the active key first, then the other published ones */
    const char **pems = calloc(n + 1, sizeof(*pems));
    if (!pems || !k->active_kid) {
        free(pems);
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto fail;
    }
    size_t np = 0;
    pems[np++] = active.cert_pem;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].kid, active.kid)) pems[np++] = list[i].cert_pem;
    avow_err e = avow_jwks_build(pems, np, &k->jwks, err);
    free(pems);
    if (e != AVOW_OK) goto fail;
    k->jwks_len = strlen(k->jwks);
    check_subject(active.cert_pem, d->base_url);
    avow_store_key_free(&active);
    avow_store_key_list_free(list, n);
    return k;
fail:
    avow_store_key_free(&active);
    avow_store_key_list_free(list, n);
    keys_free(k);
    return NULL;
}

bool avowd_keys_load(avowd *d, avow_error *err)
{
    avow_store_key active;
    memset(&active, 0, sizeof(active));
    avow_err e = avow_store_key_active(d->store, &active, err);
    if (e == AVOW_ERR_NOT_FOUND) {
        avow_signing_material m;
        memset(&m, 0, sizeof(m));
        avow_time now = avow_time_now();
        /* CN=<iss> as MAA; an issuer URL longer than a CN may be gets the
         * default name (check_subject then says what that means). */
        const char *cn = strlen(d->base_url) <= AVOW_SIGNING_MAX_CN ? d->base_url : NULL;
        if (avow_signing_key_generate(cn, now - 3600, 3650, &m, err) != AVOW_OK) return false;
        avow_store_key k = {.kid = m.kid,
                            .key_pem = m.key_pem,
                            .cert_pem = m.cert_pem,
                            .created_at = now,
                            .active = true};
        bool added = false;
        e = avow_store_key_add_first(d->store, &k, &added, err);
        if (e == AVOW_OK && added)
            avowd_log("info", "created token signing key kid=%s (RSA-2048, CN=%s)", m.kid,
                      cn ? cn : AVOW_SIGNING_DEFAULT_CN);
        else if (e == AVOW_OK)
            avowd_log("info", "another replica created the token signing key first; using it");
        avow_signing_material_free(&m);
        if (e != AVOW_OK) return false;
    } else if (e != AVOW_OK) {
        return false;
    } else {
        avow_store_key_free(&active);
    }
    avowd_keys *k = build(d, err);
    if (!k) return false;
    pthread_mutex_lock(&d->keys_lock);
    avowd_keys *old = d->keys;
    d->keys = k;
    pthread_mutex_unlock(&d->keys_lock);
    avowd_keys_put(old);
    avowd_log("info", "token signing key kid=%s", k->active_kid);
    return true;
}

/* Whether the published keys differ from the snapshot's: another active
 * kid, a published kid missing from its JWKS, or another number of keys. */
static bool keys_differ(const avowd_keys *cur, const avow_store_key *list, size_t n)
{
    if (!cur) return true;
    for (size_t i = 0; i < n; i++) {
        if (list[i].active && strcmp(list[i].kid, cur->active_kid)) return true;
        char quoted[128];
        snprintf(quoted, sizeof(quoted), "\"%s\"", list[i].kid);
        if (!strstr(cur->jwks, quoted)) return true;
    }
    size_t in_jwks = 0; /* one "kid" member per key */
    for (const char *p = cur->jwks; (p = strstr(p, "\"kid\"")); p += 5)
        in_jwks++;
    return in_jwks != n;
}

bool avowd_keys_refresh(avowd *d, avow_error *err)
{
    avow_store_key *list = NULL;
    size_t n = 0;
    if (avow_store_key_list(d->store, false, &list, &n, err) != AVOW_OK) return false;
    avowd_keys *cur = avowd_keys_get(d);
    bool changed = keys_differ(cur, list, n);
    avowd_keys_put(cur);
    avow_store_key_list_free(list, n);
    if (!changed) return true;
    avowd_keys *k = build(d, err);
    if (!k) {
        avowd_log("error", "reloading token signing keys failed: %s", err->msg);
        return false;
    }
    pthread_mutex_lock(&d->keys_lock);
    avowd_keys *old = d->keys;
    d->keys = k;
    pthread_mutex_unlock(&d->keys_lock);
    avowd_keys_put(old);
    avowd_log("info", "token signing keys reloaded; active kid=%s", k->active_kid);
    return true;
}

void avowd_keys_shutdown(avowd *d)
{
    pthread_mutex_lock(&d->keys_lock);
    avowd_keys *old = d->keys;
    d->keys = NULL;
    pthread_mutex_unlock(&d->keys_lock);
    avowd_keys_put(old);
}
