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

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    bool ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

typedef struct {
    const char *cn;
    EVP_PKEY *subject_key;
    X509 *issuer; /* NULL: self-signed */
    EVP_PKEY *issuer_key;
    avow_time not_before, not_after;
    int ca_pathlen;         /* -1: not a CA */
    const char *bc;         /* basicConstraints replacing the one of ca_pathlen, or NULL */
    const char *key_usage;  /* "": no keyUsage extension */
    const uint8_t *sgx_ext; /* DER of the SGX extension value, or NULL */
    size_t sgx_ext_len;
} cert_spec;

static X509 *issue(const cert_spec *s, avow_error *err)
{
    X509 *x = X509_new();
    X509_NAME *subj = make_name(s->cn);
    bool ok = x && subj && X509_set_version(x, 2) && set_random_serial(x) &&
              X509_set_subject_name(x, subj) &&
              X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer) : subj) &&
              ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) &&
              ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after) &&
              X509_set_pubkey(x, s->subject_key);
    X509 *iss = s->issuer ? s->issuer : x;
    if (ok) {
        char bc[48];
        if (s->ca_pathlen >= 0)
            snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", s->ca_pathlen);
        else
            snprintf(bc, sizeof bc, "critical,CA:FALSE");
        ok = add_ext(x, iss, NID_subject_key_identifier, "hash") &&
             add_ext(x, iss, NID_authority_key_identifier, "keyid:always") &&
             (!*s->key_usage || add_ext(x, iss, NID_key_usage, s->key_usage)) &&
             add_ext(x, iss, NID_basic_constraints, s->bc ? s->bc : bc);
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
    X509_NAME_free(subj);
    if (!ok) {
        X509_free(x);
        avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim pki: cannot issue '%s'", s->cn);
        return NULL;
    }
    return x;
}

static void validity(const avow_sim_platform *p, avow_time *nb, avow_time *na, avow_time life)
{
    *nb = p->opts.cert_not_before ? p->opts.cert_not_before : p->opts.now - 86400;
    *na = p->opts.cert_not_after ? p->opts.cert_not_after : p->opts.now + life;
}

/* Shares the PKI of `from` (checked in platform.c): its keys and
 * certificates are referenced, not copied; freeing either platform is safe. */
static avow_err pki_share(avow_sim_platform *p, const avow_sim_platform *from, avow_error *err)
{
    EVP_PKEY *const keys[] = {from->root_key, from->ca_key, from->tcb_key};
    EVP_PKEY **key_to[] = {&p->root_key, &p->ca_key, &p->tcb_key};
    X509 *const certs[] = {from->root_cert, from->ca_cert, from->tcb_cert};
    X509 **cert_to[] = {&p->root_cert, &p->ca_cert, &p->tcb_cert};
    for (size_t i = 0; i < 3; i++) {
        if (EVP_PKEY_up_ref(keys[i]) == 1) *key_to[i] = keys[i];
        if (X509_up_ref(certs[i]) == 1) *cert_to[i] = certs[i];
        if (!*key_to[i] || !*cert_to[i])
            return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET,
                                  "sim pki: cannot share the PKI");
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
    if (!(p->root_cert = issue(&s, err))) return AVOW_ERR_INTERNAL;
    s.bc = NULL;
    s.key_usage = o->ku_ca ? o->ku_ca : "critical,keyCertSign,cRLSign";
    s.cn = p->opts.ca == AVOW_PCK_CA_PLATFORM ? "Avow Simulated SGX PCK Platform CA"
                                              : "Avow Simulated SGX PCK Processor CA";
    s.subject_key = p->ca_key;
    s.issuer = p->root_cert;
    s.ca_pathlen = 0;
    if (!(p->ca_cert = issue(&s, err))) return AVOW_ERR_INTERNAL;
    s.cn = "Avow Simulated SGX TCB Signing";
    s.subject_key = p->tcb_key;
    s.ca_pathlen = -1;
    s.key_usage = o->ku_tcb ? o->ku_tcb : "critical,digitalSignature,nonRepudiation";
    if (!(p->tcb_cert = issue(&s, err))) return AVOW_ERR_INTERNAL;
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
        sim_sha256(p->ppid, 16, h);
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
        .issuer = p->ca_cert,
        .issuer_key = p->ca_key,
        .ca_pathlen = -1,
        .key_usage = p->opts.ku_pck ? p->opts.ku_pck : "critical,digitalSignature,nonRepudiation",
        .sgx_ext = der,
        .sgx_ext_len = der_len};
    validity(p, &s.not_before, &s.not_after, 7 * YEAR);
    X509_free(p->pck_cert);
    p->pck_cert = issue(&s, err);
    free(der);
    return p->pck_cert ? AVOW_OK : AVOW_ERR_INTERNAL;
}

avow_err sim_pki_crl(X509 *issuer, EVP_PKEY *key, X509 *revoked, avow_time this_update,
                     avow_time next_update, uint8_t **der, size_t *len, avow_error *err)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)this_update);
    ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)next_update);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);
    bool ok = crl && tu && nu && num && akid && ski && X509_CRL_set_version(crl, 1) &&
              X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) &&
              X509_CRL_set1_lastUpdate(crl, tu) && X509_CRL_set1_nextUpdate(crl, nu);
    if (ok && revoked) {
        X509_REVOKED *r = X509_REVOKED_new();
        ok = r && X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked)) &&
             X509_REVOKED_set_revocationDate(r, tu) && X509_CRL_add0_revoked(crl, r);
        if (!ok) X509_REVOKED_free(r);
    }
    /* CRL Number: the issue time, so later CRLs have larger numbers. */
    if (ok)
        ok = ASN1_INTEGER_set_int64(num, this_update) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
    if (ok) {
        akid->keyid = ASN1_OCTET_STRING_dup(ski);
        ok = akid->keyid &&
             X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) == 1;
    }
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
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    ASN1_INTEGER_free(num);
    AUTHORITY_KEYID_free(akid);
    return ok ? AVOW_OK
              : avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET,
                               "sim pki: cannot issue a CRL");
}

char *sim_pem_chain(X509 *const *certs)
{
    size_t total = 0, n = 0;
    char *parts[8];
    for (; certs[n] && n < 8; n++) {
        parts[n] = sim_cert_to_pem(certs[n]);
        if (!parts[n]) {
            while (n--)
                free(parts[n]);
            return NULL;
        }
        total += strlen(parts[n]);
    }
    char *out = malloc(total + 1);
    if (out) {
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(parts[i]);
            memcpy(out + at, parts[i], l);
            at += l;
        }
        out[at] = '\0';
    }
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    return out;
}
