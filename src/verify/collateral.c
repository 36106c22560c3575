/* The collateral-only checks of the DCAP pipeline (docs/verification.md A6
 * steps 4-6 minus what depends on the quote): TCB Signing chain (exactly 2,
 * pinned root; the root keyCertSign, the signer digitalSignature), Root CA
 * CRL (issuer, extensions, signature, the root cRLSign), TCB Signing
 * certificate not revoked, TCB Info signature over its exact bytes and parse,
 * the same for QE Identity, and the PCK CRL: its issuer chain (PCK CA under
 * the same trusted root, not revoked) and its signature. The result (vcoll) is
 * immutable and cached per (FMSPC, CA, TEE, SHA-256 of the collateral).
 * Time windows are NOT judged here: they are replayed against `at` on every
 * verification (internal.h). Thread-safe: builds a private object; shared
 * afterwards by reference count. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pem.h"
#include "pki/ecdsa.h"
#include "verify/internal.h"

void vcoll_ref(void *p)
{
    atomic_fetch_add(&((vcoll *)p)->refs, 1);
}

void vcoll_unref(void *p)
{
    vcoll *c = p;
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
    vcert_unref(c->tcb_signer);
    vcert_unref(c->tcb_chain_root);
    vcert_unref(c->qe_signer);
    vcert_unref(c->qe_chain_root);
    vcert_unref(c->pck_crl_ca_cert);
    vcert_unref(c->pck_crl_chain_root);
    free(c->root_crl_der);
    free(c->pck_crl_der);
    if (c->tcb_ok) avow_tcb_info_free(&c->tcb);
    if (c->qe_ok) avow_qe_identity_free(&c->qe);
    free(c);
}

static bool stage(vcoll *c, int s, bool pass, avow_err err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static bool stage(vcoll *c, int s, bool pass, avow_err err, const char *fmt, ...)
{
    vstage *st = &c->st[s];
    st->done = true;
    st->pass = pass;
    st->err = pass ? AVOW_OK : err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->detail, sizeof(st->detail), fmt, ap);
    va_end(ap);
    return pass;
}

/* A 2-certificate signing chain [TCB Signing, root] ending at a trusted root. */
static bool signing_chain(avow_verifier *v, vcoll *c, int s, const char *what, const char *pem,
                          vcert **signer, vcert **root, int *root_idx)
{
    if (!pem || !*pem)
        return stage(c, s, false, AVOW_ERR_FORMAT, "%s issuer chain is absent", what);
    avow_der_blob *b = NULL;
    size_t n = 0;
    avow_error e;
    avow_error_clear(&e);
    if (avow_pem_split(pem, strlen(pem), "CERTIFICATE", &b, &n, &e) != AVOW_OK)
        return stage(c, s, false, AVOW_ERR_FORMAT, "%s issuer chain: %s", what, e.msg);
    bool ok = false;
    if (n != 2) {
        stage(c, s, false, AVOW_ERR_CHAIN,
              "%s issuer chain has %zu certificates; exactly 2 (TCB Signing, root) required", what,
              n);
        goto done;
    }
    *signer = vcert_get(v, b[0].der, b[0].len);
    *root = vcert_get(v, b[1].der, b[1].len);
    if (!*signer || !*root) {
        stage(c, s, false, AVOW_ERR_FORMAT, "%s issuer chain: certificate %d does not parse", what,
              *signer ? 2 : 1);
        goto done;
    }
    char cn[128], rcn[128], why[200];
    avow_cert_text((*signer)->c.subject_cn, cn, sizeof(cn));
    avow_cert_text((*root)->c.subject_cn, rcn, sizeof(rcn));
    *root_idx = vroot_find(v, *root);
    if (*root_idx < 0) {
        stage(c, s, false, AVOW_ERR_CHAIN,
              "%s issuer chain ends at '%s', whose key is not a trusted root's", what, rcn);
        goto done;
    }
    if (!strstr(rcn, "SGX Root CA") || !strstr(cn, "SGX TCB Signing")) {
        stage(c, s, false, AVOW_ERR_CHAIN,
              "%s issuer chain: names '%s' / '%s' are not a TCB Signing certificate and an SGX "
              "Root CA",
              what, cn, rcn);
        goto done;
    }
    why[0] = '\0';
    if (*root != v->roots[*root_idx].vc &&
        (avow_cert_check_issued(&(*root)->c, &(*root)->c, (*root)->key, why, sizeof(why)) !=
             AVOW_OK ||
         !vcert_is_ca(*root))) {
        stage(c, s, false, AVOW_ERR_CHAIN, "%s issuer chain: root is not self-signed CA: %s", what,
              why);
        goto done;
    }
    avow_err rc =
        avow_cert_check_issued(&(*signer)->c, &(*root)->c, (*root)->key, why, sizeof(why));
    if (rc != AVOW_OK) {
        stage(c, s, false, rc, "%s issuer chain: %s", what, why);
        goto done;
    }
    if (vcert_is_ca(*signer)) {
        stage(c, s, false, AVOW_ERR_CHAIN, "%s issuer chain: '%s' must not be a CA", what, cn);
        goto done;
    }
    /* key usage (docs/security.md, "Key usage"): the root issues, the
     * signer signs the TCB Info / QE Identity */
    if (!avow_cert_may_issue(&(*root)->c, 0, why, sizeof(why)) ||
        !avow_cert_has_ku(&(*signer)->c, AVOW_KU_DIGITAL_SIGNATURE, why, sizeof(why))) {
        stage(c, s, false, AVOW_ERR_CHAIN, "%s issuer chain: %s", what, why);
        goto done;
    }
    ok = stage(c, s, true, AVOW_OK, "'%s' issued and signed by '%s' (%s)", cn, rcn,
               v->roots[*root_idx].intel ? "Intel root, pinned by key" : "added root");
done:
    avow_der_blobs_free(b, n);
    return ok;
}

static bool crl_extensions_ok(const avow_crl *crl)
{
    return crl->has_crl_number && crl->has_aki;
}

/* Copies `der` into *own and reads it into `crl`. */
static bool crl_read(const uint8_t *der, size_t len, uint8_t **own, avow_crl *crl)
{
    if (!len || !(*own = malloc(len))) return false;
    memcpy(*own, der, len);
    return avow_crl_parse(*own, len, crl, NULL) == AVOW_OK;
}

static bool root_crl(vcoll *c, const avow_collateral *coll)
{
    if (!coll->root_ca_crl) return stage(c, VC_ROOT_CRL, true, AVOW_OK, "absent");
    if (!crl_read(coll->root_ca_crl, coll->root_ca_crl_len, &c->root_crl_der, &c->root_crl))
        return stage(c, VC_ROOT_CRL, false, AVOW_ERR_FORMAT, "Root CA CRL: not a DER CRL");
    c->have_root_crl = true;
    c->root_crl_from = c->root_crl.this_update;
    c->root_crl_until = c->root_crl.next_update;
    if (!c->root_crl.has_next_update)
        return stage(c, VC_ROOT_CRL, false, AVOW_ERR_FORMAT,
                     "Root CA CRL: thisUpdate/nextUpdate missing or malformed");
    if (!crl_extensions_ok(&c->root_crl))
        return stage(c, VC_ROOT_CRL, false, AVOW_ERR_FORMAT,
                     "Root CA CRL: CRL Number or Authority Key Identifier extension missing");
    char why[200];
    avow_err rc = avow_crl_check_signed(&c->root_crl, &c->tcb_chain_root->c, c->tcb_chain_root->key,
                                        why, sizeof(why));
    if (rc != AVOW_OK) return stage(c, VC_ROOT_CRL, false, rc, "Root CA CRL: %s", why);
    if (!avow_cert_has_ku(&c->tcb_chain_root->c, AVOW_KU_CRL_SIGN, why, sizeof(why)))
        return stage(c, VC_ROOT_CRL, false, AVOW_ERR_CHAIN, "Root CA CRL issuer: %s", why);
    return stage(c, VC_ROOT_CRL, true, AVOW_OK, "Root CA CRL issued and signed by the root");
}

static bool signed_json(vcoll *c, int s, const char *what, vcert *signer, const char *json,
                        size_t len, const uint8_t sig[64])
{
    if (!json || !len) return stage(c, s, false, AVOW_ERR_FORMAT, "%s is absent", what);
    if (avow_ecdsa_verify_raw(signer->key, (const uint8_t *)json, len, sig) != AVOW_OK)
        return stage(c, s, false, AVOW_ERR_SIGNATURE,
                     "%s signature does not verify with the TCB Signing key (over its %zu exact "
                     "bytes)",
                     what, len);
    return stage(c, s, true, AVOW_OK, "%s signature valid over its %zu exact bytes", what, len);
}

/* The PCK CRL issuer chain [PCK Processor or Platform CA, root]: the CA is
 * issued and signed by the same trusted root as the TCB Info chain; it names
 * the collateral's PCK CA. Whether the Root CA CRL revokes that CA is judged
 * per quote (pck_revocation), so that such a platform gets Intel's "revoked"
 * verdict rather than unusable collateral. Absent: passes, the CA stays
 * unknown and the PCK CRL's signature is checked per quote only (VC_PCK_CRL). */
static bool pck_crl_issuer(avow_verifier *v, vcoll *c, const avow_collateral *coll,
                           const vcert *known_ca, const vcert *known_root)
{
    const char *pem = coll->pck_crl_issuer_chain;
    if (!pem || !*pem) return true;
    avow_der_blob *b = NULL;
    size_t n = 0;
    avow_error e;
    avow_error_clear(&e);
    if (avow_pem_split(pem, strlen(pem), "CERTIFICATE", &b, &n, &e) != AVOW_OK)
        return stage(c, VC_PCK_CRL, false, AVOW_ERR_FORMAT, "PCK CRL issuer chain: %s", e.msg);
    bool ok = false;
    vcert *ca = NULL, *root = NULL;
    char cn[128], rcn[128], why[200];
    if (n != 2) {
        stage(c, VC_PCK_CRL, false, AVOW_ERR_CHAIN,
              "PCK CRL issuer chain has %zu certificates; exactly 2 (PCK CA, root) required", n);
        goto done;
    }
    ca = vcert_get(v, b[0].der, b[0].len);
    root = vcert_get(v, b[1].der, b[1].len);
    if (!ca || !root) {
        stage(c, VC_PCK_CRL, false, AVOW_ERR_FORMAT,
              "PCK CRL issuer chain: certificate %d does not parse", ca ? 2 : 1);
        goto done;
    }
    avow_cert_text(ca->c.subject_cn, cn, sizeof(cn));
    avow_cert_text(root->c.subject_cn, rcn, sizeof(rcn));
    if (vroot_find(v, root) != c->tcb_root) {
        stage(c, VC_PCK_CRL, false, AVOW_ERR_CHAIN,
              "PCK CRL issuer chain ends at '%s', not at the TCB Info chain's trusted root", rcn);
        goto done;
    }
    c->pck_ca = strstr(cn, "Processor")  ? AVOW_PCK_CA_PROCESSOR
                : strstr(cn, "Platform") ? AVOW_PCK_CA_PLATFORM
                                         : AVOW_PCK_CA_UNKNOWN;
    if (c->pck_ca == AVOW_PCK_CA_UNKNOWN || !strstr(cn, "SGX PCK")) {
        stage(c, VC_PCK_CRL, false, AVOW_ERR_CHAIN,
              "PCK CRL issuer chain: '%s' is neither a PCK Processor CA nor a PCK Platform CA", cn);
        goto done;
    }
    bool checked = known_ca && vcert_same(ca, known_ca) && vcert_same(c->tcb_chain_root, known_root);
    avow_err rc = checked ? AVOW_OK
                          : avow_cert_check_issued(&ca->c, &c->tcb_chain_root->c,
                                                   c->tcb_chain_root->key, why, sizeof(why));
    if (rc != AVOW_OK) {
        stage(c, VC_PCK_CRL, false, rc, "PCK CRL issuer chain: %s", why);
        goto done;
    }
    if (!vcert_is_ca(ca)) {
        stage(c, VC_PCK_CRL, false, AVOW_ERR_CHAIN,
              "PCK CRL issuer chain: '%s' lacks basicConstraints CA:TRUE", cn);
        goto done;
    }
    c->pck_crl_ca_cert = ca;
    c->pck_crl_chain_root = root;
    ca = root = NULL;
    ok = true;
done:
    vcert_unref(ca);
    vcert_unref(root);
    avow_der_blobs_free(b, n);
    return ok;
}

vcoll *vcoll_build(avow_verifier *v, const avow_collateral *coll, const vcert *known_ca,
                   const vcert *known_root)
{
    vcoll *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    atomic_init(&c->refs, 1);
    c->tcb_root = c->qe_root = -1;
    avow_error e;
    if (!signing_chain(v, c, VC_TCB_CHAIN, "TCB Info", coll->tcb_info_issuer_chain, &c->tcb_signer,
                       &c->tcb_chain_root, &c->tcb_root))
        return c;
    if (!root_crl(c, coll)) return c;
    if (c->have_root_crl && avow_crl_has_serial(&c->root_crl, c->tcb_signer->c.serial)) {
        stage(c, VC_TCB_SIGNER_REVOKED, false, AVOW_ERR_REVOKED,
              "TCB Signing certificate is revoked by the Root CA CRL");
        return c;
    }
    stage(c, VC_TCB_SIGNER_REVOKED, true, AVOW_OK,
          c->have_root_crl ? "TCB Signing certificate not in the Root CA CRL"
                           : "skipped: no Root CA CRL");
    if (!signed_json(c, VC_TCB_SIG, "TCB Info", c->tcb_signer, coll->tcb_info, coll->tcb_info_len,
                     coll->tcb_info_sig))
        return c;
    avow_error_clear(&e);
    if (avow_tcb_info_parse(coll->tcb_info, coll->tcb_info_len, &c->tcb, &e) != AVOW_OK) {
        stage(c, VC_TCB_PARSE, false, AVOW_ERR_FORMAT, "TCB Info: %s", e.msg);
        return c;
    }
    c->tcb_ok = true;
    stage(c, VC_TCB_PARSE, true, AVOW_OK, "TCB Info v%d, %zu levels", c->tcb.version,
          c->tcb.n_levels);

    /* QE Identity: usually the very same chain bytes; then reuse what was verified. */
    if (coll->qe_identity_issuer_chain && coll->tcb_info_issuer_chain &&
        !strcmp(coll->qe_identity_issuer_chain, coll->tcb_info_issuer_chain)) {
        vcert_ref(c->tcb_signer);
        vcert_ref(c->tcb_chain_root);
        c->qe_signer = c->tcb_signer;
        c->qe_chain_root = c->tcb_chain_root;
        c->qe_root = c->tcb_root;
        c->st[VC_QE_CHAIN] = c->st[VC_TCB_CHAIN];
    } else if (!signing_chain(v, c, VC_QE_CHAIN, "QE Identity", coll->qe_identity_issuer_chain,
                              &c->qe_signer, &c->qe_chain_root, &c->qe_root)) {
        return c;
    } else if (c->qe_root != c->tcb_root) {
        stage(c, VC_QE_CHAIN, false, AVOW_ERR_CHAIN,
              "QE Identity and TCB Info issuer chains end at different roots");
        return c;
    } else if (c->have_root_crl && avow_crl_has_serial(&c->root_crl, c->qe_signer->c.serial)) {
        stage(c, VC_QE_CHAIN, false, AVOW_ERR_REVOKED,
              "QE Identity signing certificate is revoked by the Root CA CRL");
        return c;
    }
    if (!signed_json(c, VC_QE_SIG, "QE Identity", c->qe_signer, coll->qe_identity,
                     coll->qe_identity_len, coll->qe_identity_sig))
        return c;
    avow_error_clear(&e);
    if (avow_qe_identity_parse(coll->qe_identity, coll->qe_identity_len, &c->qe, &e) != AVOW_OK) {
        stage(c, VC_QE_PARSE, false, AVOW_ERR_FORMAT, "QE Identity: %s", e.msg);
        return c;
    }
    c->qe_ok = true;
    stage(c, VC_QE_PARSE, true, AVOW_OK, "QE Identity id %s v%d, %zu levels", c->qe.id,
          c->qe.version, c->qe.n_levels);

    if (!pck_crl_issuer(v, c, coll, known_ca, known_root)) return c;
    if (!coll->pck_crl) {
        stage(c, VC_PCK_CRL, true, AVOW_OK, "absent");
    } else {
        if (!crl_read(coll->pck_crl, coll->pck_crl_len, &c->pck_crl_der, &c->pck_crl)) {
            stage(c, VC_PCK_CRL, false, AVOW_ERR_FORMAT, "PCK CRL: not a DER CRL");
            return c;
        }
        c->have_pck_crl = true;
        c->pck_crl_from = c->pck_crl.this_update;
        c->pck_crl_until = c->pck_crl.next_update;
        if (!c->pck_crl.has_next_update) {
            stage(c, VC_PCK_CRL, false, AVOW_ERR_FORMAT,
                  "PCK CRL: thisUpdate/nextUpdate missing or malformed");
            return c;
        }
        if (!crl_extensions_ok(&c->pck_crl)) {
            stage(c, VC_PCK_CRL, false, AVOW_ERR_FORMAT,
                  "PCK CRL: CRL Number or Authority Key Identifier extension missing");
            return c;
        }
        if (!c->pck_crl_ca_cert) {
            stage(c, VC_PCK_CRL, true, AVOW_OK,
                  "parsed; no issuer chain, so its signature is checked per quote against the "
                  "quote's PCK CA");
            c->complete = true;
            return c;
        }
        char why[200];
        avow_err rc = avow_crl_check_signed(&c->pck_crl, &c->pck_crl_ca_cert->c,
                                            c->pck_crl_ca_cert->key, why, sizeof(why));
        if (rc != AVOW_OK) {
            stage(c, VC_PCK_CRL, false, rc, "PCK CRL against its issuer chain: %s", why);
            return c;
        }
        stage(c, VC_PCK_CRL, true, AVOW_OK, "issued and signed by its issuer chain's PCK %s CA",
              avow_pck_ca_name(c->pck_ca));
    }
    c->complete = true;
    return c;
}

avow_err vsigned_doc_check(avow_verifier *v, const char *what, const char *chain_pem,
                           const char *json, size_t len, const uint8_t sig[64], avow_error *err)
{
    vcoll c;
    memset(&c, 0, sizeof(c));
    vcert *signer = NULL, *root = NULL;
    int root_idx = -1;
    int s = VC_TCB_CHAIN;
    if (signing_chain(v, &c, s, what, chain_pem, &signer, &root, &root_idx)) {
        s = VC_TCB_SIG;
        signed_json(&c, s, what, signer, json, len, sig);
    }
    vcert_unref(signer);
    vcert_unref(root);
    if (c.st[s].pass) return AVOW_OK;
    return avow_error_set(err, c.st[s].err, AVOW_NO_OFFSET, "%s", c.st[s].detail);
}
