/* A read-only view of the 384-byte SGX REPORT BODY (report.h): pointers into
 * the caller's buffer for the byte fields, decoded little-endian integers for
 * the rest. Layout: docs/formats.md §1.1.
 * Thread-safe: no state. */
#include "avow/report.h"

#include <string.h>

#include "core/cursor.h"

/* The offsets in report.h must describe a packed 384-byte body inside a
 * 432-byte REPORT (KEYID 32 + MAC 16 after it). */
_Static_assert(AVOW_RB_CPUSVN + 16 == AVOW_RB_MISCSELECT, "CPUSVN is 16 bytes");
_Static_assert(AVOW_RB_MISCSELECT + 4 == AVOW_RB_CET_ATTRIBUTES, "MISCSELECT is 4 bytes");
_Static_assert(AVOW_RB_CET_ATTRIBUTES + 12 == AVOW_RB_ISVEXTPRODID, "12 bytes CET + reserved1");
_Static_assert(AVOW_RB_ISVEXTPRODID + 16 == AVOW_RB_ATTRIBUTES, "ISVEXTPRODID is 16 bytes");
_Static_assert(AVOW_RB_ATTRIBUTES + 16 == AVOW_RB_MRENCLAVE, "ATTRIBUTES is 16 bytes");
_Static_assert(AVOW_RB_MRENCLAVE + 32 + 32 == AVOW_RB_MRSIGNER, "MRENCLAVE 32 + reserved2 32");
_Static_assert(AVOW_RB_MRSIGNER + 32 + 32 == AVOW_RB_CONFIGID, "MRSIGNER 32 + reserved3 32");
_Static_assert(AVOW_RB_CONFIGID + 64 == AVOW_RB_ISVPRODID, "CONFIGID is 64 bytes");
_Static_assert(AVOW_RB_ISVPRODID + 2 == AVOW_RB_ISVSVN, "ISVPRODID is u16");
_Static_assert(AVOW_RB_ISVSVN + 2 == AVOW_RB_CONFIGSVN, "ISVSVN is u16");
_Static_assert(AVOW_RB_CONFIGSVN + 2 + 42 == AVOW_RB_ISVFAMILYID, "CONFIGSVN u16 + reserved4 42");
_Static_assert(AVOW_RB_ISVFAMILYID + 16 == AVOW_RB_REPORTDATA, "ISVFAMILYID is 16 bytes");
_Static_assert(AVOW_RB_REPORTDATA + 64 == AVOW_REPORT_BODY_SIZE, "REPORTDATA ends the body");
_Static_assert(AVOW_REPORT_KEYID == AVOW_REPORT_BODY_SIZE, "KEYID follows the body");
_Static_assert(AVOW_REPORT_KEYID + 32 == AVOW_REPORT_MAC, "KEYID is 32 bytes");
_Static_assert(AVOW_REPORT_MAC + 16 == AVOW_REPORT_SIZE, "MAC is 16 bytes and ends the REPORT");

void avow_report_body_view(const uint8_t body[AVOW_REPORT_BODY_SIZE], avow_report_body *out)
{
    memset(out, 0, sizeof(*out));
    out->raw = body;
    out->cpu_svn = body + AVOW_RB_CPUSVN;
    out->misc_select = avow_le32(body + AVOW_RB_MISCSELECT);
    out->isv_ext_prod_id = body + AVOW_RB_ISVEXTPRODID;
    out->attributes = body + AVOW_RB_ATTRIBUTES;
    out->flags = avow_le64(body + AVOW_RB_ATTRIBUTES);
    out->xfrm = avow_le64(body + AVOW_RB_ATTRIBUTES + 8);
    out->mr_enclave = body + AVOW_RB_MRENCLAVE;
    out->mr_signer = body + AVOW_RB_MRSIGNER;
    out->config_id = body + AVOW_RB_CONFIGID;
    out->isv_prod_id = avow_le16(body + AVOW_RB_ISVPRODID);
    out->isv_svn = avow_le16(body + AVOW_RB_ISVSVN);
    out->config_svn = avow_le16(body + AVOW_RB_CONFIGSVN);
    out->isv_family_id = body + AVOW_RB_ISVFAMILYID;
    out->report_data = body + AVOW_RB_REPORTDATA;
}
