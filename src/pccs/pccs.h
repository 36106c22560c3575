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
 * Collateral per TCB evaluation number (docs/verification.md A13): a lookup
 * names a number N (0: the current set, the newest the service holds in its
 * update channel); (platform, N) is an entry like a platform, under the same
 * bounds (single flight, pending, failure memory, LRU). Intel's evaluation
 * numbers document of each TEE is kept (memory, store) and refreshed by the
 * fetch threads when missing or past its nextUpdate; when one is held, a
 * number it does not list is refused at once, without a fetch, and when its
 * fetch failed no number not held is fetched, so a flood of made-up numbers
 * costs no upstream request (docs/security.md 7.2).
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
#include "avow/evalnum.h"
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
    const char *update;              /* the update channel fetched and stored: "standard"
                                        (NULL) or "early"; the upstream client asks for the
                                        same (avow_pcs_opts.update) */
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
avow_err avow_pccs_get(avow_pccs *s, const avow_platform_id *pid, avow_time at, avow_pccs_waiter *w,
                       bool *parked, avow_verified_collateral **out, avow_error *err);

/* avow_pccs_get for TCB evaluation number `eval_num` (0: the current set).
 * The set answered carries that number in its TCB Info. AVOW_ERR_NOT_FOUND
 * names the number when it cannot be had: not held and no upstream, not
 * listed in the evaluation numbers document held for the TEE, or the
 * upstream has none. */
avow_err avow_pccs_get_num(avow_pccs *s, const avow_platform_id *pid, int eval_num, avow_time at,
                           avow_pccs_waiter *w, bool *parked, avow_verified_collateral **out,
                           avow_error *err);

/* The evaluation numbers document held for `tee` (checked by the service's
 * verifier; memory, else the store; never an upstream request), copied into
 * `out` (avow_evalnums_free). AVOW_ERR_NOT_FOUND when none is held. */
avow_err avow_pccs_evalnums(avow_pccs *s, uint32_t tee, avow_evalnums *out, avow_error *err);

/* The TCB Info of every evaluation number held for `pid` (parsed from the
 * store, newest last) for the days since a TCB recovery; free with
 * avow_pccs_history_free. */
typedef struct {
    avow_evalnum_tcb *items; /* tcb points into infos */
    avow_tcb_info *infos;
    size_t n;
} avow_pccs_history;

avow_err avow_pccs_history_get(avow_pccs *s, const avow_platform_id *pid, avow_pccs_history *out,
                               avow_error *err);
void avow_pccs_history_free(avow_pccs_history *h);

/* Counters since creation (for /metrics). */
typedef struct {
    uint64_t hits;            /* answered from memory */
    uint64_t store_loads;     /* loaded (and checked) from the store */
    uint64_t fetches;         /* upstream fetches kept (checked, stored) */
    uint64_t fetch_failures;  /* upstream fetches failed or refused */
    uint64_t failures_reused; /* answered with a remembered failure */
    uint64_t busy;            /* refused: too many fetches pending */
    uint64_t evictions;       /* platforms dropped from memory (LRU) */
    uint64_t store_errors;    /* store reads/writes that failed */
    unsigned in_flight;       /* upstream fetches under way now */
    unsigned pending;         /* platforms queued or under way now */
    size_t entries;           /* platforms in memory now */
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

/* Writes checked collateral for `pid` (NULL: its own platform): under its
 * TCB evaluation number and `update` kind ("standard" when NULL; "early"; or
 * AVOW_STORE_UPDATE_BY_NUMBER for a set fetched by its number), and,
 * with `current`, as the platform's current row too (replacing it unless
 * that holds a newer number). `source` is recorded ("import:/path", an URL);
 * `digest` (optional) receives the SHA-256 of the stored text. */
avow_err avow_pccs_row_put(avow_store *st, const avow_verified_collateral *vc,
                           const avow_platform_id *pid, const char *source, avow_time fetched_at,
                           const char *update, bool current, uint8_t digest[32], avow_error *err);

/* One stored row as read back. */
typedef struct {
    bool found;            /* a row for the platform (exact CA, else CA-less) */
    bool unchanged;        /* its text has the digest the caller already knows */
    avow_time next_update; /* as stored */
    uint8_t digest[32];    /* SHA-256 of the stored text */
    avow_collateral coll;  /* parsed, unless !found or unchanged; avow_pccs_row_free */
} avow_pccs_row;

/* Reads the current row of `pid` (eval_num 0) or its set of number eval_num
 * (channel `update` first, NULL: standard). With `known` (a digest from an
 * earlier read or write) and the same text stored, nothing is parsed
 * (`unchanged`). */
avow_err avow_pccs_row_get(avow_store *st, const avow_platform_id *pid, int eval_num,
                           const char *update, const uint8_t *known, avow_pccs_row *out,
                           avow_error *err);
void avow_pccs_row_free(avow_pccs_row *r);

/* The stored collateral best matching the filters (NULL: any), parsed into
 * `out` (for the PCCS-compatible routes): with eval_num > 0 the set of that
 * number (channel `update` first); else with `update` the highest number of
 * that channel (sets fetched by number are of no channel), or when no set of
 * the channel is held a current row written before schema 4 (its channel
 * unknown), never another channel's; else the current row with the latest
 * nextUpdate. AVOW_ERR_NOT_FOUND ("no collateral for FMSPC ... in this
 * store") when none. */
avow_err avow_pccs_row_find(avow_store *st, const char *fmspc, const char *ca, const char *tee,
                            int eval_num, const char *update, avow_collateral *out,
                            avow_error *err);

/* Stores a checked evaluation numbers document, replacing an older one, or
 * any stored one that does not check against `v`'s roots; one that does not
 * check against them (checked by another root) is not stored over one that
 * does (AVOW_ERR_CHAIN). v NULL: no such checks. */
avow_err avow_pccs_evalnums_put(avow_store *st, avow_verifier *v, const avow_evalnums_raw *raw,
                                const avow_evalnums *doc, const char *source, avow_time fetched_at,
                                avow_error *err);
/* The stored document of `tee` as kept (not checked here);
 * AVOW_ERR_NOT_FOUND when none. */
avow_err avow_pccs_evalnums_get(avow_store *st, uint32_t tee, avow_evalnums_raw *out,
                                avow_error *err);
