/* SGX REPORT, REPORT BODY, TARGETINFO and KEYREQUEST: sizes, offsets, a
 * read-only view of a report body, and the local-attestation MAC check.
 * Layouts: docs/formats.md §1–§2. Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AVOW_REPORT_BODY_SIZE 384
#define AVOW_REPORT_SIZE      432
#define AVOW_TARGETINFO_SIZE  512
#define AVOW_KEYREQUEST_SIZE  512
#define AVOW_KEY_SIZE         16

/* Offsets inside the 384-byte report body. */
enum {
    AVOW_RB_CPUSVN = 0,
    AVOW_RB_MISCSELECT = 16,
    AVOW_RB_CET_ATTRIBUTES = 20,
    AVOW_RB_ISVEXTPRODID = 32,
    AVOW_RB_ATTRIBUTES = 48,
    AVOW_RB_MRENCLAVE = 64,
    AVOW_RB_MRSIGNER = 128,
    AVOW_RB_CONFIGID = 192,
    AVOW_RB_ISVPRODID = 256,
    AVOW_RB_ISVSVN = 258,
    AVOW_RB_CONFIGSVN = 260,
    AVOW_RB_ISVFAMILYID = 304,
    AVOW_RB_REPORTDATA = 320,
};
/* Offsets inside the 432-byte REPORT, after the body. */
enum { AVOW_REPORT_KEYID = 384, AVOW_REPORT_MAC = 416 };

/* ATTRIBUTES.FLAGS bits. */
#define AVOW_ATTR_INIT         0x001ULL
#define AVOW_ATTR_DEBUG        0x002ULL
#define AVOW_ATTR_MODE64BIT    0x004ULL
#define AVOW_ATTR_PROVISIONKEY 0x010ULL
#define AVOW_ATTR_EINITTOKEN   0x020ULL
#define AVOW_ATTR_KSS          0x080ULL

/* A view over a 384-byte report body in the caller's buffer (no copies). */
typedef struct {
    const uint8_t *cpu_svn;         /* 16 */
    uint32_t misc_select;
    const uint8_t *isv_ext_prod_id; /* 16 */
    const uint8_t *attributes;      /* 16: flags u64 LE, xfrm u64 LE */
    uint64_t flags, xfrm;
    const uint8_t *mr_enclave;      /* 32 */
    const uint8_t *mr_signer;       /* 32 */
    const uint8_t *config_id;       /* 64 */
    uint16_t isv_prod_id, isv_svn, config_svn;
    const uint8_t *isv_family_id;   /* 16 */
    const uint8_t *report_data;     /* 64 */
    const uint8_t *raw;             /* the 384 bytes */
} avow_report_body;

void avow_report_body_view(const uint8_t body[AVOW_REPORT_BODY_SIZE], avow_report_body *out);

static inline bool avow_report_body_is_debug(const avow_report_body *b)
{
    return (b->flags & AVOW_ATTR_DEBUG) != 0;
}

/* Local attestation: checks REPORT.MAC = AES-128-CMAC(report_key, body) in
 * constant time. `report_key` is what EGETKEY(REPORT_KEY, KEYID = the report's
 * KEYID) returned inside the target enclave (real or simulated).
 * AVOW_ERR_SIGNATURE when the MAC differs. */
avow_err avow_report_verify(const uint8_t report[AVOW_REPORT_SIZE],
                            const uint8_t report_key[AVOW_KEY_SIZE], avow_error *err);

/* AES-128-CMAC (NIST SP 800-38B / RFC 4493). */
avow_err avow_cmac_aes128(const uint8_t key[16], const uint8_t *msg, size_t len,
                          uint8_t mac[16]);

#ifdef __cplusplus
}
#endif
