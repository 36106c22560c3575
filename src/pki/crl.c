/* CRLs through OpenSSL (d2i_X509_CRL and the [thisUpdate, nextUpdate]
 * window), kept as the reference the strict reader (cert.h, used by the
 * verifier) is tested against. Thread-safe: reentrant. */
#include <openssl/err.h>
#include <openssl/x509.h>

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
