/* avowd's replica sync (sync.c): one thread keeping keys and policies in
 * step with the store (change notifications where the store has them, and a
 * re-read every few seconds), tracking whether the store is reachable.
 * Thread-safety: start and stop by the owner (start after keys and policies
 * are loaded, stop before they are freed); kick and healthy from any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "avow/err.h"
#include "server/service.h"

bool avowd_sync_start(avowd *d, avow_error *err);
void avowd_sync_stop(avowd *d);
/* Re-read everything now (SIGHUP). */
void avowd_sync_kick(avowd *d);
/* True while the store is healthy (or no sync runs); else false with the
 * reason (for /health). */
bool avowd_sync_healthy(avowd *d, char *reason, size_t cap);
