/* Compact JWS / JWT (RFC 7515, 7519) signing and verification, the JWKS
 * document, and the service's token signing keys (one certificate's kid and
 * JWK are avow/cert.h's). Algorithms: RS256
 * (RSASSA-PKCS1-v1_5 with SHA-256), ES256 (ECDSA P-256, raw r||s per RFC 7518
 * §3.4), and "none" (unsigned; parsed for MAA policy JWS, never verified).
 * "RSA256" is accepted as an alias of RS256 when the caller allows it (the
 * MAA .NET and Python SDKs write it in policy JWS). Segments are base64url
 * without padding, decoded strictly (canonical only).
 *
 * JSON crosses this API as text (char *), never as a JSON library's objects.
 * Strings returned through `char **out` are malloc'd and NUL-terminated; the
 * caller frees them with free().
 *
 * Thread-safety: keys (avow_jws_key) and signers (avow_token_signer) are
 * immutable after creation and may be used by many threads at once; every
 * other function is stateless. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/cert.h" /* certificates are the keys' identities: kid, JWK, x5c */
#include "avow/err.h"
#include "avow/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- keys ---------------------------------------------------------------- */

typedef enum {
    AVOW_JWS_ALG_NONE = 0, /* "none": unsigned */
    AVOW_JWS_ALG_RS256,    /* "RS256" (and, when allowed, "RSA256") */
    AVOW_JWS_ALG_ES256,    /* "ES256" */
} avow_jws_alg;

/* "none", "RS256", "ES256". */
const char *avow_jws_alg_name(avow_jws_alg alg);

/* A signing or verification key: RSA (>= 2048 bits for signing, >= 1024 for
 * verification, since old MAA instances sign with RSA-1024) or EC P-256.
 * Opaque; immutable; shareable between threads. */
typedef struct avow_jws_key avow_jws_key;

/* From PEM: a private key (PKCS#8 or traditional), a public key
 * (SubjectPublicKeyInfo) or an X.509 certificate (its public key). */
avow_err avow_jws_key_from_pem(const char *pem, size_t len, avow_jws_key **out, avow_error *err);
/* From a DER X.509 certificate (e.g. a decoded x5c entry). */
avow_err avow_jws_key_from_cert_der(const uint8_t *der, size_t len, avow_jws_key **out,
                                    avow_error *err);
void avow_jws_key_free(avow_jws_key *k);
/* RS256 for RSA keys, ES256 for P-256 keys. */
avow_jws_alg avow_jws_key_alg(const avow_jws_key *k);
bool avow_jws_key_is_private(const avow_jws_key *k);

/* ---- JWS ----------------------------------------------------------------- */

/* Signs `payload` (any bytes; JSON for JWTs) under the protected header
 * `header_json`, used verbatim (so the caller controls member order). The
 * header's "alg" must match the key (RS256 for RSA, ES256 for P-256); with
 * key NULL it must be "none" and the result is "<h>.<p>." (empty signature).
 * Output: "<b64url(header)>.<b64url(payload)>.<b64url(signature)>". */
avow_err avow_jws_sign(const char *header_json, const uint8_t *payload, size_t payload_len,
                       const avow_jws_key *key, char **out, avow_error *err);

/* Parse options (bit flags). */
#define AVOW_JWS_ALLOW_NONE   0x1u /* accept alg "none" (empty signature required) */
#define AVOW_JWS_ALLOW_RSA256 0x2u /* accept "RSA256" as RS256 (MAA policy JWS) */
#define AVOW_JWS_LENIENT_B64  0x4u /* accept padded / whitespace base64url segments */

/* A parsed compact JWS. All strings NUL-terminated and owned. */
typedef struct {
    avow_jws_alg alg;
    char *alg_name;   /* "alg" exactly as written, e.g. "RSA256" */
    char *header;     /* decoded protected header (JSON text) */
    uint8_t *payload; /* decoded payload; NUL-terminated for convenience */
    size_t payload_len;
    uint8_t *signature; /* decoded signature (raw r||s for ES256); NULL for "none" */
    size_t signature_len;
    char *kid;  /* header "kid" or NULL */
    char *typ;  /* header "typ" or NULL */
    char **x5c; /* header "x5c" entries (standard base64 DER, as sent) */
    size_t n_x5c;
    char *signing_input; /* "<h>.<p>" exactly as received */
    size_t signing_input_len;
} avow_jws;

/* Parses and decodes a compact JWS (three dot-separated segments; a trailing
 * newline or surrounding whitespace is an error unless AVOW_JWS_LENIENT_B64).
 * The header must be a JSON object with a string "alg" among the supported
 * ones (subject to flags). Does not verify the signature. */
avow_err avow_jws_parse(const char *compact, size_t len, unsigned flags, avow_jws *out,
                        avow_error *err);
void avow_jws_free(avow_jws *j);

/* Verifies a parsed JWS with `key`. The key type must match the alg (RS256
 * needs RSA, ES256 needs P-256). A "none" JWS never verifies (returns
 * AVOW_ERR_SIGNATURE). */
avow_err avow_jws_verify(const avow_jws *j, const avow_jws_key *key, avow_error *err);

/* Verifies a parsed JWS with the certificate in its own header x5c[0]
 * (policy JWS). On success, `signer_der` (optional) receives a malloc'd copy
 * of that certificate's DER. The certificate's trust is the caller's
 * business (e.g. compare with the stored policy-signer certificates). */
avow_err avow_jws_verify_x5c(const avow_jws *j, uint8_t **signer_der, size_t *signer_der_len,
                             avow_error *err);

/* ---- JWT ----------------------------------------------------------------- */

/* Signs a JWT with header {"alg":A,"jku":JKU,"kid":KID,"typ":"JWT"} (jku and
 * kid omitted when NULL; A from the key; key NULL gives an unsigned
 * {"alg":"none","typ":"JWT"} token). `claims_json` must be a JSON object. */
avow_err avow_jwt_sign(const avow_jws_key *key, const char *kid, const char *jku,
                       const char *claims_json, char **out, avow_error *err);

/* Verifies a JWT's signature with `key`, its "exp" (required) and, when
 * present, its "nbf" against `at` with `leeway` (>= 0) seconds of slack
 * (exp < at - leeway or nbf > at + leeway is AVOW_ERR_EXPIRED). "exp",
 * "nbf" and "iat" must be JSON integers in 0..INT64_MAX (whole seconds): a
 * fraction, exponent form, negative or out-of-range value, or a missing
 * "exp", is AVOW_ERR_FORMAT naming the claim. On success, `claims_json`
 * (optional) receives the payload text. */
avow_err avow_jwt_verify(const char *token, size_t len, const avow_jws_key *key, avow_time at,
                         int64_t leeway, char **claims_json, avow_error *err);

/* ---- JWK / JWKS ---------------------------------------------------------- */

/* {"keys":[JWK...]} for a list of certificates (PEM), in order, each JWK as
 * avow_jwk_from_cert writes it; /certs. */
avow_err avow_jwks_build(const char *const *cert_pems, size_t n, char **out_json, avow_error *err);

/* ---- signing keys and the token signer ----------------------------------- */

/* A freshly generated signing key: RSA-2048 and a self-signed X.509 v3
 * certificate (Subject = Issuer = CN=<subject_cn>, serial random, SHA-256,
 * digitalSignature key usage, valid from `not_before` for `valid_days`). */
typedef struct {
    char *key_pem;  /* PKCS#8 PEM private key: secret, wiped by _free */
    char *cert_pem; /* PEM certificate */
    char kid[AVOW_KID_LEN];
} avow_signing_material;

#define AVOW_SIGNING_DEFAULT_CN   "Avow Attestation Signing"
#define AVOW_SIGNING_DEFAULT_DAYS 365

/* subject_cn NULL means AVOW_SIGNING_DEFAULT_CN; valid_days <= 0 means
 * AVOW_SIGNING_DEFAULT_DAYS. MAA clients that check "issuer DN == CN=<iss>"
 * want subject_cn = the service's issuer URL. */
avow_err avow_signing_key_generate(const char *subject_cn, avow_time not_before, int valid_days,
                                   avow_signing_material *out, avow_error *err);
void avow_signing_material_free(avow_signing_material *m);

/* The longest CN an X.509 certificate may carry (RFC 5280 ub-common-name). */
#define AVOW_SIGNING_MAX_CN 64

/* Signs tokens with one key; the key is parsed once and the header
 * (alg/jku/kid/typ) encoded once, so signing a token is one hash + one
 * signature. Thread-safe. */
typedef struct avow_token_signer avow_token_signer;

/* `key_pem` private key, `cert_pem` its certificate (kid derived from it; the
 * key must match the certificate), `jku` (NULL to omit) e.g. "<iss>/certs". */
avow_err avow_token_signer_new(const char *key_pem, const char *cert_pem, const char *jku,
                               avow_token_signer **out, avow_error *err);
void avow_token_signer_free(avow_token_signer *s);
const char *avow_token_signer_kid(const avow_token_signer *s);
const char *avow_token_signer_cert_pem(const avow_token_signer *s);
/* The public key (for verifying tokens it signed); owned by the signer. */
const avow_jws_key *avow_token_signer_key(const avow_token_signer *s);

/* Signs a JWT whose payload is `claims_json` (len bytes, a JSON object; not
 * re-serialized). Output malloc'd. */
avow_err avow_token_signer_sign(const avow_token_signer *s, const char *claims_json, size_t len,
                                char **token, avow_error *err);

#ifdef __cplusplus
}
#endif
