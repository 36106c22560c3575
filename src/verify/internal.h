/* Internals of the DCAP verifier (include/avow/verify.h), shared by
 * verifier.c (roots, caches, result), collateral.c (the collateral-only
 * checks), steps.c (the numbered pipeline) and pipeline.c (replay and the
 * public entry point).
 *
 * Model: the expensive, time-independent part of a verification — certificate
 * and CRL parsing, every signature except the quote's own, JSON parsing, TCB
 * and QE matching — is computed once into a `vplat` holding an ordered list of
 * step records. A record is either static (pass/fail and a detail fixed by the
 * bytes), carries validity windows that are evaluated against `at` on every
 * call, or is the per-quote signature check. The trace of a call is always
 * produced by replaying that list, so a cache hit yields exactly the trace of
 * a miss. Thread-safety: vplat/vcoll are immutable once built and shared by
 * reference count (C11 atomics). */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "avow/quote.h"
#include "avow/verify.h"
#include "pki/cert.h"
#include "verify/cache.h"

#define VROOT_MAX 16
#define VREC_MAX  32
#define VDETAIL   240

/* A certificate read by pki/cert.h over its own copy of the DER, with its
 * P-256 key built once; immutable, shared by reference count. */
typedef struct vcert {
    atomic_int refs;
    avow_cert c;   /* views into der[] */
    EVP_PKEY *key; /* NULL when the key is not a valid P-256 point */
    size_t len;
    uint8_t der[];
} vcert;

void vcert_ref(void *c);
void vcert_unref(void *c);

typedef struct {
    vcert *vc; /* checked once when the root is added */
    uint8_t der_hash[32];
    bool intel; /* the Intel SGX Root CA key */
} vroot;

struct avow_verifier {
    vroot roots[VROOT_MAX];
    size_t n_roots;
    bool cache_on;
    vcache *certs;  /* DER SHA-256 -> vcert (CA certificates and PCK leaves) */
    vcache *colls;  /* (FMSPC, CA, TEE, collateral SHA-256) -> vcoll */
    vcache *plats;  /* (platform bytes, collateral, options) SHA-256 -> vplat */
    vcache *chains; /* certification data SHA-256 -> vchain (avow_quote_platform) */
};

/* ---- step records -------------------------------------------------------- */

typedef enum {
    VWIN_CERT,   /* certificate: notBefore <= at <= notAfter */
    VWIN_CRL,    /* CRL: thisUpdate <= at <= nextUpdate */
    VWIN_ISSUED, /* TCB Info / QE Identity: issueDate <= at <= nextUpdate */
} vwin_kind;

typedef struct {
    const char *what; /* "PCK certificate", "Root CA CRL", "QE identity", ... */
    avow_time from, until;
    vwin_kind kind;
} vwin;

typedef struct {
    const char *step;
    bool pass;        /* the static part */
    avow_err err;     /* class of a static failure */
    bool quote_sig;   /* evaluated per quote with vplat.attest_key */
    bool sets_status; /* the final "status" record */
    uint8_t n_win;
    vwin win[3];
    char detail[VDETAIL];
} vrec;

/* ---- verified collateral (cache b) --------------------------------------- */

/* Stages of the collateral-only checks, in order; the first failing stage
 * stops the build. */
enum {
    VC_TCB_CHAIN,
    VC_ROOT_CRL,
    VC_TCB_SIGNER_REVOKED,
    VC_TCB_SIG,
    VC_TCB_PARSE,
    VC_QE_CHAIN,
    VC_QE_SIG,
    VC_QE_PARSE,
    VC_PCK_CRL,
    VC_N,
};

typedef struct {
    bool done, pass;
    avow_err err;
    char detail[VDETAIL];
} vstage;

typedef struct vcoll {
    atomic_int refs;
    vstage st[VC_N];
    bool complete; /* every stage passed */

    int tcb_root, qe_root; /* index into the verifier's roots */
    vcert *tcb_signer, *tcb_chain_root, *qe_signer, *qe_chain_root;
    uint8_t *root_crl_der, *pck_crl_der; /* own copies; NULL when absent */
    avow_crl root_crl, pck_crl;          /* views into them */
    bool have_root_crl, have_pck_crl;
    avow_time root_crl_from, root_crl_until, pck_crl_from, pck_crl_until;
    vcert *pck_crl_ca_cert;    /* first certificate of the PCK CRL issuer chain, checked;
                                  with a PCK CRL it also checked that CRL's signature */
    vcert *pck_crl_chain_root; /* that chain's root (for supplemental dates) */
    avow_pck_ca pck_ca;        /* which PCK CA that is; UNKNOWN without an issuer chain */
    bool tcb_ok, qe_ok;
    avow_tcb_info tcb;
    avow_qe_identity qe;
} vcoll;

/* `known_ca`/`known_root` (both NULL when none): a PCK CA certificate the
 * caller has already checked as issued by that trusted root (the quote's
 * chain, step pck_chain). When the PCK CRL issuer chain holds byte-identical
 * certificates, that signature is not verified a second time: the result
 * could not differ, and a cold verification saves one ECDSA verify. */
vcoll *vcoll_build(avow_verifier *v, const avow_collateral *coll, const vcert *known_ca,
                   const vcert *known_root);
/* The checks TCB Info's signed JSON gets (issuer chain [TCB Signing, trusted
 * root], signature over the exact bytes), for another document Intel signs
 * with the same key (the TCB evaluation data numbers, evalnums.c). `what`
 * names it in `err`. */
avow_err vsigned_doc_check(avow_verifier *v, const char *what, const char *chain_pem,
                           const char *json, size_t len, const uint8_t sig[64], avow_error *err);
/* The verified form of checked collateral (checked.c), with its raw pieces
 * and identity digest; NULL when it was checked by another verifier. */
vcoll *vcoll_of_checked(const avow_verifier *v, const avow_verified_collateral *vc,
                        const avow_collateral **raw, const uint8_t **identity);
void vcoll_ref(void *c);
void vcoll_unref(void *c);

/* ---- verified platform part (cache c) ------------------------------------ */

typedef struct vplat {
    atomic_int refs;
    vrec recs[VREC_MAX];
    size_t n_recs;
    bool complete; /* reached the end without a static failure */

    EVP_PKEY *attest_key;
    bool have_pck;
    avow_pck_ext pck;
    avow_pck_ca ca;
    bool crl_missing, simulated_root;
    avow_tcb_status status, platform_status, qe_status;
    char **advisory_ids;
    size_t n_advisory_ids;
    avow_time tcb_date;
    int tcb_eval_num;
    /* TD quotes (tdx_steps.c): the SGX level's status (platform_status is
     * the TDX level's), the module's, the identity judged ("" = tdxModule) */
    avow_tcb_status sgx_status, module_status;
    char module_id[8];
    char **module_advisory_ids;
    size_t n_module_advisory_ids;
    /* Intel's supplemental data (supplemental.c): everything but
     * collateral_expiration_status, which is judged at replay; `valid` when
     * the build reached the status record */
    avow_supplemental supp;
} vplat;

void vplat_ref(void *p);
void vplat_unref(void *p);

/* The replay's part of the supplemental data (supplemental.c): copies `p`'s
 * into `r` (a private sa_list) and judges collateral_expiration_status at
 * `at`; called after the records are replayed, when the status record was
 * (r->collateral_expired is then final). */
void vsupp_replay(const vplat *p, avow_time at, avow_verify_result *r);

/* Builds the platform part for a parsed quote with certification data type
 * 5 (the pipeline's steps 1..), using `coll` and the verifier's caches;
 * `given` (may be NULL) is `coll` already verified (checked collateral). For
 * TD quotes the part also depends on the TD report's module fields
 * (TEE_TCB_SVN, MRSIGNERSEAM, SEAMATTRIBUTES, TEE_TCB_SVN_2), which the
 * caller's cache key covers. Never NULL except on allocation failure. */
vplat *vplat_build(avow_verifier *v, const avow_quote *q, const avow_collateral *coll, vcoll *given,
                   const avow_verify_opts *opts, const uint8_t coll_hash[32]);

/* The PCK chain checks of the pipeline alone (pck_chain, root_pinned, the
 * linkage; no windows): on success the platform read from the PCK
 * certificate; on failure the failing check's class and detail in `err`. */
avow_err vplat_chain_check(avow_verifier *v, const avow_quote *q, avow_platform_id *out,
                           avow_error *err);
void vchain_ref(void *c); /* the chain cache's values (checked.c) */
void vchain_unref(void *c);

/* ---- helpers (verifier.c) ------------------------------------------------ */

/* A certificate from DER through the certificate cache (a reference the
 * caller drops with vcert_unref), or NULL if it does not parse. Byte-identical
 * trusted roots come back as the verifier's own object. */
vcert *vcert_get(avow_verifier *v, const uint8_t *der, size_t len);

/* The trusted root whose public key equals `c`'s, or -1. */
int vroot_find(const avow_verifier *v, const vcert *c);

/* basicConstraints CA:TRUE (OpenSSL's EXFLAG_CA). */
/* The same certificate: one object, or byte-identical DER. */
static inline bool vcert_same(const vcert *a, const vcert *b)
{
    return a == b || (a && b && a->len == b->len && !memcmp(a->der, b->der, a->len));
}

static inline bool vcert_is_ca(const vcert *c)
{
    return c->c.has_bc && c->c.ca;
}

/* The date part (YYYY-MM-DD) of `t`, for details. */
void vdate(avow_time t, char out[11]);

/* Appends a static record; returns it (NULL when full). */
vrec *vrec_add(vplat *p, const char *step, bool pass, avow_err err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void vrec_window(vrec *r, const char *what, avow_time from, avow_time until, vwin_kind kind);
