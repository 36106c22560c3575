/* Certificate identities and encodings: the kid and the SHA-1 thumbprint a
 * certificate is known by, PEM <-> DER, its subject CN, and its JWK (with the
 * certificate itself as x5c). Every function takes one X.509 certificate as
 * PEM (its first CERTIFICATE block) or DER, reads it strictly and refuses
 * anything else. Strings returned through `char **out` are malloc'd and
 * NUL-terminated; the caller frees them with free().
 * Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* kid of a certificate: base64url (no padding, 43 characters) of SHA-256 of
 * its DER. Stable: the same certificate always gives the same kid, which is
 * used both in token headers and in /certs. */
#define AVOW_KID_LEN 44 /* including the NUL */
avow_err avow_cert_kid(const uint8_t *cert, size_t len, char kid[AVOW_KID_LEN], avow_error *err);

/* Lower-case hex SHA-1 of the certificate DER (MAA's
 * x-ms-certificate-thumbprint). */
avow_err avow_cert_thumbprint_sha1(const uint8_t *cert, size_t len, char hex[41], avow_error *err);

/* PEM <-> DER for one certificate (the first one in a PEM). The PEM written
 * is one block with 64-character lines. */
avow_err avow_cert_pem_to_der(const char *pem, size_t len, uint8_t **der, size_t *der_len,
                              avow_error *err);
avow_err avow_cert_der_to_pem(const uint8_t *der, size_t len, char **pem, avow_error *err);

/* The subject CN into cn[n] (truncated, always terminated); "" when it has
 * none. AVOW_ERR_FORMAT when `cert` is not a certificate. */
avow_err avow_cert_subject_cn(const uint8_t *cert, size_t len, char *cn, size_t n, avow_error *err);

/* One JWK for a certificate:
 * RSA: {"kid","kty":"RSA","use":"sig","alg":"RS256","n","e","x5c":[b64 DER]};
 * EC:  {"kid","kty":"EC","use":"sig","alg":"ES256","crv":"P-256","x","y","x5c":[...]}.
 * With `minimal`, only {"kty", "x5c"} (MAA's x-ms-policy-signer and
 * policy-certificates shape). Other key types and curves are
 * AVOW_ERR_UNSUPPORTED. */
avow_err avow_jwk_from_cert(const uint8_t *cert, size_t len, bool minimal, char **out_json,
                            avow_error *err);

#ifdef __cplusplus
}
#endif
