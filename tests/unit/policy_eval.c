/* Unit tests of policy evaluation semantics (docs/maa.md §3.3): a rule fires
 * once per combination of matching claims, later rules see earlier additions,
 * deny wins over permit, no permit is a refusal naming the policy, negation,
 * integer ordering (each operator at N-1, N, N+1), kind mismatches,
 * issue(claim=c), issueproperty, the 1.2 functions, evaluation bounds (also
 * against hostile policies), and the default policy's exact claims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "avow/policy.h"
#include "testutil.h"

static avow_policy *compile(const char *text)
{
    avow_policy *p = NULL;
    avow_policy_diag d;
    if (avow_policy_compile(text, strlen(text), "test policy", &p, &d)) fail_msg("%s", d.msg);
    return p;
}

static avow_claims *sgx_claims(bool debug, const char *signer, int64_t svn)
{
    avow_claims *cs = avow_claims_new();
    const avow_claim_issuer S = AVOW_ISSUER_SERVICE;
    assert_int_equal(avow_claims_add_bool(cs, "x-ms-sgx-is-debuggable", debug, S), AVOW_OK);
    assert_int_equal(avow_claims_add_string(cs, "x-ms-sgx-mrsigner", signer, S), AVOW_OK);
    assert_int_equal(avow_claims_add_string(cs, "x-ms-sgx-mrenclave", "ee", S), AVOW_OK);
    assert_int_equal(avow_claims_add_int(cs, "x-ms-sgx-product-id", 1, S), AVOW_OK);
    assert_int_equal(avow_claims_add_int(cs, "x-ms-sgx-svn", svn, S), AVOW_OK);
    assert_int_equal(avow_claims_add_string(cs, "x-ms-attestation-type", "sgx", S), AVOW_OK);
    assert_int_equal(avow_claims_add_bool(cs, "$is-debuggable", debug, S), AVOW_OK);
    return cs;
}

static void eval(const avow_policy *p, const avow_claims *in, avow_policy_result *r)
{
    avow_policy_result_init(r);
    avow_error e;
    assert_int_equal(avow_policy_evaluate(p, in, r, &e), AVOW_OK);
}

static char *json_of(const avow_claims *cs)
{
    char *s = NULL;
    assert_int_equal(avow_claims_to_json(cs, &s, NULL), AVOW_OK);
    return s;
}

static void assert_json(const avow_claims *cs, const char *want)
{
    char *s = json_of(cs);
    if (strcmp(s, want)) fail_msg("got %s\nwant %s", s, want);
    free(s);
}

static void test_default_policy_claims(void **state)
{
    (void)state;
    avow_claims *in = sgx_claims(false, "aa", 3);
    avow_policy_result r;
    eval(avow_policy_default(), in, &r);
    assert_true(r.permit);
    assert_int_equal(r.section, AVOW_SECTION_AUTHORIZATION);
    assert_int_equal(r.rule_index, 0);
    assert_int_equal(r.line, 6);
    assert_string_equal(r.reason, "");
    /* exactly MAA's default policy claims, nothing else */
    assert_json(r.issued,
                "{\"is-debuggable\":false,\"product-id\":1,\"sgx-mrenclave\":\"ee\","
                "\"sgx-mrsigner\":\"aa\",\"svn\":3,\"tee\":\"sgx\"}");
    assert_json(r.properties, "{\"x-ms-sgx-tcbidentifier\":\"azuredefault\"}");
    /* issued claims are also in the final incoming set, issuer AttestationPolicy */
    const avow_claim *c = avow_claims_find(r.claims, "tee", NULL);
    assert_non_null(c);
    assert_int_equal(c->issuer, AVOW_ISSUER_POLICY);
    assert_int_equal(avow_claims_count(r.claims), avow_claims_count(in) + 6);
    avow_policy_result_free(&r);
    avow_claims_free(in);
}

static void test_fire_per_combination(void **state)
{
    (void)state;
    avow_policy *p = compile(
        "version=1.0; authorizationrules { => permit(); };"
        "issuancerules {"
        " c1:[type==\"a\"] && c2:[type==\"b\"] => issue(type=\"pair\", value=c2.value);"
        " c:[type==\"a\"] && [type==\"b\"] => issue(type=\"once-per-a\", value=c.value);"
        " [type==\"a\"] && [type==\"b\"] => issue(type=\"once\", value=true);"
        "};");
    avow_claims *in = avow_claims_new();
    avow_claims_add_int(in, "a", 1, AVOW_ISSUER_CUSTOM);
    avow_claims_add_int(in, "a", 2, AVOW_ISSUER_CUSTOM);
    avow_claims_add_int(in, "b", 10, AVOW_ISSUER_CUSTOM);
    avow_claims_add_int(in, "b", 20, AVOW_ISSUER_CUSTOM);
    avow_claims_add_int(in, "b", 30, AVOW_ISSUER_CUSTOM);
    avow_policy_result r;
    eval(p, in, &r);
    assert_true(r.permit);
    /* 2 a's x 3 b's = 6 firings; unbound conditions only test existence */
    assert_json(r.issued, "{\"once\":true,\"once-per-a\":[1,2],\"pair\":[10,20,30,10,20,30]}");
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);
}

static void test_later_rules_see_adds(void **state)
{
    (void)state;
    avow_policy *p = compile(
        "version=1.0;"
        "authorizationrules {"
        " [type==\"x-ms-sgx-svn\", value>=3] => add(type=\"svn-ok\", value=true);"
        " [type==\"svn-ok\", value==true] => permit();"
        "};"
        "issuancerules {"
        " c:[type==\"svn-ok\"] => issue(type=\"seen\", value=c.value);"
        " c:[type==\"seen\"] => issue(type=\"seen2\", value=c.value);"
        " c:[type==\"grow\"] => add(type=\"grow\", value=c.value);"
        "};");
    avow_claims *in = sgx_claims(false, "aa", 3);
    avow_claims_add_int(in, "grow", 1, AVOW_ISSUER_CUSTOM);
    avow_policy_result r;
    eval(p, in, &r);
    assert_true(r.permit);
    assert_int_equal(r.rule_index, 1);
    assert_json(r.issued, "{\"seen\":true,\"seen2\":true}");
    /* add() is incoming-only, and a rule does not see its own additions */
    size_t pos = 0, n = 0;
    while (avow_claims_find(r.claims, "grow", &pos))
        n++;
    assert_int_equal(n, 2);
    avow_policy_result_free(&r);
    avow_claims_free(in);

    in = sgx_claims(false, "aa", 2); /* svn below the bar: refused */
    eval(p, in, &r);
    assert_false(r.permit);
    assert_int_equal(r.section, AVOW_SECTION_NONE);
    assert_string_equal(r.reason,
                        "test policy: refused: no authorizationrules rule permitted these claims");
    assert_int_equal(avow_claims_count(r.issued), 0); /* issuance does not run */
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);
}

static void test_deny_wins(void **state)
{
    (void)state;
    /* docs/maa.md §3.6 #4: deny debuggable, permit the rest */
    size_t len;
    uint8_t *text = tu_read_source("tests/data/policies/deny_debuggable_signed.txt", &len);
    avow_policy *p = NULL;
    avow_policy_diag d;
    assert_int_equal(avow_policy_compile((const char *)text, len, "deny-debug", &p, &d), AVOW_OK);
    free(text);
    avow_claims *in = sgx_claims(true, "aa", 1);
    avow_policy_result r;
    eval(p, in, &r);
    assert_false(r.permit);
    assert_int_equal(r.section, AVOW_SECTION_AUTHORIZATION);
    assert_int_equal(r.rule_index, 0);
    assert_string_equal(r.reason, "deny-debug: denied by authorizationrules rule 1 at 1:33");
    avow_policy_result_free(&r);
    avow_claims_free(in);
    in = sgx_claims(false, "aa", 1);
    eval(p, in, &r);
    assert_true(r.permit);
    assert_int_equal(r.rule_index, 1);
    assert_json(r.issued, "{\"NotDebuggable\":false,\"is-debuggable\":false}");
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);

    /* permit first, deny later: still denied */
    p = compile(
        "version=1.0; authorizationrules { => permit(); [type==\"x-ms-sgx-svn\", value<5] "
        "=> deny(); };");
    in = sgx_claims(false, "aa", 4);
    eval(p, in, &r);
    assert_false(r.permit);
    assert_int_equal(r.rule_index, 1);
    avow_policy_result_free(&r);
    avow_claims_free(in);
    in = sgx_claims(false, "aa", 5);
    eval(p, in, &r);
    assert_true(r.permit);
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);
}

static void test_no_authorization_section(void **state)
{
    (void)state;
    avow_policy *p = compile("version=1.0; issuancerules { => issue(type=\"x\", value=1); };");
    avow_claims *in = sgx_claims(false, "aa", 1);
    avow_policy_result r;
    eval(p, in, &r);
    assert_false(r.permit);
    assert_non_null(strstr(r.reason, "test policy: refused"));
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);
}

static void test_negation_and_kinds(void **state)
{
    (void)state;
    avow_policy *p = compile(
        "version=1.2; authorizationrules { => permit(); };"
        "issuancerules {"
        " ![type==\"absent\"] => issue(type=\"no-absent\", value=true);"
        " ![type==\"x-ms-sgx-svn\"] => issue(type=\"no-svn\", value=true);"
        " [type==\"x-ms-sgx-svn\", value==\"3\"] => issue(type=\"string-eq-int\", value=true);"
        " [type==\"x-ms-sgx-svn\", value!=\"3\"] => issue(type=\"string-ne-int\", value=true);"
        " [type==\"x-ms-sgx-svn\", value>2, value<=3] => issue(type=\"range\", value=true);"
        " c1:[type==\"x-ms-sgx-mrsigner\"] && c2:[type==\"x-ms-sgx-mrenclave\", value>c1.value] => "
        "issue(type=\"string-order\", value=true);"
        " [type==\"x-ms-sgx-is-debuggable\", value==false, issuer==\"AttestationService\", "
        "valueType==\"Boolean\"] => issue(type=\"typed\", value=true);"
        " [type==\"x-ms-sgx-is-debuggable\", issuer==\"CustomClaim\"] => issue(type=\"custom\", "
        "value=true);"
        "};");
    avow_claims *in = sgx_claims(false, "aa", 3);
    avow_policy_result r;
    eval(p, in, &r);
    assert_true(r.permit);
    assert_json(r.issued, "{\"no-absent\":true,\"range\":true,\"typed\":true}");
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);
}

/* The six operators on integers at N-1, N, N+1 (docs/maa.md §3.3), as the
 * freshness claims are compared (docs/policy.md); a value past 32 bits. */
static void test_integer_ordering_boundaries(void **state)
{
    (void)state;
    static const struct {
        const char *op;
        bool want[3]; /* value 449, 450, 451 against 450 */
    } ops[] = {
        {"<", {true, false, false}}, {"<=", {true, true, false}},  {">", {false, false, true}},
        {">=", {false, true, true}}, {"==", {false, true, false}}, {"!=", {true, false, true}},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        char text[200];
        snprintf(text, sizeof(text),
                 "version=1.0; authorizationrules { [type==\"age\", value%s450] => permit(); };",
                 ops[i].op);
        avow_policy *p = compile(text);
        for (int k = 0; k < 3; k++) {
            avow_claims *in = avow_claims_new();
            assert_int_equal(avow_claims_add_int(in, "age", 449 + k, AVOW_ISSUER_SERVICE), AVOW_OK);
            avow_policy_result r;
            eval(p, in, &r);
            if (r.permit != ops[i].want[k])
                fail_msg("%d %s 450: %s", 449 + k, ops[i].op, r.permit ? "permit" : "deny");
            avow_policy_result_free(&r);
            avow_claims_free(in);
        }
        avow_policy_free(p);
    }
    avow_policy *p = compile(
        "version=1.0; authorizationrules { [type==\"age\", value>=4294967296] => permit(); };");
    for (int k = 0; k < 2; k++) {
        avow_claims *in = avow_claims_new();
        assert_int_equal(avow_claims_add_int(in, "age", 4294967295LL + k, AVOW_ISSUER_SERVICE),
                         AVOW_OK);
        avow_policy_result r;
        eval(p, in, &r);
        assert_int_equal(r.permit, k == 1);
        avow_policy_result_free(&r);
        avow_claims_free(in);
    }
    avow_policy_free(p);
}

static void test_issue_claim_and_properties(void **state)
{
    (void)state;
    avow_policy *p = compile(
        "version=1.1;"
        "configurationrules { => issueproperty(type=\"x-ms-sgx-tcbidentifier\", value=\"10\");"
        " => issueproperty(type=\"x-ms-sgx-tcbidentifier\", value=\"11\"); };"
        "authorizationrules { c:[type==\"x-ms-sgx-mrsigner\"] => add(claim=c); => permit(); };"
        "issuancerules { c:[type==\"x-ms-sgx-svn\"] => issue(claim=c);"
        " c:[type==\"x-ms-sgx-mrsigner\", issuer==\"AttestationService\"] => "
        "issue(type=\"signer\", "
        "value=c.type); };");
    avow_claims *in = sgx_claims(false, "aa", 7);
    avow_policy_result r;
    eval(p, in, &r);
    assert_true(r.permit);
    /* the copy keeps its type, value and issuer */
    assert_json(r.issued,
                "{\"signer\":[\"x-ms-sgx-mrsigner\",\"x-ms-sgx-mrsigner\"],\"x-ms-sgx-svn\":7}");
    const avow_claim *c = avow_claims_at(r.issued, 0);
    assert_int_equal(c->issuer, AVOW_ISSUER_SERVICE);
    /* issueproperty replaces */
    assert_json(r.properties, "{\"x-ms-sgx-tcbidentifier\":\"11\"}");
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);
}

static void test_functions(void **state)
{
    (void)state;
    size_t len;
    uint8_t *text = tu_read_source("tests/data/policies/functions_1_2.txt", &len);
    avow_policy *p = NULL;
    avow_policy_diag d;
    assert_int_equal(avow_policy_compile((const char *)text, len, NULL, &p, &d), AVOW_OK);
    free(text);
    avow_claims *in = avow_claims_new();
    const avow_claim_issuer C = AVOW_ISSUER_CUSTOM;
    avow_claims_add_string(in, "String1", "abc", C);
    avow_claims_add_string(in, "String2", "xyz", C);
    avow_claims_add_bool(in, "Input", true, C);
    avow_claims_add_string(in, "JsonData", "[0, \"abc\", true, null]", C);
    avow_claims_add_string(in, "Subset", "abc", C);
    avow_claims_add_int(in, "Subset", 100, C);
    avow_claims_add_bool(in, "Superset", true, C);
    avow_claims_add_string(in, "Superset", "abc", C);
    avow_claims_add_int(in, "Superset", 100, C);
    avow_claims_add_int(in, "Set", 100, C);
    avow_claims_add_int(in, "Set", 101, C);
    avow_policy_result r;
    eval(p, in, &r);
    assert_true(r.permit);
    assert_json(r.issued,
                "{\"AppendedOut\":\"abcxyz\",\"FromJson\":[0,\"abc\",true],"
                "\"IsSubset\":true,\"Negated\":false,\"OnlyHundred\":false}");
    avow_policy_result_free(&r);
    avow_claims_free(in);

    /* a runtime type error refuses with the place, never crashes */
    in = avow_claims_new();
    avow_claims_add_int(in, "Input", 5, C);
    eval(p, in, &r);
    assert_false(r.permit);
    assert_true(r.eval_error);
    assert_non_null(strstr(r.reason, "NegateBool needs a boolean"));
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);
}

static void test_bounds(void **state)
{
    (void)state;
    /* each rule doubles the claims: the evaluator stops with an error */
    char text[8192] = "version=1.0; authorizationrules { => permit(); }; issuancerules {";
    for (int i = 0; i < 40; i++)
        strcat(text, " c:[type==\"g\"] => add(type=\"g\", value=c.value);");
    strcat(text, "};");
    avow_policy *p = compile(text);
    avow_claims *in = avow_claims_new();
    avow_claims_add_int(in, "g", 1, AVOW_ISSUER_CUSTOM);
    avow_policy_result r;
    eval(p, in, &r);
    assert_false(r.permit);
    assert_true(r.eval_error);
    assert_non_null(strstr(r.reason, "evaluation limit reached"));
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);
}

/* A policy text built piece by piece (the hostile policies below are long). */
typedef struct {
    char *s;
    size_t len, cap;
} text_buf;

static void tb_add(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_add(text_buf *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* Evaluates `text` over the SGX claims plus `extra` (a string claim "big" of
 * that many bytes, when non-zero); asserts a refusal naming `why`. */
static void assert_limited(const char *text, size_t extra, const char *why)
{
    avow_policy *p = compile(text);
    avow_claims *in = sgx_claims(false, "aa", 3);
    if (extra) {
        char *big = malloc(extra + 1);
        assert_non_null(big);
        memset(big, 'b', extra);
        big[extra] = '\0';
        assert_int_equal(avow_claims_add_string(in, "big", big, AVOW_ISSUER_SERVICE), AVOW_OK);
        free(big);
    }
    avow_policy_result r;
    eval(p, in, &r);
    assert_false(r.permit);
    assert_true(r.eval_error);
    if (!strstr(r.reason, why)) fail_msg("reason lacks '%s': %s", why, r.reason);
    avow_policy_result_free(&r);
    avow_claims_free(in);
    avow_policy_free(p);
}

/* Hostile draft policies (docs/security.md, "Policy evaluation limits"):
 * each ran for seconds to hours or took gigabytes before its work and bytes
 * were counted; each is now refused quickly, naming the limit. */
static void test_hostile_policies(void **state)
{
    (void)state;
    /* IsSubsetOf over two sets of 8192 distinct 1000-byte strings sharing a
     * prefix: n^2/2 long comparisons a call (2.3 s each), 20 calls */
    text_buf t = {0};
    tb_add(&t, "version=1.2; authorizationrules { => permit(); }; issuancerules {\n");
    tb_add(&t, "=> add(type=\"a\", value=\"%01000d\");\n", 0);
    for (int i = 0; i < 13; i++)
        tb_add(&t, "c:[type==\"a\"] => add(type=\"a\", value=AppendString(c.value, \"%c\"));\n",
               'A' + i);
    for (int i = 0; i < 20; i++)
        tb_add(&t,
               "c1:[type==\"a\"] && c2:[type==\"a\"] => add(type=\"r\", "
               "value=IsSubsetOf(c1.value, c2.value));\n");
    tb_add(&t, "};");
    assert_limited(t.s, 0, "too much work");

    /* AppendString doubles a string to 512 KiB, then 40 rules each add a
     * 1 MiB value: 80 MiB held (claims and function results) */
    t.len = 0;
    tb_add(&t, "version=1.2; authorizationrules { => permit(); }; issuancerules {\n");
    tb_add(&t, "=> add(type=\"s0\", value=\"%064d\");\n", 0);
    for (int i = 1; i <= 13; i++)
        tb_add(&t,
               "c:[type==\"s%d\"] => add(type=\"s%d\", value=AppendString(c.value, c.value));\n",
               i - 1, i);
    for (int i = 0; i < 40; i++)
        tb_add(&t, "c:[type==\"s13\"] => add(type=\"m\", value=AppendString(c.value, c.value));\n");
    tb_add(&t, "};");
    assert_limited(t.s, 0, "16 MiB");

    /* no function at all (version 1.0): a 1 MiB claim compared with itself
     * in 600 rules, 1 MiB a condition check */
    t.len = 0;
    tb_add(&t, "version=1.0; authorizationrules {\n");
    for (int i = 0; i < 600; i++)
        tb_add(&t, "c:[type==\"big\"] && [type==\"big\", value==c.value] => permit();\n");
    tb_add(&t, "};");
    assert_limited(t.s, 1u << 20, "too much work");

    /* conditions of 1000 tests each, nested six deep: every check ran all
     * its tests for one unit (22 s for this 72-KB policy) */
    t.len = 0;
    tb_add(&t, "version=1.0; authorizationrules {\n");
    for (int c = 0; c < 6; c++) {
        tb_add(&t, "%sc%d:[", c ? " && " : "", c);
        for (int i = 0; i < 1000; i++)
            tb_add(&t, "%stype!=\"zz\"", i ? ", " : "");
        tb_add(&t, "]");
    }
    tb_add(&t, " => permit(); };");
    clock_t t0 = clock();
    assert_limited(t.s, 0, "too much work");
    double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (cpu > 5) fail_msg("the six-deep policy took %.1f s of CPU", cpu);
    free(t.s);
}

static void test_shared_across_threads_is_readonly(void **state)
{
    (void)state;
    /* evaluating twice gives the same answer: the policy is not mutated */
    avow_claims *in = sgx_claims(false, "aa", 3);
    avow_policy_result a, b;
    eval(avow_policy_default(), in, &a);
    eval(avow_policy_default(), in, &b);
    char *ja = json_of(a.issued), *jb = json_of(b.issued);
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
    avow_policy_result_free(&a);
    avow_policy_result_free(&b);
    avow_claims_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_policy_claims),
        cmocka_unit_test(test_fire_per_combination),
        cmocka_unit_test(test_later_rules_see_adds),
        cmocka_unit_test(test_deny_wins),
        cmocka_unit_test(test_no_authorization_section),
        cmocka_unit_test(test_negation_and_kinds),
        cmocka_unit_test(test_integer_ordering_boundaries),
        cmocka_unit_test(test_issue_claim_and_properties),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_hostile_policies),
        cmocka_unit_test(test_shared_across_threads_is_readonly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
