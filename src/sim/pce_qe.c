/* The simulated PCE, QE3 and TD QE (docs/formats.md §6.2, §6.3): PPID and
 * PCK key derived from the provisioning root through EGETKEY(PROVISION_KEY)
 * as Intel's PCE does, QE_ID from the QE's MRSIGNER seal key, the TD QE's
 * attestation key from its own seal key (so that it needs no file), and the
 * PCE's certify_enclave: it checks the quoting enclave's report MAC (a report
 * targeted at the PCE), requires PROVISIONKEY, and signs the report body with
 * the PCK key.
 * Thread-safe: reads the platform only (setup writes it before sharing). */
#include <string.h>

#include <openssl/bn.h>

#include "avow/encode.h"
#include "core/cursor.h"
#include "core/sha256.h"
#include "sim/sim_internal.h"

static const char AE_SIGNER[] = "Avow simulated SGX architectural enclave signer";
/* Intel's TD QE is signed by another key than its QE3 (docs/tdx.md) */
static const char TD_AE_SIGNER[] = "Avow simulated TDX architectural enclave signer";

static void ae_identity(avow_sim_secs *s, const char *name, const char *signer, uint16_t prod,
                        uint16_t svn)
{
    memset(s, 0, sizeof *s);
    avow_sha256(name, strlen(name), s->mr_enclave);
    avow_sha256(signer, strlen(signer), s->mr_signer);
    s->attr_flags = SIM_AE_FLAGS;
    s->attr_xfrm = SIM_AE_XFRM;
    s->isv_prod_id = prod;
    s->isv_svn = svn;
}

static void prov_request(avow_keyrequest *r, uint16_t name, const uint8_t cpusvn[16], uint16_t svn)
{
    memset(r, 0, sizeof *r);
    r->key_name = name;
    r->isv_svn = svn;
    if (cpusvn) memcpy(r->cpu_svn, cpusvn, 16);
    r->attr_mask_flags = ~AVOW_ATTR_MODE64BIT;
    r->attr_mask_xfrm = 0;
    r->misc_mask = 0xffffffffu;
}

/* A P-256 key from a 128-bit key k: d = (seed mod (n - 1)) + 1 over the
 * first 40 bytes of B1||B2||B3, Bi = CMAC(k, i || label[1..15]). */
static avow_err key_from_cmac(uint8_t k[16], const uint8_t label[16], EVP_PKEY **out)
{
    uint8_t blocks[48], d[32];
    avow_err rc = AVOW_OK;
    for (int i = 1; i <= 3 && !rc; i++) {
        uint8_t m[16];
        memcpy(m, label, 16);
        m[0] = (uint8_t)i;
        rc = avow_cmac_aes128(k, m, 16, blocks + 16 * (i - 1));
    }
    BN_CTX *ctx = BN_CTX_secure_new();
    BIGNUM *seed = BN_secure_new(), *n = BN_new(), *res = BN_secure_new();
    static const uint8_t P256_N[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
                                       0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    if (!rc && (!ctx || !seed || !n || !res || !BN_bin2bn(blocks, 40, seed) ||
                !BN_bin2bn(P256_N, 32, n) || !BN_sub_word(n, 1) || !BN_mod(res, seed, n, ctx) ||
                !BN_add_word(res, 1) || BN_bn2binpad(res, d, 32) != 32))
        rc = AVOW_ERR_INTERNAL;
    if (!rc && !(*out = sim_ec_from_private(d))) rc = AVOW_ERR_INTERNAL;
    avow_wipe(k, 16);
    avow_wipe(blocks, sizeof blocks);
    avow_wipe(d, sizeof d);
    BN_CTX_free(ctx);
    BN_clear_free(seed);
    BN_free(n);
    BN_clear_free(res);
    return rc;
}

static avow_err pck_key(avow_sim_platform *p, const avow_sim_enclave *pce, avow_error *err)
{
    static const uint8_t label[16] = {0,   'P', 'A', 'K', '_', 'K', 'E',  'Y',
                                      '_', 'D', 'E', 'R', 0,   0,   0x01, 0x40};
    avow_keyrequest r;
    prov_request(&r, AVOW_KEYNAME_PROVISION, p->cpu_svn, p->opts.pce_svn);
    uint8_t k[16];
    avow_err rc = sim_getkey(pce, &r, k, NULL, err);
    if (!rc) rc = key_from_cmac(k, label, &p->pck_key);
    avow_wipe(k, sizeof k);
    if (rc) avow_error_set(err, rc, AVOW_NO_OFFSET, "sim PCE: cannot derive the PCK key");
    return rc;
}

/* The TD QE's attestation key, from its MRENCLAVE-bound seal key. */
static avow_err td_att_key(avow_sim_platform *p, avow_error *err)
{
    static const uint8_t label[16] = {0,   'T', 'D', 'Q', 'E', '_', 'A',  'T',
                                      'T', '_', 'K', 'E', 'Y', 0,   0x01, 0x40};
    avow_sim_enclave tdqe = {.platform = p, .secs = p->td_qe_secs};
    avow_keyrequest r;
    prov_request(&r, AVOW_KEYNAME_SEAL, p->cpu_svn, p->td_qe_secs.isv_svn);
    r.key_policy = AVOW_KEYPOLICY_MRENCLAVE;
    uint8_t k[16];
    avow_err rc = sim_getkey(&tdqe, &r, k, NULL, err);
    if (!rc) rc = key_from_cmac(k, label, &p->td_att_key);
    avow_wipe(k, sizeof k);
    if (rc) avow_error_set(err, rc, AVOW_NO_OFFSET, "sim TD QE: cannot derive its attestation key");
    return rc;
}

avow_err sim_pce_qe_setup(avow_sim_platform *p, avow_error *err)
{
    ae_identity(&p->qe_secs, "Avow simulated QE3", AE_SIGNER, SIM_QE_PROD_ID, p->opts.qe_svn);
    ae_identity(&p->pce_secs, "Avow simulated PCE", AE_SIGNER, SIM_PCE_PROD_ID, p->opts.pce_svn);
    ae_identity(&p->td_qe_secs, "Avow simulated TD QE", TD_AE_SIGNER, SIM_TD_QE_PROD_ID,
                p->opts.qe_svn);
    avow_sim_enclave pce = {.platform = p, .secs = p->pce_secs};
    avow_sim_enclave qe = {.platform = p, .secs = p->qe_secs};
    /* PPID = CMAC(EGETKEY(PROVISION, CPUSVN 0, ISVSVN 0), 0^16) */
    avow_keyrequest r;
    prov_request(&r, AVOW_KEYNAME_PROVISION, NULL, 0);
    uint8_t k[16];
    static const uint8_t zero16[16];
    avow_err rc = sim_getkey(&pce, &r, k, NULL, err);
    if (!rc) rc = avow_cmac_aes128(k, zero16, 16, p->ppid);
    /* QE_ID = CMAC(EGETKEY(SEAL, MRSIGNER, CPUSVN 0, ISVSVN 0), 00||"QE_ID_DER"||0^4||00 80) */
    if (!rc) {
        prov_request(&r, AVOW_KEYNAME_SEAL, NULL, 0);
        r.key_policy = AVOW_KEYPOLICY_MRSIGNER;
        rc = sim_getkey(&qe, &r, k, NULL, err);
    }
    if (!rc) {
        const uint8_t m[16] = {0,   'Q', 'E', '_', 'I', 'D', '_',  'D',
                               'E', 'R', 0,   0,   0,   0,   0x00, 0x80};
        rc = avow_cmac_aes128(k, m, 16, p->qe_id);
    }
    avow_wipe(k, sizeof k);
    if (rc) return avow_error_set(err, rc, AVOW_NO_OFFSET, "sim PCE/QE: key derivation failed");
    if ((rc = pck_key(p, &pce, err))) return rc;
    return td_att_key(p, err);
}

avow_err sim_qe_certify(const avow_sim_platform *p, const avow_sim_secs *qe_secs, EVP_PKEY *att,
                        const uint8_t *auth, size_t auth_len, uint8_t qe_report_body[384],
                        uint8_t qe_report_sig[64], avow_error *err)
{
    avow_sim_enclave pce = {.platform = p, .secs = p->pce_secs};
    avow_sim_enclave qe = {.platform = p, .secs = *qe_secs};
    /* QE: report data = SHA-256(attestation key || auth data) || 0^32 */
    uint8_t rd[64] = {0}, buf[64 + 512];
    if (auth_len > 512 || sim_ec_pub_raw(att, buf))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim QE: bad auth data");
    memcpy(buf + 64, auth, auth_len);
    avow_sha256(buf, 64 + auth_len, rd);
    uint8_t ti[AVOW_TARGETINFO_SIZE], report[AVOW_REPORT_SIZE];
    avow_sim_targetinfo(&pce, ti);
    avow_err rc = avow_sim_ereport(&qe, ti, rd, report, err);
    if (rc) return rc;
    /* PCE: certify_enclave */
    if ((rc = avow_sim_verify_report(&pce, report, err))) {
        avow_error_prefix(err, "sim PCE");
        return rc;
    }
    if (!(avow_le64(report + AVOW_RB_ATTRIBUTES) & AVOW_ATTR_PROVISIONKEY))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim PCE: the reporting enclave lacks PROVISIONKEY");
    memcpy(qe_report_body, report, 384);
    if (sim_ecdsa_sign(p->pck_key, qe_report_body, 384, qe_report_sig))
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim PCE: signing failed");
    return AVOW_OK;
}
