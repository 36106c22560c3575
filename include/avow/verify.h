/* DCAP quote verification with Intel QVL/QvE semantics: a pure function of
 * (quote, collateral, trusted roots, time). No I/O: fetching collateral is the
 * caller's job (collateral.h, the service). Steps follow
 * docs/verification.md A6 in order; each records an entry in the result's
 * trace. SGX quotes (v3, v4, v5) and TD quotes (v4 TD 1.0, v5 TD 1.0 / TD
 * 1.5) against SGX or TDX collateral (docs/tdx.md).
 *
 * Thread-safety: an avow_verifier may be shared by threads once its roots are
 * added; its caches are internally locked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/collateral.h"
#include "avow/evalnum.h"
#include "avow/err.h"
#include "avow/pck.h"
#include "avow/quote.h"
#include "avow/tcb.h"
#include "avow/time.h"
#include "avow/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct avow_verifier avow_verifier;

/* A verifier trusting the Intel SGX Root CA (pinned by public key; both
 * published certificates of that key are accepted) and nothing else. */
avow_err avow_verifier_new(avow_verifier **out, avow_error *err);
void avow_verifier_free(avow_verifier *v);

/* A verifier that trusts nothing until avow_verifier_add_root_pem (for tests
 * and for deployments that pin only their own root). Results chaining to an
 * added non-Intel root are marked simulated_root as usual. */
avow_err avow_verifier_new_empty(avow_verifier **out, avow_error *err);

/* Trusts one more root (PEM, one certificate). A root whose key is not
 * Intel's is marked simulated/foreign: results chaining to it say so. */
avow_err avow_verifier_add_root_pem(avow_verifier *v, const char *pem, size_t len, avow_error *err);

/* Caches (on by default): verified collateral per (FMSPC, CA, TEE, exact
 * bytes) until its nextUpdate, parsed CA certificates, and the verified
 * platform part of quotes (PCK chain, QE report and its signature, auth-data
 * binding) by a hash of its exact bytes, tied to the collateral. */
void avow_verifier_set_cache(avow_verifier *v, bool enabled);
void avow_verifier_clear_cache(avow_verifier *v);

typedef struct {
    avow_time at;           /* the verification time ("now"); required */
    bool allow_missing_crl; /* accept collateral without CRLs (verdict says so) */
    /* optional: digests of `coll` computed once by a caller that reuses it
     * (avow_collateral_digests_compute); NULL: hashed on each call */
    const avow_collateral_digests *digests;
} avow_verify_opts;

/* The fields of a TD report (TD 1.0; TD 1.5 adds TEE_TCB_SVN_2 and
 * MRSERVICETD), copied out of the quote, in the report's own order (the
 * arrays are the TD report byte for byte). Meaning: quote.h (avow_td_report). */
typedef struct {
    uint8_t tee_tcb_svn[16], mr_seam[48], mr_signer_seam[48], seam_attributes[8];
    uint8_t td_attributes[8], xfam[8], mr_td[48], mr_config_id[48], mr_owner[48];
    uint8_t mr_owner_config[48], rtmr[4][48], report_data[64];
    uint8_t tee_tcb_svn2[16], mr_service_td[48]; /* TD 1.5 only; zero for TD 1.0 */
    uint16_t body_type;                          /* AVOW_BODY_TD10 or AVOW_BODY_TD15 */
} avow_td_info;

/* Intel's pck_cert_flag_enum_t: a Configuration flag of a PCK certificate. */
typedef enum {
    AVOW_PCK_FLAG_FALSE = 0,
    AVOW_PCK_FLAG_TRUE = 1,
    AVOW_PCK_FLAG_UNDEFINED = 2, /* the certificate does not say */
} avow_pck_flag;

/* The version of Intel's sgx_ql_qv_supplemental_t whose fields these are. */
#define AVOW_SUPPLEMENTAL_MAJOR_VERSION 3
#define AVOW_SUPPLEMENTAL_MINOR_VERSION 3

/* Intel's supplemental data (sgx_ql_qv_supplemental_t, QvE
 * qve_set_quote_supplemental_data), with Intel's field names, computed from
 * what the verification checked. Filled (`valid`) when the verification
 * reached a status, whatever that status (Revoked included) and whether or
 * not the collateral has expired, as Intel fills it for every non-terminal
 * result. Where Avow deliberately differs from Intel's code (pce_id,
 * tee_type, tcb_level_date_tag, qe_iden_*, sa_list, the PCK flags) see
 * docs/verification.md A10. Times are unix seconds, 0 where absent. */
typedef struct {
    bool valid;
    uint16_t major_version, minor_version; /* AVOW_SUPPLEMENTAL_*_VERSION */
    /* over the Root CA CRL and PCK CRL (thisUpdate / nextUpdate), every
     * certificate of the PCK CRL issuer chain, the quote's PCK chain, the TCB
     * Info and QE Identity issuer chains (notBefore / notAfter), TCB Info and
     * QE Identity (issueDate / nextUpdate); pieces absent from the
     * collateral (allow_missing_crl) are left out */
    avow_time earliest_issue_date, latest_issue_date, earliest_expiration_date;
    avow_time tcb_level_date_tag;              /* the lowest of the level dates below */
    avow_time platform_tcb_level_date_tag;     /* the matched TCB level's tcbDate (TD: TDX level) */
    bool has_pck_crl_num, has_root_ca_crl_num; /* CRL present, CRL Number fits 32 bits */
    uint32_t pck_crl_num, root_ca_crl_num;     /* CRL Number extensions */
    uint32_t tcb_eval_ref_num; /* min(TCB Info, QE Identity) tcbEvaluationDataNumber */
    uint8_t root_key_id[48];   /* SHA-384 of the PCK chain root's key (04 || X || Y) */
    uint8_t pck_ppid[16];
    uint8_t tcb_cpusvn[16];
    uint16_t tcb_pce_isvsvn;
    uint8_t pce_id[2]; /* both bytes, as in the PCK certificate */
    uint32_t tee_type; /* the quote header's: AVOW_TEE_SGX or AVOW_TEE_TDX */
    uint8_t sgx_type;  /* 0 Standard, 1 Scalable, 2 ScalableWithIntegrity */
    /* Scalable types only (Intel fills them for no other): */
    bool has_platform_instance_id;
    uint8_t platform_instance_id[16];
    avow_pck_flag dynamic_platform, cached_keys, smt_enabled;
    char *sa_list; /* sorted, de-duplicated advisory IDs, comma-separated ("" for none) */
    /* the QE Identity and its issuer chain alone */
    avow_time qe_iden_earliest_issue_date, qe_iden_latest_issue_date;
    avow_time qe_iden_earliest_expiration_date;
    avow_time qe_iden_tcb_level_date_tag; /* the matched QE level's tcbDate */
    uint32_t qe_iden_tcb_eval_ref_num;    /* the QE Identity's tcbEvaluationDataNumber */
    uint32_t qe_iden_status;              /* the QE level's status as sgx_ql_qv_result_t */
    /* Intel's collateral_expiration_status: 1 when earliest_expiration_date
     * <= the verification time or any validity window failed, else 0 */
    uint32_t collateral_expiration_status;
    /* TD quotes (Intel's ServTD supplemental names where it has them) */
    uint8_t tdx_module_major_ver;            /* TEE_TCB_SVN[1] */
    uint16_t tdx_module_svn;                 /* matched module level's isvsvn; 0 for major 0 */
    avow_time tdx_module_tcb_level_date_tag; /* its tcbDate; 0 for major 0 */
} avow_supplemental;

typedef struct {
    /* verdict */
    bool ok;                /* genuine and status determined (UpToDate..OutOfDateConfigNeeded) */
    avow_tcb_status status; /* converged Intel status; NONE if not determined */
    avow_tcb_status platform_status; /* TCB Info level before QE convergence */
    avow_tcb_status qe_status;       /* QE Identity level status */
    char **advisory_ids; /* union of matched TCB level's and QE level's, de-duplicated */
    size_t n_advisory_ids;
    uint32_t result_code; /* sgx_ql_qv_result_t */
    bool collateral_expired;
    bool crl_missing;    /* verified without CRLs under allow_missing_crl */
    bool simulated_root; /* chain ends in an added (non-Intel) root */
    avow_err err;        /* AVOW_OK when ok; else the failing check's class */
    char reason[256];    /* the failing check's detail; "" when ok */
    avow_trace trace;

    /* the enclave (application report body) */
    bool debug;
    uint8_t mr_enclave[32], mr_signer[32], report_data[64], attributes[16], cpu_svn[16];
    uint8_t isv_ext_prod_id[16], isv_family_id[16], config_id[64];
    uint16_t isv_prod_id, isv_svn, config_svn;
    uint32_t misc_select;

    /* the platform */
    uint16_t quote_version;
    uint32_t tee_type;
    uint16_t qe_svn, pce_svn;
    avow_pck_ext pck; /* valid when have_pck */
    bool have_pck;
    avow_pck_ca pck_ca;
    avow_time tcb_date;            /* matched TCB level's tcbDate, 0 if none */
    int tcb_eval_num;              /* min(tcbInfo, qeIdentity) evaluation data number */
    avow_time earliest_expiration; /* min nextUpdate/notAfter over the collateral */

    /* ---- TD quotes (tee_type AVOW_TEE_TDX; additions, zero for SGX) ----
     * For a TD quote `debug` is TDATTRIBUTES.DEBUG, the enclave fields above
     * stay zero, `platform_status` is the TDX TCB level's status and
     * `tcb_date` its tcbDate; `advisory_ids` joins the TDX level's, the
     * module level's and the QE level's (docs/tdx.md). */
    bool is_td;
    avow_td_info td;
    avow_tcb_status sgx_tcb_status; /* the SGX TCB level's status (Intel's sgxTcbStatus) */
    avow_tcb_status module_status;  /* the TDX module's TCB status: UpToDate, OutOfDate or
                                     * Revoked (UpToDate for major version 0, which Intel
                                     * judges by tdxModule alone); NONE if not reached */
    char module_id[8];              /* the tdxModuleIdentities entry judged ("TDX_01"), or "" */
    char **module_advisory_ids;     /* the module level's advisory IDs */
    size_t n_module_advisory_ids;

    /* ---- Intel's supplemental data (addition; `valid` false when none) ---- */
    avow_supplemental supplemental;

    /* the verification time (opts->at), which the supplemental data's
     * collateral_expiration_status and the attestation's age claims are
     * judged at (addition) */
    avow_time at;
} avow_verify_result;

void avow_verify_result_init(avow_verify_result *r);
void avow_verify_result_free(avow_verify_result *r);

/* Verifies `quote` against `coll` at opts->at. Returns AVOW_OK whenever a
 * verdict was reached (read r->ok), and an error (with `r->reason`) only when
 * the input is unusable: the quote does not parse, or opts are invalid. */
avow_err avow_verify_quote(avow_verifier *v, const uint8_t *quote, size_t len,
                           const avow_collateral *coll, const avow_verify_opts *opts,
                           avow_verify_result *r);

/* Checks collateral on its own, before any quote: the TCB Info and QE
 * Identity issuer chains (to a trusted root), the Root CA CRL and that it
 * does not revoke their signer, both signatures over the exact signed bytes,
 * that both documents parse, and that the PCK CRL parses. Validity windows
 * are not judged here (the caller compares `at` with nextUpdate; a quote's
 * verification judges them all). AVOW_OK when every check passes; else the
 * first failing check's class, its detail in `err`. What passes is kept in
 * the verifier's cache only through avow_verify_quote. */
avow_err avow_verify_collateral(avow_verifier *v, const avow_collateral *coll, avow_error *err);

/* The FMSPC and CA of a quote's PCK certificate, read without checking the
 * chain (to look at a quote; a service deciding what to fetch uses
 * avow_quote_platform below). */
avow_err avow_quote_platform_id(const uint8_t *quote, size_t len, uint8_t fmspc[6], avow_pck_ca *ca,
                                uint32_t *tee_type, avow_error *err);

/* ---- for services: check once, verify many ------------------------------- */

/* Which platform family a quote's collateral belongs to. */
typedef struct {
    uint8_t fmspc[6];
    avow_pck_ca ca;
    uint32_t tee_type; /* AVOW_TEE_SGX or AVOW_TEE_TDX */
} avow_platform_id;

/* The platform of a parsed quote, read from its PCK certificate only after
 * the PCK chain is shown to be issued by a trusted root: the same chain
 * checks as the verification's pck_chain and root_pinned steps (names,
 * linkage, signatures, CA flags, root pinned by key), without the validity
 * windows, which the verification judges. So a caller fetches collateral
 * only for platforms that Intel (or an added root) certified, whatever a
 * quote claims. Results are cached by the certification data bytes. Errors:
 * AVOW_ERR_UNSUPPORTED (no PCK chain in the quote), AVOW_ERR_CHAIN /
 * AVOW_ERR_SIGNATURE / AVOW_ERR_FORMAT with the failing check's detail. */
avow_err avow_quote_platform(avow_verifier *v, const avow_quote *q, avow_platform_id *out,
                             avow_error *err);

/* Collateral checked once into an immutable, reference-counted object: a
 * private copy of the raw pieces, their digests, what identifies and bounds
 * the set, and everything the verifier parsed and verified from it (signing
 * chains to a trusted root, Root CA CRL, PCK CRL against its issuer chain,
 * signatures over the exact bytes, TCB Info, QE Identity). It is what a
 * service keeps in memory, writes to its store and serves downstream, and
 * what avow_verify_quote_checked verifies quotes against without checking
 * the collateral again. Bound to the verifier that checked it (its roots).
 * Many threads may use one object at once. */
typedef struct avow_verified_collateral avow_verified_collateral;

typedef struct {
    avow_platform_id platform; /* FMSPC and TEE from TCB Info; CA from the PCK CRL's
                                  issuer chain (or the CRL's issuer), UNKNOWN if neither */
    avow_time next_update;     /* earliest nextUpdate of TCB Info, QE Identity and the CRLs */
    avow_time tcb_issue_date;  /* TCB Info issueDate */
    int tcb_eval_num;          /* TCB Info tcbEvaluationDataNumber */
    int qe_eval_num;           /* QE Identity tcbEvaluationDataNumber */
    bool has_pck_crl, has_root_ca_crl;
    bool pck_crl_checked; /* the PCK CRL's signature verified against its issuer chain
                             (without one it is checked per quote only) */
    bool simulated_root;  /* signed under an added (non-Intel) root */
} avow_collateral_info;

/* Checks `coll` (avow_verify_collateral's checks) and, when every check
 * passes, returns the object (one reference). Validity windows are not
 * judged: compare the info's next_update with the time of use. */
avow_err avow_collateral_check(avow_verifier *v, const avow_collateral *coll,
                               avow_verified_collateral **out, avow_error *err);
avow_verified_collateral *avow_verified_collateral_ref(avow_verified_collateral *vc);
void avow_verified_collateral_unref(avow_verified_collateral *vc);
const avow_collateral *avow_verified_collateral_raw(const avow_verified_collateral *vc);
const avow_collateral_info *avow_verified_collateral_info(const avow_verified_collateral *vc);
const avow_collateral_digests *avow_verified_collateral_digests(const avow_verified_collateral *vc);

/* avow_verify_quote for a quote parsed by the caller (avow_quote_parse_ex),
 * against checked collateral: the same verdict and trace, without parsing
 * the quote or checking the collateral again. `vc` must come from the same
 * verifier (else AVOW_ERR_ARG). */
avow_err avow_verify_quote_checked(avow_verifier *v, const avow_quote *q,
                                   const avow_verified_collateral *vc, const avow_verify_opts *opts,
                                   avow_verify_result *r);

/* ---- TCB evaluation data numbers (evalnum.h) ------------------------------ */

/* Checks a document: its issuer chain is a TCB Signing certificate issued by
 * one of `v`'s trusted roots (the same check as TCB Info's issuer chain,
 * docs/verification.md A6 step 4), its signature verifies over the exact
 * signed bytes with that key, and it parses. `out` (may be NULL) receives the
 * parsed document. Validity (nextUpdate) is the caller's to judge.
 * AVOW_ERR_CHAIN / AVOW_ERR_SIGNATURE / AVOW_ERR_FORMAT naming what failed. */
avow_err avow_evalnums_check(avow_verifier *v, const avow_evalnums_raw *r, avow_evalnums *out,
                             avow_error *err);

/* One evaluation number's TCB Info for a platform (parsed), for the days
 * since a TCB recovery. */
typedef struct {
    int number;
    const avow_tcb_info *tcb;
} avow_evalnum_tcb;

/* Days since the TCB recovery that made a platform's TCB out of date
 * (docs/policy.md "Days since a TCB recovery"): with `judged` the number that
 * judged the quote, `comp` / `pcesvn` the platform's TCB from its PCK
 * certificate, and `tcbs` the TCB Info the caller holds per number:
 * walking the document's numbers down from `judged`, find the lowest number
 * N such that under N and every listed number above it up to `judged` the
 * platform's matched level is out of date (OutOfDate, OutOfDateConfiguration-
 * Needed or Revoked), while under the listed number just below N it is not;
 * *days = whole days (floor) from N's tcbRecoveryEventDate to `at`.
 * Returns false (the claim is absent) when under `judged` the platform is
 * not out of date, when a number on the way down is not held (its TCB Info
 * missing from `tcbs`) or not listed, when the platform was already out of
 * date under the lowest listed number, or when `at` precedes the date. */
bool avow_days_since_tcb_recovery(const avow_evalnums *doc, const avow_evalnum_tcb *tcbs,
                                  size_t n_tcbs, int judged, const uint8_t comp[16],
                                  uint16_t pcesvn, avow_time at, int64_t *days);

#ifdef __cplusplus
}
#endif
