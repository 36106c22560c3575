/* CRL normalisation (avow_crl_to_der, collateral.h): Intel and PCCS serve
 * CRLs as PEM, raw DER, hex-encoded DER or base64 (docs/verification.md A11
 * item 9). The encoding is sniffed, and the result must be exactly one
 * well-formed X.509 CRL (OpenSSL d2i_X509_CRL consuming every byte).
 * Signatures and dates are the verifier's business. Thread-safe: no state. */
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "avow/collateral.h"
#include "avow/encode.h"

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool contains(const uint8_t *in, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(in + i, needle, n) == 0) return true;
    return false;
}

/* Checks that der[0..len) is exactly one X.509 CRL. */
static avow_err check_der(const uint8_t *der, size_t len, avow_error *err)
{
    if (len < 2 || der[0] != 0x30)
        return avow_error_set(err, AVOW_ERR_FORMAT, 0, "CRL: DER does not start with a SEQUENCE");
    if (len > LONG_MAX) return avow_error_set(err, AVOW_ERR_FORMAT, 0, "CRL: too large");
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (!crl) return avow_error_set(err, AVOW_ERR_FORMAT, 0, "CRL: DER is not an X.509 CRL");
    X509_CRL_free(crl);
    size_t used = (size_t)(p - der);
    if (used != len)
        return avow_error_set(err, AVOW_ERR_FORMAT, used,
                              "CRL: %zu bytes after the DER CRL (offset %zu)", len - used, used);
    return AVOW_OK;
}

static avow_err pem_to_der(const uint8_t *in, size_t len, uint8_t **der, size_t *der_len,
                           avow_error *err)
{
    if (len > INT_MAX) return avow_error_set(err, AVOW_ERR_FORMAT, 0, "CRL: too large");
    BIO *bio = BIO_new_mem_buf(in, (int)len);
    if (!bio) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long n = 0;
    avow_err e = AVOW_OK;
    if (!PEM_read_bio(bio, &name, &header, &data, &n)) {
        e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "CRL: unreadable PEM");
        goto done;
    }
    if (strcmp(name, "X509 CRL") != 0) {
        e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                           "CRL: PEM block is '%.40s', not 'X509 CRL'", name);
        goto done;
    }
    /* Nothing but whitespace may follow the block. */
    char *rest;
    long left = BIO_get_mem_data(bio, &rest);
    for (long i = 0; i < left; i++)
        if (!is_ws((uint8_t)rest[i])) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, len - (size_t)left + (size_t)i,
                               "CRL: data after the PEM block");
            goto done;
        }
    if ((e = check_der(data, (size_t)n, err))) goto done;
    *der = malloc((size_t)n);
    if (!*der) {
        e = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto done;
    }
    memcpy(*der, data, (size_t)n);
    *der_len = (size_t)n;
done:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(bio);
    return e;
}

avow_err avow_crl_to_der(const uint8_t *in, size_t len, uint8_t **der, size_t *der_len,
                         avow_error *err)
{
    if (!in || !der || !der_len)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "CRL: missing argument");
    *der = NULL;
    *der_len = 0;
    if (len == 0) return avow_error_set(err, AVOW_ERR_FORMAT, 0, "CRL: empty");
    avow_err e;
    /* Raw DER starts with the byte 0x30 (SEQUENCE), the character '0'; a hex
     * DER starts with "30" (the character '3') and a base64 one with 'M'. */
    if (in[0] == 0x30) {
        if ((e = check_der(in, len, err))) return e;
        return avow_decode_as(AVOW_ENC_RAW, in, len, der, der_len, err);
    }
    if (contains(in, len, "-----BEGIN")) return pem_to_der(in, len, der, der_len, err);
    avow_encoding enc = avow_encoding_sniff(in, len);
    if (enc == AVOW_ENC_RAW)
        return avow_error_set(err, AVOW_ERR_FORMAT, 0,
                              "CRL: neither DER, PEM, hex nor base64 (first byte 0x%02x)", in[0]);
    uint8_t *buf;
    size_t n;
    if ((e = avow_decode_as(enc, in, len, &buf, &n, err))) {
        avow_error_prefix(err, enc == AVOW_ENC_HEX ? "CRL hex" : "CRL base64");
        return e;
    }
    if ((e = check_der(buf, n, err))) {
        free(buf);
        return e;
    }
    *der = buf;
    *der_len = n;
    return AVOW_OK;
}
