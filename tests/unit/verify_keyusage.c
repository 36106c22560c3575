/* keyUsage and pathLenConstraint in the verifier's certificate checks
 * (docs/security.md, "Key usage"): the simulated PKI issues Intel's profile
 * and verifies; one non-conforming certificate per case, made by the sim's
 * own PKI code with one extension replaced, fails at the step that uses it
 * with a trace entry naming the certificate and the missing bit or limit:
 * a root or PCK CA without keyCertSign, a root whose pathLen 0 leaves no room
 * for the PCK CA, a root or PCK CA without cRLSign (the Root CA CRL / PCK CRL
 * issuer), a PCK or TCB Signing certificate without digitalSignature, a PCK
 * certificate without any keyUsage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/sim.h"
#include "avow/verify.h"

#define NOW 1751624924 /* 2025-07-04 */

typedef struct {
    const char *name;
    const char *ku_root, *ku_ca, *ku_tcb, *ku_pck, *bc_root;
    const char *step;   /* the first failing step; NULL: verifies */
    const char *detail; /* in that step's trace entry */
} ku_case;

static const ku_case cases[] = {
    {"conforming (Intel's profile)", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
    {"root without keyCertSign", "critical,cRLSign", NULL, NULL, NULL, NULL, "pck_chain",
     "PCK chain root: 'Avow Simulated SGX Root CA' keyUsage lacks keyCertSign"},
    {"root pathLen 0 above the PCK CA", NULL, NULL, NULL, NULL, "critical,CA:TRUE,pathlen:0",
     "pck_chain", "pathLenConstraint 0 allows 0 CA certificate(s) below it; the chain has 1"},
    {"PCK CA without keyCertSign", NULL, "critical,cRLSign", NULL, NULL, NULL, "pck_chain",
     "PCK CA: 'Avow Simulated SGX PCK Processor CA' keyUsage lacks keyCertSign"},
    {"PCK certificate without digitalSignature", NULL, NULL, NULL, "critical,nonRepudiation", NULL,
     "pck_chain",
     "PCK certificate: 'Avow Simulated SGX PCK Certificate' keyUsage lacks digitalSignature"},
    {"PCK certificate without keyUsage", NULL, NULL, NULL, "", NULL, "pck_chain",
     "has no keyUsage extension (digitalSignature required)"},
    {"TCB Signing without digitalSignature", NULL, NULL, "critical,nonRepudiation", NULL, NULL,
     "tcb_info_chain", "'Avow Simulated SGX TCB Signing' keyUsage lacks digitalSignature"},
    {"root without cRLSign", "critical,keyCertSign", NULL, NULL, NULL, NULL, "root_ca_crl",
     "Root CA CRL issuer: 'Avow Simulated SGX Root CA' keyUsage lacks cRLSign"},
    {"PCK CA without cRLSign", NULL, "critical,keyCertSign", NULL, NULL, NULL, "pck_crl",
     "PCK CRL issuer: 'Avow Simulated SGX PCK Processor CA' keyUsage lacks cRLSign"},
};

static void run_case(const ku_case *k)
{
    avow_sim_platform_opts po;
    avow_sim_platform_opts_default(&po, NOW - 86400);
    po.ku_root = k->ku_root;
    po.ku_ca = k->ku_ca;
    po.ku_tcb = k->ku_tcb;
    po.ku_pck = k->ku_pck;
    po.bc_root = k->bc_root;
    avow_sim_platform *p;
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_platform_new(&po, &p, &e) != AVOW_OK) fail_msg("%s: platform: %s", k->name, e.msg);
    char *root;
    assert_int_equal(avow_sim_root_pem(p, &root, &e), AVOW_OK);
    avow_sim_secs secs = {0};
    memset(secs.mr_enclave, 0xaa, 32);
    secs.attr_flags = 0x4;
    secs.attr_xfrm = 0x3;
    avow_sim_enclave app;
    avow_sim_enclave_from_identity(p, &secs, &app);
    uint8_t *quote;
    size_t qlen;
    if (avow_sim_quote_enclave(&app, NULL, 3, &quote, &qlen, &e) != AVOW_OK)
        fail_msg("%s: quote: %s", k->name, e.msg);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    avow_collateral coll;
    avow_collateral_init(&coll);
    if (avow_sim_collateral(p, &co, &coll, &e) != AVOW_OK)
        fail_msg("%s: collateral: %s", k->name, e.msg);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    assert_int_equal(avow_verifier_add_root_pem(v, root, strlen(root), NULL), AVOW_OK);
    avow_verify_opts o = {.at = NOW};
    avow_verify_result r;
    assert_int_equal(avow_verify_quote(v, quote, qlen, &coll, &o, &r), AVOW_OK);
    const avow_trace_entry *f = avow_trace_first_failure(&r.trace);
    if (!k->step) {
        if (!r.ok) fail_msg("%s: %s", k->name, r.reason);
    } else {
        if (r.ok || !f) fail_msg("%s: verified", k->name);
        if (strcmp(f->step, k->step) || !strstr(f->detail, k->detail))
            fail_msg("%s: failed at %s (\"%s\"), expected %s (\"%s\")", k->name, f->step, f->detail,
                     k->step, k->detail);
        /* the collateral check on its own says the same for collateral certificates */
        if (!strcmp(k->step, "tcb_info_chain") || !strcmp(k->step, "root_ca_crl")) {
            avow_error ce;
            avow_error_clear(&ce);
            assert_int_equal(avow_verify_collateral(v, &coll, &ce), AVOW_ERR_CHAIN);
            assert_non_null(strstr(ce.msg, k->detail));
        }
    }
    printf("ok: %s%s%s\n", k->name, k->step ? " -> " : "", k->step ? f->detail : "");
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    avow_collateral_free(&coll);
    free(quote);
    free(root);
    avow_sim_platform_free(p);
}

static void test_key_usage(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_key_usage)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
