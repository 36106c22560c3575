/* avow_collateral_load (collateral.h): a bundle file, or a folder holding
 * either `collateral.json` or Intel PCS responses recognised by content:
 *   - JSON bodies {"tcbInfo":...} / {"enclaveIdentity":...} (QVE identities
 *     are not quote collateral and are skipped);
 *   - CRLs as PEM, DER, hex or base64: one issued by a self-issued
 *     certificate found in the folder (or whose issuer CN contains
 *     "Root CA") is the Root CA CRL, any other the PCK CRL;
 *   - certificate files (PEM or URL-encoded PEM): a chain whose first
 *     certificate is the TCB signer (CN "TCB Signing", else a non-CA that is
 *     not a PCK leaf) is
 *     the TCB Info and QE Identity issuer chain; one starting with a CA that
 *     is not self-issued (the PCK Processor/Platform CA) is the PCK CRL issuer
 *     chain; a lone self-issued certificate is a root that completes a chain
 *     that stops short of it. Chains are cut after their first self-issued
 *     certificate and written as canonical PEM.
 * Other files are ignored. Missing pieces stay NULL (the verifier decides).
 * Thread-safe: no state. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "avow/collateral.h"
#include "avow/quote.h"
#include "collateral/jfield.h"
#include "collateral/json_span.h"
#include "collateral/pem_chain.h"
#include "core/pem.h"
#include "pki/cert.h"

#define MAX_FILE_SIZE (16u << 20)
#define CHAIN_MAX     32 /* certificates in a file, plus a root */

static avow_err read_file(const char *path, uint8_t **buf, size_t *len, avow_error *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: %s", path, strerror(errno));
    uint8_t *b = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_FILE_SIZE) {
                free(b);
                fclose(f);
                return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: larger than %u bytes",
                                      path, MAX_FILE_SIZE);
            }
            cap = cap ? 2 * cap : 4096;
            uint8_t *nb = realloc(b, cap + 1);
            if (!nb) {
                free(b);
                fclose(f);
                return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
            }
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(b);
        return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: read error", path);
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return AVOW_OK;
}

/* ---- what a folder holds ------------------------------------------------ */

typedef struct {
    char *file;
    avow_cert_chain ch;
} cert_file;

typedef struct {
    char *file;
    uint8_t *der;
    size_t len;
    avow_crl crl; /* views into der */
} crl_file;

typedef struct {
    const char *dir;
    char *tcb_file, *qe_file; /* which file gave tcb_info / qe_identity */
    cert_file *certs;
    size_t n_certs;
    crl_file *crls;
    size_t n_crls;
} folder;

static void folder_free(folder *f)
{
    free(f->tcb_file);
    free(f->qe_file);
    for (size_t i = 0; i < f->n_certs; i++) {
        free(f->certs[i].file);
        avow_cert_chain_free(&f->certs[i].ch);
    }
    free(f->certs);
    for (size_t i = 0; i < f->n_crls; i++) {
        free(f->crls[i].file);
        free(f->crls[i].der);
    }
    free(f->crls);
}

static bool has(const uint8_t *b, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(b + i, needle, k) == 0) return true;
    return false;
}

/* A PCS body: takes the signed span and the signature into `c`. */
static avow_err take_body(folder *f, const char *name, const char *body, size_t len,
                          const char *key, avow_collateral *c, avow_error *err)
{
    bool tcb = strcmp(key, "tcbInfo") == 0;
    const char *span;
    size_t span_len;
    uint8_t sig[64];
    avow_err e = avow_signed_json_split(body, len, key, &span, &span_len, sig, err);
    if (e) return e;
    if (!tcb) {
        /* The QvE identity comes from the same endpoint family but is not
         * part of a quote's collateral. */
        json_t *root;
        if ((e = jf_load_object(span, span_len, "enclaveIdentity", &root, err))) return e;
        const char *id = json_string_value(json_object_get(root, "id"));
        bool qve = id && strcmp(id, "QVE") == 0;
        json_decref(root);
        if (qve) return AVOW_OK;
    }
    char **slot_file = tcb ? &f->tcb_file : &f->qe_file;
    if (*slot_file)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "two %s bodies in %s: %s and %s", key, f->dir, *slot_file, name);
    char *copy = malloc(span_len + 1), *fname = strdup(name);
    if (!copy || !fname) {
        free(copy);
        free(fname);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    memcpy(copy, span, span_len);
    copy[span_len] = '\0';
    *slot_file = fname;
    if (tcb) {
        c->tcb_info = copy;
        c->tcb_info_len = span_len;
        memcpy(c->tcb_info_sig, sig, 64);
        if ((e = jf_tee_type(copy, span_len, &c->tee_type, err))) return e;
    } else {
        c->qe_identity = copy;
        c->qe_identity_len = span_len;
        memcpy(c->qe_identity_sig, sig, 64);
    }
    return AVOW_OK;
}

static avow_err add_certs(folder *f, const char *name, const uint8_t *b, size_t n, avow_error *err)
{
    char *text;
    size_t tlen;
    avow_err e = coll_pem_text((const char *)b, n, "certificates", &text, &tlen, err);
    if (e) return e;
    avow_cert_chain ch;
    e = avow_cert_chain_read(text, tlen, "certificates", &ch, err);
    free(text);
    if (e) return e;
    if (ch.n >= CHAIN_MAX) {
        avow_cert_chain_free(&ch);
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "certificates: more than %d in one file", CHAIN_MAX - 1);
    }
    cert_file *nc = realloc(f->certs, (f->n_certs + 1) * sizeof(*nc));
    char *fname = strdup(name);
    if (nc) f->certs = nc;
    if (!nc || !fname) {
        free(fname);
        avow_cert_chain_free(&ch);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    f->certs[f->n_certs++] = (cert_file){fname, ch};
    return AVOW_OK;
}

static avow_err add_crl(folder *f, const char *name, uint8_t *der, size_t len, avow_error *err)
{
    avow_crl crl;
    bool ok = avow_crl_parse(der, len, &crl, NULL) == AVOW_OK; /* avow_crl_to_der checked it */
    crl_file *nc = realloc(f->crls, (f->n_crls + 1) * sizeof(*nc));
    char *fname = strdup(name);
    if (nc) f->crls = nc;
    if (!ok || !nc || !fname) {
        free(fname);
        free(der);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    f->crls[f->n_crls++] = (crl_file){fname, der, len, crl};
    return AVOW_OK;
}

/* Classifies one file by content and records what it holds. */
static avow_err scan_file(folder *f, const char *name, const uint8_t *b, size_t n,
                          avow_collateral *c, avow_error *err)
{
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    if (i < n && b[i] == '{') {
        const char *body = (const char *)b;
        avow_err e = avow_json_member_span(body, n, "tcbInfo", NULL, NULL, err);
        if (e == AVOW_OK) return take_body(f, name, body, n, "tcbInfo", c, err);
        if (e != AVOW_ERR_NOT_FOUND) return e;
        e = avow_json_member_span(body, n, "enclaveIdentity", NULL, NULL, err);
        if (e == AVOW_OK) return take_body(f, name, body, n, "enclaveIdentity", c, err);
        return e == AVOW_ERR_NOT_FOUND ? AVOW_OK : e; /* some other JSON: not ours */
    }
    if (has(b, n, "-----BEGIN CERTIFICATE-----") || has(b, n, "-----BEGIN%20CERTIFICATE"))
        return add_certs(f, name, b, n, err);
    uint8_t *der;
    size_t der_len;
    if (has(b, n, "-----BEGIN X509 CRL-----")) {
        avow_err e = avow_crl_to_der(b, n, &der, &der_len, err);
        return e ? e : add_crl(f, name, der, der_len, err);
    }
    /* DER, hex or base64: a CRL if it parses as one, else not ours. */
    if (avow_crl_to_der(b, n, &der, &der_len, NULL) == AVOW_OK)
        return add_crl(f, name, der, der_len, err);
    return AVOW_OK;
}

/* ---- assembling --------------------------------------------------------- */

typedef enum { CHAIN_OTHER, CHAIN_ROOT, CHAIN_SIGNER, CHAIN_PCK_CA } chain_kind;

/* What a certificate file is, judged by its first certificate. */
static chain_kind kind_of(const cert_file *cf)
{
    const avow_cert *first = &cf->ch.certs[0];
    if (avow_cert_self_issued(first)) return cf->ch.n == 1 ? CHAIN_ROOT : CHAIN_OTHER;
    if (avow_name_cn_contains(first->subject, "TCB Signing")) return CHAIN_SIGNER;
    if (avow_cert_looks_ca(first)) return CHAIN_PCK_CA;
    /* A leaf: the TCB signer of a simulated PKI, unless it is a PCK leaf. */
    return avow_name_cn_contains(first->subject, "PCK") ? CHAIN_OTHER : CHAIN_SIGNER;
}

/* A chain as the certificates (DER views) it is made of. */
typedef struct {
    const avow_cert *c[CHAIN_MAX];
    size_t n;
} chain;

static bool same_chain(const chain *a, const chain *b)
{
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->c[i]->der.len != b->c[i]->der.len ||
            memcmp(a->c[i]->der.p, b->c[i]->der.p, a->c[i]->der.len) != 0)
            return false;
    return true;
}

/* The chain of `cf` cut after its first self-issued certificate and, if it
 * stops short of a root, completed by a root file of the folder. */
static void build_chain(const folder *f, const cert_file *cf, chain *out)
{
    out->n = 0;
    bool rooted = false;
    for (size_t i = 0; i < cf->ch.n && !rooted; i++) {
        out->c[out->n++] = &cf->ch.certs[i];
        rooted = avow_cert_self_issued(&cf->ch.certs[i]);
    }
    if (rooted) return;
    const avow_cert *last = out->c[out->n - 1];
    for (size_t i = 0; i < f->n_certs; i++) {
        if (kind_of(&f->certs[i]) != CHAIN_ROOT) continue;
        const avow_cert *root = &f->certs[i].ch.certs[0];
        if (!avow_name_eq(last->issuer, root->subject)) continue;
        out->c[out->n++] = root;
        break;
    }
}

/* Picks the one chain of a kind (signer or PCK CA); two different ones are
 * an error naming both files. Written as PEM, one block per certificate. */
static avow_err pick_chain(const folder *f, chain_kind kind, char **pem, avow_error *err)
{
    chain chosen = {.n = 0}, other;
    const char *chosen_file = NULL;
    for (size_t i = 0; i < f->n_certs; i++) {
        const cert_file *cf = &f->certs[i];
        if (kind_of(cf) != kind) continue;
        build_chain(f, cf, chosen_file ? &other : &chosen);
        if (!chosen_file)
            chosen_file = cf->file;
        else if (!same_chain(&chosen, &other))
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s: %s and %s hold two different %s chains", f->dir, chosen_file,
                                  cf->file, kind == CHAIN_SIGNER ? "TCB Signing" : "PCK CA");
    }
    size_t len = 0;
    for (size_t i = 0; i < chosen.n; i++) {
        avow_err e = avow_pem_append(pem, &len, "CERTIFICATE", chosen.c[i]->der.p,
                                     chosen.c[i]->der.len, err);
        if (e) {
            free(*pem);
            *pem = NULL;
            return e;
        }
    }
    return AVOW_OK;
}

static bool is_root_crl(const folder *f, const avow_crl *crl)
{
    for (size_t i = 0; i < f->n_certs; i++)
        for (size_t j = 0; j < f->certs[i].ch.n; j++) {
            const avow_cert *x = &f->certs[i].ch.certs[j];
            if (avow_cert_self_issued(x) && avow_name_eq(x->subject, crl->issuer)) return true;
        }
    return avow_name_cn_contains(crl->issuer, "Root CA");
}

static avow_err pick_crls(const folder *f, avow_collateral *c, avow_error *err)
{
    const char *root_file = NULL, *pck_file = NULL;
    for (size_t i = 0; i < f->n_crls; i++) {
        const crl_file *cf = &f->crls[i];
        bool root = is_root_crl(f, &cf->crl);
        uint8_t **der = root ? &c->root_ca_crl : &c->pck_crl;
        size_t *len = root ? &c->root_ca_crl_len : &c->pck_crl_len;
        const char **from = root ? &root_file : &pck_file;
        if (*der) {
            if (*len == cf->len && memcmp(*der, cf->der, cf->len) == 0) continue;
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s: %s and %s hold two different %s CRLs", f->dir, *from,
                                  cf->file, root ? "Root CA" : "PCK");
        }
        *der = malloc(cf->len);
        if (!*der) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        memcpy(*der, cf->der, cf->len);
        *len = cf->len;
        *from = cf->file;
    }
    return AVOW_OK;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static avow_err load_dir(const char *dir, avow_collateral *c, avow_error *err)
{
    folder f = {.dir = dir};
    char **names = NULL;
    size_t n_names = 0;
    avow_err e = AVOW_OK;
    DIR *d = opendir(dir);
    if (!d) return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char **nn = realloc(names, (n_names + 1) * sizeof(*nn));
        if (nn) names = nn;
        if (!nn || !(names[n_names] = strdup(de->d_name))) {
            e = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
            break;
        }
        n_names++;
    }
    closedir(d);
    if (names) qsort(names, n_names, sizeof(*names), name_cmp); /* deterministic */
    c->tee_type = AVOW_TEE_SGX;
    for (size_t i = 0; i < n_names && !e; i++) {
        char *path = NULL;
        struct stat st;
        if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
            e = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
            break;
        }
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            uint8_t *b;
            size_t n;
            if (!(e = read_file(path, &b, &n, err))) {
                if ((e = scan_file(&f, names[i], b, n, c, err))) avow_error_prefix(err, path);
                free(b);
            }
        }
        free(path);
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    if (!e && !f.tcb_file && !f.qe_file && !f.n_certs && !f.n_crls)
        e = avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                           "%s: no collateral.json and no PCS responses (TCB Info, QE Identity, "
                           "CRLs, issuer chains)",
                           dir);
    if (!e) e = pick_chain(&f, CHAIN_SIGNER, &c->tcb_info_issuer_chain, err);
    if (!e && c->tcb_info_issuer_chain &&
        !(c->qe_identity_issuer_chain = strdup(c->tcb_info_issuer_chain)))
        e = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    if (!e) e = pick_chain(&f, CHAIN_PCK_CA, &c->pck_crl_issuer_chain, err);
    if (!e) e = pick_crls(&f, c, err);
    folder_free(&f);
    return e;
}

avow_err avow_collateral_load(const char *path, avow_collateral *out, avow_error *err)
{
    if (!path || !out)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "collateral: missing argument");
    avow_collateral_init(out);
    struct stat st;
    if (stat(path, &st) != 0)
        return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: %s", path, strerror(errno));
    avow_err e;
    if (S_ISDIR(st.st_mode)) {
        char *bundle = NULL;
        if (asprintf(&bundle, "%s/collateral.json", path) < 0)
            return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        bool have_bundle = stat(bundle, &st) == 0 && S_ISREG(st.st_mode);
        if (have_bundle) {
            e = avow_collateral_load(bundle, out, err);
        } else {
            e = load_dir(path, out, err);
            if (e) avow_collateral_free(out);
        }
        free(bundle);
        return e;
    }
    uint8_t *b;
    size_t n;
    if ((e = read_file(path, &b, &n, err))) return e;
    e = avow_collateral_from_bundle(b, n, out, err);
    free(b);
    if (e) avow_error_prefix(err, path);
    return e;
}
