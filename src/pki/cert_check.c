/* Facts about and checks on certificates and CRLs of the model in cert.h:
 * names (comparison, CN, RFC 2253 text), public keys, issued-by and signature
 * checks, the CA rules of Intel's profile, serials. OpenSSL does the
 * cryptography, and the rare name work that needs canonical forms (a Name is
 * decoded only then, never on the fast path). Thread-safe: no state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "pki/cert.h"
#include "pki/ecdsa.h"

void avow_cert_text(avow_span cn, char *out, size_t n)
{
    if (!n) return;
    size_t k = cn.len < n - 1 ? cn.len : n - 1;
    if (k) memcpy(out, cn.p, k);
    out[k] = '\0';
}

bool avow_name_eq(avow_span a, avow_span b)
{
    if (a.len == b.len && !memcmp(a.p, b.p, a.len)) return true;
    /* differently encoded: compare as OpenSSL does (rare; not the hot path) */
    const unsigned char *pa = a.p, *pb = b.p;
    X509_NAME *na = d2i_X509_NAME(NULL, &pa, (long)a.len);
    X509_NAME *nb = d2i_X509_NAME(NULL, &pb, (long)b.len);
    bool eq = na && nb && X509_NAME_cmp(na, nb) == 0;
    if (!na || !nb) ERR_clear_error();
    X509_NAME_free(na);
    X509_NAME_free(nb);
    return eq;
}

/* A Name's AVAs one at a time (the Name was checked by the reader). */
typedef struct {
    avow_der rdns, avas;
} name_walk;

static bool name_next(name_walk *w, avow_span *type, avow_span *value)
{
    while (avow_der_empty(&w->avas)) {
        avow_tlv set;
        if (!avow_der_expect(&w->rdns, DER_SET, &set)) return false;
        w->avas = avow_der_inside(&set);
    }
    avow_tlv ava, t, v;
    if (!avow_der_expect(&w->avas, DER_SEQUENCE, &ava)) return false;
    avow_der x = avow_der_inside(&ava);
    if (!avow_der_expect(&x, DER_OID, &t) || !avow_der_next(&x, &v)) return false;
    *type = t.val;
    *value = v.val;
    return true;
}

bool avow_name_cn_contains(avow_span name, const char *needle)
{
    static const uint8_t OID_CN[] = {0x55, 0x04, 0x03};
    avow_der top = avow_der_init(name.p, name.len);
    avow_tlv seq;
    if (!avow_der_expect(&top, DER_SEQUENCE, &seq)) return false;
    name_walk w = {avow_der_inside(&seq), avow_der_init(NULL, 0)};
    avow_span type, value;
    size_t k = strlen(needle);
    while (name_next(&w, &type, &value)) {
        if (!avow_der_oid_is(type, OID_CN, sizeof(OID_CN))) continue;
        for (size_t i = 0; i + k <= value.len; i++)
            if (!memcmp(value.p + i, needle, k)) return true;
    }
    return false;
}

char *avow_name_rfc2253(avow_span name)
{
    const unsigned char *p = name.p;
    X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)name.len);
    BIO *bio = n ? BIO_new(BIO_s_mem()) : NULL;
    char *s = NULL, *data;
    if (bio && X509_NAME_print_ex(bio, n, 0, XN_FLAG_RFC2253) >= 0) {
        long len = BIO_get_mem_data(bio, &data);
        s = len >= 0 ? strndup(data, (size_t)len) : NULL;
    }
    BIO_free(bio);
    X509_NAME_free(n);
    ERR_clear_error();
    return s;
}

bool avow_cert_self_issued(const avow_cert *c)
{
    return avow_name_eq(c->issuer, c->subject);
}

avow_err avow_cert_key(const avow_cert *c, EVP_PKEY **out)
{
    *out = NULL;
    if (!c->key_p256) return AVOW_ERR_FORMAT;
    return avow_ecdsa_key_from_point(c->key.p, out);
}

avow_err avow_cert_pubkey(const avow_cert *c, EVP_PKEY **out, avow_error *err)
{
    *out = NULL;
    if (c->key_p256 && avow_cert_key(c, out) == AVOW_OK) return AVOW_OK;
    const unsigned char *p = c->spki.p;
    EVP_PKEY *k = c->spki.len ? d2i_PUBKEY(NULL, &p, (long)c->spki.len) : NULL;
    if (!k || p != c->spki.p + c->spki.len) {
        EVP_PKEY_free(k);
        ERR_clear_error();
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "certificate public key unreadable");
    }
    *out = k;
    return AVOW_OK;
}

/* Signature algorithms (OID contents) other than the fast path's
 * ecdsa-with-SHA256, all without parameters except RSA's NULL. */
static const struct {
    uint8_t oid[9];
    uint8_t len;
    const char *md;
    bool rsa;
} SIG_ALGS[] = {
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01}, 7, "SHA1", false},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}, 8, "SHA256", false},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}, 8, "SHA384", false},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}, 8, "SHA512", false},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05}, 9, "SHA1", true},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}, 9, "SHA256", true},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c}, 9, "SHA384", true},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d}, 9, "SHA512", true},
};

/* The certificate's signature with any algorithm of SIG_ALGS (the slow path:
 * trust roots added by callers, policy-signer certificates). */
static bool verify_other(const avow_cert *c, EVP_PKEY *key)
{
    if (!c->sig_alg_match) return false;
    avow_der d = avow_der_init(c->sig_alg.p, c->sig_alg.len);
    avow_tlv seq, oid, param;
    if (!avow_der_expect(&d, DER_SEQUENCE, &seq)) return false;
    avow_der a = avow_der_inside(&seq);
    if (!avow_der_expect(&a, DER_OID, &oid)) return false;
    bool has_param = avow_der_next(&a, &param);
    for (size_t i = 0; i < sizeof(SIG_ALGS) / sizeof(SIG_ALGS[0]); i++) {
        if (!avow_der_oid_is(oid.val, SIG_ALGS[i].oid, SIG_ALGS[i].len)) continue;
        if (has_param && !(SIG_ALGS[i].rsa && param.tag == DER_NULL && param.val.len == 0))
            return false;
        if (!EVP_PKEY_is_a(key, SIG_ALGS[i].rsa ? "RSA" : "EC")) return false;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        bool ok = ctx &&
                  EVP_DigestVerifyInit_ex(ctx, NULL, SIG_ALGS[i].md, NULL, NULL, key, NULL) == 1 &&
                  EVP_DigestVerify(ctx, c->sig.p, c->sig.len, c->tbs.p, c->tbs.len) == 1;
        EVP_MD_CTX_free(ctx);
        ERR_clear_error(); /* a bad signature is an answer, not an error to keep */
        return ok;
    }
    return false;
}

bool avow_cert_signed_by(const avow_cert *c, EVP_PKEY *key)
{
    if (!key) return false;
    if (c->sig_ecdsa_sha256)
        return avow_ecdsa_verify_der(key, c->tbs.p, c->tbs.len, c->sig.p, c->sig.len) == AVOW_OK;
    return verify_other(c, key);
}

avow_err avow_cert_check_issued(const avow_cert *child, const avow_cert *issuer,
                                EVP_PKEY *issuer_key, char *why, size_t n)
{
    char cn[128], icn[128];
    if (!avow_name_eq(child->issuer, issuer->subject)) {
        avow_cert_text(child->issuer_cn, cn, sizeof(cn));
        avow_cert_text(issuer->subject_cn, icn, sizeof(icn));
        snprintf(why, n, "issuer '%s' is not the subject '%s' of the next certificate", cn, icn);
        return AVOW_ERR_CHAIN;
    }
    if (!issuer_key || !child->sig_ecdsa_sha256 ||
        avow_ecdsa_verify_der(issuer_key, child->tbs.p, child->tbs.len, child->sig.p,
                              child->sig.len) != AVOW_OK) {
        avow_cert_text(child->subject_cn, cn, sizeof(cn));
        avow_cert_text(issuer->subject_cn, icn, sizeof(icn));
        snprintf(why, n, "signature of '%s' does not verify with the key of '%s'", cn, icn);
        return AVOW_ERR_SIGNATURE;
    }
    return AVOW_OK;
}

static const char *ku_name(uint16_t bit)
{
    return bit == AVOW_KU_DIGITAL_SIGNATURE ? "digitalSignature"
           : bit == AVOW_KU_KEY_CERT_SIGN   ? "keyCertSign"
           : bit == AVOW_KU_CRL_SIGN        ? "cRLSign"
                                            : "the required bit";
}

bool avow_cert_has_ku(const avow_cert *c, uint16_t bit, char *why, size_t n)
{
    char cn[128];
    avow_cert_text(c->subject_cn, cn, sizeof(cn));
    if (!c->has_ku) {
        snprintf(why, n, "'%s' has no keyUsage extension (%s required)", cn, ku_name(bit));
        return false;
    }
    if (!(c->ku & bit)) {
        snprintf(why, n, "'%s' keyUsage lacks %s", cn, ku_name(bit));
        return false;
    }
    return true;
}

bool avow_cert_may_issue(const avow_cert *ca, int below, char *why, size_t n)
{
    char cn[128];
    avow_cert_text(ca->subject_cn, cn, sizeof(cn));
    if (!ca->has_bc || !ca->ca) {
        snprintf(why, n, "'%s' lacks basicConstraints CA:TRUE", cn);
        return false;
    }
    if (!avow_cert_has_ku(ca, AVOW_KU_KEY_CERT_SIGN, why, n)) return false;
    if (ca->path_len >= 0 && ca->path_len < below) {
        snprintf(why, n,
                 "'%s' pathLenConstraint %d allows %d CA certificate(s) below it; the chain has "
                 "%d",
                 cn, ca->path_len, ca->path_len, below);
        return false;
    }
    return true;
}

bool avow_cert_looks_ca(const avow_cert *c)
{
    if (c->has_ku && !(c->ku & AVOW_KU_KEY_CERT_SIGN)) return false;
    return c->has_bc ? c->ca : c->has_ku;
}

void avow_cert_serial_hex(const avow_cert *c, char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!n) return;
    out[0] = '\0';
    if (c->serial.len && (c->serial.p[0] & 0x80)) {
        /* negative (not RFC 5280, but parseable): let OpenSSL format it */
        uint8_t buf[2 + 126];
        if (c->serial.len > 126) return;
        buf[0] = DER_INTEGER;
        buf[1] = (uint8_t)c->serial.len;
        memcpy(buf + 2, c->serial.p, c->serial.len);
        const unsigned char *p = buf;
        ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, (long)(2 + c->serial.len));
        BIGNUM *bn = ai ? ASN1_INTEGER_to_BN(ai, NULL) : NULL;
        char *h = bn ? BN_bn2hex(bn) : NULL;
        size_t o = 0;
        for (; h && h[o] && o + 1 < n; o++)
            out[o] = (char)((h[o] >= 'A' && h[o] <= 'F') ? h[o] + 32 : h[o]);
        out[o] = '\0';
        OPENSSL_free(h);
        BN_free(bn);
        ASN1_INTEGER_free(ai);
        return;
    }
    /* as BN_bn2hex: leading zero bytes dropped, whole bytes printed, "0" for zero */
    size_t o = 0, i = 0;
    while (i < c->serial.len && c->serial.p[i] == 0)
        i++;
    for (; i < c->serial.len && o + 2 < n; i++) {
        out[o++] = hex[c->serial.p[i] >> 4];
        out[o++] = hex[c->serial.p[i] & 15];
    }
    if (o == 0 && n > 1) out[o++] = '0';
    out[o] = '\0';
}

avow_err avow_crl_check_signed(const avow_crl *crl, const avow_cert *issuer, EVP_PKEY *issuer_key,
                               char *why, size_t n)
{
    char cn[128], icn[128];
    avow_cert_text(crl->issuer_cn, cn, sizeof(cn));
    avow_cert_text(issuer->subject_cn, icn, sizeof(icn));
    if (!avow_name_eq(crl->issuer, issuer->subject)) {
        snprintf(why, n, "issued by '%s', expected '%s'", cn, icn);
        return AVOW_ERR_CHAIN;
    }
    if (!issuer_key || !crl->sig_ecdsa_sha256 ||
        avow_ecdsa_verify_der(issuer_key, crl->tbs.p, crl->tbs.len, crl->sig.p, crl->sig.len) !=
            AVOW_OK) {
        snprintf(why, n, "signature does not verify with the key of '%s'", icn);
        return AVOW_ERR_SIGNATURE;
    }
    return AVOW_OK;
}
