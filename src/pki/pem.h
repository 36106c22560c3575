/* Splitting a PEM bundle into DER blobs without OpenSSL (internal to libavow).
 * Used for the PCK chain inside a quote (certification data type 5, which ends
 * with a NUL byte) and for issuer-chain PEM in collateral.
 * Thread-safe: no state. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

typedef struct {
    uint8_t *der; /* malloc'd */
    size_t len;
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

void avow_der_blobs_free(avow_der_blob *blobs, size_t n);

/* Length of the single DER TLV at the start of `der` (definite lengths only,
 * minimal length encoding), or 0 if `der` does not start with a complete one. */
size_t avow_der_tlv_len(const uint8_t *der, size_t len);
