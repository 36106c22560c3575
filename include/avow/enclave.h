/* Enclave identity: MRENCLAVE measurement (ECREATE / EADD / EEXTEND records,
 * layouts, SGXS streams), SIGSTRUCT (parse, serialize, verify, sign, MRSIGNER)
 * and the TARGETINFO / KEYREQUEST encoders that the software platform and
 * real enclaves share.
 * Layouts: docs/formats.md §2, §4, §5.
 * Thread-safe: every function is; an avow_measure context is owned by one
 * thread at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"
#include "avow/report.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AVOW_PAGE_SIZE        4096
#define AVOW_EEXTEND_SIZE     256
#define AVOW_SIGSTRUCT_SIZE   1808
#define AVOW_RSA3072_SIZE     384
#define AVOW_SIGSTRUCT_SIGNED 256 /* bytes 0..127 || 900..1027 */

/* SECINFO.FLAGS: permission bits and page types (bits 15:8). */
#define AVOW_SECINFO_R       0x001ULL
#define AVOW_SECINFO_W       0x002ULL
#define AVOW_SECINFO_X       0x004ULL
#define AVOW_SECINFO_PT_SECS 0x000ULL
#define AVOW_SECINFO_PT_TCS  0x100ULL
#define AVOW_SECINFO_PT_REG  0x200ULL
#define AVOW_SECINFO_TCS     0x100ULL /* TCS page (RWX must be 0) */
#define AVOW_SECINFO_REG_R   0x201ULL
#define AVOW_SECINFO_REG_RW  0x203ULL
#define AVOW_SECINFO_REG_RX  0x205ULL
#define AVOW_SECINFO_REG_RWX 0x207ULL

/* ---- Measurement (MRENCLAVE) ------------------------------------------------
 * One running SHA-256 over 64-byte records (docs/formats.md §4). The context
 * checks what hardware would fault on: SIZE a power of two of at least two
 * pages, ECREATE first and once, offsets page-aligned (EADD) or 256-aligned
 * (EEXTEND) and inside SIZE, EEXTEND only inside a page already EADDed, no page
 * EADDed twice, and valid SECINFO flags (page type TCS or REG; a TCS has no
 * R/W/X). Errors are AVOW_ERR_ARG (misuse) or AVOW_ERR_FORMAT (bad layout). */
typedef struct avow_measure avow_measure;

/* ECREATE: starts a measurement of an enclave of `size` bytes whose SSA frame
 * is `ssa_frame_size` pages. */
avow_err avow_measure_ecreate(avow_measure **out, uint64_t size, uint32_t ssa_frame_size,
                              avow_error *err);
/* EADD of the page at enclave offset `offset` with SECINFO.FLAGS `flags`. */
avow_err avow_measure_eadd(avow_measure *m, uint64_t offset, uint64_t flags, avow_error *err);
/* EEXTEND of the 256-byte chunk at `offset` (inside a page already added). */
avow_err avow_measure_eextend(avow_measure *m, uint64_t offset,
                              const uint8_t chunk[AVOW_EEXTEND_SIZE], avow_error *err);
/* EADD plus, when `measured`, the page's 16 EEXTENDs in ascending order.
 * `page` is 4096 bytes, or NULL for an all-zero page. */
avow_err avow_measure_add_page(avow_measure *m, uint64_t offset, uint64_t flags,
                               const uint8_t *page, bool measured, avow_error *err);
/* EINIT's finalisation: the MRENCLAVE so far (the context stays usable). */
void avow_measure_digest(const avow_measure *m, uint8_t mrenclave[32]);
void avow_measure_free(avow_measure *m);

/* One run of pages of an enclave image: image pages [first, first+count) go
 * to enclave offsets (first+i)*4096 with SECINFO flags `flags`. */
typedef struct {
    uint64_t first, count;
    uint64_t flags;
    bool measured; /* EEXTENDed (contents measured) or EADD only */
} avow_layout_range;

#define AVOW_LAYOUT_MAX_RANGES 256
typedef struct {
    uint64_t size;           /* SECS.SIZE; 0 = next power of two >= the image (min 2 pages) */
    uint32_t ssa_frame_size; /* SECS.SSAFRAMESIZE (pages); 0 is taken as 1 */
    size_t n_ranges;
    avow_layout_range ranges[AVOW_LAYOUT_MAX_RANGES];
} avow_layout;

/* Parses a layout description, one directive per line, '#' comments:
 *   size 0x8000              SECS.SIZE (decimal or 0x hex; optional)
 *   ssaframesize 1           SECS.SSAFRAMESIZE (optional, default 1)
 *   pages 0 tcs              page 0 is a TCS, measured
 *   pages 1-5 rwx            pages 1..5 REG RWX, measured
 *   pages 6-7 rw unmeasured  EADD only
 * Page types/permissions: tcs, r, rw, rx, rwx, or a raw SECINFO flags number
 * (0x207). Pages are indices into the image. A page not named by any range is
 * not added at all. Errors name the line. */
avow_err avow_layout_parse(const char *text, size_t len, avow_layout *out, avow_error *err);

/* Measures an image (a multiple of 4096 bytes; a short last page is padded
 * with zeros) laid out by `layout`, ranges in the order given. */
avow_err avow_measure_image(const uint8_t *image, size_t len, const avow_layout *layout,
                            uint8_t mrenclave[32], avow_error *err);

/* Measures an SGXS stream (Fortanix format: ECREATE, EADD, EEXTEND records;
 * "UNSIZED"/"UNMEASRD" loader records are skipped), checking each record as
 * avow_measure_* does. */
avow_err avow_measure_sgxs(const uint8_t *buf, size_t len, uint8_t mrenclave[32], avow_error *err);

/* ---- SIGSTRUCT ---------------------------------------------------------------
 * All big integers (modulus, signature, q1, q2) are kept little-endian, as
 * stored. */
enum {
    AVOW_SS_HEADER = 0,
    AVOW_SS_VENDOR = 16,
    AVOW_SS_DATE = 20,
    AVOW_SS_HEADER2 = 24,
    AVOW_SS_SWDEFINED = 40,
    AVOW_SS_MODULUS = 128,
    AVOW_SS_EXPONENT = 512,
    AVOW_SS_SIGNATURE = 516,
    AVOW_SS_MISCSELECT = 900,
    AVOW_SS_MISCMASK = 904,
    AVOW_SS_CET_ATTRIBUTES = 908,
    AVOW_SS_CET_ATTRIBUTES_MASK = 909,
    AVOW_SS_ISVFAMILYID = 912,
    AVOW_SS_ATTRIBUTES = 928,
    AVOW_SS_ATTRIBUTEMASK = 944,
    AVOW_SS_ENCLAVEHASH = 960,
    AVOW_SS_ISVEXTPRODID = 1008,
    AVOW_SS_ISVPRODID = 1024,
    AVOW_SS_ISVSVN = 1026,
    AVOW_SS_Q1 = 1040,
    AVOW_SS_Q2 = 1424,
};

extern const uint8_t avow_sigstruct_header[16];
extern const uint8_t avow_sigstruct_header2[16];

typedef struct {
    uint8_t header[16];
    uint32_t vendor; /* 0 or 0x8086 */
    uint32_t date;   /* 0xYYYYMMDD as BCD-like hex digits */
    uint8_t header2[16];
    uint32_t swdefined;
    uint8_t modulus[AVOW_RSA3072_SIZE];
    uint32_t exponent;
    uint8_t signature[AVOW_RSA3072_SIZE];
    uint32_t misc_select, misc_mask;
    uint8_t cet_attributes, cet_attributes_mask;
    uint8_t isv_family_id[16];
    uint64_t attr_flags, attr_xfrm;           /* ATTRIBUTES */
    uint64_t attr_mask_flags, attr_mask_xfrm; /* ATTRIBUTEMASK */
    uint8_t enclave_hash[32];
    uint8_t isv_ext_prod_id[16];
    uint16_t isv_prod_id, isv_svn;
    uint8_t q1[AVOW_RSA3072_SIZE], q2[AVOW_RSA3072_SIZE];
} avow_sigstruct;

/* Parses exactly 1808 bytes. Checks the size, HEADER/HEADER2 constants (the
 * SDK's debug-signing bit 31 of HEADER bytes 12..15 is accepted), VENDOR
 * (0 or 0x8086) and EXPONENT (3), and that reserved fields are zero; it does
 * not check the signature (avow_sigstruct_verify). */
avow_err avow_sigstruct_parse(const uint8_t *buf, size_t len, avow_sigstruct *out, avow_error *err);
void avow_sigstruct_serialize(const avow_sigstruct *s, uint8_t out[AVOW_SIGSTRUCT_SIZE]);
/* The 256 signed bytes: serialized bytes 0..127 || 900..1027. */
void avow_sigstruct_signed_bytes(const avow_sigstruct *s, uint8_t out[AVOW_SIGSTRUCT_SIGNED]);
/* MRSIGNER = SHA-256 of the 384 modulus bytes as stored (little-endian). */
void avow_sigstruct_mrsigner(const avow_sigstruct *s, uint8_t mrsigner[32]);

/* Verifies the RSA-3072 e=3 PKCS#1 v1.5 SHA-256 signature over the signed
 * bytes, and Q1 = floor(s^2 / n), Q2 = floor((s^3 - q1*s*n) / n).
 * AVOW_ERR_SIGNATURE when the signature or Q1/Q2 is wrong (message says which),
 * AVOW_ERR_FORMAT when exponent != 3 or the modulus is not 3072 bits. */
avow_err avow_sigstruct_verify(const avow_sigstruct *s, avow_error *err);

/* Fills `s` with the fixed constants (HEADER, HEADER2, exponent 3) and zeros:
 * the caller then sets enclave_hash, attributes, masks, isv_* and signs. */
void avow_sigstruct_init(avow_sigstruct *s);

/* Signs `s` with an RSA-3072, e=3 private key (PEM, PKCS#1 or PKCS#8): sets
 * modulus, exponent, signature, q1 and q2. AVOW_ERR_ARG when the key is not
 * RSA-3072 with e = 3. The key is freed and wiped before returning. */
avow_err avow_sigstruct_sign(avow_sigstruct *s, const char *key_pem, size_t key_len,
                             avow_error *err);

/* The raw primitive behind avow_sigstruct_sign: PKCS#1 v1.5 signature of a
 * SHA-256 `digest` with the key, plus its Q1/Q2, all little-endian, and the
 * key's modulus little-endian. Any output pointer may be NULL. */
avow_err avow_rsa3072_sign_digest(const char *key_pem, size_t key_len, const uint8_t digest[32],
                                  uint8_t sig_le[AVOW_RSA3072_SIZE],
                                  uint8_t q1_le[AVOW_RSA3072_SIZE],
                                  uint8_t q2_le[AVOW_RSA3072_SIZE],
                                  uint8_t modulus_le[AVOW_RSA3072_SIZE], avow_error *err);

/* Generates a fresh RSA-3072 e=3 signing key as PKCS#8 PEM (malloc'd,
 * NUL-terminated; wipe and free it when done). For tests and `avow sim`. */
avow_err avow_rsa3072_generate_pem(char **pem, size_t *pem_len, avow_error *err);

/* ---- TARGETINFO and KEYREQUEST ------------------------------------------------ */
typedef struct {
    uint8_t measurement[32];
    uint64_t attr_flags, attr_xfrm;
    uint8_t cet_attributes;
    uint16_t config_svn;
    uint32_t misc_select;
    uint8_t config_id[64];
} avow_targetinfo;

void avow_targetinfo_encode(const avow_targetinfo *t, uint8_t out[AVOW_TARGETINFO_SIZE]);
/* Checks that reserved bytes are zero (AVOW_ERR_FORMAT otherwise). */
avow_err avow_targetinfo_decode(const uint8_t in[AVOW_TARGETINFO_SIZE], avow_targetinfo *t,
                                avow_error *err);
/* TARGETINFO for the enclave that produced `body` (docs/formats.md §2.1). */
void avow_targetinfo_from_report_body(const uint8_t body[AVOW_REPORT_BODY_SIZE],
                                      uint8_t out[AVOW_TARGETINFO_SIZE]);

/* KEYNAME values. */
enum {
    AVOW_KEYNAME_EINITTOKEN = 0,
    AVOW_KEYNAME_PROVISION = 1,
    AVOW_KEYNAME_PROVISION_SEAL = 2,
    AVOW_KEYNAME_REPORT = 3,
    AVOW_KEYNAME_SEAL = 4,
};
/* KEYPOLICY bits. */
#define AVOW_KEYPOLICY_MRENCLAVE    0x0001u
#define AVOW_KEYPOLICY_MRSIGNER     0x0002u
#define AVOW_KEYPOLICY_NOISVPRODID  0x0004u
#define AVOW_KEYPOLICY_CONFIGID     0x0008u
#define AVOW_KEYPOLICY_ISVFAMILYID  0x0010u
#define AVOW_KEYPOLICY_ISVEXTPRODID 0x0020u

typedef struct {
    uint16_t key_name, key_policy, isv_svn;
    uint8_t cet_attributes_mask;
    uint8_t cpu_svn[16];
    uint64_t attr_mask_flags, attr_mask_xfrm;
    uint8_t key_id[32];
    uint32_t misc_mask;
    uint16_t config_svn;
} avow_keyrequest;

void avow_keyrequest_encode(const avow_keyrequest *k, uint8_t out[AVOW_KEYREQUEST_SIZE]);
/* Checks that reserved bytes are zero (AVOW_ERR_FORMAT otherwise; hardware #GP). */
avow_err avow_keyrequest_decode(const uint8_t in[AVOW_KEYREQUEST_SIZE], avow_keyrequest *k,
                                avow_error *err);

#ifdef __cplusplus
}
#endif
