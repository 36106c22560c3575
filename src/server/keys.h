/* avowd token signing keys (keys.c): the refcounted immutable snapshot of
 * the token signer and the published keys (/certs), loaded from the store
 * (created on first start) and swapped atomically on rotation.
 * Thread-safety: get/put from any thread; load, refresh and shutdown by the
 * owner and the sync thread. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "avow/err.h"
#include "avow/token.h"
#include "server/service.h"

typedef struct avowd_keys {
    atomic_int refs;
    avow_token_signer *signer;
    char *jwks; /* /certs body */
    size_t jwks_len;
    char *active_kid;
} avowd_keys;

/* Loads (creating on first start) the signing key. */
bool avowd_keys_load(avowd *d, avow_error *err);
/* Swaps in a rotated key from the store (false, with err, when the store
 * failed). */
bool avowd_keys_refresh(avowd *d, avow_error *err);
/* The current snapshot (NULL when none is loaded); release with put. */
avowd_keys *avowd_keys_get(avowd *d);
void avowd_keys_put(avowd_keys *k);
void avowd_keys_shutdown(avowd *d);
