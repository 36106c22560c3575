/* The simulated QE3's quote builder: DCAP quote v3 (certification data type 5,
 * the PCK chain) and v4 (type 6 "QE report certification data" nesting type
 * 5), signed with the platform's attestation key (docs/verification.md A1,
 * docs/formats.md §6). Thread-safe: reads the platform only. */
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "core/cursor.h"
#include "sim/sim_internal.h"

static const uint8_t QE_VENDOR_ID[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                         0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

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
    uint8_t auth[32];
    for (int i = 0; i < 32; i++)
        auth[i] = (uint8_t)i;
    uint8_t qe_body[384], qe_sig[64], att_pub[64];
    if ((rc = sim_qe_certify(p, auth, sizeof auth, qe_body, qe_sig, err))) return rc;
    if (sim_ec_pub_raw(p->att_key, att_pub))
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim QE: attestation key");
    X509 *chain[] = {p->pck_cert, p->ca_cert, p->root_cert, NULL};
    char *pem = sim_pem_chain(chain);
    if (!pem) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "sim QE: out of memory");
    size_t pem_len = strlen(pem);
    /* QE report certification data: report, sig, auth size+data, type 5 + size + chain */
    size_t qrcd = 384 + 64 + 2 + sizeof auth + 2 + 4 + pem_len;
    size_t sig_data = 64 + 64 + (version == 3 ? qrcd : 2 + 4 + qrcd);
    size_t total = 48 + 384 + 4 + sig_data;
    uint8_t *q = calloc(1, total);
    if (!q) {
        free(pem);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "sim QE: out of memory");
    }
    avow_put_le16(q, (uint16_t)version);
    avow_put_le16(q + 2, 2); /* ECDSA-256-with-P-256 */
    avow_put_le32(q + 4, 0); /* v3 reserved / v4 TEE type SGX */
    avow_put_le16(q + 8, p->qe_secs.isv_svn);
    avow_put_le16(q + 10, p->pce_secs.isv_svn);
    memcpy(q + 12, QE_VENDOR_ID, 16);
    memcpy(q + 28, p->qe_id, 16);
    memcpy(q + 48, app_report, 384);
    avow_put_le32(q + 432, (uint32_t)sig_data);
    uint8_t *s = q + 436;
    if (sim_ecdsa_sign(p->att_key, q, 432, s)) {
        free(q);
        free(pem);
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "sim QE: signing failed");
    }
    memcpy(s + 64, att_pub, 64);
    uint8_t *c = s + 128;
    if (version == 4) {
        avow_put_le16(c, 6);
        avow_put_le32(c + 2, (uint32_t)qrcd);
        c += 6;
    }
    memcpy(c, qe_body, 384);
    memcpy(c + 384, qe_sig, 64);
    avow_put_le16(c + 448, sizeof auth);
    memcpy(c + 450, auth, sizeof auth);
    c += 450 + sizeof auth;
    avow_put_le16(c, 5);
    avow_put_le32(c + 2, (uint32_t)pem_len);
    memcpy(c + 6, pem, pem_len);
    free(pem);
    *quote = q;
    *len = total;
    return AVOW_OK;
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
