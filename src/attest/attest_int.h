/* Internals of the attestation layer (include/avow/attest.h) shared by its
 * files: attest.c runs the steps, token.c builds the token's claim set,
 * freshness.c the claims read from Intel's supplemental data, tcb_select.c
 * the TCB evaluation number a policy selects.
 * Thread-safety: as attest.h. */
#pragma once

#include "avow/attest.h"

/* The token's claims of a permitted attestation into a->token: the service's
 * claims from the incoming set (less the `$` aliases; the advisory IDs as
 * one array; MAA's deprecated maa-ehd, aas-ehd, maa-attestationcollateral),
 * x-ms-policy-hash, x-ms-policy-signer (signer_jwk, when given), nonce, then
 * what the policy issued that is not reserved. The signer adds iss, iat,
 * nbf, exp and jti. */
avow_err attest_token_claims(avow_attestation *a, const avow_attest_request *req,
                             const char *signer_jwk, avow_error *err);

/* The claims read from Intel's supplemental data of a verified quote
 * (docs/maa.md §3.4), appended to `cs` under x-avow-sgx-* for an enclave and
 * x-avow-tdx-* for a TD (r->is_td): <p>supplemental (the object of `avow
 * quote verify --json`), <p>tcb-eval-num, <p>tcb-level-age-days,
 * <p>qe-tcb-level-age-days, for a TD <p>module-tcb-level-age-days (integers),
 * <p>collateral-expired (Intel's rule), the PCK certificate's SGX Type as
 * x-avow-sgx-type / x-avow-tdx-sgx-type ("Standard", "Scalable",
 * "ScalableWithIntegrity"), <p>smt-enabled, <p>dynamic-platform,
 * <p>cached-keys (booleans, absent where the certificate says nothing).
 * Nothing when the verification reached no status (no supplemental data). */
avow_err attest_freshness_claims(avow_claims *cs, const avow_verify_result *r);

/* Adds x-avow-sgx-days-since-tcb-recovery to a->incoming when the caller's
 * o->days_since_recovery computes it for this verified SGX quote
 * (tcb_select.c). */
avow_err attest_recovery_claim(avow_attestation *a, const avow_attest_opts *o);
