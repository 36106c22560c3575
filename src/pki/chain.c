/* X.509 certificate facts and issuer checks with OpenSSL: used where a
 * certificate is read once (trusted roots added to a verifier) and as the
 * reference the strict DER reader (cert.h, which the verification path uses
 * for speed) is tested against. The chain logic itself (lengths, names,
 * pinning, order) is in src/verify/. Thread-safe: reentrant, no state. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/x509.h"

X509 *avow_x509_from_der(const uint8_t *der, size_t len)
{
    if (!der || len == 0 || len > INT32_MAX) return NULL;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x && p != der + len) {
        X509_free(x);
        return NULL;
    }
    return x;
}

bool avow_asn1_time(const ASN1_TIME *t, avow_time *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return false;
    *out = avow_time_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                                tm.tm_sec);
    return true;
}

bool avow_x509_window(X509 *x, avow_time *not_before, avow_time *not_after)
{
    return avow_asn1_time(X509_get0_notBefore(x), not_before) &&
           avow_asn1_time(X509_get0_notAfter(x), not_after);
}

void avow_x509_cn(X509 *x, bool issuer, char *out, size_t n)
{
    out[0] = '\0';
    X509_NAME *name = issuer ? X509_get_issuer_name(x) : X509_get_subject_name(x);
    if (!name || X509_NAME_get_text_by_NID(name, NID_commonName, out, (int)n) < 0) out[0] = '\0';
}

const uint8_t *avow_x509_key_bytes(X509 *x, size_t *len)
{
    ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
    if (!bits) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)ASN1_STRING_length(bits);
    return ASN1_STRING_get0_data(bits);
}

bool avow_x509_is_ca(X509 *x)
{
    return (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
}

avow_err avow_x509_check_issued(X509 *child, X509 *issuer, char *why, size_t n)
{
    char cn[128], icn[128];
    if (X509_NAME_cmp(X509_get_issuer_name(child), X509_get_subject_name(issuer)) != 0) {
        avow_x509_cn(child, true, cn, sizeof(cn));
        avow_x509_cn(issuer, false, icn, sizeof(icn));
        snprintf(why, n, "issuer '%s' is not the subject '%s' of the next certificate", cn, icn);
        return AVOW_ERR_CHAIN;
    }
    EVP_PKEY *key = X509_get0_pubkey(issuer);
    if (!key || X509_verify(child, key) != 1) {
        ERR_clear_error();
        avow_x509_cn(child, false, cn, sizeof(cn));
        avow_x509_cn(issuer, false, icn, sizeof(icn));
        snprintf(why, n, "signature of '%s' does not verify with the key of '%s'", cn, icn);
        return AVOW_ERR_SIGNATURE;
    }
    return AVOW_OK;
}

void avow_x509_serial_hex(X509 *x, char *out, size_t n)
{
    out[0] = '\0';
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    if (hex) {
        size_t i = 0;
        for (; hex[i] && i + 1 < n; i++)
            out[i] = (char)((hex[i] >= 'A' && hex[i] <= 'F') ? hex[i] + 32 : hex[i]);
        out[i] = '\0';
    }
    OPENSSL_free(hex);
    BN_free(bn);
}
