/* A read-only view of a TD report body as DCAP quotes v4/v5 carry it
 * (quote.h, avow_td_report_view): TD report 1.0 (584 bytes) and 1.5 (648
 * bytes: 1.0, TEE_TCB_SVN_2 and MRSERVICETD). Layout: docs/verification.md A1.2.
 * Thread-safe: no state. */
#include <string.h>

#include "avow/quote.h"
#include "core/cursor.h"

_Static_assert(AVOW_TD_MR_SEAM == AVOW_TD_TEE_TCB_SVN + 16, "TEE_TCB_SVN is 16 bytes");
_Static_assert(AVOW_TD_MR_SIGNER_SEAM == AVOW_TD_MR_SEAM + 48, "MRSEAM is 48 bytes");
_Static_assert(AVOW_TD_SEAM_ATTRIBUTES == AVOW_TD_MR_SIGNER_SEAM + 48, "MRSIGNERSEAM is 48 bytes");
_Static_assert(AVOW_TD_TD_ATTRIBUTES == AVOW_TD_SEAM_ATTRIBUTES + 8, "SEAMATTRIBUTES is 8 bytes");
_Static_assert(AVOW_TD_XFAM == AVOW_TD_TD_ATTRIBUTES + 8, "TDATTRIBUTES is 8 bytes");
_Static_assert(AVOW_TD_MR_TD == AVOW_TD_XFAM + 8, "XFAM is 8 bytes");
_Static_assert(AVOW_TD_MR_CONFIG_ID == AVOW_TD_MR_TD + 48, "MRTD is 48 bytes");
_Static_assert(AVOW_TD_MR_OWNER == AVOW_TD_MR_CONFIG_ID + 48, "MRCONFIGID is 48 bytes");
_Static_assert(AVOW_TD_MR_OWNER_CONFIG == AVOW_TD_MR_OWNER + 48, "MROWNER is 48 bytes");
_Static_assert(AVOW_TD_RTMR0 == AVOW_TD_MR_OWNER_CONFIG + 48, "MROWNERCONFIG is 48 bytes");
_Static_assert(AVOW_TD_REPORT_DATA == AVOW_TD_RTMR0 + 4 * 48, "four RTMRs of 48 bytes");
_Static_assert(AVOW_TD_REPORT10_SIZE == AVOW_TD_REPORT_DATA + 64, "REPORTDATA ends TD 1.0");
_Static_assert(AVOW_TD_TEE_TCB_SVN2 == AVOW_TD_REPORT10_SIZE, "TD 1.5 extends TD 1.0");
_Static_assert(AVOW_TD_MR_SERVICE_TD == AVOW_TD_TEE_TCB_SVN2 + 16, "TEE_TCB_SVN_2 is 16 bytes");
_Static_assert(AVOW_TD_REPORT15_SIZE == AVOW_TD_MR_SERVICE_TD + 48, "MRSERVICETD ends TD 1.5");

bool avow_td_report_view(const uint8_t *body, size_t len, avow_td_report *out)
{
    memset(out, 0, sizeof(*out));
    if (!body || (len != AVOW_TD_REPORT10_SIZE && len != AVOW_TD_REPORT15_SIZE)) return false;
    out->raw = body;
    out->len = len;
    out->tee_tcb_svn = body + AVOW_TD_TEE_TCB_SVN;
    out->mr_seam = body + AVOW_TD_MR_SEAM;
    out->mr_signer_seam = body + AVOW_TD_MR_SIGNER_SEAM;
    out->seam_attributes = body + AVOW_TD_SEAM_ATTRIBUTES;
    out->td_attributes = body + AVOW_TD_TD_ATTRIBUTES;
    out->td_attr = avow_le64(body + AVOW_TD_TD_ATTRIBUTES);
    out->xfam = body + AVOW_TD_XFAM;
    out->mr_td = body + AVOW_TD_MR_TD;
    out->mr_config_id = body + AVOW_TD_MR_CONFIG_ID;
    out->mr_owner = body + AVOW_TD_MR_OWNER;
    out->mr_owner_config = body + AVOW_TD_MR_OWNER_CONFIG;
    for (int i = 0; i < 4; i++)
        out->rtmr[i] = body + AVOW_TD_RTMR0 + 48 * i;
    out->report_data = body + AVOW_TD_REPORT_DATA;
    if (len == AVOW_TD_REPORT15_SIZE) {
        out->tee_tcb_svn2 = body + AVOW_TD_TEE_TCB_SVN2;
        out->mr_service_td = body + AVOW_TD_MR_SERVICE_TD;
    }
    return true;
}
