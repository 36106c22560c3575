/* The simulated PCS's TCB evaluation data numbers document (sim.h,
 * include/avow/evalnum.h): Intel's body {"tcbEvaluationDataNumbers":{...},
 * "signature":"hex"} signed by the platform's TCB Signing key over the exact
 * bytes of the inner object, and its issuer chain [TCB Signing, root].
 * Thread-safe: reads the platform only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "avow/quote.h"
#include "sim/sim_internal.h"

avow_err avow_sim_evalnums(const avow_sim_platform *p, const avow_sim_evalnum *nums, size_t n,
                           avow_time issue_date, avow_time next_update, uint32_t tee, char **body,
                           char **chain, avow_error *err)
{
    *body = *chain = NULL;
    if (!p || !nums || !n || issue_date <= 0)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim evaluation numbers: a platform, numbers and an issue date are "
                              "required");
    sim_sb b = {0};
    sim_sb_printf(&b, "{\"id\":\"%s\",\"version\":1,", tee == AVOW_TEE_TDX ? "TDX" : "SGX");
    sim_put_date(&b, "issueDate", issue_date);
    sim_sb_printf(&b, ",");
    sim_put_date(&b, "nextUpdate", next_update ? next_update : issue_date + 30 * 86400LL);
    sim_sb_printf(&b, ",\"tcbEvalNumbers\":[");
    for (size_t i = 0; i < n; i++) {
        sim_sb_printf(&b, "%s{\"tcbEvaluationDataNumber\":%d,", i ? "," : "", nums[i].number);
        sim_put_date(&b, "tcbRecoveryEventDate", nums[i].recovery_date);
        sim_sb_printf(&b, ",");
        sim_put_date(&b, "tcbDate",
                     nums[i].tcb_date ? nums[i].tcb_date : nums[i].recovery_date + 86400LL);
        sim_sb_printf(&b, "}");
    }
    sim_sb_printf(&b, "]}");
    char *inner = sim_sb_take(&b);
    const avow_cert_copy *certs[] = {&p->tcb_cert, &p->root_cert, NULL};
    *chain = sim_pem_chain(certs);
    if (!inner || !*chain) {
        free(inner);
        free(*chain);
        *chain = NULL;
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    uint8_t sig[64];
    avow_err rc = sim_ecdsa_sign(p->tcb_key, (const uint8_t *)inner, strlen(inner), sig);
    if (!rc)
        rc =
            avow_signed_json_join("tcbEvaluationDataNumbers", inner, strlen(inner), sig, body, err);
    else
        avow_error_set(err, rc, AVOW_NO_OFFSET, "sim evaluation numbers: signing failed");
    free(inner);
    if (rc) {
        free(*chain);
        *chain = NULL;
    }
    return rc;
}
