/* ECDSA P-256 for the DCAP verifier (internal to libavow), over OpenSSL 3:
 * verification with raw r||s or DER signatures, and P-256 public keys built
 * from raw X||Y or an uncompressed point.
 * Thread-safe: every function is reentrant; the P-256 template key is set up
 * once (pthread_once) and read-only afterwards. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "avow/err.h"

/* Verifies an ECDSA P-256 / SHA-256 signature given as raw r||s over `msg`.
 * AVOW_ERR_SIGNATURE when it does not verify. */
avow_err avow_ecdsa_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len,
                               const uint8_t sig[64]);

/* The same with a DER ECDSA-Sig-Value (as in certificates and CRLs). */
avow_err avow_ecdsa_verify_der(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *der,
                               size_t der_len);

/* Builds a P-256 public key from raw X||Y (64 bytes). AVOW_ERR_FORMAT if the
 * point is not on the curve. */
avow_err avow_ecdsa_key_from_raw(const uint8_t xy[64], EVP_PKEY **out);

/* The same from a 65-byte uncompressed point (04 || X || Y), by duplicating a
 * P-256 template key and setting the point (a quarter of EVP_PKEY_fromdata's
 * cost). AVOW_ERR_FORMAT if the point is not on the curve. */
avow_err avow_ecdsa_key_from_point(const uint8_t point[65], EVP_PKEY **out);
