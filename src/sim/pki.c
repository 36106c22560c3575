/* The simulated PKI, shaped like Intel's SGX PKI (docs/verification.md A2):
 * a self-signed "Avow Simulated SGX Root CA", a PCK Processor or Platform CA
 * and a TCB Signing certificate issued by it, the platform's PCK leaf with the
 * SGX extension, and CRLs with CRL Number and Authority Key Identifier
 * extensions. All keys ECDSA P-256, signatures ecdsa-with-SHA256.
 * Thread-safe: functions touch only the objects passed in. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "core/sha256.h"
#include "sim/sim_internal.h"

#define ORG  "Avow Simulation (not Intel)"
#define YEAR (365LL * 86400)

static X509_NAME *make_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    if (!n) return NULL;
    const struct {
        const char *f, *v;
    } parts[] = {{"CN", cn}, {"O", ORG}, {"L", "Nowhere"}, {"ST", "NA"}, {"C", "ZZ"}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!X509_NAME_add_entry_by_txt(n, parts[i].f, MBSTRING_ASC,
                                        (const unsigned char *)parts[i].v, -1, -1, 0)) {
            X509_NAME_free(n);
            return NULL;
        }
    return n;
}

static bool set_random_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    bool ok = bn && BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
              BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    return ok;
}

static bool add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    bool ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

/* The Name of a certificate of the model as OpenSSL's builder wants it. */
static X509_NAME *name_of(avow_span der)
{
    const unsigned char *p = der.p;
    return d2i_X509_NAME(NULL, &p, (long)der.len);
}

/* authorityKeyIdentifier with only keyIdentifier `id` (as "keyid:always"). */
static bool add_aki(int (*add)(void *, int, void *, int, unsigned long), void *obj,
                    const uint8_t *id, size_t len)
{
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    bool ok = akid && (akid->keyid = ASN1_OCTET_STRING_new()) &&
              ASN1_OCTET_STRING_set(akid->keyid, id, (int)len) &&
              add(obj, NID_authority_key_identifier, akid, 0, 0) == 1;
    AUTHORITY_KEYID_free(akid);
    return ok;
}

static int x509_add_i2d(void *x, int nid, void *v, int crit, unsigned long flags)
{
    return X509_add1_ext_i2d(x, nid, v, crit, flags);
}

static int crl_add_i2d(void *x, int nid, void *v, int crit, unsigned long flags)
{
    return X509_CRL_add1_ext_i2d(x, nid, v, crit, flags);
}

/* DER of what a builder made, read into the certificate model. */
static bool keep(X509 *x, avow_cert_copy *out)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    bool ok = n > 0 && avow_cert_copy_read(der, (size_t)n, NULL, out, NULL) == AVOW_OK;
    OPENSSL_free(der);
    return ok;
}

typedef struct {
    const char *cn;
    EVP_PKEY *subject_key;
    const avow_cert_copy *issuer; /* NULL: self-signed */
    EVP_PKEY *issuer_key;
    avow_time not_before, not_after;
    int ca_pathlen;         /* -1: not a CA */
    const char *bc;         /* basicConstraints replacing the one of ca_pathlen, or NULL */
    const char *key_usage;  /* "": no keyUsage extension */
    const uint8_t *sgx_ext; /* DER of the SGX extension value, or NULL */
    size_t sgx_ext_len;
} cert_spec;

static avow_err issue(const cert_spec *s, avow_cert_copy *out, avow_error *err)
{
    X509 *x = X509_new();
    X509_NAME *subj = make_name(s->cn), *iss = s->issuer ? name_of(s->issuer->c.subject) : NULL;
    ASN1_OCTET_STRING *ski = NULL;
    bool ok = x && subj && (iss || !s->issuer) && X509_set_version(x, 2) && set_random_serial(x) &&
              X509_set_subject_name(x, subj) && X509_set_issuer_name(x, iss ? iss : subj) &&
              ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) &&
              ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after) &&
              X509_set_pubkey(x, s->subject_key);
    if (ok) {
        char bc[48];
        if (s->ca_pathlen >= 0)
            snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", s->ca_pathlen);
        else
            snprintf(bc, sizeof bc, "critical,CA:FALSE");
        ok = add_ext(x, NID_subject_key_identifier, "hash") &&
             (ski = X509_get_ext_d2i(x, NID_subject_key_identifier, NULL, NULL)) &&
             (s->issuer ? add_aki(x509_add_i2d, x, s->issuer->c.ski.p, s->issuer->c.ski.len)
                        : add_aki(x509_add_i2d, x, ASN1_STRING_get0_data(ski),
                                  (size_t)ASN1_STRING_length(ski))) &&
             (!*s->key_usage || add_ext(x, NID_key_usage, s->key_usage)) &&
             add_ext(x, NID_basic_constraints, s->bc ? s->bc : bc);
    }
    if (ok && s->sgx_ext) {
        ASN1_OBJECT *obj = OBJ_txt2obj(AVOW_SGX_EXT_OID, 1);
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
        X509_EXTENSION *e = NULL;
        ok = obj && os && ASN1_OCTET_STRING_set(os, s->sgx_ext, (int)s->sgx_ext_len) &&
             (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) && X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(os);
        ASN1_OBJECT_free(obj);
    }
    if (ok) ok = X509_sign(x, s->issuer_key, EVP_sha256()) > 0;
    avow_cert_copy_free(out);
    if (ok) ok = keep(x, out);
    ASN1_OCTET_STRING_free(ski);
    X509_NAME_free(subj);
    X509_NAME_free(iss);
    X509_free(x);
    return ok ? AVOW_OK
              : avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim pki: cannot issue '%s'",
                               s->cn);
}

static void validity(const avow_sim_platform *p, avow_time *nb, avow_time *na, avow_time life)
{
    *nb = p->opts.cert_not_before ? p->opts.cert_not_before : p->opts.now - 86400;
    *na = p->opts.cert_not_after ? p->opts.cert_not_after : p->opts.now + life;
}

/* Shares the PKI of `from` (checked in platform.c): its keys are referenced
 * and its certificates copied; freeing either platform is safe. */
static avow_err pki_share(avow_sim_platform *p, const avow_sim_platform *from, avow_error *err)
{
    EVP_PKEY *const keys[] = {from->root_key, from->ca_key, from->tcb_key};
    EVP_PKEY **key_to[] = {&p->root_key, &p->ca_key, &p->tcb_key};
    const avow_cert_copy *const certs[] = {&from->root_cert, &from->ca_cert, &from->tcb_cert};
    avow_cert_copy *const cert_to[] = {&p->root_cert, &p->ca_cert, &p->tcb_cert};
    for (size_t i = 0; i < 3; i++) {
        if (EVP_PKEY_up_ref(keys[i]) == 1) *key_to[i] = keys[i];
        if (!*key_to[i])
            return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET,
                                  "sim pki: cannot share the PKI");
        avow_err rc = avow_cert_copy_read(certs[i]->der, certs[i]->len, "shared PKI certificate",
                                          cert_to[i], err);
        if (rc) return rc;
    }
    return AVOW_OK;
}

avow_err sim_pki_create(avow_sim_platform *p, avow_error *err)
{
    if (p->opts.pki_from) return pki_share(p, p->opts.pki_from, err);
    p->root_key = sim_ec_generate();
    p->ca_key = sim_ec_generate();
    p->tcb_key = sim_ec_generate();
    if (!p->root_key || !p->ca_key || !p->tcb_key)
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim pki: keygen failed");
    /* Intel's profile (docs/security.md, "Key usage"): CAs keyCertSign +
     * cRLSign, the root with pathLen 1 and the PCK CA with 0; signers
     * digitalSignature. The opts may replace it, for tests of the verifier. */
    const avow_sim_platform_opts *o = &p->opts;
    cert_spec s = {.cn = AVOW_SIM_ROOT_CN,
                   .subject_key = p->root_key,
                   .issuer_key = p->root_key,
                   .ca_pathlen = 1,
                   .bc = o->bc_root,
                   .key_usage = o->ku_root ? o->ku_root : "critical,keyCertSign,cRLSign"};
    validity(p, &s.not_before, &s.not_after, 20 * YEAR);
    if (issue(&s, &p->root_cert, err)) return AVOW_ERR_INTERNAL;
    s.bc = NULL;
    s.key_usage = o->ku_ca ? o->ku_ca : "critical,keyCertSign,cRLSign";
    s.cn = p->opts.ca == AVOW_PCK_CA_PLATFORM ? "Avow Simulated SGX PCK Platform CA"
                                              : "Avow Simulated SGX PCK Processor CA";
    s.subject_key = p->ca_key;
    s.issuer = &p->root_cert;
    s.ca_pathlen = 0;
    if (issue(&s, &p->ca_cert, err)) return AVOW_ERR_INTERNAL;
    s.cn = "Avow Simulated SGX TCB Signing";
    s.subject_key = p->tcb_key;
    s.ca_pathlen = -1;
    s.key_usage = o->ku_tcb ? o->ku_tcb : "critical,digitalSignature,nonRepudiation";
    if (issue(&s, &p->tcb_cert, err)) return AVOW_ERR_INTERNAL;
    return AVOW_OK;
}

avow_err sim_pki_issue_pck(avow_sim_platform *p, avow_error *err)
{
    avow_pck_ext e;
    memset(&e, 0, sizeof e);
    memcpy(e.ppid, p->ppid, 16);
    memcpy(e.comp_svn, p->opts.comp_svn, 16);
    e.pcesvn = p->opts.pce_svn;
    memcpy(e.cpusvn, p->cpu_svn, 16);
    memcpy(e.fmspc, p->opts.fmspc, 6);
    e.sgx_type = p->opts.sgx_type;
    bool platform = p->opts.ca == AVOW_PCK_CA_PLATFORM;
    if (platform) {
        /* PlatformInstanceID: derived from the PPID so it is stable per platform. */
        uint8_t h[32];
        avow_sha256(p->ppid, 16, h);
        memcpy(e.platform_instance_id, h, 16);
        e.has_platform_instance_id = e.has_configuration = true;
        const int f[3] = {p->opts.dynamic_platform, p->opts.cached_keys, p->opts.smt_enabled};
        e.has_dynamic_platform = f[0] >= 0;
        e.has_cached_keys = f[1] >= 0;
        e.has_smt_enabled = f[2] >= 0;
        e.dynamic_platform = f[0] > 0;
        e.cached_keys = f[1] > 0;
        e.smt_enabled = f[2] > 0;
    }
    uint8_t *der;
    size_t der_len;
    if (sim_pck_ext_der(&e, platform, &der, &der_len))
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "sim pki: out of memory");
    cert_spec s = {
        .cn = "Avow Simulated SGX PCK Certificate",
        .subject_key = p->pck_key,
        .issuer = &p->ca_cert,
        .issuer_key = p->ca_key,
        .ca_pathlen = -1,
        .key_usage = p->opts.ku_pck ? p->opts.ku_pck : "critical,digitalSignature,nonRepudiation",
        .sgx_ext = der,
        .sgx_ext_len = der_len};
    validity(p, &s.not_before, &s.not_after, 7 * YEAR);
    avow_err rc = issue(&s, &p->pck_cert, err);
    free(der);
    return rc;
}

avow_err sim_pki_crl(const avow_cert_copy *issuer, EVP_PKEY *key, const avow_cert_copy *revoked,
                     avow_time this_update, avow_time next_update, uint8_t **der, size_t *len,
                     avow_error *err)
{
    X509_CRL *crl = X509_CRL_new();
    X509_NAME *iss = name_of(issuer->c.subject);
    ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)this_update);
    ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)next_update);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    bool ok = crl && iss && tu && nu && num && issuer->c.ski.len && X509_CRL_set_version(crl, 1) &&
              X509_CRL_set_issuer_name(crl, iss) && X509_CRL_set1_lastUpdate(crl, tu) &&
              X509_CRL_set1_nextUpdate(crl, nu);
    if (ok && revoked) {
        X509_REVOKED *r = X509_REVOKED_new();
        BIGNUM *bn = BN_bin2bn(revoked->c.serial.p, (int)revoked->c.serial.len, NULL);
        ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
        ok = r && sn && X509_REVOKED_set_serialNumber(r, sn) &&
             X509_REVOKED_set_revocationDate(r, tu) && X509_CRL_add0_revoked(crl, r);
        if (!ok) X509_REVOKED_free(r);
        ASN1_INTEGER_free(sn);
        BN_free(bn);
    }
    /* CRL Number: the issue time, so later CRLs have larger numbers. */
    if (ok)
        ok = ASN1_INTEGER_set_int64(num, this_update) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
    if (ok) ok = add_aki(crl_add_i2d, crl, issuer->c.ski.p, issuer->c.ski.len);
    if (ok) ok = X509_CRL_sort(crl) && X509_CRL_sign(crl, key, EVP_sha256()) > 0;
    int n = ok ? i2d_X509_CRL(crl, NULL) : -1;
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL, *pp = buf;
    if (buf && i2d_X509_CRL(crl, &pp) == n) {
        *der = buf;
        *len = (size_t)n;
    } else {
        free(buf);
        ok = false;
    }
    X509_CRL_free(crl);
    X509_NAME_free(iss);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    ASN1_INTEGER_free(num);
    return ok ? AVOW_OK
              : avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET,
                               "sim pki: cannot issue a CRL");
}

char *sim_pem_chain(const avow_cert_copy *const *certs)
{
    char *out = NULL;
    size_t len = 0;
    for (; *certs; certs++)
        if (avow_pem_append(&out, &len, "CERTIFICATE", (*certs)->der, (*certs)->len, NULL)) {
            free(out);
            return NULL;
        }
    return out;
}
