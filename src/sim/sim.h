/* A software SGX platform: a simulated CPU with its own secrets (EINIT,
 * EGETKEY, EREPORT), a simulated PCE and QE3 that produce DCAP quotes v3/v4,
 * a simulated TDX module and TD QE that produce TD quotes v4/v5 (TD report
 * 1.0 or 1.5), and a simulated PKI shaped like Intel's ("Avow Simulated SGX
 * Root CA", PCK Processor or Platform CA, TCB Signing) issuing PCK
 * certificates and collateral in Intel's formats (TCB Info v3 with id SGX or
 * TDX, QE Identity v2 with id QE or TD_QE, CRLs).
 *
 * Nothing here is Intel's: the root is named so that nobody mistakes it for
 * Intel's, and no verifier default trusts it (avow_verifier_add_root_pem must
 * be called with avow_sim_root_pem's output, and the verdict then says
 * `simulated_root`).
 *
 * Key derivation follows docs/formats.md §3.4 (the model KDF:
 * AES-128-CMAC over a packed, versioned serialisation of the §3.1 key
 * dependencies), so a REPORT made for enclave T verifies only inside T on the
 * same platform (same secrets, owner epoch and CPUSVN).
 *
 * Time is an input: the library never reads the clock; the CLI passes now.
 *
 * Thread-safety: a platform is immutable after avow_sim_platform_new/load
 * except through avow_sim_platform_set_*; concurrent read-only use (EGETKEY,
 * EREPORT, quoting, issuing collateral) from several threads is safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/collateral.h"
#include "avow/enclave.h"
#include "avow/err.h"
#include "avow/pck.h"
#include "avow/report.h"
#include "avow/tcb.h"
#include "avow/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SGX instruction status codes (RAX after EINIT / EGETKEY). */
enum {
    AVOW_SGX_SUCCESS = 0,
    AVOW_SGX_INVALID_SIG_STRUCT = 1,
    AVOW_SGX_INVALID_ATTRIBUTE = 2,
    AVOW_SGX_INVALID_MEASUREMENT = 4,
    AVOW_SGX_INVALID_SIGNATURE = 8,
    AVOW_SGX_INVALID_CPUSVN = 32,
    AVOW_SGX_INVALID_ISVSVN = 64,
    AVOW_SGX_INVALID_KEYNAME = 256,
};

#define AVOW_SIM_ROOT_CN "Avow Simulated SGX Root CA"

/* ---- Platform ---------------------------------------------------------------- */
typedef struct avow_sim_platform avow_sim_platform;

typedef struct {
    avow_time now;             /* creation time (required, > 0) */
    avow_time cert_not_before; /* 0: now - 1 day (all certificates) */
    avow_time cert_not_after;  /* 0: now + 20 years (CA, TCB Signing); PCK leaf: now + 7 years */
    uint8_t comp_svn[16];      /* platform TCB components; CPUSVN byte i = comp_svn[i] */
    uint16_t pce_svn;
    uint16_t qe_svn; /* the simulated QE3's ISVSVN */
    uint8_t fmspc[6];
    avow_pck_ca ca; /* AVOW_PCK_CA_PROCESSOR or AVOW_PCK_CA_PLATFORM */
    int sgx_type;   /* 0 Standard, 1 Scalable, 2 ScalableWithIntegrity */
    /* Tests of the verifier's certificate checks only: extension values in
     * OpenSSL's config syntax (e.g. "critical,cRLSign"; "" leaves the
     * extension out) replacing the conforming keyUsage of the root, PCK CA,
     * TCB Signing and PCK certificates, and the root's basicConstraints
     * (e.g. "critical,CA:TRUE,pathlen:0"). NULL: conforming. Read while the
     * platform is created; not saved. */
    const char *ku_root, *ku_ca, *ku_tcb, *ku_pck, *bc_root;
    /* NULL: a fresh PKI. Else the new platform's PCK certificate is issued by
     * this platform's PKI (its root, PCK CA and TCB Signing keys and
     * certificates are shared, and the ku_ / bc_ fields are ignored): many
     * platforms, each with its own FMSPC, under one root. `ca` must be that
     * PKI's CA. Borrowed while the platform is created; not saved. */
    const avow_sim_platform *pki_from;
    /* Platform-CA PCK certificates: the Configuration flags (docs/formats.md
     * §6.4), each 1 (true), 0 (false) or -1 (left out of the extension: not
     * what Intel issues, for tests of the "undefined" state). Defaults 0, 0,
     * 1. Read while the platform is created; the PCK certificate keeps them. */
    int dynamic_platform, cached_keys, smt_enabled;
} avow_sim_platform_opts;

/* Defaults: comp SVNs 11,11,2,2,255,1,12,0.. (like a real Xeon), PCESVN 13,
 * QE SVN 8, FMSPC 00a0aa100000 (not a real one), Processor CA, SGX type 0,
 * Configuration flags (Platform CA) dynamic 0, cached keys 0, SMT 1. */
void avow_sim_platform_opts_default(avow_sim_platform_opts *o, avow_time now);

/* A new platform in memory: fresh random CPU secrets (seal and provisioning
 * roots, owner epoch, report KEYID), QE attestation key, PKI keys and
 * certificates (root, PCK CA, TCB Signing, this platform's PCK certificate
 * with the SGX extension). */
avow_err avow_sim_platform_new(const avow_sim_platform_opts *o, avow_sim_platform **out,
                               avow_error *err);

/* Persists to / loads from a platform folder (created 0700 if missing;
 * secret files 0600; secrets are wiped from memory after use). Layout:
 * platform.json (public parameters), cpu.secrets, attestation.key,
 * root.key/.pem, pckca.key/.pem, tcbsign.key/.pem, pck.pem. */
avow_err avow_sim_platform_save(const avow_sim_platform *p, const char *dir, avow_error *err);
avow_err avow_sim_platform_load(const char *dir, avow_sim_platform **out, avow_error *err);
void avow_sim_platform_free(avow_sim_platform *p);

/* Replaces the owner epoch (as a BIOS owner change would): every SEAL and
 * REPORT key changes. */
void avow_sim_platform_set_owner_epoch(avow_sim_platform *p, const uint8_t epoch[16]);

typedef struct {
    uint8_t cpu_svn[16];
    uint8_t comp_svn[16];
    uint16_t pce_svn, qe_svn;
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    uint8_t ppid[16];
    uint8_t qe_id[16];
    avow_pck_ca ca;
    int sgx_type;
    uint8_t qe_mr_enclave[32], qe_mr_signer[32];
    uint16_t qe_isv_prod_id;
    uint8_t pck_serial[20]; /* big-endian, pck_serial_len bytes */
    size_t pck_serial_len;
} avow_sim_platform_info;

void avow_sim_platform_get_info(const avow_sim_platform *p, avow_sim_platform_info *out);

/* PEM (malloc'd, NUL-terminated): the simulated root certificate (pass it to
 * avow_verifier_add_root_pem / `--root`), and the quote's PCK chain
 * (leaf, PCK CA, root). */
avow_err avow_sim_root_pem(const avow_sim_platform *p, char **pem, avow_error *err);
avow_err avow_sim_pck_chain_pem(const avow_sim_platform *p, char **pem, avow_error *err);

/* ---- Enclaves -------------------------------------------------------------------
 * The SECS-derived identity of an initialised enclave. */
typedef struct {
    uint8_t mr_enclave[32], mr_signer[32];
    uint64_t attr_flags, attr_xfrm; /* INIT is set after EINIT */
    uint32_t misc_select;
    uint8_t cet_attributes;
    uint16_t isv_prod_id, isv_svn, config_svn;
    uint8_t config_id[64], isv_family_id[16], isv_ext_prod_id[16];
} avow_sim_secs;

typedef struct {
    const avow_sim_platform *platform; /* not owned; must outlive the enclave */
    avow_sim_secs secs;
} avow_sim_enclave;

/* SECS fields fixed at ECREATE (the measurement comes from avow_measure). */
typedef struct {
    uint64_t attr_flags, attr_xfrm; /* e.g. MODE64BIT (| DEBUG), xfrm 0x3 */
    uint32_t misc_select;
    uint8_t cet_attributes;
    uint8_t config_id[64];
    uint16_t config_svn;
} avow_sim_create;

/* EINIT, checking what hardware checks (unlike Intel's SDK simulation mode):
 * SIGSTRUCT constants, the RSA signature and Q1/Q2, the measured MRENCLAVE ==
 * ENCLAVEHASH, ATTRIBUTES/MISCSELECT/CET under the SIGSTRUCT masks, KSS-only
 * fields zero without KSS. On success fills `out` (MRSIGNER = SHA-256 of the
 * modulus, ISV fields from the SIGSTRUCT, INIT set). `sgx_status` (may be
 * NULL) receives the AVOW_SGX_* code; the return value is AVOW_ERR_FORMAT
 * (bad SIGSTRUCT), AVOW_ERR_SIGNATURE, or AVOW_ERR_MISMATCH (measurement,
 * attributes). */
avow_err avow_sim_einit(const avow_sim_platform *p, const avow_sim_create *c,
                        const uint8_t mrenclave[32], const avow_sigstruct *ss,
                        avow_sim_enclave *out, uint32_t *sgx_status, avow_error *err);

/* A test shortcut with no SIGSTRUCT: an initialised enclave with exactly the
 * identity given (INIT is added to attr_flags). For quoting chosen
 * measurements (`avow sim quote --mrenclave/--mrsigner`). */
void avow_sim_enclave_from_identity(const avow_sim_platform *p, const avow_sim_secs *secs,
                                    avow_sim_enclave *out);

/* EGETKEY from inside enclave `e`: `keyrequest` is a 512-byte KEYREQUEST
 * (avow_keyrequest_encode). REPORT and SEAL keys (PROVISION/PROVISION_SEAL
 * only for enclaves with PROVISIONKEY, EINITTOKEN for EINITTOKEN_KEY).
 * Requests for an ISVSVN, CONFIGSVN or CPUSVN above the enclave's / platform's
 * fail (AVOW_ERR_ARG with sgx_status INVALID_ISVSVN / INVALID_CPUSVN),
 * KSS-only policy bits without KSS or reserved bits fail as hardware does. */
avow_err avow_sim_egetkey(const avow_sim_enclave *e, const uint8_t keyrequest[AVOW_KEYREQUEST_SIZE],
                          uint8_t key[AVOW_KEY_SIZE], uint32_t *sgx_status, avow_error *err);

/* EREPORT from inside `e` to the enclave named by `targetinfo` (512 bytes;
 * all-zero is legal), with `report_data` (64 bytes, NULL = zeros). */
avow_err avow_sim_ereport(const avow_sim_enclave *e, const uint8_t targetinfo[AVOW_TARGETINFO_SIZE],
                          const uint8_t *report_data, uint8_t report[AVOW_REPORT_SIZE],
                          avow_error *err);

/* The TARGETINFO naming `e` (what another enclave passes to EREPORT). */
void avow_sim_targetinfo(const avow_sim_enclave *e, uint8_t targetinfo[AVOW_TARGETINFO_SIZE]);

/* Local attestation check inside `target`: EGETKEY(REPORT_KEY, KEYID = the
 * report's), then avow_report_verify. AVOW_ERR_SIGNATURE when the report was
 * not made for `target` on this platform, or was altered. */
avow_err avow_sim_verify_report(const avow_sim_enclave *target,
                                const uint8_t report[AVOW_REPORT_SIZE], avow_error *err);

/* ---- Quoting ---------------------------------------------------------------------- */
/* The simulated QE3 (ISVPRODID 1, PROVISIONKEY, ISVSVN = qe_svn). */
void avow_sim_qe_enclave(const avow_sim_platform *p, avow_sim_enclave *out);
void avow_sim_qe_targetinfo(const avow_sim_platform *p, uint8_t targetinfo[AVOW_TARGETINFO_SIZE]);

/* The QE: checks `app_report` (it must be targeted at the QE on this platform:
 * AVOW_ERR_SIGNATURE otherwise), then builds and signs a quote. `version` 3
 * (certification data type 5) or 4 (type 6 nesting type 5). The QE report is
 * targeted at the PCE, verified by it and signed with the PCK key; its report
 * data is SHA-256(attestation key || QE auth data) || 32 zero bytes.
 * `*quote` is malloc'd. */
avow_err avow_sim_quote(const avow_sim_platform *p, const uint8_t app_report[AVOW_REPORT_SIZE],
                        int version, uint8_t **quote, size_t *len, avow_error *err);

/* Convenience: EREPORT from `app` to the QE with `report_data` (NULL = zeros),
 * then avow_sim_quote. */
avow_err avow_sim_quote_enclave(const avow_sim_enclave *app, const uint8_t *report_data,
                                int version, uint8_t **quote, size_t *len, avow_error *err);

/* ---- TD quotes -------------------------------------------------------------------
 * The TDX module of the model and a TD running on it. There is no TDX
 * module MAC here: the TD report is taken as given (what TDG.MR.REPORT would
 * return) and quoted by the simulated TD QE (ISVPRODID 2, its own MRSIGNER
 * and attestation key, derived from the platform secrets). */
typedef struct {
    uint8_t tee_tcb_svn[16];  /* [0] module SVN, [1] module major version, [2] SEAM SVN */
    uint8_t tee_tcb_svn2[16]; /* TD report 1.5: the TCB after TD-preserving updates */
    uint8_t mr_seam[48], mr_signer_seam[48];
    uint8_t seam_attributes[8];
} avow_sim_tdx_module;

/* Defaults: TEE_TCB_SVN 05 01 03 (module 1.x, SVN 5) and the same as
 * TEE_TCB_SVN_2, MRSEAM and MRSIGNERSEAM the SHA-384 of fixed model names
 * (a real Intel module's MRSIGNERSEAM is zero), SEAMATTRIBUTES zero. */
void avow_sim_tdx_module_default(avow_sim_tdx_module *m);

typedef struct {
    int version;         /* 4 or 5 */
    uint16_t body_type;  /* AVOW_BODY_TD10, or AVOW_BODY_TD15 (version 5 only) */
    avow_sim_tdx_module module;
    uint8_t td_attributes[8], xfam[8];
    uint8_t mr_td[48], mr_config_id[48], mr_owner[48], mr_owner_config[48];
    uint8_t rtmr[4][48];
    uint8_t report_data[64];
    uint8_t mr_service_td[48]; /* TD report 1.5 */
} avow_sim_td_opts;

/* Defaults: version 4, TD report 1.0, the default module, TDATTRIBUTES
 * SEPT_VE_DISABLE (not DEBUG), XFAM e702060000000000, MRTD the SHA-384 of a
 * fixed name, everything else zero. */
void avow_sim_td_opts_default(avow_sim_td_opts *o);

/* A TD quote: header (TEE type 0x81, the TD QE's and PCE's SVNs), the TD
 * report (v5: after a body descriptor of type 2 or 3), signed by the TD QE's
 * attestation key; auth data as v4/v5 quotes carry it (type 6 nesting the
 * PCK chain, type 5), the QE report of the TD QE certified by the PCK key.
 * `*quote` is malloc'd. */
avow_err avow_sim_td_quote(const avow_sim_platform *p, const avow_sim_td_opts *o,
                           uint8_t **quote, size_t *len, avow_error *err);

/* ---- Collateral ------------------------------------------------------------------- */
typedef struct {
    avow_time issue_date;       /* TCB Info / QE Identity issueDate, CRL thisUpdate (required) */
    avow_time next_update;      /* 0: issue_date + 30 days (also CRL nextUpdate) */
    avow_tcb_status tcb_status; /* status of the TCB level the platform matches (NONE = UpToDate) */
    avow_tcb_status qe_status;  /* UP_TO_DATE, OUT_OF_DATE or REVOKED (NONE = UpToDate) */
    /* Advisory IDs of the matched platform level; NULL: none for UpToDate,
     * "INTEL-SA-00615" (SWHardening*), "INTEL-SA-00289" (Configuration*),
     * "INTEL-SA-00828" (OutOfDate*, Revoked) as Intel's real levels use. */
    const char *const *advisory_ids;
    size_t n_advisory_ids;
    /* Advisory IDs of the matched QE level; NULL: none for UpToDate,
     * "INTEL-SA-00615" otherwise. */
    const char *const *qe_advisory_ids;
    size_t n_qe_advisory_ids;
    bool revoke_pck;    /* the platform's PCK certificate is in the PCK CRL */
    bool revoke_pck_ca; /* the PCK CA certificate is in the root CA CRL */
    int tcb_eval_num;   /* 0: 17 */

    /* TDX (additions). tee AVOW_TEE_TDX issues TDX TCB Info v3 (id TDX:
     * tdxModule, and tdxModuleIdentities with an entry TDX_XX for the module's
     * major version, with its own levels, beside a decoy entry for another
     * major version) and the TD QE Identity (id TD_QE) for TD quotes of
     * `module`. `tcb_status` is then the status of the TDX TCB level the TD
     * lands on (both the SGX components and TEE_TCB_SVN), or
     * TDRelaunchAdvised(ConfigurationNeeded): levels such that a TD 1.5 quote
     * whose TEE_TCB_SVN_2 is above its TEE_TCB_SVN (bytes 0 and 2) is advised
     * to relaunch, its module level OutOfDate. */
    uint32_t tee;                      /* AVOW_TEE_SGX (default) or AVOW_TEE_TDX */
    const avow_sim_tdx_module *module; /* TDX: the module the quotes carry (required) */
    avow_tcb_status module_status;     /* TDX: the module level's status: UpToDate, OutOfDate
                                        * or Revoked (NONE = UpToDate); needs major > 0 */
    bool module_mismatch;              /* TDX: the identity's mrsigner is not the module's */
} avow_sim_collateral_opts;

void avow_sim_collateral_opts_default(avow_sim_collateral_opts *o, avow_time now);

/* Issues collateral for the platform's quotes, as Intel's PCS would (for TD
 * quotes: see the TDX options above): TCB Info
 * v3 (id SGX, this FMSPC) whose levels put the platform's PCK TCB at
 * `tcb_status` (with a higher UpToDate level above it when the status is not
 * UpToDate, and an older OutOfDate level below), QE Identity v2 whose levels
 * put the QE's ISVSVN at `qe_status`; both compact JSON signed (ECDSA P-256,
 * raw r||s) over the exact bytes by the TCB Signing key; root CA and PCK CRLs
 * (CRL Number and Authority Key Identifier extensions) signed by the root and
 * the PCK CA; issuer chains. `out` is initialised by this call; free it with
 * avow_collateral_free. */
avow_err avow_sim_collateral(const avow_sim_platform *p, const avow_sim_collateral_opts *o,
                             avow_collateral *out, avow_error *err);

/* One number of a simulated TCB evaluation data numbers document. */
typedef struct {
    int number;
    avow_time recovery_date; /* tcbRecoveryEventDate */
    avow_time tcb_date;      /* tcbDate; 0: the day after the recovery event */
} avow_sim_evalnum;

/* Intel's TCB evaluation data numbers document for `tee` (AVOW_TEE_SGX or
 * _TDX), as PCS serves it: *body {"tcbEvaluationDataNumbers":{...},
 * "signature":"hex"} signed by the TCB Signing key over the exact inner
 * bytes, *chain the TCB-Evaluation-Data-Numbers-Issuer-Chain (PEM). Both
 * malloc'd. next_update 0: issue_date + 30 days. */
avow_err avow_sim_evalnums(const avow_sim_platform *p, const avow_sim_evalnum *nums, size_t n,
                           avow_time issue_date, avow_time next_update, uint32_t tee, char **body,
                           char **chain, avow_error *err);

/* Signs arbitrary bytes with the TCB Signing key (raw r||s), for tests that
 * craft their own TCB Info / QE Identity JSON. */
avow_err avow_sim_tcb_sign(const avow_sim_platform *p, const uint8_t *msg, size_t len,
                           uint8_t sig[64], avow_error *err);

/* Intel status names, accepting also the CLI's lower-case / dashed spellings
 * ("up-to-date", "outofdate", "sw-hardening-needed", ...). AVOW_ERR_ARG for an
 * unknown name. */
avow_err avow_sim_status_parse(const char *s, avow_tcb_status *out, avow_error *err);
const char *avow_sim_status_name(avow_tcb_status s);

#ifdef __cplusplus
}
#endif
