/* DCAP (ECDSA) quote parsing: versions 3, 4 and 5, SGX and TDX bodies (TD
 * report 1.0 and 1.5, with a view over their fields),
 * certification data types 1–7 (type 6 nesting the real one in v4/v5).
 * The parse result is a set of views into the caller's buffer; every length
 * is checked before use and nothing is read past `len`.
 * Layouts: docs/verification.md A1, docs/formats.md §6.
 * Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"
#include "avow/report.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AVOW_QUOTE_HEADER_SIZE  48
#define AVOW_TD_REPORT10_SIZE   584
#define AVOW_TD_REPORT15_SIZE   648
#define AVOW_QUOTE_MIN_SIZE     1020
#define AVOW_ECDSA_SIG_SIZE     64
#define AVOW_ECDSA_PUBKEY_SIZE  64
#define AVOW_TEE_SGX            0x00000000u
#define AVOW_TEE_TDX            0x00000081u
#define AVOW_ATT_KEY_ECDSA_P256 2

extern const uint8_t AVOW_INTEL_QE_VENDOR_ID[16];

/* Certification data types. */
enum {
    AVOW_CERT_PPID_CLEAR = 1,
    AVOW_CERT_PPID_RSA2048 = 2,
    AVOW_CERT_PPID_RSA3072 = 3,
    AVOW_CERT_PCK_LEAF = 4,
    AVOW_CERT_PCK_CHAIN = 5,
    AVOW_CERT_QE_REPORT = 6,
    AVOW_CERT_PLATFORM_MANIFEST = 7,
};

/* Body types (v5 descriptor; implied by tee_type in v3/v4). */
enum { AVOW_BODY_SGX = 1, AVOW_BODY_TD10 = 2, AVOW_BODY_TD15 = 3 };

/* Offsets inside a TD report (TDREPORT's TDINFO and TEE_TCB_INFO fields as
 * the quote carries them; docs/verification.md A1.2). TD report 1.5 appends
 * TEE_TCB_SVN_2 and MRSERVICETD to the 584 bytes of 1.0. */
enum {
    AVOW_TD_TEE_TCB_SVN = 0,
    AVOW_TD_MR_SEAM = 16,
    AVOW_TD_MR_SIGNER_SEAM = 64,
    AVOW_TD_SEAM_ATTRIBUTES = 112,
    AVOW_TD_TD_ATTRIBUTES = 120,
    AVOW_TD_XFAM = 128,
    AVOW_TD_MR_TD = 136,
    AVOW_TD_MR_CONFIG_ID = 184,
    AVOW_TD_MR_OWNER = 232,
    AVOW_TD_MR_OWNER_CONFIG = 280,
    AVOW_TD_RTMR0 = 328, /* RTMR0..3, 48 bytes each */
    AVOW_TD_REPORT_DATA = 520,
    AVOW_TD_TEE_TCB_SVN2 = 584,
    AVOW_TD_MR_SERVICE_TD = 600,
};

/* TDATTRIBUTES bits (u64 little-endian): TUD.DEBUG and SEC.SEPT_VE_DISABLE. */
#define AVOW_TD_ATTR_DEBUG           0x1ULL
#define AVOW_TD_ATTR_SEPT_VE_DISABLE (1ULL << 28)

/* A view over a TD report body in the caller's buffer (no copies).
 * tee_tcb_svn[0] is the TDX module's SVN (minor version), [1] its major
 * version, [2] the SEAM loader / microcode SVN. */
typedef struct {
    const uint8_t *raw; /* the 584 or 648 bytes */
    size_t len;
    const uint8_t *tee_tcb_svn;     /* 16 */
    const uint8_t *mr_seam;         /* 48 */
    const uint8_t *mr_signer_seam;  /* 48 */
    const uint8_t *seam_attributes; /* 8 */
    const uint8_t *td_attributes;   /* 8 */
    uint64_t td_attr;               /* td_attributes as the u64 it is */
    const uint8_t *xfam;            /* 8 */
    const uint8_t *mr_td;           /* 48 */
    const uint8_t *mr_config_id;    /* 48 */
    const uint8_t *mr_owner;        /* 48 */
    const uint8_t *mr_owner_config; /* 48 */
    const uint8_t *rtmr[4];         /* 48 each */
    const uint8_t *report_data;     /* 64 */
    const uint8_t *tee_tcb_svn2;    /* 16; TD report 1.5 only, else NULL */
    const uint8_t *mr_service_td;   /* 48; TD report 1.5 only, else NULL */
} avow_td_report;

/* Fills `out` over `body`, which holds `len` bytes: AVOW_TD_REPORT10_SIZE
 * (TD 1.0) or AVOW_TD_REPORT15_SIZE (TD 1.5); any other length leaves `out`
 * empty (all NULL) and returns false. */
bool avow_td_report_view(const uint8_t *body, size_t len, avow_td_report *out);

static inline bool avow_td_report_is_debug(const avow_td_report *t)
{
    return (t->td_attr & AVOW_TD_ATTR_DEBUG) != 0;
}

typedef struct {
    const uint8_t *raw; /* the caller's buffer */
    size_t raw_len;     /* its full length */

    /* header (offset 0, 48 bytes) */
    uint16_t version;
    uint16_t att_key_type;
    uint32_t tee_type;
    uint16_t qe_svn, pce_svn;
    const uint8_t *qe_vendor_id; /* 16 */
    const uint8_t *user_data;    /* 20; first 16 = QE-ID */

    /* body */
    uint16_t body_type;  /* AVOW_BODY_* */
    const uint8_t *body; /* SGX: 384-byte report body; TDX: TD report */
    size_t body_len;
    avow_report_body report; /* filled for SGX bodies */

    /* signed region = header [|| v5 descriptor] || body */
    const uint8_t *signed_data;
    size_t signed_len;

    /* auth ("signature") data */
    uint32_t auth_data_size;
    const uint8_t *signature;     /* 64: r||s big-endian */
    const uint8_t *attest_key;    /* 64: X||Y big-endian */
    const uint8_t *qe_report;     /* 384: QE report body */
    avow_report_body qe;          /* view of qe_report */
    const uint8_t *qe_report_sig; /* 64 */
    const uint8_t *qe_auth_data;
    uint16_t qe_auth_data_len;
    uint16_t outer_cert_type; /* v3: == cert_type; v4/v5: 6 */
    uint32_t outer_cert_size;
    uint16_t cert_type;       /* the innermost type (1..5, 7) */
    const uint8_t *cert_data; /* inner certification data */
    uint32_t cert_data_len;

    size_t end;          /* offset just past the auth data */
    size_t trailing_len; /* bytes after `end`: accepted whatever they hold, never read */

    avow_td_report td; /* filled for TD bodies (body_type TD10 / TD15) */
} avow_quote;

/* Parses a quote. The quote ends with its auth data (`end`); bytes after it
 * are accepted whatever they hold, as Intel's QVL does, reported in
 * trailing_len and never read (one rule for every caller: the verifier,
 * avowd, avow_quote_platform_id, the CLI). Errors name the field and its offset.
 * TD bodies are also read into `td` (avow_td_report_view). */
avow_err avow_quote_parse(const uint8_t *buf, size_t len, avow_quote *out, avow_error *err);

/* "SGX", "TDX" or "unknown". */
const char *avow_tee_name(uint32_t tee_type);

/* ---- additions (formats layer) ------------------------------------------ */

/* Flags for avow_quote_parse_ex. */
#define AVOW_QUOTE_ALLOW_TRAILING                               \
    0x1u /* no effect: trailing bytes are always accepted (kept \
          * so that existing callers still compile) */

/* avow_quote_parse with options; flags 0 is exactly avow_quote_parse. */
avow_err avow_quote_parse_ex(const uint8_t *buf, size_t len, unsigned flags, avow_quote *out,
                             avow_error *err);

/* Short name of a certification data type, e.g. "pck_cert_chain"; "unknown" otherwise. */
const char *avow_cert_type_name(uint16_t cert_type);

/* The PCK identity carried by certification data types 1..3 (sizes are
 * checked by avow_quote_parse: 36, 276 or 404 bytes). */
typedef struct {
    const uint8_t *ppid;    /* type 1: the PPID in clear; 2/3: RSA-OAEP encrypted PPID */
    size_t ppid_len;        /* 16, 256 or 384 */
    const uint8_t *cpu_svn; /* 16 */
    uint16_t pce_svn;       /* little-endian in the quote */
    const uint8_t *pce_id;  /* 2 */
} avow_quote_pck_id;

/* Fills `out` from q->cert_data; AVOW_ERR_UNSUPPORTED for other cert types. */
avow_err avow_quote_get_pck_id(const avow_quote *q, avow_quote_pck_id *out, avow_error *err);

#ifdef __cplusplus
}
#endif
