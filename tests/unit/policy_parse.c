/* Unit tests of the policy compiler: every policy of docs/maa.md §3.5-§3.6
 * (tests/data/policies/, one file each) compiles; each broken policy in
 * tests/data/policies/bad/ fails with the exact line:col message; unsupported
 * functions fail at load time; the default policy text and hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/policy.h"
#include "testutil.h"

static avow_err compile_file(const char *rel, avow_policy **p, avow_policy_diag *d)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/data/policies/%s", rel);
    size_t len;
    uint8_t *text = tu_read_source(path, &len);
    avow_err rc = avow_policy_compile((const char *)text, len, rel, p, d);
    free(text);
    return rc;
}

static void test_good_policies(void **state)
{
    (void)state;
    static const struct {
        const char *file, *version;
    } good[] = {
        {"default_1_1.txt", "1.1"},
        {"default_1_0_legacy.txt", "1.0"},
        {"custom_sgx.txt", "1.0"},
        {"multiple_enclaves.txt", "1.0"},
        {"mrsigner_rotation.txt", "1.0"},
        {"deny_debuggable_signed.txt", "1.0"},
        {"tcb_baseline_mrenclave.txt", "1.1"},
        {"deny_all_1_0.txt", "1.0"},
        {"secureboot_1_0.txt", "1.0"},
        {"negation_1_2.txt", "1.2"},
        {"single_equals_lenient.txt", "1.0"},
        {"crlf_tabs.txt", "1.0"},
        {"missing_semicolon_end.txt", "1.0"},
        {"functions_1_2.txt", "1.2"},
        {"tcb_status_advisories.txt", "1.2"},
        {"svn_threshold.txt", "1.0"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        avow_policy *p = NULL;
        avow_policy_diag d;
        avow_err rc = compile_file(good[i].file, &p, &d);
        if (rc) fail_msg("%s: %s", good[i].file, d.msg);
        assert_string_equal(avow_policy_version(p), good[i].version);
        assert_string_equal(avow_policy_name(p), good[i].file);
        avow_policy_free(p);
    }
}

static void test_bad_policies(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        avow_err code;
        const char *msg;
    } bad[] = {
        {"missing_bracket.txt", AVOW_ERR_FORMAT,
         "3:14: expected ']' or ',' after property test, found '=>'"},
        {"unsupported_function.txt", AVOW_ERR_UNSUPPORTED,
         "4:49: unsupported function JmesPath (supported: AppendString, NegateBool, "
         "JsonToClaimValue, IsSubsetOf, ContainsOnlyValue)"},
        {"bad_version.txt", AVOW_ERR_UNSUPPORTED,
         "1:9: unsupported policy version 2.0 (supported: 1.0, 1.1, 1.2)"},
        {"configuration_in_1_0.txt", AVOW_ERR_FORMAT,
         "2:1: configurationrules needs policy version 1.1 or later"},
        {"permit_in_issuance.txt", AVOW_ERR_FORMAT,
         "4:8: permit() is only allowed in authorizationrules"},
        {"issue_in_authorization.txt", AVOW_ERR_FORMAT,
         "3:22: issue() is only allowed in issuancerules (use add() in authorizationrules)"},
        {"string_ordering.txt", AVOW_ERR_FORMAT,
         "3:41: ordering operator '<' applies to integers only, found a string"},
        {"type_ordering.txt", AVOW_ERR_FORMAT,
         "3:6: ordering operator '>=' applies to integers only; 'type' is a string"},
        {"unknown_identifier.txt", AVOW_ERR_FORMAT,
         "4:44: unknown identifier 'd' (no condition of this rule is named so)"},
        {"negation_in_1_1.txt", AVOW_ERR_FORMAT,
         "3:5: negated conditions ('!') need policy version 1.2"},
        {"unterminated_string.txt", AVOW_ERR_FORMAT,
         "3:12: unterminated string (missing closing '\"')"},
        {"sections_out_of_order.txt", AVOW_ERR_FORMAT,
         "3:1: section authorizationrules must come before issuancerules"},
        {"missing_version.txt", AVOW_ERR_FORMAT,
         "1:1: expected 'version' at the start of the policy, found 'authorizationrules'"},
        {"function_in_1_0.txt", AVOW_ERR_FORMAT,
         "4:44: function AppendString needs policy version 1.2 (this policy is 1.0)"},
        {"wrong_arity.txt", AVOW_ERR_FORMAT, "4:30: NegateBool takes 1 argument, found 2"},
        {"missing_semicolon_between_rules.txt", AVOW_ERR_FORMAT,
         "4:5: expected ';' after the action, found '=>'"},
        {"set_and_single_use.txt", AVOW_ERR_FORMAT,
         "4:5: identifier 'c' is used both as a set (IsSubsetOf / ContainsOnlyValue) and as a "
         "single claim"},
        {"missing_section_semicolon.txt", AVOW_ERR_FORMAT,
         "3:1: expected ';' after '}' closing the section, found 'issuancerules'"},
        {"single_ampersand.txt", AVOW_ERR_FORMAT,
         "3:17: unexpected character '&' (conditions are joined with '&&')"},
        {"unknown_action.txt", AVOW_ERR_FORMAT,
         "3:33: expected an action (permit, deny, add, issue, issueproperty), found 'allow'"},
        {"negatebool_string.txt", AVOW_ERR_FORMAT,
         "4:41: argument 1 of NegateBool must be a boolean, found a string"},
        {"placeholder_product_id.txt", AVOW_ERR_FORMAT,
         "5:50: placeholder '<product-id>' must be replaced by a value"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "bad/%s", bad[i].file);
        avow_policy *p = (avow_policy *)1;
        avow_policy_diag d;
        avow_err rc = compile_file(rel, &p, &d);
        if (rc != bad[i].code || strcmp(d.msg, bad[i].msg))
            fail_msg("%s: got %d '%s', want %d '%s'", rel, rc, d.msg, bad[i].code, bad[i].msg);
        assert_null(p);
        assert_true(d.line > 0 && d.col > 0);
    }
}

static void expect_error(const char *text, avow_err code, const char *msg)
{
    avow_policy *p = NULL;
    avow_policy_diag d;
    avow_err rc = avow_policy_compile(text, strlen(text), NULL, &p, &d);
    if (rc != code || strcmp(d.msg, msg))
        fail_msg("'%s': got %d '%s', want %d '%s'", text, rc, d.msg, code, msg);
    assert_null(p);
}

static void test_inline_errors(void **state)
{
    (void)state;
    expect_error("", AVOW_ERR_FORMAT,
                 "1:1: expected 'version' at the start of the policy, found end of input");
    expect_error("version=1.0; authorizationrules { => permit(); ", AVOW_ERR_FORMAT,
                 "1:48: expected a rule or '}' to close the section, found end of input");
    expect_error("version=1.0; authorizationrules { [value > true] => permit(); };",
                 AVOW_ERR_FORMAT,
                 "1:44: ordering operator '>' applies to integers only, found a boolean");
    expect_error("version=1.0; authorizationrules { [type == 5] => permit(); };", AVOW_ERR_FORMAT,
                 "1:44: 'type' is a string and cannot equal an integer");
    expect_error(
        "version=1.0; authorizationrules { c:[type==\"a\"] && c:[type==\"b\"] => permit(); };",
        AVOW_ERR_FORMAT, "1:52: identifier 'c' is already used in this rule");
    expect_error(
        "version=1.0; authorizationrules { [value == 99999999999999999999] => permit(); };",
        AVOW_ERR_FORMAT, "1:45: integer out of the 64-bit range");
    expect_error("version=1.0; authorizationrules { [foo == 1] => permit(); };", AVOW_ERR_FORMAT,
                 "1:36: expected 'type', 'value', 'issuer' or 'valueType', found 'foo'");
    expect_error("version=1.2; issuancerules { => issue(type=\"a\", value=Foo(1)); };",
                 AVOW_ERR_UNSUPPORTED,
                 "1:55: unsupported function Foo (supported: AppendString, NegateBool, "
                 "JsonToClaimValue, IsSubsetOf, ContainsOnlyValue)");
    expect_error(
        "version=1.2; issuancerules { => issue(type=\"a\", value=JsonToClaimValue(\"{x\")); };",
        AVOW_ERR_FORMAT, "1:72: argument 1 of JsonToClaimValue is not valid JSON");
    expect_error(
        "version=1.0; authorizationrules { c:[type==\"a\", value==c.value] => permit(); };",
        AVOW_ERR_FORMAT, "1:56: unknown identifier 'c' (no condition of this rule is named so)");
    expect_error(
        "version=1.0; authorizationrules { [type==\"a\"] && [value==c.value] && c:[type==\"b\"] => "
        "permit(); };",
        AVOW_ERR_FORMAT, "1:58: unknown identifier 'c' (no condition of this rule is named so)");
    expect_error("version=1.2; authorizationrules { !c:[type==\"a\"] => permit(); };",
                 AVOW_ERR_FORMAT,
                 "1:36: a negated condition matches no claim and cannot bind an identifier");
    expect_error("version=1.0; authorizationrules { => permit(); }; junk", AVOW_ERR_FORMAT,
                 "1:51: expected another section or end of input, found 'junk'");
    expect_error("version=1.0; authorizationrules { => permit(); }; authorizationrules { };",
                 AVOW_ERR_FORMAT, "1:51: section authorizationrules appears twice");
    expect_error("version=1.0; issuancerules { => issue(type=\"\", value=1); };", AVOW_ERR_FORMAT,
                 "1:44: empty claim type");
    expect_error("version=1.0; authorizationrules { => permit(1); };", AVOW_ERR_FORMAT,
                 "1:45: expected ')': permit() and deny() take no arguments, found integer 1");
    expect_error("version=1.0; /* open", AVOW_ERR_FORMAT,
                 "1:14: unterminated comment (missing '*/')");
}

static void test_leniencies(void **state)
{
    (void)state;
    static const char *ok[] = {
        "\xEF\xBB\xBFversion=1.0; authorizationrules { => permit(); };", /* BOM */
        "\r\nversion=1.0;\r\nauthorizationrules { => permit(); };\r\nissuancerules {};",
        "version=1.0; authorizationrules { [type=\"a\", value=1] => permit() };",
        "version=1.0; authorizationrules { [] => permit(); };",
        "version=1.0; // comment\nauthorizationrules { => permit(); }; // end",
        "version=1.0;",
        "version=1.0; issuancerules { => issue(value=-5, type=\"neg\"); };",
        "version=1.0; authorizationrules { [type==\"a\", value==\"q\\\"uote\"] => permit(); };",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        avow_policy *p = NULL;
        avow_policy_diag d;
        if (avow_policy_compile(ok[i], strlen(ok[i]), NULL, &p, &d))
            fail_msg("'%s': %s", ok[i], d.msg);
        avow_policy_free(p);
    }
}

static void test_default_and_hash(void **state)
{
    (void)state;
    const avow_policy *p = avow_policy_default();
    assert_non_null(p);
    assert_ptr_equal(p, avow_policy_default());
    assert_string_equal(avow_policy_version(p), "1.1");
    size_t len;
    const char *text = avow_policy_text(p, &len);
    assert_string_equal(text, avow_policy_default_text());
    /* the default text is exactly the docs' policy (docs/maa.md §3.5) */
    size_t flen;
    uint8_t *file = tu_read_source("tests/data/policies/default_1_1.txt", &flen);
    assert_int_equal(flen, len);
    assert_memory_equal(file, text, len);
    free(file);

    /* x-ms-policy-hash = b64url(sha256(b64url(text))): "version=1.0;" ->
     * b64url "dmVyc2lvbj0xLjA7"; its SHA-256 computed independently:
     * printf dmVyc2lvbj0xLjA7 | openssl dgst -sha256 -binary | basenc --base64url */
    char h[AVOW_POLICY_HASH_LEN];
    assert_int_equal(avow_policy_hash("version=1.0;", 12, h), AVOW_OK);
    assert_int_equal(strlen(h), 43);
    char *out = NULL;
    assert_int_equal(tu_run("printf dmVyc2lvbj0xLjA7 | openssl dgst -sha256 -binary | basenc "
                            "--base64url | tr -d '=\\n'",
                            &out),
                     0);
    assert_string_equal(h, out);
    free(out);
    char d[AVOW_POLICY_HASH_LEN];
    assert_int_equal(avow_policy_hash(text, len, d), AVOW_OK);
    assert_string_equal(avow_policy_get_hash(p), d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_policies),    cmocka_unit_test(test_bad_policies),
        cmocka_unit_test(test_inline_errors),    cmocka_unit_test(test_leniencies),
        cmocka_unit_test(test_default_and_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
