/* TCB statuses, Intel's result codes, and the parsed forms of TCB Info
 * (v2/v3) and QE Identity (v2). Parsers take the exact signed JSON bytes
 * (the object that the signature covers); they check types, ranges, hex
 * lengths and duplicates, and sort TCB levels the way Intel does (descending
 * by the 16 SGX component SVNs, then PCESVN, then TDX components) instead of
 * trusting JSON order. Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"
#include "avow/time.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    AVOW_TCB_NONE = 0, /* not determined */
    AVOW_TCB_UP_TO_DATE,
    AVOW_TCB_SW_HARDENING_NEEDED,
    AVOW_TCB_CONFIGURATION_NEEDED,
    AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    AVOW_TCB_OUT_OF_DATE,
    AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    AVOW_TCB_REVOKED,
    AVOW_TCB_TD_RELAUNCH_ADVISED,
    AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
} avow_tcb_status;

/* Intel's strings ("UpToDate", "SWHardeningNeeded", ...); NULL for NONE. */
const char *avow_tcb_status_name(avow_tcb_status s);
/* Exact, case-sensitive match of Intel's strings. */
avow_err avow_tcb_status_parse(const char *s, size_t len, avow_tcb_status *out);

/* sgx_ql_qv_result_t values (QvE header). */
#define AVOW_QV_OK                              0x0000u
#define AVOW_QV_CONFIG_NEEDED                   0xA001u
#define AVOW_QV_OUT_OF_DATE                     0xA002u
#define AVOW_QV_OUT_OF_DATE_CONFIG_NEEDED       0xA003u
#define AVOW_QV_INVALID_SIGNATURE               0xA004u
#define AVOW_QV_REVOKED                         0xA005u
#define AVOW_QV_UNSPECIFIED                     0xA006u
#define AVOW_QV_SW_HARDENING_NEEDED             0xA007u
#define AVOW_QV_CONFIG_AND_SW_HARDENING_NEEDED  0xA008u
#define AVOW_QV_TD_RELAUNCH_ADVISED             0xA009u
#define AVOW_QV_TD_RELAUNCH_ADVISED_CONFIG_NEEDED 0xA00Au

/* "SGX_QL_QV_RESULT_OK", ...; "SGX_QL_QV_RESULT_UNSPECIFIED" for unknown. */
const char *avow_qv_result_name(uint32_t code);
/* The sgx_ql_qv_result_t Intel reports for a successful verification with
 * this converged status (Revoked maps to REVOKED). */
uint32_t avow_qv_result_for_status(avow_tcb_status s);

/* A level of an enclave-style identity (QE Identity, TDX module identity):
 * matched when the reported ISVSVN is >= isvsvn. */
typedef struct {
    uint16_t isvsvn;
    avow_time tcb_date;
    avow_tcb_status status; /* UP_TO_DATE, OUT_OF_DATE or REVOKED */
    char **advisory_ids;
    size_t n_advisory_ids;
} avow_qe_level;

/* TDX module identity from TCB Info v3 (id "TDX"): the base `tdxModule`
 * (id "", no levels) or one `tdxModuleIdentities` entry (id "TDX_01", ...,
 * upper-cased; levels by descending isvsvn, 0..65535 as Intel parses them;
 * the module's SVN TEE_TCB_SVN[0] is compared with them). */
typedef struct {
    char id[8];
    uint8_t mrsigner[48];
    uint8_t attributes[8], attributes_mask[8];
    avow_qe_level *levels;
    size_t n_levels;
} avow_tdx_module_identity;

typedef struct {
    uint8_t sgx_comp[16];
    uint16_t pcesvn;
    bool has_tdx;
    uint8_t tdx_comp[16];
    avow_time tcb_date;
    avow_tcb_status status;
    char **advisory_ids; /* owned */
    size_t n_advisory_ids;
} avow_tcb_level;

typedef struct {
    int version;          /* 2 or 3 */
    bool is_tdx;          /* v3 id "TDX" */
    avow_time issue_date, next_update;
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    int tcb_type;
    int tcb_eval_num;
    avow_tcb_level *levels; /* sorted as Intel sorts them */
    size_t n_levels;
    /* TDX only (is_tdx): `tdxModule` (required) and `tdxModuleIdentities`
     * (optional, in JSON order; ids unique). */
    bool has_tdx_module;
    avow_tdx_module_identity tdx_module;
    avow_tdx_module_identity *tdx_module_identities;
    size_t n_tdx_module_identities;
} avow_tcb_info;

/* Errors are AVOW_ERR_FORMAT with the JSON path of the bad value, e.g.
 * "tcbInfo.tcbLevels[3].tcb.sgxtcbcomponents[5].svn: 300 is out of range
 * 0..255"; on failure *out is left empty (nothing to free). Unknown members
 * are ignored, as Intel does. SGX TCB Info may not carry tdxModule,
 * tdxModuleIdentities or tdxtcbcomponents. */
avow_err avow_tcb_info_parse(const char *json, size_t len, avow_tcb_info *out, avow_error *err);
void avow_tcb_info_free(avow_tcb_info *t);

typedef struct {
    char id[8];           /* "QE", "TD_QE", "QVE" */
    int version;
    avow_time issue_date, next_update;
    int tcb_eval_num;
    uint8_t miscselect[4], miscselect_mask[4]; /* bytes as in the report (LE u32) */
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    avow_qe_level *levels; /* descending isvsvn */
    size_t n_levels;
} avow_qe_identity;

/* Same conventions as avow_tcb_info_parse ("enclaveIdentity.tcbLevels[1]..."). */
avow_err avow_qe_identity_parse(const char *json, size_t len, avow_qe_identity *out,
                                avow_error *err);
void avow_qe_identity_free(avow_qe_identity *q);

#ifdef __cplusplus
}
#endif
