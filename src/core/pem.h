/* PEM, the text armour of DER objects (RFC 7468), for the whole library
 * (internal): the one reader of PEM text (certificate chains inside quotes
 * and collateral, CRLs, keys) and the one writer. Reading never goes through
 * OpenSSL's PEM_read_*: quotes and PCS headers carry chains with a trailing
 * NUL, CRLF and junk between blocks, and an error must say which block is bad
 * and where. Thread-safe: no state. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

typedef struct evp_pkey_st EVP_PKEY;

typedef struct {
    uint8_t *der; /* malloc'd */
    size_t len;
    char label[41]; /* the block's label ("CERTIFICATE", "X509 CRL", ...), truncated */
    size_t off;     /* offset of its BEGIN line in the text */
    size_t end;     /* offset just past its END line */
} avow_der_blob;

/* Finds every "-----BEGIN <label>-----" ... "-----END <label>-----" block of
 * `pem` (first `len` bytes; NUL bytes outside blocks, CR/LF line ends and
 * anything between blocks are ignored; blocks of other labels are skipped;
 * label NULL takes every block whose END label matches its BEGIN label).
 * The body must be strict base64 (whitespace between characters allowed,
 * padding only at the end, canonical trailing bits), PEM headers such as
 * "Proc-Type:" are rejected, and each decoded blob must be exactly one DER
 * TLV. On success *out is a malloc'd array of *n >= 1 blobs (free with
 * avow_der_blobs_free); no block at all is AVOW_ERR_FORMAT. Errors name the
 * block number and its byte offset in `pem`. */
avow_err avow_pem_split(const char *pem, size_t len, const char *label, avow_der_blob **out,
                        size_t *n, avow_error *err);

/* The same, stopping at the first block with `label` (what follows it is not
 * read): one blob in *out, freed with avow_der_blobs_free(*out, 1). */
avow_err avow_pem_first(const char *pem, size_t len, const char *label, avow_der_blob **out,
                        avow_error *err);

void avow_der_blobs_free(avow_der_blob *blobs, size_t n);

/* Length of the single DER TLV at the start of `der` (definite lengths only,
 * minimal length encoding, at most 4 length bytes, low tag numbers), or 0 if
 * `der` does not start with a complete one. */
size_t avow_der_tlv_len(const uint8_t *der, size_t len);

/* Appends one PEM block for `der` to the malloc'd text *pem of *pem_len bytes
 * (*pem NULL to start): the BEGIN line, the base64 body in lines of 64
 * characters and the END line, each ending in "\n" (the layout OpenSSL's
 * PEM_write_* produce). Keeps *pem NUL-terminated. AVOW_ERR_NOMEM leaves
 * *pem as it was. */
avow_err avow_pem_append(char **pem, size_t *pem_len, const char *label, const uint8_t *der,
                         size_t len, avow_error *err);

/* The private key of the first "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY" or
 * "EC PRIVATE KEY" block of `pem`, decoded by OpenSSL (d2i_AutoPrivateKey).
 * Encrypted keys are refused: never OpenSSL's PEM reader, whose default
 * password callback would prompt on the terminal. AVOW_ERR_NOT_FOUND when
 * there is no such block. */
avow_err avow_pem_private_key(const char *pem, size_t len, EVP_PKEY **out, avow_error *err);
