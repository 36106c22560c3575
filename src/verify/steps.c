/* The DCAP pipeline for the platform part of an SGX quote, one small function
 * per step in Intel QVL/QvE order (docs/verification.md A6), each appending
 * one step record (internal.h). Steps stop at the first failure that is not a
 * validity window: windows are judged later, against `at`, when the records
 * are replayed (pipeline.c), so expired collateral still gets a status.
 *
 *   1 pck_chain            exactly 3 certificates; names; linkage; signatures; CA flags,
 *                          keyUsage and pathLen (docs/security.md, "Key usage")
 *   2 root_pinned          the chain root's public key is a trusted root's
 *   3 pck_chain_validity   leaf, PCK CA, root notBefore/notAfter
 *   4 tcb_info_chain       TCB Signing chain (collateral), same root as the PCK chain
 *   5 root_ca_crl          issuer, extensions, signature by the root; thisUpdate..nextUpdate
 *   6 tcb_signing_revocation
 *   7 tcb_info_signature   over the exact tcbInfo bytes
 *   8 tcb_info_validity    issueDate..nextUpdate
 *   9 qe_identity_chain / 10 qe_identity_signature / 11 qe_identity_validity
 *  12 pck_crl              issued and signed by the PCK chain's CA; window
 *  13 pck_revocation       PCK CA not in the root CRL, PCK leaf not in the PCK CRL
 *  14 fmspc_pceid          tcbInfo id vs TEE, FMSPC and PCE-ID of the PCK certificate
 *  15 qe_report_signature  PCK leaf key over the 384-byte QE report
 *  16 qe_report_data       SHA-256(attestation key || QE auth data) || 32 zero bytes
 *  17 qe_identity          miscselect, attributes, mrsigner, isvprodid, isvsvn level
 *  18 quote_signature      attestation key over header || body (judged per quote)
 *  19 tcb_level            first level <= the PCK's 16 component SVNs and PCESVN
 *  20 status               Intel's QE/platform convergence table (A7)
 *
 * Once the status record is appended (whatever the status), Intel's
 * supplemental data is built from the same state (supplemental.c).
 *
 * TD quotes (tee_type 0x81) run the same steps with a TDX TCB Info (v3, id
 * TDX) at 14 and the TD QE Identity (id TD_QE) at 17, the TD versions of 19
 * and 20, and the TD-only steps (no-ops for SGX quotes): 14a tdx_module,
 * 19a tdx_module_tcb and 19b td_relaunch (TD report 1.5). They live in
 * tdx_steps.c and follow Intel's order (docs/tdx.md).
 *
 * Thread-safe: builds a private vplat; shared caches lock internally. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "core/pem.h"
#include "core/sha256.h"
#include "pki/cert.h"
#include "pki/ecdsa.h"
#include "pki/pck_cert.h"
#include "verify/internal.h"
#include "verify/steps.h"
#include "verify/tcb_match.h"

void vplat_ref(void *p)
{
    atomic_fetch_add(&((vplat *)p)->refs, 1);
}

void vplat_unref(void *p)
{
    vplat *pl = p;
    if (!pl || atomic_fetch_sub(&pl->refs, 1) != 1) return;
    EVP_PKEY_free(pl->attest_key);
    avow_advisory_free(pl->advisory_ids, pl->n_advisory_ids);
    avow_advisory_free(pl->module_advisory_ids, pl->n_module_advisory_ids);
    free(pl->supp.sa_list);
    free(pl);
}

static void cert_window(vrec *r, const char *what, const vcert *x)
{
    vrec_window(r, what, x->c.not_before, x->c.not_after, VWIN_CERT);
}

/* 1. PCK certificate chain from certification data type 5. */
static bool s_pck_chain(vb *b)
{
    avow_error e;
    avow_error_clear(&e);
    if (avow_pem_split((const char *)b->q->cert_data, b->q->cert_data_len, "CERTIFICATE", &b->ders,
                       &b->n_ders, &e) != AVOW_OK)
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_FORMAT, "PCK certificate chain: %s",
                        e.msg),
               false;
    if (b->n_ders != 3)
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_CHAIN,
                        "PCK certificate chain has %zu certificates; exactly 3 (PCK, PCK CA, "
                        "root) required",
                        b->n_ders),
               false;
    vcert **slots[3] = {&b->leaf, &b->ca, &b->root};
    static const char *const names[3] = {"PCK certificate", "PCK CA certificate",
                                         "root certificate"};
    for (int i = 0; i < 3; i++)
        if (!(*slots[i] = vcert_get(b->v, b->ders[i].der, b->ders[i].len)))
            return vrec_add(b->p, "pck_chain", false, AVOW_ERR_FORMAT,
                            "PCK certificate chain: the %s does not parse", names[i]),
                   false;
    avow_cert_text(b->leaf->c.subject_cn, b->leaf_cn, sizeof(b->leaf_cn));
    avow_cert_text(b->ca->c.subject_cn, b->ca_cn, sizeof(b->ca_cn));
    avow_cert_text(b->root->c.subject_cn, b->root_cn, sizeof(b->root_cn));
    return true;
}

/* 2. Root pinned by public key (A2). */
static bool s_root_pinned(vb *b)
{
    b->root_idx = vroot_find(b->v, b->root);
    if (b->root_idx < 0)
        return vrec_add(b->p, "root_pinned", false, AVOW_ERR_CHAIN,
                        "PCK chain root '%s' is not trusted: its public key is not the Intel "
                        "SGX Root CA key nor an added root's",
                        b->root_cn),
               false;
    if (b->v->roots[b->root_idx].intel) {
        vrec_add(b->p, "root_pinned", true, AVOW_OK,
                 "chain root '%s' carries the pinned Intel SGX Root CA key", b->root_cn);
    } else {
        b->p->simulated_root = true;
        vrec_add(b->p, "root_pinned", true, AVOW_OK,
                 "chain root '%s' is an added trusted root, NOT Intel's: simulated/foreign "
                 "evidence",
                 b->root_cn);
    }
    return true;
}

/* 1 (continued): names, linkage, signatures, CA flags and key usage (each CA
 * keyCertSign and within its pathLenConstraint, the PCK certificate
 * digitalSignature: it signs the QE report); the SGX extension. */
static bool s_pck_linkage(vb *b)
{
    char why[200];
    avow_err rc;
    if (!strstr(b->root_cn, "SGX Root CA") || !strstr(b->ca_cn, "CA") ||
        !strstr(b->leaf_cn, "SGX PCK Certificate"))
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_CHAIN,
                        "unexpected names in the PCK chain: '%s' / '%s' / '%s'", b->leaf_cn,
                        b->ca_cn, b->root_cn),
               false;
    if (b->root != b->v->roots[b->root_idx].vc &&
        ((rc = avow_cert_check_issued(&b->root->c, &b->root->c, b->root->key, why, sizeof(why))) !=
             AVOW_OK ||
         !vcert_is_ca(b->root)))
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_CHAIN,
                        "PCK chain root is not a self-signed CA"),
               false;
    if (!avow_cert_may_issue(&b->root->c, 1, why, sizeof(why))) /* the PCK CA is below it */
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_CHAIN, "PCK chain root: %s", why), false;
    if ((rc = avow_cert_check_issued(&b->ca->c, &b->root->c, b->root->key, why, sizeof(why))) !=
        AVOW_OK)
        return vrec_add(b->p, "pck_chain", false, rc, "PCK CA: %s", why), false;
    if (!avow_cert_may_issue(&b->ca->c, 0, why, sizeof(why)))
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_CHAIN, "PCK CA: %s", why), false;
    if ((rc = avow_cert_check_issued(&b->leaf->c, &b->ca->c, b->ca->key, why, sizeof(why))) !=
        AVOW_OK)
        return vrec_add(b->p, "pck_chain", false, rc, "PCK certificate: %s", why), false;
    if (vcert_is_ca(b->leaf))
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_CHAIN,
                        "the PCK certificate must not be a CA"),
               false;
    if (!avow_cert_has_ku(&b->leaf->c, AVOW_KU_DIGITAL_SIGNATURE, why, sizeof(why)))
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_CHAIN, "PCK certificate: %s", why),
               false;
    b->p->ca = strstr(b->ca_cn, "Processor")  ? AVOW_PCK_CA_PROCESSOR
               : strstr(b->ca_cn, "Platform") ? AVOW_PCK_CA_PLATFORM
                                              : AVOW_PCK_CA_UNKNOWN;
    if (b->p->ca == AVOW_PCK_CA_UNKNOWN)
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_CHAIN,
                        "'%s' is neither a PCK Processor CA nor a PCK Platform CA", b->ca_cn),
               false;
    avow_error e;
    avow_error_clear(&e);
    if (avow_pck_ext_from_cert(&b->leaf->c, &b->p->pck, &e) != AVOW_OK)
        return vrec_add(b->p, "pck_chain", false, AVOW_ERR_FORMAT,
                        "PCK certificate SGX extension: %s", e.msg),
               false;
    b->p->have_pck = true;
    vrec_add(b->p, "pck_chain", true, AVOW_OK,
             "'%s' <- '%s' <- '%s': issuers, signatures, CA flags, key usage and path length "
             "valid",
             b->leaf_cn, b->ca_cn, b->root_cn);
    return true;
}

/* 3. Validity windows of the PCK chain (judged at replay). */
static bool s_pck_chain_validity(vb *b)
{
    vrec *r = vrec_add(b->p, "pck_chain_validity", true, AVOW_OK,
                       "PCK certificate, PCK CA and root within their validity");
    cert_window(r, "PCK certificate", b->leaf);
    cert_window(r, "PCK CA certificate", b->ca);
    cert_window(r, "root CA certificate", b->root);
    return r != NULL;
}

/* The verified collateral: given by the caller, from cache (b) or built now. */
static bool get_collateral(vb *b, const uint8_t coll_hash[32])
{
    if (b->c) return true;
    uint8_t key[6 + 1 + 4 + 32];
    memcpy(key, b->p->pck.fmspc, 6);
    key[6] = (uint8_t)b->p->ca;
    for (int i = 0; i < 4; i++)
        key[7 + i] = (uint8_t)(b->coll->tee_type >> (8 * i));
    memcpy(key + 11, coll_hash, 32);
    if (b->v->cache_on) b->c = vcache_get(b->v->colls, key, sizeof(key));
    if (!b->c) {
        /* the quote's PCK CA was checked against its root in pck_chain */
        b->c = vcoll_build(b->v, b->coll, b->p->have_pck ? b->ca : NULL,
                           b->p->have_pck ? b->root : NULL);
        if (!b->c)
            return vrec_add(b->p, "collateral", false, AVOW_ERR_NOMEM, "out of memory"), false;
        if (b->v->cache_on && b->c->complete) vcache_put(b->v->colls, key, sizeof(key), b->c);
    }
    return true;
}

/* A record from a collateral stage; false if that stage failed (or never ran). */
static vrec *from_stage(vb *b, int s, const char *step)
{
    const vstage *st = &b->c->st[s];
    if (!st->done) return NULL;
    return vrec_add(b->p, step, st->pass, st->err, "%s", st->detail);
}

/* 4. TCB Info issuer chain. */
static bool s_tcb_info_chain(vb *b)
{
    vrec *r = from_stage(b, VC_TCB_CHAIN, "tcb_info_chain");
    if (!r || !r->pass) return false;
    if (b->c->tcb_root != b->root_idx)
        return vrec_add(b->p, "tcb_info_chain", false, AVOW_ERR_CHAIN,
                        "TCB Info issuer chain and PCK chain end at different roots"),
               false;
    cert_window(r, "TCB Signing certificate", b->c->tcb_signer);
    cert_window(r, "root CA certificate", b->c->tcb_chain_root);
    return true;
}

/* 5. Root CA CRL (or its allowed absence). */
static bool s_root_ca_crl(vb *b)
{
    if (b->c->st[VC_ROOT_CRL].done && b->c->st[VC_ROOT_CRL].pass && !b->c->have_root_crl) {
        if (!b->opts->allow_missing_crl)
            return vrec_add(b->p, "root_ca_crl", false, AVOW_ERR_NOT_FOUND,
                            "the collateral has no Root CA CRL: revocation cannot be checked "
                            "(allow missing CRLs explicitly to skip CRL checks)"),
                   false;
        b->p->crl_missing = true;
        vrec_add(b->p, "root_ca_crl", true, AVOW_OK,
                 "no Root CA CRL in the collateral: CRL checks skipped (allow_missing_crl)");
        return true;
    }
    vrec *r = from_stage(b, VC_ROOT_CRL, "root_ca_crl");
    if (!r || !r->pass) return false;
    vrec_window(r, "Root CA CRL", b->c->root_crl_from, b->c->root_crl_until, VWIN_CRL);
    return true;
}

/* 6. TCB Signing certificate not revoked. */
static bool s_tcb_signing_revocation(vb *b)
{
    vrec *r = from_stage(b, VC_TCB_SIGNER_REVOKED, "tcb_signing_revocation");
    return r && r->pass;
}

/* 7. TCB Info signature over its exact bytes. */
static bool s_tcb_info_signature(vb *b)
{
    vrec *r = from_stage(b, VC_TCB_SIG, "tcb_info_signature");
    return r && r->pass;
}

/* 8. TCB Info parse and issueDate..nextUpdate. */
static bool s_tcb_info_validity(vb *b)
{
    const vstage *st = &b->c->st[VC_TCB_PARSE];
    if (!st->pass) return from_stage(b, VC_TCB_PARSE, "tcb_info_format"), false;
    char i[11], n[11];
    vdate(b->c->tcb.issue_date, i);
    vdate(b->c->tcb.next_update, n);
    vrec *r = vrec_add(b->p, "tcb_info_validity", true, AVOW_OK,
                       "TCB Info v%d issued %s, next update %s, %zu levels", b->c->tcb.version, i,
                       n, b->c->tcb.n_levels);
    vrec_window(r, "TCB Info", b->c->tcb.issue_date, b->c->tcb.next_update, VWIN_ISSUED);
    return r != NULL;
}

/* 9. QE Identity issuer chain. */
static bool s_qe_identity_chain(vb *b)
{
    vrec *r = from_stage(b, VC_QE_CHAIN, "qe_identity_chain");
    if (!r || !r->pass) return false;
    cert_window(r, "QE Identity signing certificate", b->c->qe_signer);
    cert_window(r, "root CA certificate", b->c->qe_chain_root);
    return true;
}

/* 10. QE Identity signature over its exact bytes. */
static bool s_qe_identity_signature(vb *b)
{
    vrec *r = from_stage(b, VC_QE_SIG, "qe_identity_signature");
    return r && r->pass;
}

/* 11. QE Identity parse and issueDate..nextUpdate. */
static bool s_qe_identity_validity(vb *b)
{
    const vstage *st = &b->c->st[VC_QE_PARSE];
    if (!st->pass) return from_stage(b, VC_QE_PARSE, "qe_identity_format"), false;
    char i[11], n[11];
    vdate(b->c->qe.issue_date, i);
    vdate(b->c->qe.next_update, n);
    vrec *r = vrec_add(b->p, "qe_identity_validity", true, AVOW_OK,
                       "QE Identity issued %s, next update %s", i, n);
    vrec_window(r, "QE identity", b->c->qe.issue_date, b->c->qe.next_update, VWIN_ISSUED);
    return r != NULL;
}

/* 12. PCK CRL: issued and signed by the CA that issued the PCK certificate. */
static bool s_pck_crl(vb *b)
{
    const vstage *st = &b->c->st[VC_PCK_CRL];
    if (!st->pass) return from_stage(b, VC_PCK_CRL, "pck_crl"), false;
    if (!b->c->have_pck_crl) {
        if (!b->opts->allow_missing_crl)
            return vrec_add(b->p, "pck_crl", false, AVOW_ERR_NOT_FOUND,
                            "the collateral has no PCK CRL: revocation of the PCK certificate "
                            "cannot be checked (allow missing CRLs explicitly to skip)"),
                   false;
        b->p->crl_missing = true;
        vrec_add(b->p, "pck_crl", true, AVOW_OK,
                 "no PCK CRL in the collateral: CRL checks skipped (allow_missing_crl)");
        return true;
    }
    char cn[128], why[200];
    avow_cert_text(b->c->pck_crl.issuer_cn, cn, sizeof(cn));
    if (!avow_name_eq(b->c->pck_crl.issuer, b->leaf->c.issuer))
        return vrec_add(b->p, "pck_crl", false, AVOW_ERR_CHAIN,
                        "PCK CRL issuer mismatch: the CRL is issued by '%s' but the PCK "
                        "certificate by '%s'",
                        cn, b->ca_cn),
               false;
    /* The collateral check verified this CRL's signature with its issuer
     * chain's CA; when that is the quote's PCK CA, byte for byte, the result
     * is known (one ECDSA verify fewer per cold verification). */
    avow_err rc = vcert_same(b->c->pck_crl_ca_cert, b->ca)
                      ? AVOW_OK
                      : avow_crl_check_signed(&b->c->pck_crl, &b->ca->c, b->ca->key, why,
                                              sizeof(why));
    if (rc != AVOW_OK) return vrec_add(b->p, "pck_crl", false, rc, "PCK CRL: %s", why), false;
    if (!avow_cert_has_ku(&b->ca->c, AVOW_KU_CRL_SIGN, why, sizeof(why)))
        return vrec_add(b->p, "pck_crl", false, AVOW_ERR_CHAIN, "PCK CRL issuer: %s", why), false;
    vrec *r = vrec_add(b->p, "pck_crl", true, AVOW_OK, "PCK CRL issued and signed by '%s'", cn);
    vrec_window(r, "PCK CRL", b->c->pck_crl_from, b->c->pck_crl_until, VWIN_CRL);
    return r != NULL;
}

/* 13. Revocation of the PCK CA (root CRL) and the PCK certificate (PCK CRL);
 * serials are compared per issuer (both CRL issuers were checked above). */
static bool s_pck_revocation(vb *b)
{
    char serial[64];
    if (b->c->have_root_crl && avow_crl_has_serial(&b->c->root_crl, b->ca->c.serial)) {
        avow_cert_serial_hex(&b->ca->c, serial, sizeof(serial));
        return vrec_add(b->p, "pck_revocation", false, AVOW_ERR_REVOKED,
                        "'%s' (serial %s) is revoked by the Root CA CRL", b->ca_cn, serial),
               false;
    }
    if (b->c->have_pck_crl && avow_crl_has_serial(&b->c->pck_crl, b->leaf->c.serial)) {
        avow_cert_serial_hex(&b->leaf->c, serial, sizeof(serial));
        return vrec_add(b->p, "pck_revocation", false, AVOW_ERR_REVOKED,
                        "PCK certificate (serial %s) is revoked by the PCK CRL", serial),
               false;
    }
    vrec_add(
        b->p, "pck_revocation", true, AVOW_OK, "%s; %s",
        b->c->have_root_crl ? "PCK CA not in the Root CA CRL" : "PCK CA: no Root CA CRL",
        b->c->have_pck_crl ? "PCK certificate not in the PCK CRL" : "PCK certificate: no PCK CRL");
    return true;
}

/* 14. TCB Info belongs to this TEE and platform. */
static bool s_fmspc_pceid(vb *b)
{
    const avow_tcb_info *t = &b->c->tcb;
    char a[13], c[13];
    bool td = b->q->tee_type == AVOW_TEE_TDX;
    if (t->is_tdx != td) /* Intel 4.1.2.4.9: id TDX <=> TEE 0x81; v2 is SGX only */
        return vrec_add(b->p, "fmspc_pceid", false, AVOW_ERR_MISMATCH, "%s",
                        !td               ? "TCB Info id TDX does not match an SGX quote"
                        : t->version >= 3 ? "TCB Info id SGX does not match a TDX quote"
                                          : "TCB Info v2 is for SGX; a TDX quote needs TCB "
                                            "Info v3 with id TDX"),
               false;
    if (memcmp(t->fmspc, b->p->pck.fmspc, 6) != 0) {
        avow_hex_encode(b->p->pck.fmspc, 6, a);
        avow_hex_encode(t->fmspc, 6, c);
        return vrec_add(b->p, "fmspc_pceid", false, AVOW_ERR_MISMATCH,
                        "FMSPC %s of the PCK certificate differs from the TCB Info's %s", a, c),
               false;
    }
    if (memcmp(t->pce_id, b->p->pck.pce_id, 2) != 0) {
        avow_hex_encode(b->p->pck.pce_id, 2, a);
        avow_hex_encode(t->pce_id, 2, c);
        return vrec_add(b->p, "fmspc_pceid", false, AVOW_ERR_MISMATCH,
                        "PCE-ID %s of the PCK certificate differs from the TCB Info's %s", a, c),
               false;
    }
    avow_hex_encode(t->fmspc, 6, a);
    avow_hex_encode(t->pce_id, 2, c);
    vrec_add(b->p, "fmspc_pceid", true, AVOW_OK, "TCB Info (%s) for FMSPC %s, PCE-ID %s",
             td                ? "id TDX"
             : t->version >= 3 ? "id SGX"
                               : "v2, SGX",
             a, c);
    return true;
}

/* 15. QE report signed by the PCK key. */
static bool s_qe_report_signature(vb *b)
{
    if (avow_ecdsa_verify_raw(b->leaf->key, b->q->qe_report, AVOW_REPORT_BODY_SIZE,
                              b->q->qe_report_sig) != AVOW_OK)
        return vrec_add(b->p, "qe_report_signature", false, AVOW_ERR_SIGNATURE,
                        "QE report signature does not verify with the PCK certificate's key"),
               false;
    vrec_add(b->p, "qe_report_signature", true, AVOW_OK,
             "QE report signed by the PCK certificate's key");
    return true;
}

/* 16. The QE report binds the attestation key and the QE auth data. */
static bool s_qe_report_data(vb *b)
{
    avow_sha256_ctx h;
    uint8_t d[32];
    if (!avow_sha256_init(&h))
        return vrec_add(b->p, "qe_report_data", false, AVOW_ERR_NOMEM, "out of memory"), false;
    avow_sha256_update(&h, b->q->attest_key, AVOW_ECDSA_PUBKEY_SIZE);
    avow_sha256_update(&h, b->q->qe_auth_data, b->q->qe_auth_data_len);
    avow_sha256_final(&h, d);
    const uint8_t *rd = b->q->qe.report_data;
    if (memcmp(d, rd, 32) != 0)
        return vrec_add(b->p, "qe_report_data", false, AVOW_ERR_SIGNATURE,
                        "QE report data is not SHA-256(attestation key || QE auth data): the "
                        "attestation key is not bound to the QE"),
               false;
    for (int i = 32; i < 64; i++)
        if (rd[i])
            return vrec_add(b->p, "qe_report_data", false, AVOW_ERR_FORMAT,
                            "QE report data byte %d is not zero (bytes 32..63 must be)", i),
                   false;
    vrec_add(b->p, "qe_report_data", true, AVOW_OK,
             "QE report data = SHA-256(attestation key || %u bytes of QE auth data)",
             (unsigned)b->q->qe_auth_data_len);
    return true;
}

/* 17. QE report against QE Identity (A5 order). */
static bool s_qe_identity(vb *b)
{
    const avow_qe_identity *id = &b->c->qe;
    const uint8_t *raw = b->q->qe_report;
    /* Intel 4.1.2.4.14: id QE for SGX quotes, TD_QE (version 2) for TD quotes */
    bool td = b->q->tee_type == AVOW_TEE_TDX;
    const char *want = td ? "TD_QE" : "QE";
    if (strcmp(id->id, want) != 0)
        return vrec_add(b->p, "qe_identity", false, AVOW_ERR_MISMATCH,
                        "QE Identity id '%s' is not '%s' (required for %s quotes)", id->id, want,
                        td ? "TDX" : "SGX"),
               false;
    for (int i = 0; i < 4; i++)
        if ((raw[AVOW_RB_MISCSELECT + i] & id->miscselect_mask[i]) != id->miscselect[i])
            return vrec_add(b->p, "qe_identity", false, AVOW_ERR_MISMATCH,
                            "QE MISCSELECT %08x does not match the QE Identity under its mask",
                            (unsigned)b->q->qe.misc_select),
                   false;
    for (int i = 0; i < 16; i++)
        if ((raw[AVOW_RB_ATTRIBUTES + i] & id->attributes_mask[i]) != id->attributes[i])
            return vrec_add(b->p, "qe_identity", false, AVOW_ERR_MISMATCH,
                            "QE ATTRIBUTES byte %d does not match the QE Identity under its mask",
                            i),
                   false;
    if (memcmp(b->q->qe.mr_signer, id->mrsigner, 32) != 0)
        return vrec_add(b->p, "qe_identity", false, AVOW_ERR_MISMATCH,
                        "QE MRSIGNER differs from the QE Identity's"),
               false;
    if (b->q->qe.isv_prod_id != id->isvprodid)
        return vrec_add(b->p, "qe_identity", false, AVOW_ERR_MISMATCH,
                        "QE ISVPRODID %u differs from the QE Identity's %u", b->q->qe.isv_prod_id,
                        id->isvprodid),
               false;
    long l = avow_qe_match(id->levels, id->n_levels, b->q->qe.isv_svn);
    if (l < 0)
        return vrec_add(b->p, "qe_identity", false, AVOW_ERR_MISMATCH,
                        "QE ISVSVN %u is below every QE Identity level: not supported",
                        b->q->qe.isv_svn),
               false;
    const avow_qe_level *lv = &id->levels[l];
    b->qe_level = l;
    b->p->qe_status = lv->status;
    char d[11];
    vdate(lv->tcb_date, d);
    const char *name = avow_tcb_status_name(lv->status);
    vrec_add(b->p, "qe_identity", true, AVOW_OK,
             "QE matches (MISCSELECT, ATTRIBUTES, MRSIGNER, ISVPRODID %u); ISVSVN %u -> level "
             "isvsvn %u (tcbDate %s): %s",
             id->isvprodid, b->q->qe.isv_svn, lv->isvsvn, d, name ? name : "?");
    return true;
}

/* 18. Quote signature: the key is built once here; the check runs per quote. */
static bool s_quote_signature(vb *b)
{
    if (avow_ecdsa_key_from_raw(b->q->attest_key, &b->p->attest_key) != AVOW_OK)
        return vrec_add(b->p, "quote_signature", false, AVOW_ERR_SIGNATURE,
                        "the attestation key is not a valid P-256 point"),
               false;
    vrec *r =
        vrec_add(b->p, "quote_signature", true, AVOW_OK, "quote signed by the attestation key");
    if (r) r->quote_sig = true;
    return r != NULL;
}

/* 19. TCB level of the platform (PCK component SVNs, not raw CPUSVN). */
static bool s_tcb_level(vb *b)
{
    if (b->q->tee_type == AVOW_TEE_TDX) return vs_tdx_tcb_level(b);
    const avow_tcb_info *t = &b->c->tcb;
    avow_tcb_shortfall top;
    long l = avow_tcb_match_sgx(t->levels, t->n_levels, b->p->pck.comp_svn, b->p->pck.pcesvn, &top);
    if (l < 0)
        return vrec_add(b->p, "tcb_level", false, AVOW_ERR_MISMATCH,
                        "no TCB level matches the platform (TCB not supported)"),
               false;
    const avow_tcb_level *lv = &t->levels[l];
    b->p->platform_status = lv->status;
    b->p->tcb_date = lv->tcb_date;
    char d[11], why[160] = "";
    vdate(lv->tcb_date, d);
    if (l > 0 && top.comp >= 0) {
        const char *ts = avow_tcb_status_name(t->levels[0].status);
        if (top.comp < 16)
            snprintf(why, sizeof(why), "; component %d SVN %u < %u required by the %s level",
                     top.comp + 1, top.have, top.need, ts ? ts : "top");
        else
            snprintf(why, sizeof(why), "; PCESVN %u < %u required by the %s level", top.have,
                     top.need, ts ? ts : "top");
    }
    const char *name = avow_tcb_status_name(lv->status);
    vrec_add(b->p, "tcb_level", true, AVOW_OK, "matched level %ld of %zu (tcbDate %s): %s%s", l + 1,
             t->n_levels, d, name ? name : "?", why);
    return true;
}

/* 20. Intel's convergence of the platform and QE statuses; advisories. */
static bool s_status(vb *b)
{
    if (b->q->tee_type == AVOW_TEE_TDX) return vs_tdx_status(b);
    vplat *p = b->p;
    p->status = avow_tcb_converge(p->platform_status, p->qe_status);
    long tl = avow_tcb_match_sgx(b->c->tcb.levels, b->c->tcb.n_levels, p->pck.comp_svn,
                                 p->pck.pcesvn, NULL);
    long ql = avow_qe_match(b->c->qe.levels, b->c->qe.n_levels, b->q->qe.isv_svn);
    const avow_tcb_level *tlv = &b->c->tcb.levels[tl];
    const avow_qe_level *qlv = &b->c->qe.levels[ql];
    if (!avow_advisory_union(tlv->advisory_ids, tlv->n_advisory_ids, qlv->advisory_ids,
                             qlv->n_advisory_ids, &p->advisory_ids, &p->n_advisory_ids))
        return vrec_add(p, "status", false, AVOW_ERR_NOMEM, "out of memory"), false;
    p->tcb_eval_num = b->c->tcb.tcb_eval_num < b->c->qe.tcb_eval_num ? b->c->tcb.tcb_eval_num
                                                                     : b->c->qe.tcb_eval_num;
    const char *s = avow_tcb_status_name(p->status), *ps = avow_tcb_status_name(p->platform_status),
               *qs = avow_tcb_status_name(p->qe_status);
    bool ok = avow_tcb_status_acceptable(p->status);
    vrec *r = vrec_add(p, "status", ok,
                       p->status == AVOW_TCB_REVOKED ? AVOW_ERR_REVOKED : AVOW_ERR_MISMATCH,
                       "%s%s (platform %s, QE %s)", ok ? "" : "TCB status ", s ? s : "unknown",
                       ps ? ps : "?", qs ? qs : "?");
    if (r) r->sets_status = true;
    return ok;
}

typedef bool (*step_fn)(vb *b);

vplat *vplat_build(avow_verifier *v, const avow_quote *q, const avow_collateral *coll, vcoll *given,
                   const avow_verify_opts *opts, const uint8_t coll_hash[32])
{
    vplat *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    atomic_init(&p->refs, 1);
    vb b = {.v = v,
            .q = q,
            .coll = coll,
            .opts = opts,
            .p = p,
            .root_idx = -1,
            .sgx_level = -1,
            .tdx_level = -1,
            .module_level = -1,
            .qe_level = -1};
    if (given) {
        vcoll_ref(given);
        b.c = given;
    }
    static const step_fn before[] = {s_pck_chain, s_root_pinned, s_pck_linkage,
                                     s_pck_chain_validity};
    static const step_fn after[] = {
        s_tcb_info_chain,
        s_root_ca_crl,
        s_tcb_signing_revocation,
        s_tcb_info_signature,
        s_tcb_info_validity,
        s_qe_identity_chain,
        s_qe_identity_signature,
        s_qe_identity_validity,
        s_pck_crl,
        s_pck_revocation,
        s_fmspc_pceid,
        vs_tdx_module, /* TD quotes only */
        s_qe_report_signature,
        s_qe_report_data,
        s_qe_identity,
        s_quote_signature,
        s_tcb_level,
        vs_tdx_module_tcb, /* TD quotes only */
        vs_td_relaunch,    /* TD report 1.5 only */
        s_status,
    };
    for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++)
        if (!before[i](&b)) goto done;
    if (!get_collateral(&b, coll_hash)) goto done;
    for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++)
        if (!after[i](&b)) goto done;
    p->complete = true;
done:
    /* the status record was reached (whatever the status): Intel's
     * supplemental data, while the builder still holds what it checked */
    if (p->n_recs && p->recs[p->n_recs - 1].sets_status) vsupp_build(&b);
    vcert_unref(b.leaf);
    vcert_unref(b.ca);
    vcert_unref(b.root);
    avow_der_blobs_free(b.ders, b.n_ders);
    if (b.c) vcoll_unref(b.c);
    return p;
}

avow_err vplat_chain_check(avow_verifier *v, const avow_quote *q, avow_platform_id *out,
                           avow_error *err)
{
    vplat *p = calloc(1, sizeof(*p));
    if (!p) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    atomic_init(&p->refs, 1);
    vb b = {.v = v, .q = q, .p = p, .root_idx = -1};
    avow_err rc = AVOW_OK;
    if (s_pck_chain(&b) && s_root_pinned(&b) && s_pck_linkage(&b)) {
        memcpy(out->fmspc, p->pck.fmspc, 6);
        out->ca = p->ca;
        out->tee_type = q->tee_type;
    } else {
        const vrec *r = p->n_recs ? &p->recs[p->n_recs - 1] : NULL;
        rc = avow_error_set(err, r ? r->err : AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "%s",
                            r ? r->detail : "out of memory");
    }
    vcert_unref(b.leaf);
    vcert_unref(b.ca);
    vcert_unref(b.root);
    avow_der_blobs_free(b.ders, b.n_ders);
    vplat_unref(p);
    return rc;
}
