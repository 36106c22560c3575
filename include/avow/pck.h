/* The SGX extension of Intel PCK certificates (OID 1.2.840.113741.1.13.1):
 * PPID, TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC, SGX type and,
 * for Platform-CA certificates, PlatformInstanceID and Configuration.
 * Parsed by a small DER walk over exactly this extension (docs/formats.md
 * §6.4, docs/verification.md A3). Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AVOW_SGX_EXT_OID "1.2.840.113741.1.13.1"

typedef enum { AVOW_PCK_CA_UNKNOWN = 0, AVOW_PCK_CA_PROCESSOR, AVOW_PCK_CA_PLATFORM } avow_pck_ca;

typedef struct {
    uint8_t ppid[16];
    uint8_t comp_svn[16];
    uint16_t pcesvn;
    uint8_t cpusvn[16];
    uint8_t pce_id[2];
    uint8_t fmspc[6];
    int sgx_type; /* 0 Standard, 1 Scalable, 2 ScalableWithIntegrity */
    bool has_platform_instance_id;
    uint8_t platform_instance_id[16];
    bool has_configuration;
    bool dynamic_platform, cached_keys, smt_enabled;
    /* which Configuration items the certificate carries (Intel requires all
     * three in a Platform-CA certificate; a flag that is absent reads false
     * above and is "undefined" in supplemental data, verify.h) */
    bool has_dynamic_platform, has_cached_keys, has_smt_enabled;
} avow_pck_ext;

/* Parses the extension's value (the contents of its OCTET STRING). */
avow_err avow_pck_ext_parse(const uint8_t *der, size_t len, avow_pck_ext *out, avow_error *err);

/* Finds and parses the extension in a DER certificate. */
avow_err avow_pck_ext_from_cert_der(const uint8_t *cert, size_t len, avow_pck_ext *out,
                                    avow_error *err);

/* "processor", "platform" or "unknown" (PCS `ca=` parameter). */
const char *avow_pck_ca_name(avow_pck_ca ca);

/* The SGX Type as Intel names it: "Standard" (0), "Scalable" (1),
 * "ScalableWithIntegrity" (2); NULL for any other value. */
const char *avow_pck_sgx_type_name(int sgx_type);

#ifdef __cplusplus
}
#endif
