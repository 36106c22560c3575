/* Internal state and helpers of the software SGX platform (src/sim). Not
 * part of the API. Thread-safety: as sim.h (a platform is read-only once
 * built). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "pki/cert.h"
#include "sim/sim.h"

/* Architectural enclaves of the model: fixed identities. */
#define SIM_QE_PROD_ID    1
#define SIM_TD_QE_PROD_ID 2 /* as Intel's TD QE */
#define SIM_PCE_PROD_ID   3
#define SIM_AE_FLAGS      (AVOW_ATTR_INIT | AVOW_ATTR_MODE64BIT | AVOW_ATTR_PROVISIONKEY)
#define SIM_AE_XFRM       0xe7ULL

struct avow_sim_platform {
    avow_sim_platform_opts opts;
    /* CPU secrets (wiped on free) */
    uint8_t seal_root[16], prov_root[16], owner_epoch[16], report_keyid[32];
    uint8_t cpu_svn[16];
    /* QE3 / PCE */
    EVP_PKEY *att_key; /* QE attestation key (P-256) */
    EVP_PKEY *pck_key; /* derived from the provisioning root (docs/formats.md §6.3) */
    uint8_t ppid[16], qe_id[16];
    avow_sim_secs qe_secs, pce_secs;
    /* TD QE: its identity and attestation key (derived from the secrets) */
    avow_sim_secs td_qe_secs;
    EVP_PKEY *td_att_key;
    /* PKI */
    EVP_PKEY *root_key, *ca_key, *tcb_key;
    avow_cert_copy root_cert, ca_cert, tcb_cert, pck_cert; /* as issued, DER */
};

/* ---- kdf.c: the model KDF of docs/formats.md §3.4 ---- */
typedef struct {
    uint16_t key_name, key_policy, isv_prod_id, isv_svn, config_svn;
    uint8_t owner_epoch[16];
    uint64_t attr_flags, attr_xfrm, attr_mask_flags, attr_mask_xfrm;
    uint32_t misc_select, misc_mask;
    uint8_t cet_attr, cet_mask;
    uint8_t cpu_svn[16], mr_enclave[32], mr_signer[32], config_id[64];
    uint8_t isv_family_id[16], isv_ext_prod_id[16], key_id[32];
} sim_keydeps;

#define SIM_KDF_SER_SIZE 300
void sim_kdf_serialize(const sim_keydeps *d, uint8_t out[SIM_KDF_SER_SIZE]);
avow_err sim_kdf(const uint8_t root[16], const sim_keydeps *d, uint8_t key[16]);

/* ---- cpu.c ---- */
/* EGETKEY on a decoded request (shared by avow_sim_egetkey and the PCE/QE). */
avow_err sim_getkey(const avow_sim_enclave *e, const avow_keyrequest *req, uint8_t key[16],
                    uint32_t *sgx_status, avow_error *err);

/* ---- ec.c: P-256 helpers ---- */
EVP_PKEY *sim_ec_generate(void);
/* Key from a private scalar (32 bytes big-endian). */
EVP_PKEY *sim_ec_from_private(const uint8_t d[32]);
/* ECDSA-P256-SHA256 over msg, raw r||s big-endian. */
avow_err sim_ecdsa_sign(EVP_PKEY *k, const uint8_t *msg, size_t len, uint8_t sig[64]);
/* Raw public point X||Y (64 bytes). */
avow_err sim_ec_pub_raw(EVP_PKEY *k, uint8_t out[64]);
/* PEM I/O of private keys (PKCS#8; malloc'd strings); a P-256 key or NULL. */
char *sim_key_to_pem(EVP_PKEY *k);
EVP_PKEY *sim_key_from_pem(const char *pem, size_t len);

/* ---- pck_der.c ---- */
/* DER of the SGX extension value (SEQUENCE OF SEQUENCE {OID, value}); malloc'd. */
avow_err sim_pck_ext_der(const avow_pck_ext *e, bool platform_ca, uint8_t **der, size_t *len);

/* ---- pki.c ---- */
avow_err sim_pki_create(avow_sim_platform *p, avow_error *err);    /* root, CA, TCB signing */
avow_err sim_pki_issue_pck(avow_sim_platform *p, avow_error *err); /* needs pck_key, ppid */
/* CRL by `issuer` listing `revoked` (may be NULL), DER malloc'd. */
avow_err sim_pki_crl(const avow_cert_copy *issuer, EVP_PKEY *key, const avow_cert_copy *revoked,
                     avow_time this_update, avow_time next_update, uint8_t **der, size_t *len,
                     avow_error *err);
/* PEM of certificates concatenated (NULL-terminated list); malloc'd. */
char *sim_pem_chain(const avow_cert_copy *const *certs);

/* ---- platform.c ---- */
/* Everything derived from the secrets and options (shared by new and load). */
avow_err sim_platform_derive(avow_sim_platform *p, avow_error *err);

/* ---- pce_qe.c ---- */
/* Derives PPID, PCK key, QE_ID and the TD QE's attestation key from the
 * platform secrets and fills the qe/pce/td_qe identities. */
avow_err sim_pce_qe_setup(avow_sim_platform *p, avow_error *err);
/* The report of quoting enclave `qe` binding attestation key `att` and
 * `auth` (targeted at the PCE), and its PCK signature. */
avow_err sim_qe_certify(const avow_sim_platform *p, const avow_sim_secs *qe, EVP_PKEY *att,
                        const uint8_t *auth, size_t auth_len, uint8_t qe_report_body[384],
                        uint8_t qe_report_sig[64], avow_error *err);

/* ---- quote_gen.c ---- */
/* A signed quote of `version` (3: SGX only; 4; 5 with a body descriptor) for
 * TEE `tee` with `body` (body_type AVOW_BODY_*), made by quoting enclave `qe`
 * with attestation key `att`; malloc'd. */
avow_err sim_quote_assemble(const avow_sim_platform *p, const avow_sim_secs *qe, EVP_PKEY *att,
                            int version, uint32_t tee, uint16_t body_type, const uint8_t *body,
                            size_t body_len, uint8_t **quote, size_t *len, avow_error *err);

/* ---- json_out.c: compact JSON text of the simulated PCS ---- */
typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} sim_sb;
void sim_sb_printf(sim_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (caller frees), or NULL (and nothing to free) if memory ran out. */
char *sim_sb_take(sim_sb *b);
void sim_upper_hex(const uint8_t *in, size_t n, char *out);           /* out: 2n + 1 */
void sim_put_date(sim_sb *b, const char *key, avow_time t);           /* "key":"RFC 3339" */
void sim_put_advisories(sim_sb *b, const char *const *ids, size_t n); /* ,"advisoryIDs":[..] */
avow_time sim_day_floor(avow_time t);

/* ---- issue.c (shared with issue_tdx.c) ---- */
/* The advisories Intel's real levels of status `s` carry (see sim.h). */
void sim_default_advisories(avow_tcb_status s, const char *const **ids, size_t *n);
/* One tcbLevels entry; `tdx` (16 SVNs) adds tdxtcbcomponents, NULL for SGX. */
void sim_put_tcb_level(sim_sb *b, const uint8_t comps[16], uint32_t pcesvn, const uint8_t *tdx,
                       avow_time date, avow_tcb_status st, const char *const *ids, size_t n_ids,
                       bool first);
/* `{"id":"<id>","version":3,...,"tcbEvaluationDataNumber":N` (no closing). */
void sim_put_tcb_info_head(sim_sb *b, const char *id, const avow_sim_platform *p,
                           const avow_sim_collateral_opts *o, avow_time next);
/* The levels around the platform's TCB (`tdx`: its TDX components, NULL for
 * SGX): a newer UpToDate level it does not reach (PCESVN + 1, unless `st` is
 * UpToDate or `after_top`: levels were written before), its own level at
 * `st` (advisories from `o` or Intel's usual ones), an older OutOfDate level. */
void sim_put_platform_levels(sim_sb *b, const avow_sim_platform *p,
                             const avow_sim_collateral_opts *o, avow_tcb_status st,
                             const uint8_t *tdx, bool after_top);
/* One identity tcbLevels entry ({"tcb":{"isvsvn":N},...}). */
void sim_put_identity_level(sim_sb *b, uint32_t svn, avow_time date, avow_tcb_status st,
                            const char *const *ids, size_t n, bool first);

/* ---- issue_tdx.c ---- */
/* The TDX TCB Info JSON (sim.h, TDX options) into *json (malloc'd). */
avow_err sim_tdx_tcb_info(const avow_sim_platform *p, const avow_sim_collateral_opts *o,
                          avow_tcb_status st, avow_time next, char **json, avow_error *err);
