/* Intel's TCB evaluation data numbers document (include/avow/evalnum.h,
 * docs/verification.md A13): the parser of the signed inner object and the
 * raw form kept by the store and served by avowd (exact signed span,
 * signature, issuer chain). Same strictness as the TCB Info parser (jfield.h):
 * duplicate keys, bad dates and out-of-range numbers are format errors naming
 * the JSON path; unknown members are ignored as Intel does.
 * Thread-safe: no state. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "avow/evalnum.h"
#include "avow/collateral.h"
#include "avow/quote.h"
#include "collateral/jfield.h"

#define P_ROOT "tcbEvaluationDataNumbers"

void avow_evalnums_free(avow_evalnums *d)
{
    if (!d) return;
    free(d->entries);
    memset(d, 0, sizeof(*d));
}

static int by_number(const void *a, const void *b)
{
    int x = ((const avow_evalnum_entry *)a)->number, y = ((const avow_evalnum_entry *)b)->number;
    return (x > y) - (x < y);
}

static avow_err parse_root(json_t *root, avow_evalnums *d, avow_error *err)
{
    const char *id;
    size_t len;
    uint64_t v;
    avow_err e = jf_string(root, P_ROOT, "id", &id, &len, err);
    if (e) return e;
    if (len == 3 && !memcmp(id, "SGX", 3))
        d->tee_type = AVOW_TEE_SGX;
    else if (len == 3 && !memcmp(id, "TDX", 3))
        d->tee_type = AVOW_TEE_TDX;
    else
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              P_ROOT ".id: '%.*s' is not SGX or TDX", (int)(len > 32 ? 32 : len),
                              id);
    if ((e = jf_uint(root, P_ROOT, "version", INT_MAX, &v, err))) return e;
    if (v != 1)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              P_ROOT ".version: unsupported version %d (expected 1)", (int)v);
    d->version = 1;
    if ((e = jf_date(root, P_ROOT, "issueDate", &d->issue_date, err))) return e;
    if ((e = jf_date(root, P_ROOT, "nextUpdate", &d->next_update, err))) return e;
    json_t *arr;
    if ((e = jf_array(root, P_ROOT, "tcbEvalNumbers", true, &arr, err))) return e;
    size_t n = json_array_size(arr);
    if (n > AVOW_EVALNUM_MAX)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              P_ROOT ".tcbEvalNumbers: %zu entries, at most %d accepted", n,
                              AVOW_EVALNUM_MAX);
    if (!(d->entries = calloc(n, sizeof(*d->entries))))
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char p[JF_PATH_MAX];
        jf_pathf(p, P_ROOT ".tcbEvalNumbers[%zu]", i);
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o))
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s: not an object", p);
        avow_evalnum_entry *en = &d->entries[i];
        if ((e = jf_uint(o, p, "tcbEvaluationDataNumber", INT_MAX, &v, err))) return e;
        en->number = (int)v;
        if ((e = jf_date(o, p, "tcbRecoveryEventDate", &en->recovery_date, err))) return e;
        if ((e = jf_date(o, p, "tcbDate", &en->tcb_date, err))) return e;
        d->n_entries = i + 1;
    }
    qsort(d->entries, n, sizeof(*d->entries), by_number);
    for (size_t i = 1; i < n; i++)
        if (d->entries[i].number == d->entries[i - 1].number)
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  P_ROOT ".tcbEvalNumbers: number %d is listed twice",
                                  d->entries[i].number);
    return AVOW_OK;
}

static avow_err parse_any(json_t *root, void *out, avow_error *err)
{
    return parse_root(root, out, err);
}

static void free_any(void *d)
{
    avow_evalnums_free(d);
}

avow_err avow_evalnums_parse(const char *json, size_t len, avow_evalnums *out, avow_error *err)
{
    if (!out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, P_ROOT ": no output");
    memset(out, 0, sizeof(*out));
    return jf_parse_with(json, len, P_ROOT, parse_any, out, free_any, err);
}

const avow_evalnum_entry *avow_evalnums_find(const avow_evalnums *d, int number)
{
    for (size_t i = 0; d && i < d->n_entries; i++)
        if (d->entries[i].number == number) return &d->entries[i];
    return NULL;
}

int avow_evalnums_newest(const avow_evalnums *d)
{
    return d && d->n_entries ? d->entries[d->n_entries - 1].number : 0;
}

void avow_evalnums_raw_free(avow_evalnums_raw *r)
{
    if (!r) return;
    free(r->signed_json);
    free(r->issuer_chain);
    memset(r, 0, sizeof(*r));
}

avow_err avow_evalnums_raw_from_body(const char *body, size_t len, const char *chain_pem,
                                     avow_evalnums_raw *out, avow_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *span;
    size_t n;
    avow_err e = avow_signed_json_split(body, len, P_ROOT, &span, &n, out->sig, err);
    if (e) return e;
    out->signed_json = malloc(n + 1);
    out->issuer_chain = chain_pem ? strdup(chain_pem) : NULL;
    if (!out->signed_json || (chain_pem && !out->issuer_chain)) {
        avow_evalnums_raw_free(out);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    memcpy(out->signed_json, span, n);
    out->signed_json[n] = '\0';
    out->signed_len = n;
    return AVOW_OK;
}

avow_err avow_evalnums_raw_to_body(const avow_evalnums_raw *r, char **out, avow_error *err)
{
    return avow_signed_json_join(P_ROOT, r->signed_json, r->signed_len, r->sig, out, err);
}
