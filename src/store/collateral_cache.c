/* The collateral cache (include/avow/collateral_cache.h): content keys of a
 * collateral set (FMSPC/TEE from tcbInfo, CA from the PCK CRL issuer, the
 * earliest nextUpdate), import into the store, and the lookup used per
 * attestation: fresh stored copy, else upstream fetch, check (with a
 * verifier) and store, else a clear error. Nothing past its nextUpdate is
 * returned, nothing that fails the check is stored.
 * Thread-safe: counters are atomic; upstream fetches are serialised by a
 * mutex and re-check the store first, so one miss causes one fetch. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "avow/collateral_cache.h"
#include "avow/encode.h"
#include "avow/quote.h"
#include "avow/verify.h"

/* ---- content key --------------------------------------------------------- */

static avow_err json_next_update(const char *json, size_t len, const char *what, json_t **obj,
                                 avow_time *t, avow_error *err)
{
    json_error_t je;
    json_t *o = json_loadb(json, len, 0, &je);
    const char *nu = json_string_value(json_object_get(o, "nextUpdate"));
    if (!o || !nu || avow_time_parse_rfc3339(nu, strlen(nu), t, NULL) != AVOW_OK) {
        json_decref(o);
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s: missing or unreadable nextUpdate", what);
    }
    if (obj)
        *obj = o;
    else
        json_decref(o);
    return AVOW_OK;
}

static bool asn1_to_time(const ASN1_TIME *a, avow_time *t)
{
    struct tm tm;
    if (!a || ASN1_TIME_to_tm(a, &tm) != 1) return false;
    *t = avow_time_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                              tm.tm_sec);
    return true;
}

/* "processor" / "platform" from an issuer CN such as "Intel SGX PCK Platform CA". */
static const char *ca_of_name(const X509_NAME *n)
{
    char cn[256] = "";
    if (!n || X509_NAME_get_text_by_NID((X509_NAME *)n, NID_commonName, cn, sizeof(cn)) <= 0)
        return NULL;
    if (strstr(cn, "Processor")) return "processor";
    if (strstr(cn, "Platform")) return "platform";
    return NULL;
}

static avow_err crl_info(const uint8_t *der, size_t len, const char *what, avow_time *next,
                         const char **ca, avow_error *err)
{
    const unsigned char *p = der;
    X509_CRL *crl = len <= INT32_MAX ? d2i_X509_CRL(NULL, &p, (long)len) : NULL;
    if (!crl)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s: not a DER CRL", what);
    bool ok = asn1_to_time(X509_CRL_get0_nextUpdate(crl), next);
    if (ca) *ca = ca_of_name(X509_CRL_get_issuer(crl));
    X509_CRL_free(crl);
    if (!ok) return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s: no nextUpdate", what);
    return AVOW_OK;
}

static const char *ca_of_chain(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    const char *ca = x ? ca_of_name(X509_get_subject_name(x)) : NULL;
    X509_free(x);
    BIO_free(b);
    return ca;
}

avow_err avow_collateral_key_of(const avow_collateral *c, avow_collateral_key *out, avow_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!c || !c->tcb_info)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "collateral has no TCB Info");
    json_t *tcb = NULL;
    avow_time t, next;
    avow_err rc = json_next_update(c->tcb_info, c->tcb_info_len, "tcbInfo", &tcb, &next, err);
    if (rc) return rc;
    const char *fmspc = json_string_value(json_object_get(tcb, "fmspc"));
    const char *id = json_string_value(json_object_get(tcb, "id"));
    if (!fmspc || strlen(fmspc) != 12 || strspn(fmspc, "0123456789abcdefABCDEF") != 12) {
        json_decref(tcb);
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "tcbInfo: fmspc is not 12 hex digits");
    }
    for (int i = 0; i < 12; i++)
        out->fmspc[i] = (char)(fmspc[i] >= 'A' && fmspc[i] <= 'F' ? fmspc[i] + 32 : fmspc[i]);
    snprintf(out->tee, sizeof(out->tee), "%s", id && !strcmp(id, "TDX") ? "tdx" : "sgx");
    json_decref(tcb);

    if (c->qe_identity) {
        if ((rc = json_next_update(c->qe_identity, c->qe_identity_len, "enclaveIdentity", NULL, &t,
                                   err)))
            return rc;
        if (t < next) next = t;
    }
    const char *ca = NULL;
    if (c->pck_crl) {
        if ((rc = crl_info(c->pck_crl, c->pck_crl_len, "PCK CRL", &t, &ca, err))) return rc;
        if (t < next) next = t;
    }
    if (!ca && c->pck_crl_issuer_chain) ca = ca_of_chain(c->pck_crl_issuer_chain);
    if (c->root_ca_crl) {
        if ((rc = crl_info(c->root_ca_crl, c->root_ca_crl_len, "Root CA CRL", &t, NULL, err)))
            return rc;
        if (t < next) next = t;
    }
    snprintf(out->ca, sizeof(out->ca), "%s", ca ? ca : "");
    out->next_update = next;
    return AVOW_OK;
}

static avow_err put_row(avow_store *s, const avow_collateral *c, const avow_collateral_key *k,
                        const char *source, avow_time fetched_at, avow_error *err)
{
    avow_store_collateral row;
    memset(&row, 0, sizeof(row));
    memcpy(row.fmspc, k->fmspc, sizeof(row.fmspc));
    memcpy(row.ca, k->ca, sizeof(row.ca));
    memcpy(row.tee, k->tee, sizeof(row.tee));
    row.next_update = k->next_update;
    row.fetched_at = fetched_at;
    row.source = (char *)(source ? source : "");
    avow_err rc = avow_collateral_to_bundle(c, &row.bundle, err);
    if (rc) return rc;
    rc = avow_store_collateral_put(s, &row, err);
    free(row.bundle);
    return rc;
}

avow_err avow_collateral_import(avow_store *s, const avow_collateral *c, const char *source,
                                avow_time fetched_at, avow_collateral_key *key_out, avow_error *err)
{
    avow_collateral_key k;
    avow_err rc = avow_collateral_key_of(c, &k, err);
    if (!rc) rc = put_row(s, c, &k, source, fetched_at, err);
    if (!rc && key_out) *key_out = k;
    return rc;
}

/* ---- cache --------------------------------------------------------------- */

struct avow_collateral_cache {
    avow_store *store;
    const avow_pcs_client *upstream;
    avow_verifier *verifier; /* NULL: stored as fetched */
    pthread_mutex_t fetch_mu;
    atomic_uint_fast64_t hits, misses, fetches, failures, imports;
};

avow_err avow_collateral_cache_new(avow_store *store, const avow_pcs_client *upstream,
                                   avow_verifier *verifier, avow_collateral_cache **out,
                                   avow_error *err)
{
    *out = NULL;
    if (!store) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "cache: no store");
    avow_collateral_cache *c = calloc(1, sizeof(*c));
    if (!c) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    c->store = store;
    c->upstream = upstream;
    c->verifier = verifier;
    pthread_mutex_init(&c->fetch_mu, NULL);
    atomic_init(&c->hits, 0);
    atomic_init(&c->misses, 0);
    atomic_init(&c->fetches, 0);
    atomic_init(&c->failures, 0);
    atomic_init(&c->imports, 0);
    *out = c;
    return AVOW_OK;
}

void avow_collateral_cache_free(avow_collateral_cache *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->fetch_mu);
    free(c);
}

void avow_collateral_cache_stats_get(const avow_collateral_cache *c,
                                     avow_collateral_cache_stats *out)
{
    avow_collateral_cache *m = (avow_collateral_cache *)c;
    out->hits = atomic_load(&m->hits);
    out->misses = atomic_load(&m->misses);
    out->upstream_fetches = atomic_load(&m->fetches);
    out->upstream_failures = atomic_load(&m->failures);
    out->imports = atomic_load(&m->imports);
}

avow_err avow_collateral_cache_import(avow_collateral_cache *c, const avow_collateral *coll,
                                      const char *source, avow_time at,
                                      avow_collateral_key *key_out, avow_error *err)
{
    avow_err rc = c->verifier ? avow_verify_collateral(c->verifier, coll, err) : AVOW_OK;
    if (rc) avow_error_prefix(err, "collateral does not verify, not imported");
    if (!rc) rc = avow_collateral_import(c->store, coll, source, at, key_out, err);
    if (!rc) atomic_fetch_add(&c->imports, 1);
    return rc;
}

/* Looks up the exact key, then the CA-less row. found=false when neither. */
static avow_err lookup(avow_collateral_cache *c, const char *fmspc, const char *ca, const char *tee,
                       avow_store_collateral *row, bool *found, avow_error *err)
{
    *found = false;
    avow_err rc = avow_store_collateral_get(c->store, fmspc, ca, tee, row, err);
    if (rc == AVOW_ERR_NOT_FOUND && *ca)
        rc = avow_store_collateral_get(c->store, fmspc, "", tee, row, err);
    if (rc == AVOW_ERR_NOT_FOUND) return AVOW_OK;
    *found = rc == AVOW_OK;
    return rc;
}

static avow_err use_row(const avow_store_collateral *row, avow_collateral *out, avow_error *err)
{
    avow_err rc =
        avow_collateral_from_bundle((const uint8_t *)row->bundle, strlen(row->bundle), out, err);
    if (rc) {
        char what[80];
        snprintf(what, sizeof(what), "stored collateral for FMSPC %s", row->fmspc);
        avow_error_prefix(err, what);
    }
    return rc;
}

avow_err avow_collateral_cache_get(avow_collateral_cache *c, const uint8_t fmspc[6], avow_pck_ca ca,
                                   uint32_t tee_type, avow_time at, avow_collateral *out,
                                   avow_error *err)
{
    avow_collateral_init(out);
    if (!c || !fmspc) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "cache: no key");
    char hex[13];
    avow_hex_encode(fmspc, 6, hex);
    const char *ca_s = ca == AVOW_PCK_CA_PROCESSOR  ? "processor"
                       : ca == AVOW_PCK_CA_PLATFORM ? "platform"
                                                    : "";
    const char *tee_s = tee_type == AVOW_TEE_TDX ? "tdx" : "sgx";
    avow_store_collateral row;
    bool found;
    avow_err rc = lookup(c, hex, ca_s, tee_s, &row, &found, err);
    if (rc) return rc;
    if (found && at <= row.next_update) {
        rc = use_row(&row, out, err);
        avow_store_collateral_free(&row);
        if (!rc) atomic_fetch_add(&c->hits, 1);
        return rc;
    }
    atomic_fetch_add(&c->misses, 1);
    avow_time expired_at = found ? row.next_update : 0;
    if (found) avow_store_collateral_free(&row);
    char when[21];
    avow_time_format(expired_at, when);

    if (!c->upstream) {
        if (found)
            return avow_error_set(err, AVOW_ERR_EXPIRED, AVOW_NO_OFFSET,
                                  "collateral for FMSPC %s expired at %s and no upstream is "
                                  "configured",
                                  hex, when);
        return avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                              "no collateral for FMSPC %s (CA \"%s\", TEE %s) in the store and "
                              "no upstream is configured",
                              hex, ca_s, tee_s);
    }

    pthread_mutex_lock(&c->fetch_mu);
    /* Another thread may have fetched it while we waited. */
    rc = lookup(c, hex, ca_s, tee_s, &row, &found, err);
    if (rc) goto unlock;
    if (found && at <= row.next_update) {
        rc = use_row(&row, out, err);
        avow_store_collateral_free(&row);
        goto unlock;
    }
    if (found) avow_store_collateral_free(&row);
    avow_error sub;
    avow_error_clear(&sub);
    const char *url = avow_pcs_client_base_url(c->upstream);
    rc = avow_pcs_fetch(c->upstream, fmspc, ca, tee_type, out, &sub);
    if (rc) {
        atomic_fetch_add(&c->failures, 1);
        if (expired_at)
            avow_error_set(err, AVOW_ERR_EXPIRED, AVOW_NO_OFFSET,
                           "collateral for FMSPC %s expired at %s and the upstream %s is "
                           "unreachable: %s",
                           hex, when, url, sub.msg);
        else
            avow_error_set(err, rc == AVOW_ERR_NOT_FOUND ? AVOW_ERR_NOT_FOUND : AVOW_ERR_IO,
                           AVOW_NO_OFFSET,
                           "collateral for FMSPC %s is not cached and the upstream %s failed: %s",
                           hex, url, sub.msg);
        rc = expired_at                 ? AVOW_ERR_EXPIRED
             : rc == AVOW_ERR_NOT_FOUND ? AVOW_ERR_NOT_FOUND
                                        : AVOW_ERR_IO;
        goto unlock;
    }
    avow_collateral_key k;
    if ((rc = avow_collateral_key_of(out, &k, err))) goto fail;
    if (at > k.next_update) {
        atomic_fetch_add(&c->failures, 1); /* refused: stale */
        avow_time_format(k.next_update, when);
        rc = avow_error_set(err, AVOW_ERR_EXPIRED, AVOW_NO_OFFSET,
                            "the upstream %s served collateral for FMSPC %s that expired at %s",
                            url, hex, when);
        goto fail;
    }
    /* Only what verifies is kept: a bad answer stored would fail every
     * attestation of this platform until its nextUpdate, and be passed on to
     * the avowds that use this one as their upstream. */
    if (c->verifier && (rc = avow_verify_collateral(c->verifier, out, &sub))) {
        atomic_fetch_add(&c->failures, 1);
        avow_error_set(err, rc, AVOW_NO_OFFSET,
                       "the upstream %s served collateral for FMSPC %s that does not verify "
                       "(not stored): %s",
                       url, hex, sub.msg);
        goto fail;
    }
    /* Store under the key that was asked for, so the next lookup hits. */
    memcpy(k.fmspc, hex, sizeof(k.fmspc));
    snprintf(k.ca, sizeof(k.ca), "%s", ca_s);
    if ((rc = put_row(c->store, out, &k, url, at, err))) goto fail;
    atomic_fetch_add(&c->fetches, 1); /* fetched and kept */
    goto unlock;
fail:
    avow_collateral_free(out);
unlock:
    pthread_mutex_unlock(&c->fetch_mu);
    return rc;
}
