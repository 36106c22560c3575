/* The Intel SGX Root CA, embedded (internal to libavow): its certificates and
 * the public key trust is pinned by (docs/verification.md A2).
 * Thread-safe: constants only. */
#pragma once

#include <stdint.h>

extern const char AVOW_INTEL_ROOT_PEM[];        /* valid to 2049 */
extern const char AVOW_INTEL_ROOT_LEGACY_PEM[]; /* same key, valid to 2033 */
extern const uint8_t AVOW_INTEL_ROOT_PUBKEY[65];
