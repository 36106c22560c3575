/* The reference reading of certificates and CRLs that pki/cert.h is checked
 * against: OpenSSL's own (d2i_X509, d2i_X509_CRL and their getters), for the
 * unit tests (tests/unit/pki_der.c) and the differential fuzz target
 * (tests/fuzz/fuzz_der_diff.c). Header-only so that fuzz targets, which link
 * only libavow, can use it. Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "avow/err.h"
#include "avow/time.h"

/* One DER certificate; NULL if it does not parse or has trailing bytes. */
static inline X509 *ref_x509_from_der(const uint8_t *der, size_t len)
{
    if (!der || len == 0 || len > INT32_MAX) return NULL;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    if (!x) ERR_clear_error();
    return x;
}

/* One DER CRL; NULL if it does not parse or has trailing bytes. */
static inline X509_CRL *ref_crl_from_der(const uint8_t *der, size_t len)
{
    if (!der || len == 0 || len > INT32_MAX) return NULL;
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl && p != der + len) {
        X509_CRL_free(crl);
        crl = NULL;
    }
    if (!crl) ERR_clear_error();
    return crl;
}

/* ASN1_TIME -> unix seconds. */
static inline bool ref_asn1_time(const ASN1_TIME *t, avow_time *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return false;
    *out = avow_time_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                                tm.tm_sec);
    return true;
}

static inline bool ref_x509_window(X509 *x, avow_time *not_before, avow_time *not_after)
{
    return ref_asn1_time(X509_get0_notBefore(x), not_before) &&
           ref_asn1_time(X509_get0_notAfter(x), not_after);
}

/* thisUpdate / nextUpdate; false if nextUpdate is absent or a time is bad. */
static inline bool ref_crl_window(X509_CRL *crl, avow_time *this_update, avow_time *next_update)
{
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    return next && ref_asn1_time(X509_CRL_get0_lastUpdate(crl), this_update) &&
           ref_asn1_time(next, next_update);
}

/* The subject (or issuer) CN into `out` ("" when absent). */
static inline void ref_x509_cn(X509 *x, bool issuer, char *out, size_t n)
{
    out[0] = '\0';
    X509_NAME *name = issuer ? X509_get_issuer_name(x) : X509_get_subject_name(x);
    if (!name || X509_NAME_get_text_by_NID(name, NID_commonName, out, (int)n) < 0) out[0] = '\0';
}

/* The encoded public key (for EC: the 65-byte point) and its length. */
static inline const uint8_t *ref_x509_key_bytes(X509 *x, size_t *len)
{
    ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
    if (!bits) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)ASN1_STRING_length(bits);
    return ASN1_STRING_get0_data(bits);
}

/* CA according to basicConstraints (CA:TRUE). */
static inline bool ref_x509_is_ca(X509 *x)
{
    return (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
}

/* `child` names `issuer` and is signed by its key (messages as pki/cert.h's). */
static inline avow_err ref_x509_check_issued(X509 *child, X509 *issuer, char *why, size_t n)
{
    char cn[128], icn[128];
    if (X509_NAME_cmp(X509_get_issuer_name(child), X509_get_subject_name(issuer)) != 0) {
        ref_x509_cn(child, true, cn, sizeof(cn));
        ref_x509_cn(issuer, false, icn, sizeof(icn));
        snprintf(why, n, "issuer '%s' is not the subject '%s' of the next certificate", cn, icn);
        return AVOW_ERR_CHAIN;
    }
    EVP_PKEY *key = X509_get0_pubkey(issuer);
    if (!key || X509_verify(child, key) != 1) {
        ERR_clear_error();
        ref_x509_cn(child, false, cn, sizeof(cn));
        ref_x509_cn(issuer, false, icn, sizeof(icn));
        snprintf(why, n, "signature of '%s' does not verify with the key of '%s'", cn, icn);
        return AVOW_ERR_SIGNATURE;
    }
    return AVOW_OK;
}

/* Lower-case hex of an INTEGER as BN_bn2hex writes it ("0" .. ). */
static inline void ref_integer_hex(const ASN1_INTEGER *ai, char *out, size_t n)
{
    out[0] = '\0';
    BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
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

static inline void ref_x509_serial_hex(X509 *x, char *out, size_t n)
{
    ref_integer_hex(X509_get0_serialNumber(x), out, n);
}
