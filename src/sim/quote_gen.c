/* The simulated quoting enclaves' quote builder: DCAP quote v3
 * (certification data type 5, the PCK chain), v4 (type 6 "QE report
 * certification data" nesting type 5) and v5 (v4 with a body descriptor),
 * for SGX report bodies (QE3) and TD reports (TD QE), signed with the
 * quoting enclave's attestation key (docs/verification.md A1,
 * docs/formats.md §6). Thread-safe: reads the platform only. */
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "avow/quote.h"
#include "core/cursor.h"
#include "sim/sim_internal.h"

void avow_sim_qe_enclave(const avow_sim_platform *p, avow_sim_enclave *out)
{
    memset(out, 0, sizeof *out);
    out->platform = p;
    out->secs = p->qe_secs;
}

void avow_sim_qe_targetinfo(const avow_sim_platform *p, uint8_t targetinfo[AVOW_TARGETINFO_SIZE])
{
    avow_sim_enclave qe;
    avow_sim_qe_enclave(p, &qe);
    avow_sim_targetinfo(&qe, targetinfo);
}

avow_err sim_quote_assemble(const avow_sim_platform *p, const avow_sim_secs *qe, EVP_PKEY *att,
                            int version, uint32_t tee, uint16_t body_type, const uint8_t *body,
                            size_t body_len, uint8_t **quote, size_t *len, avow_error *err)
{
    uint8_t auth[32];
    for (int i = 0; i < 32; i++)
        auth[i] = (uint8_t)i;
    uint8_t qe_body[384], qe_sig[64], att_pub[64];
    avow_err rc = sim_qe_certify(p, qe, att, auth, sizeof auth, qe_body, qe_sig, err);
    if (rc) return rc;
    if (sim_ec_pub_raw(att, att_pub))
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim QE: attestation key");
    const avow_cert_copy *chain[] = {&p->pck_cert, &p->ca_cert, &p->root_cert, NULL};
    char *pem = sim_pem_chain(chain);
    if (!pem) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "sim QE: out of memory");
    size_t pem_len = strlen(pem);
    /* QE report certification data: report, sig, auth size+data, type 5 + size + chain */
    size_t qrcd = 384 + 64 + 2 + sizeof auth + 2 + 4 + pem_len;
    size_t sig_data = 64 + 64 + (version == 3 ? qrcd : 2 + 4 + qrcd);
    size_t signed_len = 48 + (version == 5 ? 6 : 0) + body_len;
    size_t total = signed_len + 4 + sig_data;
    uint8_t *q = calloc(1, total);
    if (!q) {
        free(pem);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "sim QE: out of memory");
    }
    avow_put_le16(q, (uint16_t)version);
    avow_put_le16(q + 2, AVOW_ATT_KEY_ECDSA_P256);
    avow_put_le32(q + 4, tee); /* v3: reserved, 0 */
    avow_put_le16(q + 8, qe->isv_svn);
    avow_put_le16(q + 10, p->pce_secs.isv_svn);
    memcpy(q + 12, AVOW_INTEL_QE_VENDOR_ID, 16);
    memcpy(q + 28, p->qe_id, 16);
    uint8_t *b = q + 48;
    if (version == 5) { /* body descriptor */
        avow_put_le16(b, body_type);
        avow_put_le32(b + 2, (uint32_t)body_len);
        b += 6;
    }
    memcpy(b, body, body_len);
    avow_put_le32(q + signed_len, (uint32_t)sig_data);
    uint8_t *s = q + signed_len + 4;
    if (sim_ecdsa_sign(att, q, signed_len, s)) {
        free(q);
        free(pem);
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim QE: signing failed");
    }
    memcpy(s + 64, att_pub, 64);
    uint8_t *c = s + 128;
    if (version >= 4) {
        avow_put_le16(c, AVOW_CERT_QE_REPORT);
        avow_put_le32(c + 2, (uint32_t)qrcd);
        c += 6;
    }
    memcpy(c, qe_body, 384);
    memcpy(c + 384, qe_sig, 64);
    avow_put_le16(c + 448, sizeof auth);
    memcpy(c + 450, auth, sizeof auth);
    c += 450 + sizeof auth;
    avow_put_le16(c, AVOW_CERT_PCK_CHAIN);
    avow_put_le32(c + 2, (uint32_t)pem_len);
    memcpy(c + 6, pem, pem_len);
    free(pem);
    *quote = q;
    *len = total;
    return AVOW_OK;
}

avow_err avow_sim_quote(const avow_sim_platform *p, const uint8_t app_report[AVOW_REPORT_SIZE],
                        int version, uint8_t **quote, size_t *len, avow_error *err)
{
    if (!p || !app_report || !quote || !len)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim QE: NULL argument");
    if (version != 3 && version != 4)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim QE: quote version %d (3 or 4)", version);
    avow_sim_enclave qe;
    avow_sim_qe_enclave(p, &qe);
    avow_err rc = avow_sim_verify_report(&qe, app_report, err);
    if (rc) {
        avow_error_prefix(err, "sim QE: the enclave report is not for this QE");
        return rc;
    }
    return sim_quote_assemble(p, &p->qe_secs, p->att_key, version, AVOW_TEE_SGX, AVOW_BODY_SGX,
                              app_report, AVOW_REPORT_BODY_SIZE, quote, len, err);
}

avow_err avow_sim_quote_enclave(const avow_sim_enclave *app, const uint8_t *report_data,
                                int version, uint8_t **quote, size_t *len, avow_error *err)
{
    if (!app || !app->platform)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim quote: NULL enclave");
    uint8_t ti[AVOW_TARGETINFO_SIZE], report[AVOW_REPORT_SIZE];
    avow_sim_qe_targetinfo(app->platform, ti);
    avow_err rc = avow_sim_ereport(app, ti, report_data, report, err);
    if (!rc) rc = avow_sim_quote(app->platform, report, version, quote, len, err);
    return rc;
}
