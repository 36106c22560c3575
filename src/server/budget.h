/* avowd's budget for request bodies held in memory (budget.c;
 * docs/security.md, "Connections and request memory"): one limit for all
 * requests together (--body-memory) and, unless turned off, a share per
 * client address, so that one client's idle uploads cannot hold the whole
 * budget and turn every other client away.
 * Thread-safety: every function may be called from any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* A client address: IPv6, or IPv4 mapped into IPv6 (::ffff:a.b.c.d). */
typedef struct {
    uint8_t b[16];
} avowd_client;

/* The address of `sa` (IPv4 or IPv6; anything else, or NULL, is all zeros). */
void avowd_client_of(const struct sockaddr *sa, avowd_client *out);

typedef struct avowd_budget avowd_budget;

/* A budget of `total` bytes, of which one client address may hold at most
 * `per_client` (0: no share, every address counts as one). NULL when out of
 * memory. */
avowd_budget *avowd_budget_new(size_t total, size_t per_client);
void avowd_budget_free(avowd_budget *b);

/* Takes n bytes for client c; false (nothing taken) when that would pass the
 * total or c's share. */
bool avowd_budget_take(avowd_budget *b, const avowd_client *c, size_t n);
/* Gives back n bytes that client c took. */
void avowd_budget_give(avowd_budget *b, const avowd_client *c, size_t n);
