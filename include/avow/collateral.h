/* Intel collateral for one quote: the nine pieces of sgx_ql_qve_collateral_t
 * held as raw bytes, normalised (CRLs to DER, chains to PEM, TCB Info and QE
 * Identity to the exact signed JSON bytes plus the raw 64-byte signature).
 * Readers for the dcap-qvl JSON bundle and for a folder of Intel PCS
 * responses; a writer for the bundle. Parsing of the signed JSON lives in
 * tcbinfo.h. Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint32_t tee_type;               /* AVOW_TEE_SGX or AVOW_TEE_TDX (from tcbInfo id) */
    char *pck_crl_issuer_chain;      /* PEM, NUL-terminated; NULL if absent */
    uint8_t *root_ca_crl;            /* DER; NULL if absent */
    size_t root_ca_crl_len;
    uint8_t *pck_crl;                /* DER; NULL if absent */
    size_t pck_crl_len;
    char *tcb_info_issuer_chain;     /* PEM */
    char *tcb_info;                  /* exact signed bytes of the tcbInfo object, NUL-terminated */
    size_t tcb_info_len;
    uint8_t tcb_info_sig[64];        /* r||s big-endian */
    char *qe_identity_issuer_chain;  /* PEM */
    char *qe_identity;               /* exact signed bytes of the enclaveIdentity object */
    size_t qe_identity_len;
    uint8_t qe_identity_sig[64];
} avow_collateral;

void avow_collateral_init(avow_collateral *c);
void avow_collateral_free(avow_collateral *c);
avow_err avow_collateral_copy(const avow_collateral *src, avow_collateral *dst);
/* True when every piece is present in both or absent in both, with the same
 * bytes (chains compared as text). */
bool avow_collateral_equal(const avow_collateral *a, const avow_collateral *b);

/* SHA-256 digests of one collateral object, for a caller that checks many
 * quotes against an object it never modifies (avowd keeps one beside each
 * cached object): hashing ~10-20 KB once instead of on every quote.
 * `identity` covers every piece (presence, length and bytes, the TEE type
 * and both signatures) and is what the verifier's collateral cache is keyed
 * by; the others are the x-ms-sgx-collateral claim's hashes (an absent piece
 * hashes as empty). Digests that do not match the object they are passed
 * with make results wrong: compute them again whenever the object changes. */
typedef struct {
    uint8_t identity[32];
    uint8_t qe_identity_chain[32], qe_identity[32];
    uint8_t tcb_info_chain[32], tcb_info[32];
    uint8_t root_ca_crl[32];
} avow_collateral_digests;

void avow_collateral_identity(const avow_collateral *c, uint8_t out[32]);
void avow_collateral_digests_compute(const avow_collateral *c, avow_collateral_digests *d);

/* Reads a dcap-qvl bundle (`collateral.json`): tcb_info, tcb_info_signature
 * (hex), tcb_info_issuer_chain, qe_identity, qe_identity_signature,
 * qe_identity_issuer_chain, pck_crl, pck_crl_issuer_chain, root_ca_crl.
 * CRLs may be hex DER, PEM or base64; an empty string means absent. */
avow_err avow_collateral_from_bundle(const uint8_t *json, size_t len, avow_collateral *out,
                                     avow_error *err);

/* Writes the same bundle layout (malloc'd, NUL-terminated JSON). */
avow_err avow_collateral_to_bundle(const avow_collateral *c, char **out, avow_error *err);

/* Loads from a path: a bundle file, or a folder holding either
 * `collateral.json` or Intel PCS responses (TCB Info and QE Identity bodies
 * `{"tcbInfo":...,"signature":...}` / `{"enclaveIdentity":...}`, CRLs as
 * PEM/DER/hex, issuer chains as PEM or URL-encoded PEM; files are recognised
 * by content, not name). A CRL issued by a self-issued certificate of the
 * folder (or whose issuer CN contains "Root CA") is the Root CA CRL, any
 * other the PCK CRL. A chain starting with the TCB signer serves both TCB
 * Info and QE Identity; one starting with an intermediate CA is the PCK CRL
 * issuer chain; a lone root certificate completes a chain that stops short
 * of it; chains are cut after their root and re-written as canonical PEM.
 * Other files are ignored; missing pieces stay NULL. Errors name the file. */
avow_err avow_collateral_load(const char *path, avow_collateral *out, avow_error *err);

/* Takes a PCS/PCCS response body `{"tcbInfo":{...},"signature":"hex"}` (or
 * `enclaveIdentity`) and extracts the exact byte span of the signed object and
 * the signature. `key` is "tcbInfo" or "enclaveIdentity". The span points into
 * `body`. */
avow_err avow_signed_json_split(const char *body, size_t len, const char *key,
                                const char **span, size_t *span_len, uint8_t sig[64],
                                avow_error *err);

/* Rebuilds a PCS response body from the signed span and signature
 * (`{"tcbInfo":<span>,"signature":"<hex>"}`), byte-exact for the span. */
avow_err avow_signed_json_join(const char *key, const char *span, size_t span_len,
                               const uint8_t sig[64], char **out, avow_error *err);

/* Normalises a CRL given as PEM, raw DER or hex-encoded DER to DER. */
avow_err avow_crl_to_der(const uint8_t *in, size_t len, uint8_t **der, size_t *der_len,
                         avow_error *err);

#ifdef __cplusplus
}
#endif
