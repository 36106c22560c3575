/* Intel TCB status names and sgx_ql_qv_result_t names/values (tcb.h), as in
 * Intel's QvE header and PCS documentation (docs/verification.md A4, A8.1).
 * Thread-safe: constant tables only. */
#include <string.h>

#include "avow/tcb.h"

static const struct {
    avow_tcb_status status;
    const char *name;
} status_names[] = {
    {AVOW_TCB_UP_TO_DATE, "UpToDate"},
    {AVOW_TCB_SW_HARDENING_NEEDED, "SWHardeningNeeded"},
    {AVOW_TCB_CONFIGURATION_NEEDED, "ConfigurationNeeded"},
    {AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, "ConfigurationAndSWHardeningNeeded"},
    {AVOW_TCB_OUT_OF_DATE, "OutOfDate"},
    {AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, "OutOfDateConfigurationNeeded"},
    {AVOW_TCB_REVOKED, "Revoked"},
    {AVOW_TCB_TD_RELAUNCH_ADVISED, "TDRelaunchAdvised"},
    {AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED, "TDRelaunchAdvisedConfigurationNeeded"},
};

#define N_STATUS (sizeof(status_names) / sizeof(status_names[0]))

const char *avow_tcb_status_name(avow_tcb_status s)
{
    for (size_t i = 0; i < N_STATUS; i++)
        if (status_names[i].status == s) return status_names[i].name;
    return NULL;
}

avow_err avow_tcb_status_parse(const char *s, size_t len, avow_tcb_status *out)
{
    if (!s || !out) return AVOW_ERR_ARG;
    for (size_t i = 0; i < N_STATUS; i++) {
        const char *n = status_names[i].name;
        if (strlen(n) == len && memcmp(n, s, len) == 0) {
            *out = status_names[i].status;
            return AVOW_OK;
        }
    }
    return AVOW_ERR_FORMAT;
}

static const struct {
    uint32_t code;
    const char *name;
} qv_names[] = {
    {AVOW_QV_OK, "SGX_QL_QV_RESULT_OK"},
    {AVOW_QV_CONFIG_NEEDED, "SGX_QL_QV_RESULT_CONFIG_NEEDED"},
    {AVOW_QV_OUT_OF_DATE, "SGX_QL_QV_RESULT_OUT_OF_DATE"},
    {AVOW_QV_OUT_OF_DATE_CONFIG_NEEDED, "SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED"},
    {AVOW_QV_INVALID_SIGNATURE, "SGX_QL_QV_RESULT_INVALID_SIGNATURE"},
    {AVOW_QV_REVOKED, "SGX_QL_QV_RESULT_REVOKED"},
    {AVOW_QV_UNSPECIFIED, "SGX_QL_QV_RESULT_UNSPECIFIED"},
    {AVOW_QV_SW_HARDENING_NEEDED, "SGX_QL_QV_RESULT_SW_HARDENING_NEEDED"},
    {AVOW_QV_CONFIG_AND_SW_HARDENING_NEEDED, "SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED"},
    {AVOW_QV_TD_RELAUNCH_ADVISED, "TEE_QV_RESULT_TD_RELAUNCH_ADVISED"},
    {AVOW_QV_TD_RELAUNCH_ADVISED_CONFIG_NEEDED, "TEE_QV_RESULT_TD_RELAUNCH_ADVISED_CONFIG_NEEDED"},
};

const char *avow_qv_result_name(uint32_t code)
{
    for (size_t i = 0; i < sizeof(qv_names) / sizeof(qv_names[0]); i++)
        if (qv_names[i].code == code) return qv_names[i].name;
    return "SGX_QL_QV_RESULT_UNSPECIFIED";
}

uint32_t avow_qv_result_for_status(avow_tcb_status s)
{
    switch (s) {
        case AVOW_TCB_UP_TO_DATE:
            return AVOW_QV_OK;
        case AVOW_TCB_SW_HARDENING_NEEDED:
            return AVOW_QV_SW_HARDENING_NEEDED;
        case AVOW_TCB_CONFIGURATION_NEEDED:
            return AVOW_QV_CONFIG_NEEDED;
        case AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
            return AVOW_QV_CONFIG_AND_SW_HARDENING_NEEDED;
        case AVOW_TCB_OUT_OF_DATE:
            return AVOW_QV_OUT_OF_DATE;
        case AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED:
            return AVOW_QV_OUT_OF_DATE_CONFIG_NEEDED;
        case AVOW_TCB_REVOKED:
            return AVOW_QV_REVOKED;
        case AVOW_TCB_TD_RELAUNCH_ADVISED:
            return AVOW_QV_TD_RELAUNCH_ADVISED;
        case AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED:
            return AVOW_QV_TD_RELAUNCH_ADVISED_CONFIG_NEEDED;
        case AVOW_TCB_NONE:
            break;
    }
    return AVOW_QV_UNSPECIFIED;
}
