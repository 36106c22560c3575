/* The service's Intel collateral cache (PCCS-style) over the store: look up
 * the collateral of (FMSPC, PCK CA, TEE) at a time T; use the stored copy
 * while T <= its next_update; otherwise fetch from the configured upstream
 * (Intel PCS or a PCCS, pcs.h), store and use that. Nothing stale is used
 * silently: past next_update with the upstream failing is an error that says
 * so. Also imports bundles (CLI `avow collateral import`), keyed by content.
 *
 * With a verifier, what the upstream serves is checked before it is stored
 * (avow_verify_collateral: chains, Root CA CRL, signatures, parse); an answer
 * that fails is neither stored nor used. The verifier still judges the whole
 * collateral, with its validity windows, on every use (and caches what it
 * verified).
 *
 * Thread-safety: a cache may be used by many threads at once; counters are
 * atomic; upstream fetches are serialised (a second thread missing the same
 * entry waits and then finds the stored copy). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/collateral.h"
#include "avow/err.h"
#include "avow/pck.h"
#include "avow/pcs.h"
#include "avow/store.h"
#include "avow/time.h"
#include "avow/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The cache key and freshness of one collateral set, derived from its
 * content: FMSPC and TEE from tcbInfo ("fmspc", "id"); CA from the PCK CRL's
 * issuer CN, else the PCK CRL issuer chain's first certificate CN ("...
 * Processor CA" -> "processor", "... Platform CA" -> "platform"), else "";
 * next_update = earliest nextUpdate of TCB Info, QE Identity, PCK CRL and
 * Root CA CRL (those present). */
typedef struct {
    char fmspc[13]; /* lower-case hex */
    char ca[10];    /* "processor", "platform" or "" */
    char tee[4];    /* "sgx" or "tdx" */
    avow_time next_update;
} avow_collateral_key;

avow_err avow_collateral_key_of(const avow_collateral *c, avow_collateral_key *out,
                                avow_error *err);

/* Stores `c` in `s` under its content key (replacing that row). `source` is
 * recorded (e.g. "import:/path" or an upstream URL); `key_out` optional. */
avow_err avow_collateral_import(avow_store *s, const avow_collateral *c, const char *source,
                                avow_time fetched_at, avow_collateral_key *key_out,
                                avow_error *err);

typedef struct avow_collateral_cache avow_collateral_cache;

/* `store`, `upstream` (NULL: no upstream, store only) and `verifier` (NULL:
 * fetched and imported collateral is stored unchecked) are borrowed and must
 * outlive the cache. */
avow_err avow_collateral_cache_new(avow_store *store, const avow_pcs_client *upstream,
                                   avow_verifier *verifier, avow_collateral_cache **out,
                                   avow_error *err);
void avow_collateral_cache_free(avow_collateral_cache *c);

/* Collateral for (fmspc, ca, tee_type) at time `at` into `out` (initialised
 * here; free with avow_collateral_free). Lookup order: the exact key, then
 * the same FMSPC/TEE with ca "" (imported sets without a PCK CRL). Then:
 *  - found and at <= next_update: used (a hit);
 *  - else, upstream configured: fetched at `at`, checked (with a verifier),
 *    stored, used; an answer that does not verify is an error ("the upstream
 *    <url> served collateral for FMSPC X that does not verify (not stored):
 *    <reason>"), as is an upstream failure: "collateral for FMSPC X expired
 *    at <time> and the upstream <url> is unreachable: <reason>" (or "... not
 *    cached and the upstream ... failed: ..." when absent);
 *  - else: AVOW_ERR_EXPIRED ("... expired at <time> and no upstream is
 *    configured") or AVOW_ERR_NOT_FOUND ("no collateral for FMSPC X (CA, TEE)
 *    in the store and no upstream is configured"). */
avow_err avow_collateral_cache_get(avow_collateral_cache *c, const uint8_t fmspc[6], avow_pck_ca ca,
                                   uint32_t tee_type, avow_time at, avow_collateral *out,
                                   avow_error *err);

/* Imports through the cache (counts in the stats); with a verifier, only
 * collateral that passes avow_verify_collateral ("collateral does not verify,
 * not imported: ..."). */
avow_err avow_collateral_cache_import(avow_collateral_cache *c, const avow_collateral *coll,
                                      const char *source, avow_time at,
                                      avow_collateral_key *key_out, avow_error *err);

/* Counters since creation (for /metrics). */
typedef struct {
    uint64_t hits;              /* served from the store, fresh */
    uint64_t misses;            /* absent or past next_update */
    uint64_t upstream_fetches;  /* upstream fetches that were kept (checked, stored) */
    uint64_t upstream_failures; /* failed or refused upstream fetches */
    uint64_t imports;
} avow_collateral_cache_stats;

void avow_collateral_cache_stats_get(const avow_collateral_cache *c,
                                     avow_collateral_cache_stats *out);

#ifdef __cplusplus
}
#endif
