/* The collateral service's TCB evaluation data numbers (evaldocs.h,
 * docs/verification.md A13): one checked document per TEE kept in memory,
 * re-read from the store every recheck_seconds (imports and other replicas'
 * fetches are seen), fetched from the upstream by a fetch thread when none
 * is held or it is past its nextUpdate, at most once per failure_ttl after a
 * failure; and the platform's evaluation-number history from the store.
 * Thread-safety: `mu` guards the documents; it is never held across store
 * or upstream I/O or a signature check. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avow/quote.h"
#include "pccs/evaldocs.h"

typedef struct {
    avow_evalnums doc;
    bool have;
    bool fetching;       /* a fetch thread is fetching it now */
    double checked;      /* monotonic seconds of the last store read */
    double failed_until; /* an upstream fetch failed: not again before */
    char why[400];       /* why the last fetch failed */
} held;

struct pccs_docs {
    avow_store *store;
    avow_verifier *verifier;
    const avow_pcs_client *upstream;
    double recheck, failure_ttl;
    pthread_mutex_t mu;
    pthread_cond_t fetched; /* a fetch of a document ended */
    held h[2];              /* [0] SGX, [1] TDX */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int idx(uint32_t tee)
{
    return tee == AVOW_TEE_TDX ? 1 : 0;
}

pccs_docs *pccs_docs_new(avow_store *store, avow_verifier *verifier,
                         const avow_pcs_client *upstream, double recheck_seconds,
                         double failure_ttl)
{
    pccs_docs *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->store = store;
    d->verifier = verifier;
    d->upstream = upstream;
    d->recheck = recheck_seconds;
    d->failure_ttl = failure_ttl;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->fetched, NULL);
    return d;
}

void pccs_docs_free(pccs_docs *d)
{
    if (!d) return;
    for (int i = 0; i < 2; i++)
        avow_evalnums_free(&d->h[i].doc);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->fetched);
    free(d);
}

static avow_err copy_doc(const avow_evalnums *src, avow_evalnums *dst, avow_error *err)
{
    *dst = *src;
    dst->entries = NULL;
    if (src->n_entries) {
        dst->entries = malloc(src->n_entries * sizeof(*dst->entries));
        if (!dst->entries) {
            memset(dst, 0, sizeof(*dst));
            return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        }
        memcpy(dst->entries, src->entries, src->n_entries * sizeof(*dst->entries));
    }
    return AVOW_OK;
}

/* Makes `doc` (taken) the held document of its TEE unless a newer one is held. */
static void install(pccs_docs *d, avow_evalnums *doc, bool from_store)
{
    pthread_mutex_lock(&d->mu);
    held *h = &d->h[idx(doc->tee_type)];
    if (!h->have || h->doc.next_update <= doc->next_update) {
        avow_evalnums_free(&h->doc);
        h->doc = *doc;
        h->have = true;
        memset(doc, 0, sizeof(*doc));
    }
    if (from_store) h->checked = mono();
    pthread_mutex_unlock(&d->mu);
    avow_evalnums_free(doc);
}

/* Reads and checks the stored document of `tee` (no lock held). */
static void load(pccs_docs *d, uint32_t tee)
{
    avow_evalnums_raw raw;
    avow_evalnums doc;
    avow_error e;
    avow_error_clear(&e);
    bool ok = avow_pccs_evalnums_get(d->store, tee, &raw, &e) == AVOW_OK;
    if (ok && avow_evalnums_check(d->verifier, &raw, &doc, &e) == AVOW_OK &&
        doc.tee_type == (tee == AVOW_TEE_TDX ? AVOW_TEE_TDX : AVOW_TEE_SGX)) {
        install(d, &doc, true);
    } else {
        if (ok) avow_evalnums_free(&doc);
        pthread_mutex_lock(&d->mu);
        d->h[idx(tee)].checked = mono(); /* none, or one that does not check: keep ours */
        pthread_mutex_unlock(&d->mu);
    }
    avow_evalnums_raw_free(&raw);
}

/* Re-reads the store when due. */
static void maybe_load(pccs_docs *d, uint32_t tee)
{
    pthread_mutex_lock(&d->mu);
    held *h = &d->h[idx(tee)];
    bool due = !h->checked || mono() - h->checked >= d->recheck;
    pthread_mutex_unlock(&d->mu);
    if (due) load(d, tee);
}

/* Ends a fetch of the document of `h` (under mu): a failure is remembered
 * with its reason for failure_ttl. */
static void fetch_done(pccs_docs *d, held *h, const char *why)
{
    h->fetching = false;
    if (why) {
        h->failed_until = mono() + d->failure_ttl;
        snprintf(h->why, sizeof(h->why), "%s", why);
    } else {
        h->failed_until = 0;
        h->why[0] = '\0';
    }
    pthread_cond_broadcast(&d->fetched);
}

void pccs_docs_refresh(pccs_docs *d, uint32_t tee, avow_time at)
{
    if (!d->upstream) return;
    maybe_load(d, tee);
    pthread_mutex_lock(&d->mu);
    held *h = &d->h[idx(tee)];
    while (h->fetching) /* another fetch thread is at it: its outcome is ours */
        pthread_cond_wait(&d->fetched, &d->mu);
    bool want = (!h->have || at > h->doc.next_update) && mono() >= h->failed_until;
    if (want) h->fetching = true; /* one fetch at a time */
    pthread_mutex_unlock(&d->mu);
    if (!want) return;
    avow_evalnums_raw raw;
    avow_evalnums doc;
    avow_error e;
    avow_error_clear(&e);
    char why[400];
    const char *url = avow_pcs_client_base_url(d->upstream);
    if (avow_pcs_fetch_evalnums(d->upstream, tee, &raw, &e) != AVOW_OK) {
        snprintf(why, sizeof(why), "fetching it from %.120s failed: %.200s", url, e.msg);
        pthread_mutex_lock(&d->mu);
        fetch_done(d, h, why);
        pthread_mutex_unlock(&d->mu);
        return;
    }
    bool ok = false;
    if (avow_evalnums_check(d->verifier, &raw, &doc, &e) != AVOW_OK) {
        snprintf(why, sizeof(why), "the one %.120s served does not check: %.200s", url, e.msg);
    } else if (doc.tee_type != tee || at > doc.next_update) {
        snprintf(why, sizeof(why), "the one %.120s served is %s", url,
                 doc.tee_type != tee ? "of the other TEE" : "past its nextUpdate");
        avow_evalnums_free(&doc);
    } else {
        ok = true;
        avow_pccs_evalnums_put(d->store, d->verifier, &raw, &doc, url, at, &e);
    }
    if (ok) install(d, &doc, false); /* before the waiters wake: they find it held */
    pthread_mutex_lock(&d->mu);
    fetch_done(d, h, ok ? NULL : why);
    pthread_mutex_unlock(&d->mu);
    avow_evalnums_raw_free(&raw);
}

bool pccs_docs_lists(pccs_docs *d, uint32_t tee, int num, avow_error *why)
{
    maybe_load(d, tee);
    pthread_mutex_lock(&d->mu);
    held *h = &d->h[idx(tee)];
    const char *t = tee == AVOW_TEE_TDX ? "TDX" : "SGX";
    bool ok;
    if (h->have) {
        ok = avow_evalnums_find(&h->doc, num) != NULL;
        if (!ok)
            avow_error_set(why, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                           "TCB evaluation number %d is not among those Intel's evaluation "
                           "numbers document lists for %s (%d to %d)",
                           num, t, h->doc.n_entries ? h->doc.entries[0].number : 0,
                           avow_evalnums_newest(&h->doc));
    } else {
        /* None held: only while one may still come (never tried, or a fetch
         * under way) is the number let through to a fetch thread, which
         * fetches the document first. Once its fetch failed, no number is
         * asked for: without Intel's list every made-up number would cost
         * an upstream request (docs/security.md 7.2). */
        ok = h->fetching || mono() >= h->failed_until;
        if (!ok)
            avow_error_set(why, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                           "TCB evaluation number %d cannot be checked against Intel's "
                           "evaluation numbers document for %s: none is held (%s; `avow "
                           "collateral import --evalnums` imports one)",
                           num, t, h->why[0] ? h->why : "not fetched yet");
    }
    pthread_mutex_unlock(&d->mu);
    return ok;
}

avow_err pccs_docs_get(pccs_docs *d, uint32_t tee, avow_evalnums *out, avow_error *err)
{
    memset(out, 0, sizeof(*out));
    maybe_load(d, tee);
    pthread_mutex_lock(&d->mu);
    held *h = &d->h[idx(tee)];
    avow_err rc = h->have ? copy_doc(&h->doc, out, err)
                          : avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                                           "no TCB evaluation data numbers held for %s",
                                           tee == AVOW_TEE_TDX ? "TDX" : "SGX");
    pthread_mutex_unlock(&d->mu);
    return rc;
}

/* ---- history ------------------------------------------------------------------ */

void avow_pccs_history_free(avow_pccs_history *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->n; i++)
        avow_tcb_info_free(&h->infos[i]);
    free(h->infos);
    free(h->items);
    memset(h, 0, sizeof(*h));
}

avow_err pccs_history_load(avow_store *store, const char *update, const avow_platform_id *pid,
                           avow_pccs_history *out, avow_error *err)
{
    memset(out, 0, sizeof(*out));
    avow_pccs_row_key k;
    avow_pccs_row_key_of(pid, &k);
    avow_store_coll_set *rows = NULL;
    size_t n = 0;
    avow_err rc = avow_store_coll_set_list(store, k.fmspc, k.ca, k.tee, &rows, &n, err);
    if (rc) return rc;
    out->items = calloc(n ? n : 1, sizeof(*out->items));
    out->infos = calloc(n ? n : 1, sizeof(*out->infos));
    if (!out->items || !out->infos) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto done;
    }
    /* rows come ascending by number; one set per number, `update` first */
    for (size_t i = 0; i < n; i++) {
        if (out->n && out->items[out->n - 1].number == rows[i].eval_num) continue;
        size_t pick = i;
        for (size_t j = i; j < n && rows[j].eval_num == rows[i].eval_num; j++)
            if (update && !strcmp(rows[j].update, update)) pick = j;
        avow_pccs_row row;
        avow_error sub;
        avow_error_clear(&sub);
        if (avow_pccs_row_get(store, pid, rows[pick].eval_num, rows[pick].update, NULL, &row,
                              &sub) != AVOW_OK ||
            !row.found)
            continue;
        if (avow_tcb_info_parse(row.coll.tcb_info, row.coll.tcb_info_len, &out->infos[out->n],
                                &sub) == AVOW_OK) {
            if (out->infos[out->n].tcb_eval_num == rows[pick].eval_num) {
                out->items[out->n].number = rows[pick].eval_num;
                out->n++;
            } else { /* stored under another number than it carries: a gap */
                avow_tcb_info_free(&out->infos[out->n]);
            }
        }
        avow_pccs_row_free(&row);
    }
    for (size_t i = 0; i < out->n; i++)
        out->items[i].tcb = &out->infos[i];
done:
    avow_store_coll_set_list_free(rows, n);
    if (rc) avow_pccs_history_free(out);
    return rc;
}
