/* One Microsoft Azure Attestation (MAA) attestation, as avowd performs it
 * and `avow policy eval` replays it (docs/maa.md §1.3, §1.10, §2.2, §3):
 *
 *   an attest request (MAA's request model: the evidence, runtimeData and
 *   initTimeData as JSON or binary, a nonce, a draft policy)
 *     -> the evidence of the type's TEE (an SGX quote for SgxEnclave and
 *        OpenEnclave, a TD quote for TdxVm; any other is refused)
 *     -> the request's data bound to the evidence (SHA-256(runtimeData) is
 *        REPORTDATA[0..32]; SHA-256(initTimeData) is CONFIGID[0..32] of an
 *        enclave, MRCONFIGID[0..32] of a TD)
 *     -> the platform identified through a PCK chain checked to a trusted root
 *     -> the evidence verified against collateral at a time (verify.h)
 *     -> the incoming claims (SGX: x-ms-sgx-*, MAA's deprecated aliases;
 *        TDX: MAA's EAT profile for TDX; Avow's x-avow-* TCB claims;
 *        x-ms-runtime, x-ms-inittime)
 *     -> the policy in force, or the request's draft policy, decides
 *     -> the exact claim set of the token, all but the five claims the
 *        signer adds as it signs (iss, iat, nbf, exp, jti).
 *
 * In two phases, because a service finds the collateral between them:
 * avow_attest_begin (parse, bind, compile a draft policy, identify the
 * platform) and avow_attest_finish (verify, claims, policy, token claims).
 * avow_attest does both with collateral at hand. Every refusal sets an
 * outcome, MAA's error code and a reason that says which step refused and
 * why.
 *
 * Thread-safety: no shared state; an attestation belongs to one caller. The
 * verifier and the policy may be shared (see verify.h, policy.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/claims.h"
#include "avow/collateral.h"
#include "avow/err.h"
#include "avow/policy.h"
#include "avow/quote.h"
#include "avow/time.h"
#include "avow/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the request ------------------------------------------------------------ */

typedef enum {
    AVOW_ATTEST_SGX_ENCLAVE = 1, /* POST /attest/SgxEnclave: "quote" */
    AVOW_ATTEST_OPEN_ENCLAVE,    /* POST /attest/OpenEnclave: "report" (OE header + quote) */
    AVOW_ATTEST_TDX_VM,          /* POST /attest/TdxVm: "quote" (a TD quote, v4 or v5) */
} avow_attest_type;

/* "SgxEnclave", "OpenEnclave", "TdxVm". Never NULL. */
const char *avow_attest_type_name(avow_attest_type t);

/* The type named `name` (MAA's names, case-insensitive); 0 when unknown. */
avow_attest_type avow_attest_type_parse(const char *name);

/* The TEE whose quotes a type takes: AVOW_TEE_TDX for TdxVm, else AVOW_TEE_SGX. */
uint32_t avow_attest_type_tee(avow_attest_type t);

/* The policy in force for a type whose policy was never set or was reset
 * (docs/maa.md §3.5): MAA's default SGX policy for SgxEnclave and
 * OpenEnclave, Avow's permit-all TdxVm default (MAA documents none).
 * Compiled once, never freed; NULL only when memory ran out. */
const avow_policy *avow_attest_default_policy(avow_attest_type t);

/* runtimeData or initTimeData. */
typedef struct {
    bool present;
    bool is_json;  /* dataType "JSON" */
    uint8_t *data; /* the decoded bytes */
    size_t len;
    char *json; /* the data re-serialised compactly, when is_json */
} avow_attest_data;

typedef struct {
    avow_attest_type type;
    uint8_t *evidence; /* decoded: the quote, or the Open Enclave report */
    size_t evidence_len;
    const uint8_t *quote; /* the quote inside `evidence` */
    size_t quote_len;
    avow_attest_data runtime, init_time;
    char *draft_policy; /* draftPolicyForAttestation text, or NULL */
    size_t draft_len;
    char *nonce; /* or NULL */
} avow_attest_request;

void avow_attest_request_init(avow_attest_request *r);
void avow_attest_request_free(avow_attest_request *r);

/* Parses an attest request body (docs/maa.md §1.3): JSON member names
 * matched case-insensitively (the 2020 samples' PascalCase names too),
 * base64url with or without padding and standard base64, unknown members
 * ignored; the Open Enclave evidence header (01000000 02000000 <u64 size>)
 * checked and unwrapped. AVOW_ERR_FORMAT naming the member on any problem. */
avow_err avow_attest_request_parse(const uint8_t *body, size_t len, avow_attest_type type,
                                   avow_attest_request *out, avow_error *err);

/* ---- the attestation ------------------------------------------------------ */

typedef enum {
    AVOW_ATTEST_PERMITTED = 0, /* the token's claims are ready */
    AVOW_ATTEST_BAD_REQUEST,   /* the request, its data bindings or its draft policy */
    AVOW_ATTEST_BAD_EVIDENCE,  /* the evidence does not parse, has no trusted chain, or fails
                                  verification */
    AVOW_ATTEST_DENIED,        /* the policy refused */
    AVOW_ATTEST_FAILED,        /* the attestation could not be carried out (memory, ...) */
} avow_attest_outcome;

typedef struct {
    avow_attest_outcome outcome;
    const char *error_code; /* MAA's code when refused: "InvalidParameter", "InvalidQuote",
                               "PolicyEvaluationFailed", "InternalError"; NULL when permitted */
    char reason[1100];      /* which step refused and why; "" when permitted */

    avow_quote quote; /* views into the request's evidence (valid while it lives) */
    bool have_quote;
    avow_platform_id platform; /* from the checked PCK chain */
    bool have_platform;

    avow_verify_result verify; /* when verified */
    bool verified;
    avow_claims *incoming; /* the incoming claims (also when verification failed) */

    bool draft;                /* the request's draft policy decided */
    char policy_hash[48];      /* x-ms-policy-hash of the policy that decided */
    avow_policy_result policy; /* its decision, issued claims and properties */
    avow_claims *token;        /* when permitted: the token's claims less the signer's */

    avow_policy *own_draft; /* private */
} avow_attestation;

void avow_attestation_init(avow_attestation *a);
void avow_attestation_free(avow_attestation *a);

/* Phase 1: the evidence parsed; the request's data bound to it; the draft
 * policy compiled; the platform read from a PCK chain checked to one of the
 * verifier's roots (avow_quote_platform) so that collateral is looked up or
 * fetched only for certified platforms. `req` must outlive `a`. */
avow_attest_outcome avow_attest_begin(avow_attestation *a, avow_verifier *v,
                                      const avow_attest_request *req);

/* Days since the TCB recovery that made the platform's TCB out of date, for
 * a verified SGX quote (docs/policy.md "Days since a TCB recovery"): true
 * with *days when the caller knows it (it holds Intel's evaluation numbers
 * document and the older collateral: avow_days_since_tcb_recovery); false
 * leaves the claim out. */
typedef bool (*avow_attest_recovery_fn)(void *ctx, const avow_verify_result *r, int64_t *days);

typedef struct {
    avow_time at;                  /* the verification time */
    bool allow_missing_crl;        /* verify.h */
    const avow_policy *policy;     /* the policy in force (a draft in the request wins) */
    const char *policy_signer_jwk; /* x-ms-policy-signer ({"kty","x5c"}), or NULL */
    /* optional: x-avow-sgx-days-since-tcb-recovery (an Integer incoming claim) */
    avow_attest_recovery_fn days_since_recovery;
    void *recovery_ctx;
} avow_attest_opts;

/* The policy property that selects the TCB baseline (docs/maa.md §3.3). */
#define AVOW_TCB_IDENTIFIER_CLAIM "x-ms-sgx-tcbidentifier"
#define AVOW_TCB_EVAL_NUM_MAX     1000000

/* A TCB evaluation data number as text (a policy's x-ms-sgx-tcbidentifier,
 * a PCCS tcbEvaluationDataNumber): decimal digits only, no sign, no spaces,
 * 1..AVOW_TCB_EVAL_NUM_MAX. False for anything else (*out untouched). */
bool avow_tcb_eval_num_parse(const char *s, int *out);

/* The TCB evaluation number `policy` selects (MAA's TCB baselines,
 * docs/maa.md §1.11): its configurationrules run alone, before anything is
 * verified, and the x-ms-sgx-tcbidentifier they issue is read: a number N
 * gives *eval_num N; "azuredefault" or no such property gives 0 (the
 * service's default: the newest number it holds, or the one configured).
 * AVOW_ERR_FORMAT, naming the policy and the value, for anything else.
 * `policy` NULL gives 0. */
avow_err avow_attest_tcb_eval_num(const avow_policy *policy, int *eval_num, avow_error *err);

/* The policy that decides an attestation begun with avow_attest_begin: the
 * request's draft policy when it has one, else `in_force`. */
const avow_policy *avow_attest_deciding_policy(const avow_attestation *a,
                                               const avow_policy *in_force);

/* Phase 2: verification against `vc` (checked by the same verifier), the
 * incoming claims, the decision, and on permit the token's claims. */
avow_attest_outcome avow_attest_finish(avow_attestation *a, avow_verifier *v,
                                       const avow_attest_request *req,
                                       const avow_verified_collateral *vc,
                                       const avow_attest_opts *o);

/* Both phases with collateral at hand, verified as it is (a set that does
 * not check is a verification failure whose trace names the check). */
avow_attest_outcome avow_attest(avow_attestation *a, avow_verifier *v,
                                const avow_attest_request *req, const avow_collateral *coll,
                                const avow_attest_opts *o);

/* ---- the claims, for callers that mint them alone ------------------------- */

/* The incoming claim set of a verified SGX quote, all with issuer
 * AttestationService:
 *
 *   x-ms-ver "1.0", x-ms-attestation-type "sgx", x-ms-sgx-is-debuggable (bool),
 *   x-ms-sgx-product-id, x-ms-sgx-svn (ints), x-ms-sgx-mrsigner,
 *   x-ms-sgx-mrenclave (64 lowercase hex), x-ms-sgx-report-data (128 hex),
 *   x-ms-sgx-ehd (base64url, unpadded; only when `ehd` is non-NULL),
 *   x-ms-sgx-collateral (JSON object, below),
 *   when ATTRIBUTES.KSS is set: x-ms-sgx-config-id (128 hex), x-ms-sgx-config-svn
 *   (int), x-ms-sgx-isv-extended-product-id, x-ms-sgx-isv-family-id (32 hex);
 *   the deprecated aliases $is-debuggable, $product-id, $sgx-mrsigner,
 *   $sgx-mrenclave, $svn, $tee ("sgx"), $maa-ehd and $aas-ehd (when ehd),
 *   $maa-attestationcollateral (same object);
 *   Avow's own: x-avow-sgx-tcb-status (Intel status string, when determined),
 *   x-avow-sgx-advisory-ids (one String claim per advisory ID),
 *   x-avow-sgx-tcb-date (RFC 3339 of the matched TCB level's tcbDate, when known);
 *   when the verification reached a status (Intel's supplemental data,
 *   docs/maa.md §3.4, docs/policy.md): x-avow-sgx-supplemental (JSON: the
 *   supplemental object of `avow quote verify --json`), x-avow-sgx-tcb-eval-num,
 *   x-avow-sgx-tcb-level-age-days, x-avow-sgx-qe-tcb-level-age-days (ints:
 *   whole days from the level's tcbDate to r->at, rounded down, 0 for a later
 *   date), x-avow-sgx-collateral-expired (bool, Intel's rule), x-avow-sgx-type
 *   ("Standard", "Scalable", "ScalableWithIntegrity"), x-avow-sgx-smt-enabled,
 *   x-avow-sgx-dynamic-platform, x-avow-sgx-cached-keys (bools, absent where
 *   the PCK certificate says nothing).
 *
 * x-ms-sgx-collateral: lowercase hex SHA-256 of
 *   quotehash         the quote bytes exactly as given (quote, quote_len)
 *   tcbinfohash       the exact signed tcbInfo bytes (coll->tcb_info)
 *   qeidhash          the exact signed enclaveIdentity bytes (coll->qe_identity)
 *   tcbinfocertshash  the TCB Info issuer chain PEM text
 *   qeidcertshash     the QE Identity issuer chain PEM text
 *   tcbinfocrlhash, qeidcrlhash  the Root CA CRL DER (coll->root_ca_crl): the CRL
 *                     that can revoke the TCB/QE-identity signing certificate
 *                     (real MAA tokens show both hashes equal, and the certs
 *                     hashes equal, which fits one root-issued chain and CRL)
 *   An absent item hashes as zero bytes. `coll` may be NULL: then only
 *   quotehash is present. `digests` (optional) are coll's, computed once by a
 *   caller that reuses it; NULL: the pieces are hashed here.
 *
 * `ehd` is the runtimeData bytes (MAA "enclave held data"); NULL when none.
 * Request-dependent claims (x-ms-runtime, x-ms-inittime) are added by
 * avow_attest_finish. AVOW_ERR_UNSUPPORTED for a TD quote's result
 * (r->is_td): SGX claims cannot describe a TD. */
avow_err avow_claims_incoming_sgx(const avow_verify_result *r, const uint8_t *quote,
                                  size_t quote_len, const avow_collateral *coll,
                                  const avow_collateral_digests *digests, const uint8_t *ehd,
                                  size_t ehd_len, avow_claims **out);

/* The incoming claim set of a verified TD quote: the claims of MAA's EAT
 * profile for Intel TDX (docs/maa.md §3.4), all with issuer
 * AttestationService, under the names the token carries:
 *
 *   x-ms-ver "1.0", x-ms-attestation-type "tdxvm",
 *   eat_profile "https://aka.ms/maa-eat-profile-tdxvm", intuse "generic",
 *   dbgstat "enabled" (TDATTRIBUTES.DEBUG set) or "disabled",
 *   tdx_mrsignerseam, tdx_mrseam, tdx_mrtd, tdx_rtmr0..3, tdx_mrconfigid,
 *   tdx_mrowner, tdx_mrownerconfig (96 lowercase hex), tdx_report_data (128),
 *   tdx_seam_attributes, tdx_td_attributes, tdx_xfam (16), tdx_tee_tcb_svn
 *   (32): the TD report's bytes in quote order;
 *   tdx_seamsvn (int): TEE_TCB_SVN bytes 0..1 as a little-endian u16 (the
 *   module's SVN and major version, SEAMSVN);
 *   tdx_td_attributes_debug (bit 0), _septve_disable (bit 28),
 *   _protection_keys (bit 30, PKS), _key_locker (bit 31, KL), _perfmon
 *   (bit 63) (bools, of TDATTRIBUTES as a little-endian u64);
 *   attester_tcb_status (Intel's converged status string, when determined);
 *   Avow's own: x-avow-tdx-advisory-ids (one String claim per advisory ID),
 *   x-avow-tdx-module-status (the TDX module's TCB status, when reached),
 *   x-avow-tdx-module-id (the tdxModuleIdentities entry judged, when one),
 *   x-avow-tdx-tcb-date (RFC 3339 of the TDX TCB level's tcbDate, when
 *   known), and for a TD report 1.5 x-avow-tdx-tee-tcb-svn2 (32 hex) and
 *   x-avow-tdx-mrservicetd (96 hex); the freshness claims of the SGX set above
 *   under x-avow-tdx-* (the SGX Type as x-avow-tdx-sgx-type), plus
 *   x-avow-tdx-module-tcb-level-age-days (the TDX module level's, when the
 *   module's major version has levels).
 *
 * Request-dependent claims (x-ms-runtime, x-ms-inittime) are added by
 * avow_attest_finish. AVOW_ERR_UNSUPPORTED for an SGX result (!r->is_td). */
avow_err avow_claims_incoming_tdx(const avow_verify_result *r, avow_claims **out);

/* The claim names only the service sets: a policy issuing one is ignored
 * (x-ms-*, x-avow-*, iss, iat, nbf, exp, jti, nonce, cnf, MAA's deprecated
 * aliases, and the TDX profile's tdx_*, attester_*, eat_profile, dbgstat,
 * intuse). */
bool avow_attest_claim_reserved(const char *type);

#ifdef __cplusplus
}
#endif
