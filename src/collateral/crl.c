/* CRL normalisation (avow_crl_to_der, collateral.h): Intel and PCCS serve
 * CRLs as PEM, raw DER, hex-encoded DER or base64 (docs/verification.md A11
 * item 9). The encoding is sniffed, and the result must be exactly one
 * well-formed X.509 CRL as pki/cert.h reads it (every byte used).
 * Signatures and dates are the verifier's business. Thread-safe: no state. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "avow/collateral.h"
#include "avow/encode.h"
#include "core/pem.h"
#include "pki/cert.h"

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
    size_t used = avow_der_tlv_len(der, len);
    avow_crl crl;
    if (used == 0 || avow_crl_parse(der, used, &crl, NULL) != AVOW_OK)
        return avow_error_set(err, AVOW_ERR_FORMAT, 0, "CRL: DER is not an X.509 CRL");
    if (used != len)
        return avow_error_set(err, AVOW_ERR_FORMAT, used,
                              "CRL: %zu bytes after the DER CRL (offset %zu)", len - used, used);
    return AVOW_OK;
}

/* The first PEM block, which must be an X509 CRL with nothing but
 * whitespace after it. */
static avow_err pem_to_der(const uint8_t *in, size_t len, uint8_t **der, size_t *der_len,
                           avow_error *err)
{
    avow_der_blob *b;
    avow_error sub;
    avow_error_clear(&sub);
    if (avow_pem_first((const char *)in, len, NULL, &b, &sub))
        return avow_error_set(err, AVOW_ERR_FORMAT, sub.offset, "CRL: unreadable PEM: %s", sub.msg);
    avow_err e = AVOW_OK;
    if (strcmp(b->label, "X509 CRL") != 0) {
        e = avow_error_set(err, AVOW_ERR_FORMAT, b->off, "CRL: PEM block is '%s', not 'X509 CRL'",
                           b->label);
        goto done;
    }
    for (size_t i = b->end; i < len; i++)
        if (!is_ws(in[i])) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, i, "CRL: data after the PEM block");
            goto done;
        }
    if ((e = check_der(b->der, b->len, err))) goto done;
    *der = b->der; /* taken over */
    *der_len = b->len;
    b->der = NULL;
done:
    avow_der_blobs_free(b, 1);
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
