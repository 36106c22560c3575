/* AES-128-CMAC (NIST SP 800-38B / RFC 4493) and the local-attestation REPORT
 * MAC check (avow_report_verify, report.h). The same code checks reports made
 * by the software platform and, with a key from the real EGETKEY, by hardware.
 * Thread-safe: no shared state (OpenSSL objects are per call). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "avow/encode.h"
#include "avow/report.h"

avow_err avow_cmac_aes128(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16])
{
    if (!key || !mac || (!msg && len)) return AVOW_ERR_ARG;
    avow_err rc = AVOW_ERR_INTERNAL;
    EVP_MAC *alg = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *ctx = alg ? EVP_MAC_CTX_new(alg) : NULL;
    char cipher[] = "AES-128-CBC";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
        OSSL_PARAM_construct_end(),
    };
    size_t out_len = 0;
    if (!ctx || !EVP_MAC_init(ctx, key, 16, params)) goto done;
    if (len && !EVP_MAC_update(ctx, msg, len)) goto done;
    if (!EVP_MAC_final(ctx, mac, &out_len, 16) || out_len != 16) goto done;
    rc = AVOW_OK;
done:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(alg);
    return rc;
}

avow_err avow_report_verify(const uint8_t report[AVOW_REPORT_SIZE],
                            const uint8_t report_key[AVOW_KEY_SIZE], avow_error *err)
{
    if (!report || !report_key)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "report: NULL argument");
    uint8_t mac[16];
    if (avow_cmac_aes128(report_key, report, AVOW_REPORT_BODY_SIZE, mac) != AVOW_OK)
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "report: CMAC failed");
    int diff = avow_ct_memcmp(mac, report + AVOW_REPORT_MAC, sizeof mac);
    avow_wipe(mac, sizeof mac);
    if (diff)
        return avow_error_set(err, AVOW_ERR_SIGNATURE, AVOW_REPORT_MAC,
                              "report.mac at offset %d: does not match the target's report key",
                              AVOW_REPORT_MAC);
    return AVOW_OK;
}
