/* Certificate revocation lists for DCAP (Intel SGX Root CA CRL, PCK
 * Processor/Platform CA CRL): parse DER, issuer and signature check,
 * [thisUpdate, nextUpdate] window, serial lookup. Thread-safe: reentrant
 * (OpenSSL locks the CRL's lazily sorted revoked list internally). */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "pki/pem.h"
#include "pki/x509.h"

X509_CRL *avow_crl_from_der(const uint8_t *der, size_t len)
{
    if (!der || len == 0 || len > INT32_MAX) return NULL;
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl && p != der + len) {
        X509_CRL_free(crl);
        return NULL;
    }
    if (!crl) ERR_clear_error();
    return crl;
}

bool avow_crl_window(X509_CRL *crl, avow_time *this_update, avow_time *next_update)
{
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    return next && avow_asn1_time(X509_CRL_get0_lastUpdate(crl), this_update) &&
           avow_asn1_time(next, next_update);
}

void avow_crl_issuer_cn(X509_CRL *crl, char *out, size_t n)
{
    out[0] = '\0';
    X509_NAME *name = X509_CRL_get_issuer(crl);
    if (!name || X509_NAME_get_text_by_NID(name, NID_commonName, out, (int)n) < 0) out[0] = '\0';
}

avow_err avow_crl_check_issuer(X509_CRL *crl, X509 *issuer, char *why, size_t n)
{
    char cn[128], icn[128];
    avow_crl_issuer_cn(crl, cn, sizeof(cn));
    avow_x509_cn(issuer, false, icn, sizeof(icn));
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
        snprintf(why, n, "issued by '%s', expected '%s'", cn, icn);
        return AVOW_ERR_CHAIN;
    }
    EVP_PKEY *key = X509_get0_pubkey(issuer);
    if (!key || X509_CRL_verify(crl, key) != 1) {
        ERR_clear_error();
        snprintf(why, n, "signature does not verify with the key of '%s'", icn);
        return AVOW_ERR_SIGNATURE;
    }
    return AVOW_OK;
}

/* The tbsCertList TLV inside the CertificateList SEQUENCE, or NULL. */
static const uint8_t *crl_tbs(const uint8_t *der, size_t len, size_t *tbs_len)
{
    if (len < 2 || der[0] != 0x30 || avow_der_tlv_len(der, len) != len) return NULL;
    size_t h = 2 + ((der[1] & 0x80) ? (size_t)(der[1] & 0x7f) : 0);
    if (h >= len) return NULL;
    *tbs_len = avow_der_tlv_len(der + h, len - h);
    return *tbs_len && der[h] == 0x30 ? der + h : NULL;
}

avow_err avow_crl_check_issuer_der(X509_CRL *crl, const uint8_t *der, size_t len, X509 *issuer,
                                   char *why, size_t n)
{
    size_t tbs_len = 0;
    const uint8_t *tbs = crl_tbs(der, len, &tbs_len);
    if (!tbs || X509_CRL_get_signature_nid(crl) != NID_ecdsa_with_SHA256)
        return avow_crl_check_issuer(crl, issuer, why, n);
    char cn[128], icn[128];
    avow_crl_issuer_cn(crl, cn, sizeof(cn));
    avow_x509_cn(issuer, false, icn, sizeof(icn));
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
        snprintf(why, n, "issued by '%s', expected '%s'", cn, icn);
        return AVOW_ERR_CHAIN;
    }
    const ASN1_BIT_STRING *sig = NULL;
    X509_CRL_get0_signature(crl, &sig, NULL);
    if (!sig ||
        avow_ecdsa_verify_der(X509_get0_pubkey(issuer), tbs, tbs_len, ASN1_STRING_get0_data(sig),
                              (size_t)ASN1_STRING_length(sig)) != AVOW_OK) {
        snprintf(why, n, "signature does not verify with the key of '%s'", icn);
        return AVOW_ERR_SIGNATURE;
    }
    return AVOW_OK;
}

bool avow_crl_lists(X509_CRL *crl, X509 *cert)
{
    X509_REVOKED *rev = NULL;
    return X509_CRL_get0_by_serial(crl, &rev, (ASN1_INTEGER *)X509_get0_serialNumber(cert)) == 1;
}
