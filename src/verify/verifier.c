/* The verifier object (include/avow/verify.h): trusted roots (the embedded
 * Intel SGX Root CA, pinned by public key, plus roots the caller adds), the
 * three caches, result init/free, and small helpers shared by the pipeline.
 * Thread-safe: roots are set up before sharing (documented in verify.h);
 * caches lock internally; helpers are reentrant. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/quote.h"
#include "core/pem.h"
#include "core/sha256.h"
#include "pki/roots.h"
#include "verify/internal.h"
#include "verify/tcb_match.h"

#define CERT_CACHE_SLOTS  256
#define COLL_CACHE_SLOTS  64
#define PLAT_CACHE_SLOTS  1024
#define CHAIN_CACHE_SLOTS 1024

void vcert_ref(void *c)
{
    atomic_fetch_add(&((vcert *)c)->refs, 1);
}

void vcert_unref(void *p)
{
    vcert *c = p;
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
    EVP_PKEY_free(c->key);
    free(c);
}

/* Reads `der` into a new vcert (its own copy of the bytes), or NULL. */
static vcert *vcert_new(const uint8_t *der, size_t len)
{
    if (!der || !len || len > (size_t)1 << 24) return NULL;
    vcert *c = malloc(sizeof(*c) + len);
    if (!c) return NULL;
    atomic_init(&c->refs, 1);
    c->key = NULL;
    c->len = len;
    memcpy(c->der, der, len);
    if (avow_cert_parse(c->der, len, &c->c, NULL) != AVOW_OK) {
        free(c);
        return NULL;
    }
    if (c->c.key_p256) avow_cert_key(&c->c, &c->key); /* NULL key: signatures fail later */
    return c;
}

static avow_err root_from_der(avow_verifier *v, const uint8_t *der, size_t len, avow_error *err)
{
    if (v->n_roots == VROOT_MAX)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "too many trusted roots");
    vcert *c = vcert_new(der, len);
    if (!c)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "root: not a DER X.509 certificate");
    /* any algorithm OpenSSL verifies, as the root is the caller's choice */
    EVP_PKEY *key = c->key, *other = NULL;
    if (!key && avow_cert_pubkey(&c->c, &other, NULL) == AVOW_OK) key = other;
    bool self_signed = avow_cert_self_issued(&c->c) && avow_cert_signed_by(&c->c, key);
    EVP_PKEY_free(other);
    if (!self_signed) {
        vcert_unref(c);
        return avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                              "root: not a self-signed certificate");
    }
    if (!c->c.has_bc || !c->c.ca) {
        vcert_unref(c);
        return avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                              "root: basicConstraints CA:TRUE missing");
    }
    vroot *r = &v->roots[v->n_roots++];
    r->vc = c;
    avow_sha256(der, len, r->der_hash);
    r->intel = c->c.key.len == sizeof(AVOW_INTEL_ROOT_PUBKEY) &&
               !memcmp(c->c.key.p, AVOW_INTEL_ROOT_PUBKEY, c->c.key.len);
    return AVOW_OK;
}

avow_err avow_verifier_add_root_pem(avow_verifier *v, const char *pem, size_t len, avow_error *err)
{
    if (!v || !pem) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no root given");
    avow_der_blob *blobs = NULL;
    size_t n = 0;
    avow_err rc = avow_pem_split(pem, len, "CERTIFICATE", &blobs, &n, err);
    if (rc != AVOW_OK) return rc;
    if (n != 1)
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "root PEM holds %zu certificates, expected 1", n);
    else
        rc = root_from_der(v, blobs[0].der, blobs[0].len, err);
    avow_der_blobs_free(blobs, n);
    if (rc == AVOW_OK) avow_verifier_clear_cache(v); /* results depend on the roots */
    return rc;
}

static avow_err verifier_new(avow_verifier **out, bool intel, avow_error *err)
{
    *out = NULL;
    avow_verifier *v = calloc(1, sizeof(*v));
    if (!v) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    v->cache_on = true;
    vcache_ops xops = {vcert_ref, vcert_unref}, cops = {vcoll_ref, vcoll_unref},
               pops = {vplat_ref, vplat_unref}, chops = {vchain_ref, vchain_unref};
    v->certs = vcache_new(CERT_CACHE_SLOTS, xops);
    v->colls = vcache_new(COLL_CACHE_SLOTS, cops);
    v->plats = vcache_new(PLAT_CACHE_SLOTS, pops);
    v->chains = vcache_new(CHAIN_CACHE_SLOTS, chops);
    avow_err rc = AVOW_OK;
    if (!v->certs || !v->colls || !v->plats || !v->chains)
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    const char *pems[] = {AVOW_INTEL_ROOT_PEM, AVOW_INTEL_ROOT_LEGACY_PEM};
    for (size_t i = 0; intel && i < 2 && rc == AVOW_OK; i++) {
        avow_der_blob *b = NULL;
        size_t n = 0;
        rc = avow_pem_split(pems[i], strlen(pems[i]), "CERTIFICATE", &b, &n, err);
        if (rc == AVOW_OK) rc = root_from_der(v, b[0].der, b[0].len, err);
        avow_der_blobs_free(b, n);
        if (rc == AVOW_OK && !v->roots[v->n_roots - 1].intel)
            rc = avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET,
                                "embedded Intel root does not carry the pinned key");
    }
    if (rc != AVOW_OK) {
        avow_verifier_free(v);
        return rc;
    }
    *out = v;
    return AVOW_OK;
}

avow_err avow_verifier_new(avow_verifier **out, avow_error *err)
{
    return verifier_new(out, true, err);
}

avow_err avow_verifier_new_empty(avow_verifier **out, avow_error *err)
{
    return verifier_new(out, false, err);
}

void avow_verifier_free(avow_verifier *v)
{
    if (!v) return;
    vcache_free(v->chains);
    vcache_free(v->plats);
    vcache_free(v->colls);
    vcache_free(v->certs);
    for (size_t i = 0; i < v->n_roots; i++)
        vcert_unref(v->roots[i].vc);
    free(v);
}

void avow_verifier_set_cache(avow_verifier *v, bool enabled)
{
    if (!v) return;
    v->cache_on = enabled;
    if (!enabled) avow_verifier_clear_cache(v);
}

void avow_verifier_clear_cache(avow_verifier *v)
{
    if (!v) return;
    vcache_clear(v->chains);
    vcache_clear(v->plats);
    vcache_clear(v->colls);
    vcache_clear(v->certs);
}

vcert *vcert_get(avow_verifier *v, const uint8_t *der, size_t len)
{
    for (size_t i = 0; i < v->n_roots; i++) {
        vcert *r = v->roots[i].vc;
        if (r && r->len == len && !memcmp(r->der, der, len)) {
            vcert_ref(r);
            return r;
        }
    }
    uint8_t h[32];
    if (v->cache_on) {
        avow_sha256(der, len, h);
        vcert *c = vcache_get(v->certs, h, sizeof(h));
        if (c) return c;
    }
    vcert *c = vcert_new(der, len);
    if (c && v->cache_on) vcache_put(v->certs, h, sizeof(h), c);
    return c;
}

int vroot_find(const avow_verifier *v, const vcert *c)
{
    for (size_t i = 0; i < v->n_roots; i++) {
        const avow_span k = v->roots[i].vc->c.key;
        if (k.len == c->c.key.len && !memcmp(k.p, c->c.key.p, k.len)) return (int)i;
    }
    return -1;
}

vrec *vrec_add(vplat *p, const char *step, bool pass, avow_err err, const char *fmt, ...)
{
    if (p->n_recs == VREC_MAX) return NULL;
    vrec *r = &p->recs[p->n_recs++];
    memset(r, 0, sizeof(*r));
    r->step = step;
    r->pass = pass;
    r->err = pass ? AVOW_OK : err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
    va_end(ap);
    return r;
}

void vdate(avow_time t, char out[11])
{
    char s[21];
    avow_time_format(t, s);
    memcpy(out, s, 10);
    out[10] = '\0';
}

void vrec_window(vrec *r, const char *what, avow_time from, avow_time until, vwin_kind kind)
{
    if (!r || r->n_win == sizeof(r->win) / sizeof(r->win[0])) return;
    r->win[r->n_win++] = (vwin){what, from, until, kind};
}

void avow_verify_result_init(avow_verify_result *r)
{
    memset(r, 0, sizeof(*r));
    avow_trace_init(&r->trace);
    r->result_code = AVOW_QV_UNSPECIFIED;
}

void avow_verify_result_free(avow_verify_result *r)
{
    if (!r) return;
    avow_advisory_free(r->advisory_ids, r->n_advisory_ids);
    avow_advisory_free(r->module_advisory_ids, r->n_module_advisory_ids);
    free(r->supplemental.sa_list);
    avow_trace_free(&r->trace);
    memset(r, 0, sizeof(*r));
    r->result_code = AVOW_QV_UNSPECIFIED;
}

avow_err avow_quote_platform_id(const uint8_t *quote, size_t len, uint8_t fmspc[6], avow_pck_ca *ca,
                                uint32_t *tee_type, avow_error *err)
{
    avow_quote q;
    avow_err rc = avow_quote_parse(quote, len, &q, err);
    if (rc != AVOW_OK) return rc;
    if (tee_type) *tee_type = q.tee_type;
    if (q.cert_type != AVOW_CERT_PCK_CHAIN)
        return avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                              "certification data type %u carries no PCK certificate chain",
                              q.cert_type);
    avow_der_blob *b = NULL;
    size_t n = 0;
    rc = avow_pem_split((const char *)q.cert_data, q.cert_data_len, "CERTIFICATE", &b, &n, err);
    if (rc != AVOW_OK) return rc;
    avow_pck_ext ext;
    rc = avow_pck_ext_from_cert_der(b[0].der, b[0].len, &ext, err);
    if (rc == AVOW_OK) {
        if (fmspc) memcpy(fmspc, ext.fmspc, 6);
        if (ca) {
            avow_cert x;
            char cn[128] = "";
            if (n > 1 && avow_cert_parse(b[1].der, b[1].len, &x, NULL) == AVOW_OK)
                avow_cert_text(x.subject_cn, cn, sizeof(cn));
            *ca = strstr(cn, "Processor")  ? AVOW_PCK_CA_PROCESSOR
                  : strstr(cn, "Platform") ? AVOW_PCK_CA_PLATFORM
                                           : AVOW_PCK_CA_UNKNOWN;
        }
    }
    avow_der_blobs_free(b, n);
    return rc;
}
