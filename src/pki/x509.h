/* Internal PKI helpers over OpenSSL 3 for the DCAP verifier: SHA-256 with a
 * prefetched digest, ECDSA P-256 with raw r||s signatures and raw X||Y keys,
 * certificate and CRL facts through OpenSSL (for roots read once, and as the
 * test reference of the strict reader in cert.h that the verification path
 * uses), and the embedded Intel SGX Root CA.
 * Thread-safe: every function is reentrant; the prefetched digest and the
 * P-256 template key are set up once (pthread_once) and read-only afterwards. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "avow/err.h"
#include "avow/time.h"

/* ---- roots.c ------------------------------------------------------------ */

extern const char AVOW_INTEL_ROOT_PEM[];        /* valid to 2049 */
extern const char AVOW_INTEL_ROOT_LEGACY_PEM[]; /* same key, valid to 2033 */
extern const uint8_t AVOW_INTEL_ROOT_PUBKEY[65];

/* ---- digest / ECDSA (ecdsa.c) ------------------------------------------- */

/* SHA-256, digest fetched once per process (OpenSSL 3 implicit fetches are slow). */
const EVP_MD *avow_pki_sha256(void);
void avow_sha256(const void *data, size_t len, uint8_t out[32]);

/* Incremental SHA-256 (for hashing several pieces as one key). */
typedef struct {
    EVP_MD_CTX *ctx;
} avow_sha256_ctx;
bool avow_sha256_init(avow_sha256_ctx *c);
void avow_sha256_update(avow_sha256_ctx *c, const void *data, size_t len);
/* Adds a length prefix (u64 LE) then the bytes, so concatenations are unambiguous. */
void avow_sha256_update_lp(avow_sha256_ctx *c, const void *data, size_t len);
void avow_sha256_final(avow_sha256_ctx *c, uint8_t out[32]);

/* Raw r||s (32+32 big-endian) -> DER ECDSA-Sig-Value; returns its length (<= 72). */
size_t avow_ecdsa_sig_raw_to_der(const uint8_t sig[64], uint8_t der[72]);

/* Verifies an ECDSA P-256 / SHA-256 signature given as raw r||s over `msg`.
 * AVOW_ERR_SIGNATURE when it does not verify. */
avow_err avow_ecdsa_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len,
                               const uint8_t sig[64]);

/* The same with a DER ECDSA-Sig-Value (as in certificates and CRLs). */
avow_err avow_ecdsa_verify_der(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *der,
                               size_t der_len);

/* Builds a P-256 public key from raw X||Y (64 bytes) with EVP_PKEY_fromdata
 * (several times faster than d2i_PUBKEY on OpenSSL 3). AVOW_ERR_FORMAT if the
 * point is not on the curve. */
avow_err avow_ecdsa_key_from_raw(const uint8_t xy[64], EVP_PKEY **out);

/* The same from a 65-byte uncompressed point (04 || X || Y), by duplicating a
 * P-256 template key and setting the point (a quarter of EVP_PKEY_fromdata's
 * cost). AVOW_ERR_FORMAT if the point is not on the curve. */
avow_err avow_ecdsa_key_from_point(const uint8_t point[65], EVP_PKEY **out);

/* ---- certificates (chain.c) --------------------------------------------- */

/* Parses one DER certificate; NULL if it does not parse or has trailing bytes. */
X509 *avow_x509_from_der(const uint8_t *der, size_t len);

/* ASN1_TIME -> unix seconds. */
bool avow_asn1_time(const ASN1_TIME *t, avow_time *out);

/* notBefore / notAfter of a certificate. */
bool avow_x509_window(X509 *x, avow_time *not_before, avow_time *not_after);

/* The subject (or issuer) CN into `out` ("" when absent). */
void avow_x509_cn(X509 *x, bool issuer, char *out, size_t n);

/* The encoded public key (for EC: the 65-byte point) and its length. */
const uint8_t *avow_x509_key_bytes(X509 *x, size_t *len);

/* CA according to basicConstraints (CA:TRUE). */
bool avow_x509_is_ca(X509 *x);

/* `child` names `issuer` as its issuer (DN equality) and is signed by its key.
 * On failure writes a reason into `why` and returns AVOW_ERR_CHAIN or
 * AVOW_ERR_SIGNATURE. */
avow_err avow_x509_check_issued(X509 *child, X509 *issuer, char *why, size_t n);

/* Lower-case hex serial ("0" .. up to 40 hex digits) into `out`. */
void avow_x509_serial_hex(X509 *x, char *out, size_t n);

/* ---- CRLs (crl.c) -------------------------------------------------------- */

X509_CRL *avow_crl_from_der(const uint8_t *der, size_t len);

/* thisUpdate / nextUpdate; false if nextUpdate is absent or a time is bad. */
bool avow_crl_window(X509_CRL *crl, avow_time *this_update, avow_time *next_update);
