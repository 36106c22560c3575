/* Keys from PEM (cert.h, avow_key_from_pem): private keys as core/pem.h
 * reads them, public keys (SubjectPublicKeyInfo) by OpenSSL's decoder from a
 * block core/pem.h found, certificates through the model of cert.h.
 * Thread-safe: no state. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "pki/cert.h"

/* The first block of `pem` labelled `label`, or NULL. */
static const avow_der_blob *first_of(const avow_der_blob *b, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(b[i].label, label)) return &b[i];
    return NULL;
}

avow_err avow_key_from_pem(const char *pem, size_t len, EVP_PKEY **out, bool *is_private,
                           avow_error *err)
{
    *out = NULL;
    if (is_private) *is_private = false;
    if (!pem || len == 0) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "empty PEM");
    avow_err rc = avow_pem_private_key(pem, len, out, err);
    if (rc != AVOW_ERR_NOT_FOUND) {
        if (!rc && is_private) *is_private = true;
        return rc;
    }
    avow_der_blob *b = NULL;
    size_t n = 0;
    if ((rc = avow_pem_split(pem, len, NULL, &b, &n, err))) return rc;
    const avow_der_blob *k;
    EVP_PKEY *pk = NULL;
    if ((k = first_of(b, n, "PUBLIC KEY"))) {
        const unsigned char *p = k->der;
        pk = d2i_PUBKEY(NULL, &p, (long)k->len);
        if (pk && p != k->der + k->len) {
            EVP_PKEY_free(pk);
            pk = NULL;
        }
    } else if ((k = first_of(b, n, "CERTIFICATE"))) {
        avow_cert c;
        if (avow_cert_parse(k->der, k->len, &c, NULL) == AVOW_OK) avow_cert_pubkey(&c, &pk, NULL);
    } else {
        avow_der_blobs_free(b, n);
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "no PRIVATE KEY, PUBLIC KEY or CERTIFICATE block");
    }
    rc = pk ? AVOW_OK
            : avow_error_set(err, AVOW_ERR_FORMAT, k->off, "PEM block '%s' at offset %zu: no key",
                             k->label, k->off);
    avow_der_blobs_free(b, n);
    ERR_clear_error();
    *out = pk;
    return rc;
}
