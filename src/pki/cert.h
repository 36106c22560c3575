/* X.509 certificates and CRLs read straight from DER for the DCAP verifier
 * (internal to libavow): exactly the fields the checks use, as views into the
 * caller's bytes — signed TBS span, signature algorithm and value, serial,
 * raw issuer/subject names and their CN, validity, the P-256 key,
 * basicConstraints, keyUsage, key identifiers, the SGX extension; for CRLs
 * the issuer, thisUpdate/nextUpdate, the CRL Number, AKI presence and the
 * revoked serials. Why not d2i_X509: see der.c. Unknown critical extensions,
 * duplicate extensions and any DER violation are rejected.
 * Thread-safe: no state; results are plain values. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "avow/err.h"
#include "avow/time.h"
#include "pki/der.h"

typedef struct {
    avow_span der;             /* the whole Certificate */
    avow_span tbs;             /* tbsCertificate TLV: the signed bytes */
    avow_span sig;             /* signatureValue contents: a DER ECDSA-Sig-Value */
    bool sig_ecdsa_sha256;     /* both algorithm fields are ecdsa-with-SHA256 (no parameters) */
    uint32_t version;          /* 0 = v1, 2 = v3 */
    avow_span serial;          /* INTEGER contents (minimal two's complement) */
    avow_span issuer, subject; /* Name TLVs, raw */
    avow_span issuer_cn, subject_cn; /* contents of the first CN (len 0 when absent) */
    avow_time not_before, not_after;
    bool key_p256; /* id-ecPublicKey, prime256v1, uncompressed point */
    avow_span key; /* subjectPublicKey bits (for P-256: 04 || X || Y) */
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

/* The CN contents (as OpenSSL's X509_NAME_get_text_by_NID copies them) into
 * `out` (truncated, always terminated; "" when absent). */
void avow_cert_text(avow_span cn, char *out, size_t n);

/* Two raw Names are the same name: byte-identical, or equal under OpenSSL's
 * X509_NAME_cmp (canonical form) for differently encoded equal names. */
bool avow_name_eq(avow_span a, avow_span b);

/* The certificate's P-256 key as an EVP_PKEY (avow_ecdsa_key_from_point). */
avow_err avow_cert_key(const avow_cert *c, EVP_PKEY **out);

/* `child` names `issuer` (DN equality) and its signature verifies with
 * `issuer_key`. On failure writes a reason and returns AVOW_ERR_CHAIN or
 * AVOW_ERR_SIGNATURE (the messages of avow_x509_check_issued). */
avow_err avow_cert_check_issued(const avow_cert *child, const avow_cert *issuer,
                                EVP_PKEY *issuer_key, char *why, size_t n);

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

/* Lower-case hex of the serial without leading zeros ("0" for zero). */
void avow_cert_serial_hex(const avow_cert *c, char *out, size_t n);

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

/* The CRL lists `serial` (INTEGER contents, minimal), unless that entry's
 * reason is removeFromCRL (as X509_CRL_get0_by_serial). The caller has checked
 * that the CRL's issuer is the certificate's issuer. */
bool avow_crl_has_serial(const avow_crl *crl, avow_span serial);

/* The CRL's issuer is `issuer`'s subject and its signature verifies with
 * `issuer_key` (messages of avow_crl_check_issuer). */
avow_err avow_crl_check_signed(const avow_crl *crl, const avow_cert *issuer, EVP_PKEY *issuer_key,
                               char *why, size_t n);
