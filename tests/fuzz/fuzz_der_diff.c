/* libFuzzer target: the library's certificate and CRL reader (pki/cert.h)
 * against OpenSSL's (d2i_X509, d2i_X509_CRL and their getters, through
 * tests/common/x509_ref.h). Every input is read as a certificate and as a
 * CRL, and, when it holds PEM blocks, each block too. It fails (abort, with
 * the difference on stderr) when Avow accepts bytes OpenSSL rejects, or when
 * both accept and read a field differently: version, serial, signature
 * algorithm and value, issuer and subject (DER and first CN), validity, the
 * public key (algorithm, bits, the P-256 key built from it), basicConstraints,
 * keyUsage, subject and authority key identifiers, the SGX extension; for
 * CRLs the issuer, thisUpdate / nextUpdate, CRL Number and AKI presence, the
 * revoked serials with their removeFromCRL reasons and the lookup of each.
 * Avow may reject what OpenSSL accepts (it is stricter on purpose).
 * Thread-safe: no state. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "../common/x509_ref.h"
#include "core/pem.h"
#include "pki/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIFF(...)                           \
    do {                                    \
        fprintf(stderr, "fuzz_der_diff: "); \
        fprintf(stderr, __VA_ARGS__);       \
        fprintf(stderr, "\n");              \
        abort();                            \
    } while (0)

static bool same(avow_span a, const uint8_t *b, size_t n)
{
    return a.len == n && (n == 0 || memcmp(a.p, b, n) == 0);
}

static void name_same(const char *what, const X509_NAME *n, avow_span der, avow_span cn)
{
    const unsigned char *p = NULL;
    size_t l = 0;
    if (!n || X509_NAME_get0_der((X509_NAME *)n, &p, &l) != 1) DIFF("%s: OpenSSL has no DER", what);
    if (!same(der, p, l)) DIFF("%s: DER differs", what);
    char a[256], b[256];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    avow_cert_text(cn, a, sizeof(a));
    if (X509_NAME_get_text_by_NID(n, NID_commonName, b, sizeof(b)) < 0) b[0] = '\0';
    if (memcmp(a, b, sizeof(a)) != 0) DIFF("%s CN: Avow '%s', OpenSSL '%s'", what, a, b);
}

static void integer_same(const char *what, const ASN1_INTEGER *ai, avow_span contents)
{
    unsigned char *der = NULL;
    int n = ai ? i2d_ASN1_INTEGER(ai, &der) : -1;
    if (n < 2) DIFF("%s: OpenSSL cannot encode it", what);
    avow_der d = avow_der_init(der, (size_t)n);
    avow_tlv t;
    bool ok = avow_der_next(&d, &t) && same(contents, t.val.p, t.val.len);
    OPENSSL_free(der);
    if (!ok) DIFF("%s differs", what);
}

static void algor_same(const char *what, const X509_ALGOR *alg, avow_span tlv)
{
    unsigned char *der = NULL;
    int n = alg ? i2d_X509_ALGOR(alg, &der) : -1;
    bool ok = n > 0 && same(tlv, der, (size_t)n);
    OPENSSL_free(der);
    if (!ok) DIFF("%s differs", what);
}

static void cert_diff(const uint8_t *data, size_t size)
{
    avow_cert c;
    bool avow_ok = avow_cert_parse(data, size, &c, NULL) == AVOW_OK;
    X509 *x = ref_x509_from_der(data, size);
    if (avow_ok && !x) DIFF("certificate accepted by Avow, rejected by d2i_X509");
    if (!avow_ok || !x) {
        X509_free(x);
        return;
    }
    if (c.der.len != size) DIFF("certificate: Avow reads %zu of %zu bytes", c.der.len, size);
    if (c.version != (uint32_t)X509_get_version(x))
        DIFF("version: Avow %u, OpenSSL %ld", c.version, X509_get_version(x));
    integer_same("serial", X509_get0_serialNumber(x), c.serial);
    char sa[128], sb[128];
    avow_cert_serial_hex(&c, sa, sizeof(sa));
    ref_x509_serial_hex(x, sb, sizeof(sb));
    if (strcmp(sa, sb) != 0) DIFF("serial hex: Avow %s, OpenSSL %s", sa, sb);

    const ASN1_BIT_STRING *sig;
    const X509_ALGOR *alg;
    X509_get0_signature(&sig, &alg, x);
    algor_same("signatureAlgorithm", alg, c.sig_alg);
    if (!same(c.sig, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig)))
        DIFF("signatureValue differs");
    if (c.sig_alg_match != (X509_ALGOR_cmp(alg, X509_get0_tbs_sigalg(x)) == 0))
        DIFF("inner and outer signature algorithms: Avow match=%d", c.sig_alg_match);
    if (c.sig_ecdsa_sha256 && X509_get_signature_nid(x) != NID_ecdsa_with_SHA256)
        DIFF("Avow reads ecdsa-with-SHA256, OpenSSL nid %d", X509_get_signature_nid(x));

    name_same("issuer", X509_get_issuer_name(x), c.issuer, c.issuer_cn);
    name_same("subject", X509_get_subject_name(x), c.subject, c.subject_cn);
    avow_time nb, na;
    if (!ref_x509_window(x, &nb, &na)) DIFF("validity: OpenSSL cannot read the times");
    if (nb != c.not_before || na != c.not_after)
        DIFF("validity: Avow %lld..%lld, OpenSSL %lld..%lld", (long long)c.not_before,
             (long long)c.not_after, (long long)nb, (long long)na);

    /* the public key */
    X509_PUBKEY *xpk = X509_get_X509_PUBKEY(x);
    unsigned char *spki = NULL;
    int spki_len = i2d_X509_PUBKEY(xpk, &spki);
    bool spki_same = spki_len > 0 && same(c.spki, spki, (size_t)spki_len);
    OPENSSL_free(spki);
    if (!spki_same) DIFF("subjectPublicKeyInfo differs");
    size_t kl;
    const uint8_t *kb = ref_x509_key_bytes(x, &kl);
    if (!kb || !same(c.key, kb, kl)) DIFF("subjectPublicKey bits differ");
    EVP_PKEY *opk = X509_get0_pubkey(x); /* NULL when OpenSSL cannot decode the key */
    ERR_clear_error();
    EVP_PKEY *apk = NULL;
    if (c.key_p256 && avow_cert_key(&c, &apk) == AVOW_OK) {
        if (!opk || EVP_PKEY_eq(apk, opk) != 1) DIFF("P-256 key: OpenSSL reads another key");
    } else if (opk && EVP_PKEY_is_a(opk, "EC") && c.key.len == 65 && c.key.p[0] == 4) {
        char curve[64] = "";
        size_t cl;
        EVP_PKEY_get_utf8_string_param(opk, "group", curve, sizeof(curve), &cl);
        if (!strcmp(curve, "prime256v1"))
            DIFF("P-256 key read by OpenSSL, not by Avow (key_p256=%d)", c.key_p256);
    }
    EVP_PKEY_free(apk);

    /* extensions Avow reads */
    int crit = 0;
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    if (c.has_bc) {
        if (!bc) DIFF("basicConstraints: Avow reads it, OpenSSL cannot (%d)", crit);
        long pl = bc->pathlen ? ASN1_INTEGER_get(bc->pathlen) : -1;
        if ((bool)bc->ca != c.ca || pl != c.path_len)
            DIFF("basicConstraints: Avow CA=%d pathLen=%d, OpenSSL CA=%d pathLen=%ld", c.ca,
                 c.path_len, bc->ca, pl);
        if (bc->pathlen && (!bc->ca || bc->pathlen->type == V_ASN1_NEG_INTEGER))
            DIFF("basicConstraints: pathLen OpenSSL marks invalid");
    } else if (crit != -1) {
        DIFF("basicConstraints: OpenSSL finds one (%d), Avow none", crit);
    }
    BASIC_CONSTRAINTS_free(bc);

    ASN1_BIT_STRING *ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
    if (c.has_ku) {
        if (!ku) DIFF("keyUsage: Avow reads it, OpenSSL cannot (%d)", crit);
        const uint8_t *d = ASN1_STRING_get0_data(ku);
        int n = ASN1_STRING_length(ku);
        uint16_t v = (uint16_t)((n > 0 ? d[0] : 0) | (n > 1 ? d[1] << 8 : 0));
        if (v != c.ku) DIFF("keyUsage: Avow %04x, OpenSSL %04x", c.ku, v);
    } else if (crit != -1) {
        DIFF("keyUsage: OpenSSL finds one (%d), Avow none", crit);
    }
    ASN1_BIT_STRING_free(ku);

    ASN1_OCTET_STRING *ski = X509_get_ext_d2i(x, NID_subject_key_identifier, &crit, NULL);
    if (c.ski.p) {
        if (!ski) DIFF("subjectKeyIdentifier: Avow reads it, OpenSSL cannot (%d)", crit);
        if (!same(c.ski, ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski)))
            DIFF("subjectKeyIdentifier differs");
    } else if (crit != -1) {
        DIFF("subjectKeyIdentifier: OpenSSL finds one (%d), Avow none", crit);
    }
    ASN1_OCTET_STRING_free(ski);

    AUTHORITY_KEYID *akid = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
    if (crit >= 0 && !akid) DIFF("authorityKeyIdentifier: Avow reads it, OpenSSL cannot");
    if (c.aki.p ? !akid || !akid->keyid ||
                      !same(c.aki, ASN1_STRING_get0_data(akid->keyid),
                            (size_t)ASN1_STRING_length(akid->keyid))
                : akid && akid->keyid)
        DIFF("authorityKeyIdentifier keyIdentifier differs");
    AUTHORITY_KEYID_free(akid);

    ASN1_OBJECT *sgx = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int at = X509_get_ext_by_OBJ(x, sgx, -1);
    ASN1_OBJECT_free(sgx);
    if ((at >= 0) != (c.sgx_ext.p != NULL)) DIFF("SGX extension: presence differs");
    if (at >= 0) {
        ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(x, at));
        if (!same(c.sgx_ext, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v)))
            DIFF("SGX extension value differs");
    }
    X509_free(x);
}

static void crl_diff(const uint8_t *data, size_t size)
{
    avow_crl c;
    bool avow_ok = avow_crl_parse(data, size, &c, NULL) == AVOW_OK;
    X509_CRL *x = ref_crl_from_der(data, size);
    if (avow_ok && !x) DIFF("CRL accepted by Avow, rejected by d2i_X509_CRL");
    if (!avow_ok || !x) {
        X509_CRL_free(x);
        return;
    }
    name_same("crl issuer", X509_CRL_get_issuer(x), c.issuer, c.issuer_cn);
    avow_time tu, nu;
    bool has_next = X509_CRL_get0_nextUpdate(x) != NULL;
    if (has_next != c.has_next_update) DIFF("nextUpdate: presence differs");
    if (has_next) {
        if (!ref_crl_window(x, &tu, &nu)) DIFF("CRL times: OpenSSL cannot read them");
        if (tu != c.this_update || nu != c.next_update) DIFF("CRL times differ");
    } else if (!ref_asn1_time(X509_CRL_get0_lastUpdate(x), &tu) || tu != c.this_update) {
        DIFF("thisUpdate differs");
    }
    const ASN1_BIT_STRING *sig;
    const X509_ALGOR *alg;
    X509_CRL_get0_signature(x, &sig, &alg);
    if (!same(c.sig, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig)))
        DIFF("CRL signatureValue differs");
    if (c.sig_ecdsa_sha256 && X509_CRL_get_signature_nid(x) != NID_ecdsa_with_SHA256)
        DIFF("CRL: Avow reads ecdsa-with-SHA256, OpenSSL nid %d", X509_CRL_get_signature_nid(x));
    int crit = 0;
    ASN1_INTEGER *num = X509_CRL_get_ext_d2i(x, NID_crl_number, &crit, NULL);
    if (c.has_crl_number != (num != NULL)) DIFF("CRL Number: presence differs (%d)", crit);
    ASN1_INTEGER_free(num);
    AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
    if (c.has_aki != (akid != NULL)) DIFF("CRL AKI: presence differs (%d)", crit);
    AUTHORITY_KEYID_free(akid);

    STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(x);
    size_t n = rev ? (size_t)sk_X509_REVOKED_num(rev) : 0;
    if (n != c.n_revoked) DIFF("revoked: Avow %zu, OpenSSL %zu", c.n_revoked, n);
    /* Avow's entries in order, against OpenSSL's (before any lookup sorts them) */
    avow_der l = avow_der_init(c.revoked.p, c.revoked.len);
    ASN1_INTEGER **serials = calloc(n ? n : 1, sizeof(*serials));
    for (size_t i = 0; i < n; i++) {
        X509_REVOKED *r = sk_X509_REVOKED_value(rev, (int)i);
        avow_tlv e, s;
        if (!avow_der_next(&l, &e)) DIFF("revoked entry %zu: Avow cannot walk it", i);
        avow_der ed = avow_der_inside(&e);
        if (!avow_der_next(&ed, &s)) DIFF("revoked entry %zu: no serial", i);
        integer_same("revoked serial", X509_REVOKED_get0_serialNumber(r), s.val);
        serials[i] = ASN1_INTEGER_dup(X509_REVOKED_get0_serialNumber(r));
    }
    /* the lookup: listed, unless removeFromCRL (X509_CRL_get0_by_serial gives 2) */
    for (size_t i = 0; i < n; i++) {
        X509_REVOKED *r;
        int o = X509_CRL_get0_by_serial(x, &r, serials[i]);
        unsigned char *der = NULL;
        int dl = i2d_ASN1_INTEGER(serials[i], &der);
        avow_der d = avow_der_init(der, (size_t)(dl > 0 ? dl : 0));
        avow_tlv t;
        bool listed = avow_der_next(&d, &t) && avow_crl_has_serial(&c, t.val);
        OPENSSL_free(der);
        if (listed != (o == 1))
            DIFF("revoked serial %zu: Avow listed=%d, OpenSSL %d", i, listed, o);
        ASN1_INTEGER_free(serials[i]);
    }
    free(serials);
    ERR_clear_error();
    X509_CRL_free(x);
}

static void one(const uint8_t *data, size_t size)
{
    cert_diff(data, size);
    crl_diff(data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    /* PEM files and quotes from the vectors: every block as well */
    avow_der_blob *b;
    size_t n;
    if (size && memmem(data, size, "-----BEGIN ", 11) &&
        avow_pem_split((const char *)data, size, NULL, &b, &n, NULL) == AVOW_OK) {
        for (size_t i = 0; i < n; i++)
            one(b[i].der, b[i].len);
        avow_der_blobs_free(b, n);
    }
    return 0;
}
