/* The library's one model of X.509 certificates and CRLs (internal to
 * libavow): read straight from DER by a strict reader, as views into the
 * caller's bytes — signed TBS span, signature algorithm and value, serial,
 * raw issuer/subject names and their CN, validity, the public key (any
 * algorithm; P-256 recognised), basicConstraints, keyUsage, key identifiers,
 * the SGX extension; for CRLs the issuer, thisUpdate/nextUpdate, CRL Number,
 * AKI presence and the revoked serials. Why not d2i_X509: see der.c. Unknown
 * critical extensions, duplicate extensions and any DER violation are
 * rejected; tests/fuzz/fuzz_der_diff.c checks that nothing OpenSSL rejects is
 * accepted and that both read the same fields.
 *
 * Around the model, the helpers the rest of the library uses instead of
 * OpenSSL's X509: names (comparison, CN, RFC 2253 text), issued-by and
 * signature checks, CA rules, public keys, certificates from PEM or DER with
 * their own copy of the bytes, chains from PEM, and keys from PEM. Identities
 * and encodings for callers outside the library (kid, thumbprint, PEM <-> DER,
 * JWK) are in include/avow/cert.h.
 * Thread-safe: no state; results are plain values. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "avow/err.h"
#include "avow/time.h"
#include "core/pem.h"
#include "pki/der.h"

typedef struct {
    avow_span der;             /* the whole Certificate */
    avow_span tbs;             /* tbsCertificate TLV: the signed bytes */
    avow_span sig_alg;         /* signatureAlgorithm TLV (the outer one) */
    bool sig_alg_match;        /* the TBS's signature field is the same AlgorithmIdentifier */
    avow_span sig;             /* signatureValue contents (for ECDSA a DER ECDSA-Sig-Value) */
    bool sig_ecdsa_sha256;     /* both algorithm fields are ecdsa-with-SHA256 (no parameters) */
    uint32_t version;          /* 0 = v1, 2 = v3 */
    avow_span serial;          /* INTEGER contents (minimal two's complement) */
    avow_span issuer, subject; /* Name TLVs, raw */
    avow_span issuer_cn, subject_cn; /* contents of the first CN (len 0 when absent) */
    avow_time not_before, not_after;
    avow_span spki;      /* SubjectPublicKeyInfo TLV */
    avow_span key_alg;   /* its algorithm OID contents */
    avow_span key_param; /* its algorithm parameters TLV (len 0 when absent) */
    bool key_p256;       /* id-ecPublicKey, prime256v1, uncompressed point */
    avow_span key;       /* subjectPublicKey bits (for P-256: 04 || X || Y) */
    bool has_bc, ca;
    int path_len; /* -1 when absent */
    bool has_ku;
    uint16_t ku;        /* keyUsage bits, bit 0 = digitalSignature (0x80 of the first byte) */
    avow_span aki, ski; /* key identifiers (len 0 when absent) */
    avow_span sgx_ext;  /* the SGX extension's value (OCTET STRING contents), len 0 if absent */
} avow_cert;

/* Parses one certificate occupying exactly `len` bytes. AVOW_ERR_FORMAT
 * naming the field and offset on any violation. */
avow_err avow_cert_parse(const uint8_t *der, size_t len, avow_cert *out, avow_error *err);

/* ---- names (cert_check.c) ------------------------------------------------ */

/* The CN contents (as OpenSSL's X509_NAME_get_text_by_NID copies them) into
 * `out` (truncated, always terminated; "" when absent). */
void avow_cert_text(avow_span cn, char *out, size_t n);

/* Two raw Names are the same name: byte-identical, or equal under OpenSSL's
 * X509_NAME_cmp (canonical form) for differently encoded equal names. */
bool avow_name_eq(avow_span a, avow_span b);

/* Some CN of the raw Name `name` contains `needle`. */
bool avow_name_cn_contains(avow_span name, const char *needle);

/* The raw Name as RFC 2253 text (malloc'd), or NULL. */
char *avow_name_rfc2253(avow_span name);

/* Issuer and subject are the same name. */
bool avow_cert_self_issued(const avow_cert *c);

/* ---- keys and signatures (cert_check.c) ---------------------------------- */

/* The certificate's P-256 key as an EVP_PKEY (avow_ecdsa_key_from_point). */
avow_err avow_cert_key(const avow_cert *c, EVP_PKEY **out);

/* The certificate's public key of any type OpenSSL reads (the P-256 path of
 * avow_cert_key when it is one). */
avow_err avow_cert_pubkey(const avow_cert *c, EVP_PKEY **out, avow_error *err);

/* The certificate's signature verifies with `key`: ecdsa-with-SHA256 on the
 * fast path; ECDSA and RSA PKCS#1 v1.5 with SHA-1/256/384/512 otherwise (as
 * X509_verify, both algorithm fields must agree). For certificates that are
 * not Intel's (trust roots added by callers). */
bool avow_cert_signed_by(const avow_cert *c, EVP_PKEY *key);

/* `child` names `issuer` (DN equality) and its signature, ecdsa-with-SHA256
 * as in every DCAP chain, verifies with `issuer_key`. On failure writes a
 * reason and returns AVOW_ERR_CHAIN or AVOW_ERR_SIGNATURE. */
avow_err avow_cert_check_issued(const avow_cert *child, const avow_cert *issuer,
                                EVP_PKEY *issuer_key, char *why, size_t n);

/* ---- CA rules (cert_check.c) --------------------------------------------- */

/* keyUsage bits (RFC 5280 4.2.1.3) as avow_cert.ku holds them. */
#define AVOW_KU_DIGITAL_SIGNATURE 0x0080u
#define AVOW_KU_KEY_CERT_SIGN     0x0004u
#define AVOW_KU_CRL_SIGN          0x0002u

/* The certificate has a keyUsage extension asserting `bit` (one of the
 * above). Intel's profile puts keyUsage in every certificate of its chains,
 * so an absent extension is refused too. On failure `why` says what lacks
 * (e.g. "'X' keyUsage lacks keyCertSign"). */
bool avow_cert_has_ku(const avow_cert *c, uint16_t bit, char *why, size_t n);

/* `ca` may issue a certificate that has `below` non-self-issued CA
 * certificates under it in the path (0 for the CA that issues the leaf):
 * basicConstraints CA:TRUE, keyUsage keyCertSign, and a pathLenConstraint
 * absent or >= `below`. On failure `why` names the first rule broken. */
bool avow_cert_may_issue(const avow_cert *ca, int below, char *why, size_t n);

/* Looks like a CA as OpenSSL's X509_check_ca judges it: keyUsage, when
 * present, allows keyCertSign, and basicConstraints says CA:TRUE, or is
 * absent while keyUsage is present. */
bool avow_cert_looks_ca(const avow_cert *c);

/* Lower-case hex of the serial without leading zeros ("0" for zero). */
void avow_cert_serial_hex(const avow_cert *c, char *out, size_t n);

/* ---- CRLs ---------------------------------------------------------------- */

typedef struct {
    avow_span der, tbs, sig;
    bool sig_ecdsa_sha256;
    avow_span issuer, issuer_cn;
    avow_time this_update, next_update;
    bool has_next_update;
    bool has_crl_number, has_aki;
    avow_span revoked; /* contents of revokedCertificates (checked), len 0 if none */
    size_t n_revoked;
    /* the CRL Number's INTEGER contents (non-negative, minimal DER), len 0 when absent */
    avow_span crl_number;
} avow_crl;

/* Parses one CRL occupying exactly `len` bytes (as avow_cert_parse). */
avow_err avow_crl_parse(const uint8_t *der, size_t len, avow_crl *out, avow_error *err);

/* The CRL lists `serial` (INTEGER contents, minimal), as
 * X509_CRL_get0_by_serial finds it (entries with removeFromCRL, a delta-CRL
 * reason, and indirect entries were refused at parse). The caller has checked
 * that the CRL's issuer is the certificate's issuer. */
bool avow_crl_has_serial(const avow_crl *crl, avow_span serial);

/* The CRL's issuer is `issuer`'s subject and its signature verifies with
 * `issuer_key` (ecdsa-with-SHA256 only, as Intel signs). */
avow_err avow_crl_check_signed(const avow_crl *crl, const avow_cert *issuer, EVP_PKEY *issuer_key,
                               char *why, size_t n);

/* ---- certificates from text (cert_read.c) -------------------------------- */

/* A certificate with its own copy of the DER. */
typedef struct {
    uint8_t *der;
    size_t len;
    avow_cert c; /* views into `der` */
} avow_cert_copy;

/* Reads one certificate from DER (input starting with the SEQUENCE byte
 * 0x30) or PEM (the first CERTIFICATE block; text around it is ignored).
 * `what` names the input in messages ("certificate" when NULL). */
avow_err avow_cert_copy_read(const uint8_t *in, size_t len, const char *what, avow_cert_copy *out,
                             avow_error *err);
void avow_cert_copy_free(avow_cert_copy *c);

/* The first certificate of a PEM text as one canonical PEM block (malloc'd,
 * whatever surrounded it in the input) and its SHA-1 thumbprint in lower-case
 * hex (as avow_cert_thumbprint_sha1): how the store keeps policy signers. */
avow_err avow_cert_pem_canonical(const char *pem, size_t len, char **canonical, char thumb[41],
                                 avow_error *err);

/* Every PEM block of `pem` as a certificate: at least one, every block a
 * CERTIFICATE, each read by avow_cert_parse. Text outside blocks is ignored
 * (files often carry "subject=" lines). certs[i] views blobs[i]. */
typedef struct {
    avow_der_blob *blobs;
    avow_cert *certs;
    size_t n;
} avow_cert_chain;

avow_err avow_cert_chain_read(const char *pem, size_t len, const char *what, avow_cert_chain *out,
                              avow_error *err);
void avow_cert_chain_free(avow_cert_chain *ch);

/* The JWK of a certificate (RSA or EC P-256; include/avow/cert.h describes
 * the members) as a new jansson object. */
avow_err avow_cert_jwk(const avow_cert *c, bool minimal, json_t **out, avow_error *err);

/* ---- keys from PEM (key.c) ----------------------------------------------- */

/* The key of the first key-bearing PEM block, looked for in this order: a
 * private key ("PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY", "EC PRIVATE KEY"),
 * a public key ("PUBLIC KEY"), a certificate (its public key). `*is_private`
 * (optional) says which it was. Encrypted keys are refused. */
avow_err avow_key_from_pem(const char *pem, size_t len, EVP_PKEY **out, bool *is_private,
                           avow_error *err);
