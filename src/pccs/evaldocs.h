/* Internal to the collateral service (pccs.h): Intel's TCB evaluation data
 * numbers document per TEE, as checked (memory, else the store, refreshed
 * from the upstream by the fetch threads), and the evaluation-number history
 * of a platform for the days since a TCB recovery (docs/verification.md A13).
 * Thread-safety: a pccs_docs is used by any number of threads (one mutex,
 * never held across I/O or verification). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pccs/pccs.h"

typedef struct pccs_docs pccs_docs;

/* NULL only when out of memory. All arguments are borrowed; upstream may be
 * NULL (the store only). */
pccs_docs *pccs_docs_new(avow_store *store, avow_verifier *verifier,
                         const avow_pcs_client *upstream, double recheck_seconds,
                         double failure_ttl);
void pccs_docs_free(pccs_docs *d);

/* For a fetch thread: when no document of `tee` is held or it is past its
 * nextUpdate at `at`, fetch, check and store one (a failure is remembered
 * with its reason for failure_ttl). Waits for a fetch of it another thread
 * has under way. */
void pccs_docs_refresh(pccs_docs *d, uint32_t tee, avow_time at);

/* False (with `why`) when a document of `tee` is held and does not list
 * `num`, or when none is held and its last fetch failed (within
 * failure_ttl); true when it lists `num`, or when none is held yet but one
 * may come (never fetched, or a fetch under way). Memory or store only. */
bool pccs_docs_lists(pccs_docs *d, uint32_t tee, int num, avow_error *why);

/* A copy of the document of `tee` (memory, re-read from the store every
 * recheck_seconds); AVOW_ERR_NOT_FOUND when none is held. */
avow_err pccs_docs_get(pccs_docs *d, uint32_t tee, avow_evalnums *out, avow_error *err);

/* The TCB Info of every number held for `pid` in the store (channel `update`
 * first), parsed, ascending by number. */
avow_err pccs_history_load(avow_store *store, const char *update, const avow_platform_id *pid,
                           avow_pccs_history *out, avow_error *err);
