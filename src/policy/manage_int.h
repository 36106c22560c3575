/* Internals shared by the policy-management bodies of src/policy: manage.c
 * (policy uploads, resets, result claims) and certreq.c (policy-signer
 * certificate requests). Not part of the API.
 * Thread-safety: stateless helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/policy.h"
#include "avow/token.h"

/* The compact JWS in a request body: raw (trimmed of ASCII whitespace) or a
 * JSON string literal holding it. malloc'd. */
avow_err mgmt_body_jws(const uint8_t *body, size_t len, char **out, avow_error *err);

/* Parses the compact JWS (alg none only when allow_none) with MAA's
 * leniencies (RSA256, padded base64url). `what` names it in errors. */
avow_err mgmt_jws_parse(const char *compact, bool allow_none, const char *what, avow_jws *j,
                        avow_error *err);

/* Verifies a signed JWS with its own certificate: header x5c[0], or
 * jwk.x5c[0] (the Python SDK's header). With `signers`, the certificate must
 * be one of them (AVOW_ERR_CHAIN naming its thumbprint otherwise). On success
 * *signer_pem (optional) is the certificate as PEM. */
avow_err mgmt_jws_signer(avow_jws *j, const avow_policy_signers *signers, const char *what,
                         char **signer_pem, avow_error *err);

/* The payload's "iat" (a NumericDate; fractions are dropped) or -1 when it
 * has none. `o` is the parsed payload object. */
avow_err mgmt_payload_iat(const void *o, const char *what, int64_t *iat, avow_error *err);

/* Is the DER certificate one of the signers (compared as DER)? */
bool mgmt_is_signer(const uint8_t *der, size_t der_len, const avow_policy_signers *signers);

/* Signs `payload` (JSON text) as RS256 with an x5c header of cert_pem; the key
 * must be RSA and belong to the certificate (AVOW_ERR_MISMATCH otherwise). */
avow_err mgmt_sign_x5c(const char *payload, const char *key_pem, const char *cert_pem, char **out,
                       avow_error *err);
