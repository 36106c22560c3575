/* Client of Intel's Provisioning Certification Service (PCS v4 API) or of any
 * PCCS that mirrors it (Intel's PCCS, another avowd): fetches the collateral
 * of one platform family (FMSPC, PCK CA, TEE) and assembles an
 * avow_collateral. Requests, with {base} the configured base URL:
 *
 *   GET {base}/tcb?fmspc=<hex>          TCB-Info-Issuer-Chain (or SGX-TCB-Info-Issuer-Chain)
 *   GET {base}/qe/identity              SGX-Enclave-Identity-Issuer-Chain
 *   GET {base}/pckcrl?ca=<ca>&encoding=der   SGX-PCK-CRL-Issuer-Chain (body DER, PEM or hex)
 *   GET {base}/rootcacrl                (PCCS; hex DER, DER or PEM accepted)
 *   GET {base}/tcbevaluationdatanumbers TCB-Evaluation-Data-Numbers-Issuer-Chain
 *
 * TCB Info and QE Identity are asked for with "update=<channel>" (the
 * configured one) or, for one TCB evaluation number, with
 * "tcbEvaluationDataNumber=N" instead (Intel takes one or the other).
 * Issuer chains arrive URL-encoded in headers. For TDX, TCB Info and QE
 * Identity come from the TDX tree: "/sgx/certification/" in the base URL is
 * replaced by "/tdx/certification/" (a base without that part is used as is).
 * Errors name the URL and the HTTP status plus Intel's Error-Code /
 * Error-Message headers when present.
 *
 * Thread-safety: a client is immutable after creation and may be used by many
 * threads at once (one curl easy handle per request; curl's global init runs
 * once, thread-safely). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/collateral.h"
#include "avow/err.h"
#include "avow/evalnum.h"
#include "avow/pck.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AVOW_PCS_INTEL_BASE   "https://api.trustedservices.intel.com/sgx/certification/v4"
#define AVOW_PCS_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"

typedef struct {
    const char *base_url; /* required, e.g. AVOW_PCS_INTEL_BASE or
                             "https://pccs:8081/sgx/certification/v4"; a
                             trailing '/' is ignored */
    const char *api_key;  /* Ocp-Apim-Subscription-Key header; NULL: none. Sent
                             only to the base URL's origin (scheme, host,
                             port), never to a redirect elsewhere nor to the
                             Root CA CRL's host; a key with an http:// base
                             URL is refused (AVOW_ERR_ARG) */
    long timeout_ms;      /* per request (connect + transfer); <= 0: 30000 */
    const char *ca_file;  /* PEM CA bundle for TLS; NULL: system default */
    bool insecure_tls;    /* skip TLS peer verification (tests only) */
    const char *update;   /* "standard", "early" or NULL (parameter omitted) */
    /* Where the Root CA CRL comes from. NULL: "{base}/rootcacrl" and, when that
     * answers 404 (Intel PCS has no such path), AVOW_PCS_ROOT_CRL_URL.
     * "": do not fetch a Root CA CRL (collateral then lacks it). Else a URL. */
    const char *root_ca_crl_url;
} avow_pcs_opts;

typedef struct avow_pcs_client avow_pcs_client;

avow_err avow_pcs_client_new(const avow_pcs_opts *opts, avow_pcs_client **out, avow_error *err);
void avow_pcs_client_free(avow_pcs_client *c);

/* The base URL as configured (without a trailing '/'); for messages. */
const char *avow_pcs_client_base_url(const avow_pcs_client *c);

/* Fetches TCB Info, QE Identity, the PCK CRL of `ca` (PROCESSOR or PLATFORM;
 * UNKNOWN is an argument error) and the Root CA CRL, with their issuer
 * chains, into `out` (initialised by this call; free with
 * avow_collateral_free). `tee_type` is AVOW_TEE_SGX or AVOW_TEE_TDX. Checks
 * that the returned TCB Info is for the requested FMSPC and TEE. Does not
 * verify signatures (the verifier does). Errors: AVOW_ERR_IO (transport or
 * non-200), AVOW_ERR_NOT_FOUND (404), AVOW_ERR_FORMAT (unusable body or
 * header), AVOW_ERR_MISMATCH (wrong FMSPC/TEE in the answer). */
avow_err avow_pcs_fetch(const avow_pcs_client *c, const uint8_t fmspc[6], avow_pck_ca ca,
                        uint32_t tee_type, avow_collateral *out, avow_error *err);

/* avow_pcs_fetch for TCB evaluation number `eval_num` (0: the configured
 * update channel, as avow_pcs_fetch). */
avow_err avow_pcs_fetch_num(const avow_pcs_client *c, const uint8_t fmspc[6], avow_pck_ca ca,
                            uint32_t tee_type, int eval_num, avow_collateral *out, avow_error *err);

/* Fetches the TCB evaluation data numbers document of `tee_type` with its
 * issuer chain (not checked: avow_evalnums_check does). Same errors. */
avow_err avow_pcs_fetch_evalnums(const avow_pcs_client *c, uint32_t tee_type,
                                 avow_evalnums_raw *out, avow_error *err);

#ifdef __cplusplus
}
#endif
