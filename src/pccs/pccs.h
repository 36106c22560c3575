/* The collateral service: the one run-time owner of Intel collateral in a
 * process, like Intel's PCCS. It answers "the collateral of platform family
 * (FMSPC, PCK CA, TEE), valid at time T" from memory, else from the store,
 * else from the upstream PCS/PCCS, and keeps only what the verifier checked
 * (avow_collateral_check): one immutable object per set, shared by memory,
 * store writes, the verifier and the PCCS-compatible routes.
 *
 * Against amplification and floods:
 *  - single flight: one upstream fetch per platform at a time; every request
 *    for it waits on that fetch;
 *  - request threads never block on the upstream: a caller passes a waiter
 *    and is told AVOW_ERR_AGAIN; the waiter is called when the fetch ends
 *    (on a fetch thread) and the caller asks again;
 *  - at most `fetchers` upstream requests in flight, at most `max_pending`
 *    platforms queued for one; beyond that AVOW_ERR_AGAIN at once (busy);
 *  - an upstream failure is remembered for `failure_ttl` seconds (the same
 *    error is returned without asking again);
 *  - at most `max_entries` platforms in memory, least recently used first out
 *    (an evicted platform is read back from the store when asked again).
 * The caller checks the quote's PCK chain (avow_quote_platform) before it
 * asks, so a chain no trusted root issued never costs a store read or a fetch.
 *
 * Store rows (rows.c) are written only from checked collateral; entries kept
 * in memory are re-read from the store every `recheck_seconds` (one thread at
 * a time, the others keep the current copy) so that imports and other
 * replicas' fetches are seen. Nothing past its nextUpdate at T is returned.
 *
 * Thread-safety: a service may be used by any number of threads; one mutex
 * guards its table (held for lookups only, never across I/O or
 * verification); fetch threads are its own. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/collateral.h"
#include "avow/err.h"
#include "pccs/upstream.h"
#include "store/store.h"
#include "avow/time.h"
#include "avow/verify.h"

typedef struct avow_pccs avow_pccs;

typedef struct {
    avow_store *store;               /* required; borrowed */
    avow_verifier *verifier;         /* required; borrowed: checks everything kept */
    const avow_pcs_client *upstream; /* NULL: the store only; borrowed */
    unsigned fetchers;               /* upstream fetches at once (0: 4) */
    unsigned max_pending;            /* platforms queued for a fetch (0: 64) */
    double max_queue_seconds;        /* a queued fetch older than this fails unsent (0: 30) */
    double failure_ttl;              /* seconds an upstream failure is remembered (0: 10) */
    size_t max_entries;              /* platforms kept in memory (0: 512) */
    double recheck_seconds;          /* store re-check of a kept entry (0: 5) */
} avow_pccs_opts;

avow_err avow_pccs_new(const avow_pccs_opts *opts, avow_pccs **out, avow_error *err);
/* Stops the fetch threads (a fetch under way ends by its timeout), fails
 * what is still queued (waking its waiters), frees everything. */
void avow_pccs_free(avow_pccs *s);
/* Refuses new fetches and fails the queued ones; wakes every waiter, also
 * those of fetches under way (which finish unwatched), and from now on a
 * caller with a waiter is never parked: it gets AVOW_ERR_AGAIN ("the service
 * is stopping"). For a clean shutdown before freeing: nothing stays parked
 * on an upstream slower than the shutdown. */
void avow_pccs_quiesce(avow_pccs *s);

/* A caller waiting for a fetch (embed it in the request). `ready` is called
 * once, on a fetch thread, when the fetch ends; then ask again. */
typedef struct avow_pccs_waiter {
    struct avow_pccs_waiter *next; /* the service's */
    void (*ready)(struct avow_pccs_waiter *w);
} avow_pccs_waiter;

/* The collateral of `pid` valid at `at`:
 *  AVOW_OK             *out holds a reference (avow_verified_collateral_unref);
 *  AVOW_ERR_AGAIN      with *parked: a fetch is under way and `w` will be
 *                      called when it ends; without: too many fetches are
 *                      pending (or the service is stopping), retry later;
 *  AVOW_ERR_NOT_FOUND  not in the store and no upstream, or the upstream has
 *                      none (404);
 *  AVOW_ERR_EXPIRED    stored but past nextUpdate, no upstream or it failed;
 *  AVOW_ERR_IO, _CHAIN, _SIGNATURE, _FORMAT, _MISMATCH
 *                      the store or the upstream failed, or what the upstream
 *                      served does not check (nothing kept).
 * Errors say which platform and why ("collateral for FMSPC 00606a000000
 * (platform CA, SGX) is not cached and the upstream https://... failed: ...").
 * With `w` NULL the call waits for a fetch itself (tools, tests). */
avow_err avow_pccs_get(avow_pccs *s, const avow_platform_id *pid, avow_time at,
                       avow_pccs_waiter *w, bool *parked, avow_verified_collateral **out,
                       avow_error *err);

/* Counters since creation (for /metrics). */
typedef struct {
    uint64_t hits;             /* answered from memory */
    uint64_t store_loads;      /* loaded (and checked) from the store */
    uint64_t fetches;          /* upstream fetches kept (checked, stored) */
    uint64_t fetch_failures;   /* upstream fetches failed or refused */
    uint64_t failures_reused;  /* answered with a remembered failure */
    uint64_t busy;             /* refused: too many fetches pending */
    uint64_t evictions;        /* platforms dropped from memory (LRU) */
    uint64_t store_errors;     /* store reads/writes that failed */
    unsigned in_flight;        /* upstream fetches under way now */
    unsigned pending;          /* platforms queued or under way now */
    size_t entries;            /* platforms in memory now */
} avow_pccs_stats;

void avow_pccs_stats_get(avow_pccs *s, avow_pccs_stats *out);

/* ---- store rows (rows.c) ---------------------------------------------------- */

/* The store's names for a platform: lower-case FMSPC hex, "processor" /
 * "platform" / "" (unknown CA), "sgx" / "tdx". */
typedef struct {
    char fmspc[13];
    char ca[10];
    char tee[4];
} avow_pccs_row_key;

void avow_pccs_row_key_of(const avow_platform_id *pid, avow_pccs_row_key *out);

/* Writes checked collateral as the row of `pid` (NULL: its own platform),
 * replacing the row there. `source` is recorded ("import:/path", an URL);
 * `digest` (optional) receives the SHA-256 of the stored text. */
avow_err avow_pccs_row_put(avow_store *st, const avow_verified_collateral *vc,
                           const avow_platform_id *pid, const char *source, avow_time fetched_at,
                           uint8_t digest[32], avow_error *err);

/* One stored row as read back. */
typedef struct {
    bool found;             /* a row for the platform (exact CA, else CA-less) */
    bool unchanged;         /* its text has the digest the caller already knows */
    avow_time next_update;  /* as stored */
    uint8_t digest[32];     /* SHA-256 of the stored text */
    avow_collateral coll;   /* parsed, unless !found or unchanged; avow_pccs_row_free */
} avow_pccs_row;

/* Reads the row of `pid`. With `known` (a digest from an earlier read or
 * write) and the same text stored, nothing is parsed (`unchanged`). */
avow_err avow_pccs_row_get(avow_store *st, const avow_platform_id *pid, const uint8_t *known,
                           avow_pccs_row *out, avow_error *err);
void avow_pccs_row_free(avow_pccs_row *r);

/* The stored collateral best matching the filters (NULL: any) — the row with
 * the latest nextUpdate — parsed into `out` (for the PCCS-compatible routes).
 * AVOW_ERR_NOT_FOUND ("no collateral for FMSPC ... in this store") when none. */
avow_err avow_pccs_row_find(avow_store *st, const char *fmspc, const char *ca, const char *tee,
                            avow_collateral *out, avow_error *err);
