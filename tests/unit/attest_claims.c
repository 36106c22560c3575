/* Unit tests of the attestation layer's claims (include/avow/attest.h): the
 * incoming SGX claims minted from a verification result (both MAA naming
 * schemes, the collateral hashes, Avow's TCB claims), and which claim names
 * a policy may not issue. The whole attestation is tested end to end in
 * tests/integration/attest_agree.sh (avowd and `avow policy eval` agree). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/attest.h"
#include "avow/claims.h"
#include "avow/encode.h"
#include "avow/tcb.h"
#include "testutil.h"

static char *to_json(const avow_claims *cs)
{
    char *s = NULL;
    assert_int_equal(avow_claims_to_json(cs, &s, NULL), AVOW_OK);
    return s;
}

static void test_incoming_sgx(void **state)
{
    (void)state;
    avow_verify_result r;
    memset(&r, 0, sizeof(r));
    r.ok = true;
    r.status = AVOW_TCB_SW_HARDENING_NEEDED;
    char *adv[] = {"INTEL-SA-00615", "INTEL-SA-00657"};
    r.advisory_ids = adv;
    r.n_advisory_ids = 2;
    r.tcb_date = 1700006400; /* 2023-11-15T00:00:00Z */
    r.debug = true;
    memset(r.mr_enclave, 0xAB, 32);
    memset(r.mr_signer, 0xCD, 32);
    memset(r.report_data, 0x01, 64);
    r.attributes[0] = 0x02 | 0x80; /* DEBUG | KSS */
    r.isv_prod_id = 9;
    r.isv_svn = 3;
    r.config_svn = 4;
    memset(r.config_id, 0x0c, 64);
    const uint8_t quote[] = "quote bytes";
    avow_collateral coll;
    avow_collateral_init(&coll);
    coll.tcb_info = "{\"tcb\":1}";
    coll.tcb_info_len = 9;
    coll.qe_identity = "{\"qe\":1}";
    coll.qe_identity_len = 8;
    coll.tcb_info_issuer_chain = "PEM";
    coll.qe_identity_issuer_chain = "PEM";
    avow_claims *cs = NULL;
    assert_int_equal(
        avow_claims_incoming_sgx(&r, quote, 11, &coll, NULL, (const uint8_t *)"hello", 5, &cs),
        AVOW_OK);
    const char *S = "AttestationService";
    for (size_t i = 0; i < avow_claims_count(cs); i++)
        assert_string_equal(avow_claim_issuer_name(avow_claims_at(cs, i)->issuer), S);
    char *s = to_json(cs);
    /* hashes computed independently: printf ... | sha256sum */
    static const char *want[] = {
        "\"x-ms-ver\":\"1.0\"",
        "\"x-ms-attestation-type\":\"sgx\"",
        "\"x-ms-sgx-is-debuggable\":true",
        "\"$is-debuggable\":true",
        "\"x-ms-sgx-product-id\":9",
        "\"$product-id\":9",
        "\"x-ms-sgx-svn\":3",
        "\"$svn\":3",
        "\"$tee\":\"sgx\"",
        ("\"x-ms-sgx-mrenclave\":"
         "\"abababababababababababababababababababababababababababababababab\""),
        "\"$sgx-mrsigner\":\"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\"",
        "\"x-ms-sgx-ehd\":\"aGVsbG8\"",
        "\"$maa-ehd\":\"aGVsbG8\"",
        "\"$aas-ehd\":\"aGVsbG8\"",
        "\"x-ms-sgx-config-svn\":4",
        "\"x-ms-sgx-isv-family-id\":\"00000000000000000000000000000000\"",
        "\"x-avow-sgx-tcb-status\":\"SWHardeningNeeded\"",
        "\"x-avow-sgx-advisory-ids\":[\"INTEL-SA-00615\",\"INTEL-SA-00657\"]",
        "\"x-avow-sgx-tcb-date\":\"2023-11-15T00:00:00Z\"",
        /* sha256("quote bytes") */
        "\"quotehash\":\"",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(s, want[i])) fail_msg("missing %s in %s", want[i], s);
    char *out = NULL;
    assert_int_equal(tu_run("printf 'quote bytes' | sha256sum | cut -c1-64 | tr -d '\\n'", &out),
                     0);
    char q[100];
    snprintf(q, sizeof(q), "\"quotehash\":\"%s\"", out);
    assert_non_null(strstr(s, q));
    free(out);
    assert_int_equal(tu_run("printf '' | sha256sum | cut -c1-64 | tr -d '\\n'", &out), 0);
    snprintf(q, sizeof(q), "\"tcbinfocrlhash\":\"%s\"", out); /* absent root CA CRL: empty input */
    assert_non_null(strstr(s, q));
    free(out);
    const avow_claim *c = avow_claims_find(cs, "x-ms-sgx-report-data", NULL);
    assert_int_equal(strlen(c->value.str), 128);
    avow_claims_free(cs);

    /* digests computed once by the caller give the same claims, byte for byte */
    avow_collateral_digests dg;
    avow_collateral_digests_compute(&coll, &dg);
    assert_int_equal(
        avow_claims_incoming_sgx(&r, quote, 11, &coll, &dg, (const uint8_t *)"hello", 5, &cs),
        AVOW_OK);
    char *s2 = to_json(cs);
    assert_string_equal(s, s2);
    free(s2);
    avow_claims_free(cs);
    /* ...and they are what the claim reports: wrong digests show through */
    dg.tcb_info[0] ^= 1;
    assert_int_equal(
        avow_claims_incoming_sgx(&r, quote, 11, &coll, &dg, (const uint8_t *)"hello", 5, &cs),
        AVOW_OK);
    s2 = to_json(cs);
    assert_string_not_equal(s, s2);
    free(s2);
    free(s);
    avow_claims_free(cs);

    /* no KSS, no runtime data: those claims are absent */
    r.attributes[0] = 0;
    r.debug = false;
    r.status = AVOW_TCB_NONE;
    r.n_advisory_ids = 0;
    r.tcb_date = 0;
    assert_int_equal(avow_claims_incoming_sgx(&r, quote, 11, NULL, NULL, NULL, 0, &cs), AVOW_OK);
    assert_null(avow_claims_find(cs, "x-ms-sgx-config-id", NULL));
    assert_null(avow_claims_find(cs, "x-ms-sgx-ehd", NULL));
    assert_null(avow_claims_find(cs, "x-avow-sgx-tcb-status", NULL));
    assert_null(avow_claims_find(cs, "x-avow-sgx-advisory-ids", NULL));
    assert_false(avow_claims_find(cs, "x-ms-sgx-is-debuggable", NULL)->value.boolean);
    avow_claims_free(cs);
}

static void test_reserved(void **state)
{
    (void)state;
    const char *reserved[] = {"x-ms-sgx-mrenclave",
                              "x-ms-policy-hash",
                              "x-avow-sgx-tcb-status",
                              "iss",
                              "iat",
                              "nbf",
                              "exp",
                              "jti",
                              "nonce",
                              "cnf",
                              "maa-ehd",
                              "aas-ehd",
                              "maa-attestationcollateral"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        assert_true(avow_attest_claim_reserved(reserved[i]));
    const char *free_names[] = {"is-debuggable", "sgx-mrsigner", "tee", "x-m", "my-claim"};
    for (size_t i = 0; i < sizeof(free_names) / sizeof(free_names[0]); i++)
        assert_false(avow_attest_claim_reserved(free_names[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incoming_sgx),
        cmocka_unit_test(test_reserved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
