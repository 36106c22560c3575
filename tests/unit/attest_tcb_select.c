/* The TCB evaluation number a policy selects (avow_attest_tcb_eval_num,
 * docs/maa.md §1.11): MAA's default policy ("azuredefault") and a policy
 * without configurationrules select none (0); tests/data/policies/
 * tcb_baseline_mrenclave.txt selects 10; a value that is neither a number
 * nor "azuredefault", or not a string, is refused naming it; a rule
 * conditioned on claims does not fire before verification; the request's
 * draft policy decides over the one in force. And x-avow-sgx-days-since-
 * tcb-recovery: added to the incoming claims and the token exactly when the
 * caller's callback answers, for a verified SGX quote (simulated, judged by
 * evaluation number 18). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/attest.h"
#include "avow/encode.h"
#include "avow/quote.h"
#include "sim/sim.h"
#include "sim_fixture.h"
#include "testutil.h"

#define NOW ((avow_time)1764547200)

static avow_policy *compile(const char *text)
{
    avow_policy *p = NULL;
    avow_policy_diag d;
    if (avow_policy_compile(text, strlen(text), "test policy", &p, &d) != AVOW_OK)
        fail_msg("compile: %s", d.msg);
    return p;
}

static int selected(const char *text, avow_err want, const char *needle)
{
    avow_policy *p = compile(text);
    int n = -1;
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_attest_tcb_eval_num(p, &n, &e), want);
    if (needle && !strstr(e.msg, needle)) fail_msg("'%s' lacks '%s'", e.msg, needle);
    avow_policy_free(p);
    return n;
}

#define SELECT(v)                                                                          \
    "version=1.1; configurationrules { => issueproperty(type=\"x-ms-sgx-tcbidentifier\", " \
    "value=" v "); }; authorizationrules { => permit(); };"

static void test_selection(void **state)
{
    (void)state;
    int n = -1;
    assert_int_equal(
        avow_attest_tcb_eval_num(avow_attest_default_policy(AVOW_ATTEST_SGX_ENCLAVE), &n, NULL),
        AVOW_OK);
    assert_int_equal(n, 0); /* "azuredefault" */
    assert_int_equal(avow_attest_tcb_eval_num(NULL, &n, NULL), AVOW_OK);
    assert_int_equal(n, 0);
    size_t len;
    char *path = tu_source_path("tests/data/policies/tcb_baseline_mrenclave.txt");
    char *text = (char *)tu_read_file(path, &len);
    free(path);
    assert_non_null(text);
    assert_int_equal(selected(text, AVOW_OK, NULL), 10);
    free(text);
    assert_int_equal(selected(SELECT("\"17\""), AVOW_OK, NULL), 17);
    assert_int_equal(selected(SELECT("\"AzureDefault\""), AVOW_OK, NULL), 0);
    assert_int_equal(selected("version=1.0; authorizationrules { => permit(); };", AVOW_OK, NULL),
                     0);
    selected(SELECT("\"latest\""), AVOW_ERR_FORMAT, "\"latest\" is neither");
    selected(SELECT("\"0\""), AVOW_ERR_FORMAT, "\"0\"");
    selected(SELECT("\"17x\""), AVOW_ERR_FORMAT, "17x");
    selected(SELECT("17"), AVOW_ERR_FORMAT, "must be a string");
    /* digits only: strtol alone took a sign and leading spaces */
    selected(SELECT("\" 17\""), AVOW_ERR_FORMAT, "\" 17\" is neither");
    selected(SELECT("\"+17\""), AVOW_ERR_FORMAT, "\"+17\" is neither");
    selected(SELECT("\"1000001\""), AVOW_ERR_FORMAT, "1000001");
    selected(SELECT("\"99999999999999999999\""), AVOW_ERR_FORMAT, "9999");
    assert_int_equal(selected(SELECT("\"1000000\""), AVOW_OK, NULL), 1000000);
    int v = -1;
    assert_false(avow_tcb_eval_num_parse("\t17", &v));
    assert_false(avow_tcb_eval_num_parse("-0", &v));
    assert_false(avow_tcb_eval_num_parse(NULL, &v));
    assert_int_equal(v, -1);
    assert_true(avow_tcb_eval_num_parse("017", &v));
    assert_int_equal(v, 17);
    /* the last issueproperty wins; a rule on claims that do not exist yet does not fire */
    assert_int_equal(selected("version=1.1; configurationrules {"
                              " => issueproperty(type=\"x-ms-sgx-tcbidentifier\", value=\"16\");"
                              " => issueproperty(type=\"x-ms-sgx-tcbidentifier\", value=\"18\");"
                              " [type==\"x-ms-sgx-svn\"] => issueproperty("
                              "type=\"x-ms-sgx-tcbidentifier\", value=\"12\"); };"
                              " authorizationrules { => permit(); };",
                              AVOW_OK, NULL),
                     18);
}

/* ---- the days-since-recovery claim ---------------------------------------------------- */

typedef struct {
    bool answer;
    int64_t days;
    int seen_num;
    int calls;
} cb_state;

static bool callback(void *ctx, const avow_verify_result *r, int64_t *days)
{
    cb_state *s = ctx;
    s->calls++;
    s->seen_num = r->tcb_eval_num;
    *days = s->days;
    return s->answer;
}

static const avow_claim *find(const avow_claims *cs, const char *type)
{
    return avow_claims_find(cs, type, NULL);
}

static void test_recovery_claim(void **state)
{
    (void)state;
    avow_sim_platform *p = tu_sim_platform(NOW - 100 * 86400);
    uint8_t *q;
    size_t qlen;
    tu_sim_quote(p, &q, &qlen);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 86400);
    co.tcb_eval_num = 18;
    co.tcb_status = AVOW_TCB_OUT_OF_DATE;
    avow_collateral coll;
    assert_int_equal(avow_sim_collateral(p, &co, &coll, NULL), AVOW_OK);
    avow_verifier *v = tu_sim_verifier(p);
    char *b64 = malloc(avow_base64_len(qlen) + 1);
    avow_base64url_encode(q, qlen, b64);
    size_t blen = strlen(b64) + 32;
    char *body = malloc(blen);
    snprintf(body, blen, "{\"quote\":\"%s\"}", b64);
    avow_attest_request req;
    avow_attest_request_init(&req);
    assert_int_equal(avow_attest_request_parse((const uint8_t *)body, strlen(body),
                                               AVOW_ATTEST_SGX_ENCLAVE, &req, NULL),
                     AVOW_OK);
    for (int answer = 0; answer < 2; answer++) {
        cb_state cs = {.answer = answer, .days = 42};
        avow_attest_opts o = {.at = NOW,
                              .policy = avow_attest_default_policy(AVOW_ATTEST_SGX_ENCLAVE),
                              .days_since_recovery = callback,
                              .recovery_ctx = &cs};
        avow_attestation a;
        avow_attestation_init(&a);
        if (avow_attest(&a, v, &req, &coll, &o) != AVOW_ATTEST_PERMITTED) fail_msg("%s", a.reason);
        assert_int_equal(cs.calls, 1);
        assert_int_equal(cs.seen_num, 18);
        const avow_claim *in = find(a.incoming, "x-avow-sgx-days-since-tcb-recovery");
        const avow_claim *tk = find(a.token, "x-avow-sgx-days-since-tcb-recovery");
        if (answer) {
            assert_non_null(in);
            assert_int_equal(in->value.kind, AVOW_CLAIM_INTEGER);
            assert_int_equal(in->value.integer, 42);
            assert_non_null(tk);
            assert_int_equal(tk->value.integer, 42);
        } else {
            assert_null(in);
            assert_null(tk);
        }
        avow_attestation_free(&a);
    }
    avow_attest_request_free(&req);
    free(body);
    free(b64);
    free(q);
    avow_collateral_free(&coll);
    avow_verifier_free(v);
    avow_sim_platform_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_recovery_claim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
