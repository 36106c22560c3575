/* libFuzzer target: compiles arbitrary text as an MAA policy; when it
 * compiles, evaluates it against a fixed SGX-like claim set (bounded
 * evaluation must finish, never crash). Seeds: tests/fuzz/corpus/fuzz_policy/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "avow/policy.h"

static avow_claims *fixed_claims(void)
{
    static avow_claims *cs;
    if (cs) return cs;
    cs = avow_claims_new();
    const avow_claim_issuer S = AVOW_ISSUER_SERVICE;
    avow_claims_add_bool(cs, "x-ms-sgx-is-debuggable", false, S);
    avow_claims_add_int(cs, "x-ms-sgx-product-id", 1, S);
    avow_claims_add_int(cs, "x-ms-sgx-svn", 5, S);
    avow_claims_add_string(cs, "x-ms-sgx-mrsigner", "11", S);
    avow_claims_add_string(cs, "x-ms-attestation-type", "sgx", S);
    avow_claims_add_json(cs, "x-ms-sgx-collateral", "{\"quotehash\":\"00\"}", S);
    avow_claims_add_string(cs, "x-avow-sgx-tcb-status", "UpToDate", S);
    avow_claims_add_string(cs, "x-avow-sgx-advisory-ids", "INTEL-SA-00615", S);
    avow_claims_add_string(cs, "x-avow-sgx-advisory-ids", "INTEL-SA-00657", S);
    avow_claims_add_string(cs, "JsonData", "[1,\"a\",true,null]", AVOW_ISSUER_CUSTOM);
    avow_claims_add_bool(cs, "$is-debuggable", false, S);
    return cs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avow_policy *p = NULL;
    avow_policy_diag d;
    if (avow_policy_compile((const char *)data, size, NULL, &p, &d) != AVOW_OK) return 0;
    avow_policy_result r;
    avow_policy_result_init(&r);
    if (avow_policy_evaluate(p, fixed_claims(), &r, NULL) == AVOW_OK) {
        char *json = NULL;
        if (avow_claims_to_json(r.issued, &json, NULL) == AVOW_OK) free(json);
    }
    avow_policy_result_free(&r);
    avow_policy_free(p);
    return 0;
}
