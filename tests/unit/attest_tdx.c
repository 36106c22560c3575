/* The TdxVm attestation of the attestation layer (include/avow/attest.h):
 * simulated TD quotes (v4, v5 with TD report 1.0 and 1.5) and Phala's real
 * TD quote P2 attested through avow_attest with the TdxVm type; every claim
 * of MAA's EAT profile for TDX present with its type and the value read
 * independently from the TD report (docs/maa.md §3.4); the TDATTRIBUTES
 * bits one by one; runtimeData (JSON and Binary) bound to REPORTDATA and
 * initTimeData to MRCONFIGID, mismatches refused; the TEE type checked both
 * ways; the TdxVm default policy; a policy on TDX claims permitting and
 * denying; a policy that tries to issue TDX claim names; the token's shape
 * (no SGX claims, advisory IDs as one array). avowd's route is tested end to
 * end in tests/integration/avowd_tdxvm.sh.
 * Thread-safety: n/a (test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/sha.h>

#include "avow/attest.h"
#include "avow/encode.h"
#include "sim/sim.h"
#include "avow/tcb.h"
#include "testutil.h"

#define NOW 1751624924 /* 2025-07-04 */

static avow_sim_platform *g_p; /* one platform for the file: key generation is slow */
static avow_verifier *g_v;

static int setup(void **state)
{
    (void)state;
    avow_sim_platform_opts po;
    avow_sim_platform_opts_default(&po, NOW - 86400);
    if (avow_sim_platform_new(&po, &g_p, NULL) != AVOW_OK) return -1;
    char *root = NULL;
    if (avow_verifier_new(&g_v, NULL) != AVOW_OK ||
        avow_sim_root_pem(g_p, &root, NULL) != AVOW_OK ||
        avow_verifier_add_root_pem(g_v, root, strlen(root), NULL) != AVOW_OK) {
        free(root);
        return -1;
    }
    free(root);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    avow_verifier_free(g_v);
    avow_sim_platform_free(g_p);
    return 0;
}

/* A simulated TD quote of `td` and its TDX collateral. */
typedef struct {
    avow_sim_td_opts td;
    uint8_t *quote;
    size_t qlen;
    avow_collateral coll;
} td_case;

static void td_init(td_case *c)
{
    memset(c, 0, sizeof(*c));
    avow_sim_td_opts_default(&c->td);
}

/* A v4 SGX quote of an enclave on the same platform (the same PCK chain). */
static void sgx_quote(uint8_t **q, size_t *n)
{
    avow_sim_secs secs = {0};
    memset(secs.mr_enclave, 0xaa, 32);
    secs.attr_flags = 0x4; /* MODE64BIT */
    secs.attr_xfrm = 0x3;
    avow_sim_enclave app;
    avow_sim_enclave_from_identity(g_p, &secs, &app);
    assert_int_equal(avow_sim_quote_enclave(&app, NULL, 4, q, n, NULL), AVOW_OK);
}

static void td_make(td_case *c, avow_tcb_status module_status)
{
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_td_quote(g_p, &c->td, &c->quote, &c->qlen, &e) != AVOW_OK)
        fail_msg("td quote: %s", e.msg);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW - 3600);
    co.tee = AVOW_TEE_TDX;
    co.module = &c->td.module;
    co.module_status = module_status;
    avow_collateral_init(&c->coll);
    if (avow_sim_collateral(g_p, &co, &c->coll, &e) != AVOW_OK)
        fail_msg("tdx collateral: %s", e.msg);
}

static void td_free(td_case *c)
{
    free(c->quote);
    avow_collateral_free(&c->coll);
}

/* The request avowd builds for POST /attest/{type} with this quote. */
static void request(avow_attest_request *req, avow_attest_type type, const uint8_t *q, size_t n)
{
    avow_attest_request_init(req);
    req->type = type;
    req->evidence = malloc(n);
    assert_non_null(req->evidence);
    memcpy(req->evidence, q, n);
    req->evidence_len = n;
    req->quote = req->evidence;
    req->quote_len = n;
}

static void set_data(avow_attest_data *d, const char *bytes, bool json)
{
    d->present = true;
    d->len = strlen(bytes);
    d->data = (uint8_t *)strdup(bytes);
    d->is_json = json;
    if (json) d->json = strdup(bytes);
}

static avow_attest_outcome run(avow_attestation *a, const avow_attest_request *req,
                               const avow_collateral *coll, const avow_policy *policy, avow_time at)
{
    avow_attest_opts o = {.at = at, .policy = policy};
    avow_attestation_init(a);
    return avow_attest(a, g_v, req, coll, &o);
}

static const avow_claim *claim(const avow_claims *cs, const char *type)
{
    const avow_claim *c = avow_claims_find(cs, type, NULL);
    if (!c) fail_msg("claim %s missing", type);
    return c;
}

static void expect_hex(const avow_claims *cs, const char *type, const uint8_t *p, size_t n)
{
    const avow_claim *c = claim(cs, type);
    assert_int_equal(c->value.kind, AVOW_CLAIM_STRING);
    char want[129];
    avow_hex_encode(p, n, want);
    assert_int_equal(strlen(c->value.str), 2 * n);
    if (strcmp(c->value.str, want)) fail_msg("%s = %s, want %s", type, c->value.str, want);
}

static void expect_bool(const avow_claims *cs, const char *type, bool v)
{
    const avow_claim *c = claim(cs, type);
    assert_int_equal(c->value.kind, AVOW_CLAIM_BOOLEAN);
    if (c->value.boolean != v) fail_msg("%s is %d, want %d", type, c->value.boolean, v);
}

static void expect_str(const avow_claims *cs, const char *type, const char *v)
{
    const avow_claim *c = claim(cs, type);
    assert_int_equal(c->value.kind, AVOW_CLAIM_STRING);
    assert_string_equal(c->value.str, v);
}

/* Every claim of the profile in the token, with its type and the value read
 * from the quote's own TD report (avow_quote, not the verifier's copy). */
static void expect_profile(const avow_claims *tok, const uint8_t *quote, size_t qlen,
                           const char *status)
{
    avow_quote q;
    assert_int_equal(avow_quote_parse(quote, qlen, &q, NULL), AVOW_OK);
    const avow_td_report *td = &q.td;
    expect_str(tok, "x-ms-ver", "1.0");
    expect_str(tok, "x-ms-attestation-type", "tdxvm");
    expect_str(tok, "eat_profile", "https://aka.ms/maa-eat-profile-tdxvm");
    expect_str(tok, "intuse", "generic");
    expect_str(tok, "dbgstat", avow_td_report_is_debug(td) ? "enabled" : "disabled");
    expect_hex(tok, "tdx_mrsignerseam", td->mr_signer_seam, 48);
    expect_hex(tok, "tdx_mrseam", td->mr_seam, 48);
    expect_hex(tok, "tdx_mrtd", td->mr_td, 48);
    const char *rtmr[4] = {"tdx_rtmr0", "tdx_rtmr1", "tdx_rtmr2", "tdx_rtmr3"};
    for (int i = 0; i < 4; i++)
        expect_hex(tok, rtmr[i], td->rtmr[i], 48);
    expect_hex(tok, "tdx_mrconfigid", td->mr_config_id, 48);
    expect_hex(tok, "tdx_mrowner", td->mr_owner, 48);
    expect_hex(tok, "tdx_mrownerconfig", td->mr_owner_config, 48);
    expect_hex(tok, "tdx_report_data", td->report_data, 64);
    expect_hex(tok, "tdx_seam_attributes", td->seam_attributes, 8);
    expect_hex(tok, "tdx_td_attributes", td->td_attributes, 8);
    expect_hex(tok, "tdx_tee_tcb_svn", td->tee_tcb_svn, 16);
    expect_hex(tok, "tdx_xfam", td->xfam, 8);
    const avow_claim *svn = claim(tok, "tdx_seamsvn");
    assert_int_equal(svn->value.kind, AVOW_CLAIM_INTEGER);
    assert_int_equal(svn->value.integer, td->tee_tcb_svn[0] + 256 * td->tee_tcb_svn[1]);
    expect_bool(tok, "tdx_td_attributes_debug", td->td_attr & 1);
    expect_bool(tok, "tdx_td_attributes_septve_disable", (td->td_attr >> 28) & 1);
    expect_bool(tok, "tdx_td_attributes_protection_keys", (td->td_attr >> 30) & 1);
    expect_bool(tok, "tdx_td_attributes_key_locker", (td->td_attr >> 31) & 1);
    expect_bool(tok, "tdx_td_attributes_perfmon", (td->td_attr >> 63) & 1);
    expect_str(tok, "attester_tcb_status", status);
    const avow_claim *h = claim(tok, "x-ms-policy-hash");
    assert_int_equal(strlen(h->value.str), 43);
    /* Avow's: the advisories as one array, the module's status */
    assert_int_equal(claim(tok, "x-avow-tdx-advisory-ids")->value.kind, AVOW_CLAIM_JSON);
    assert_int_equal(claim(tok, "x-avow-tdx-module-status")->value.kind, AVOW_CLAIM_STRING);
    /* nothing of an enclave, nothing of the policy layer's aliases */
    for (size_t i = 0; i < avow_claims_count(tok); i++) {
        const char *t = avow_claims_at(tok, i)->type;
        if (!strncmp(t, "x-ms-sgx-", 9) || !strncmp(t, "x-avow-sgx-", 11) || t[0] == '$' ||
            !strcmp(t, "maa-attestationcollateral"))
            fail_msg("SGX claim %s in a TdxVm token", t);
    }
}

static void test_sim_versions(void **state)
{
    (void)state;
    static const struct {
        int version;
        uint16_t body;
    } cases[] = {{4, AVOW_BODY_TD10}, {5, AVOW_BODY_TD10}, {5, AVOW_BODY_TD15}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        td_case c;
        td_init(&c);
        c.td.version = cases[i].version;
        c.td.body_type = cases[i].body;
        for (int k = 0; k < 48; k++) { /* every field distinct, so a swap shows */
            c.td.mr_td[k] = (uint8_t)(0x10 + k);
            c.td.mr_config_id[k] = (uint8_t)(0x40 + k);
            c.td.mr_owner[k] = (uint8_t)(0x70 + k);
            c.td.mr_owner_config[k] = (uint8_t)(0xa0 + k);
            for (int r = 0; r < 4; r++)
                c.td.rtmr[r][k] = (uint8_t)(r * 0x30 + k);
            c.td.mr_service_td[k] = (uint8_t)(0xd0 + k / 2);
        }
        for (int k = 0; k < 64; k++)
            c.td.report_data[k] = (uint8_t)(0xff - k);
        td_make(&c, AVOW_TCB_UP_TO_DATE);
        avow_attest_request req;
        request(&req, AVOW_ATTEST_TDX_VM, c.quote, c.qlen);
        req.nonce = strdup("tdx-nonce");
        avow_attestation a;
        assert_int_equal(
            run(&a, &req, &c.coll, avow_attest_default_policy(AVOW_ATTEST_TDX_VM), NOW),
            AVOW_ATTEST_PERMITTED);
        expect_profile(a.token, c.quote, c.qlen, "UpToDate");
        expect_str(a.token, "nonce", "tdx-nonce");
        expect_str(a.token, "x-avow-tdx-module-status", "UpToDate");
        expect_str(a.token, "x-ms-policy-hash",
                   avow_policy_get_hash(avow_attest_default_policy(AVOW_ATTEST_TDX_VM)));
        assert_string_equal(claim(a.token, "x-avow-tdx-advisory-ids")->value.str, "[]");
        assert_null(avow_claims_find(a.token, "x-ms-runtime", NULL));
        /* TD 1.5 adds its two fields as Avow claims; TD 1.0 has none */
        if (cases[i].body == AVOW_BODY_TD15) {
            expect_hex(a.token, "x-avow-tdx-mrservicetd", c.td.mr_service_td, 48);
            expect_hex(a.token, "x-avow-tdx-tee-tcb-svn2", c.td.module.tee_tcb_svn2, 16);
        } else {
            assert_null(avow_claims_find(a.token, "x-avow-tdx-mrservicetd", NULL));
        }
        /* the incoming set, for policies, has the same names, the advisory IDs
         * one claim each */
        expect_hex(a.incoming, "tdx_mrtd", c.td.mr_td, 48);
        expect_str(a.incoming, "x-ms-attestation-type", "tdxvm");
        avow_attestation_free(&a);
        avow_attest_request_free(&req);
        td_free(&c);
    }
}

/* Each TDATTRIBUTES bit the profile breaks out, alone and all together;
 * dbgstat follows DEBUG. */
static void test_td_attributes(void **state)
{
    (void)state;
    static const struct {
        int bit;
        const char *claim;
    } bits[] = {{0, "tdx_td_attributes_debug"},
                {28, "tdx_td_attributes_septve_disable"},
                {30, "tdx_td_attributes_protection_keys"},
                {31, "tdx_td_attributes_key_locker"},
                {63, "tdx_td_attributes_perfmon"}};
    const size_t nb = sizeof(bits) / sizeof(bits[0]);
    for (size_t i = 0; i <= nb; i++) { /* i == nb: all set */
        td_case c;
        td_init(&c);
        uint64_t attr = 0;
        for (size_t k = 0; k < nb; k++)
            if (k == i || i == nb) attr |= 1ULL << bits[k].bit;
        for (int k = 0; k < 8; k++)
            c.td.td_attributes[k] = (uint8_t)(attr >> (8 * k));
        td_make(&c, AVOW_TCB_UP_TO_DATE);
        avow_attest_request req;
        request(&req, AVOW_ATTEST_TDX_VM, c.quote, c.qlen);
        avow_attestation a;
        if (run(&a, &req, &c.coll, avow_attest_default_policy(AVOW_ATTEST_TDX_VM), NOW) !=
            AVOW_ATTEST_PERMITTED)
            fail_msg("attributes %016llx: %s", (unsigned long long)attr, a.reason);
        for (size_t k = 0; k < nb; k++)
            expect_bool(a.token, bits[k].claim, k == i || i == nb);
        expect_str(a.token, "dbgstat", (attr & 1) ? "enabled" : "disabled");
        expect_hex(a.token, "tdx_td_attributes", c.td.td_attributes, 8);
        avow_attestation_free(&a);
        avow_attest_request_free(&req);
        td_free(&c);
    }
}

/* runtimeData (JSON, Binary) binds REPORTDATA[0..32]; initTimeData binds
 * MRCONFIGID[0..32]; anything else is refused before verification. */
static void test_bindings(void **state)
{
    (void)state;
    const char *rt_json = "{\"pub\":\"k1\",\"n\":[1,2]}", *rt_bin = "binary runtime";
    const char *it_json = "{\"cfg\":\"prod\"}";
    td_case c;
    td_init(&c);
    SHA256((const uint8_t *)rt_json, strlen(rt_json), c.td.report_data);
    SHA256((const uint8_t *)it_json, strlen(it_json), c.td.mr_config_id);
    td_make(&c, AVOW_TCB_UP_TO_DATE);
    const avow_policy *pol = avow_attest_default_policy(AVOW_ATTEST_TDX_VM);

    /* JSON runtime and init-time data: bound, and x-ms-runtime / x-ms-inittime */
    avow_attest_request req;
    request(&req, AVOW_ATTEST_TDX_VM, c.quote, c.qlen);
    set_data(&req.runtime, rt_json, true);
    set_data(&req.init_time, it_json, true);
    avow_attestation a;
    if (run(&a, &req, &c.coll, pol, NOW) != AVOW_ATTEST_PERMITTED) fail_msg("%s", a.reason);
    const avow_claim *rt = claim(a.token, "x-ms-runtime");
    assert_int_equal(rt->value.kind, AVOW_CLAIM_JSON);
    assert_string_equal(rt->value.str, rt_json);
    assert_string_equal(claim(a.token, "x-ms-inittime")->value.str, it_json);
    avow_attestation_free(&a);
    avow_attest_request_free(&req);

    /* Binary runtime data: bound, no x-ms-runtime, and no SGX ehd claims */
    td_case b;
    td_init(&b);
    SHA256((const uint8_t *)rt_bin, strlen(rt_bin), b.td.report_data);
    td_make(&b, AVOW_TCB_UP_TO_DATE);
    request(&req, AVOW_ATTEST_TDX_VM, b.quote, b.qlen);
    set_data(&req.runtime, rt_bin, false);
    if (run(&a, &req, &b.coll, pol, NOW) != AVOW_ATTEST_PERMITTED) fail_msg("%s", a.reason);
    assert_null(avow_claims_find(a.token, "x-ms-runtime", NULL));
    assert_null(avow_claims_find(a.token, "x-ms-sgx-ehd", NULL));
    assert_null(avow_claims_find(a.token, "maa-ehd", NULL));
    avow_attestation_free(&a);
    avow_attest_request_free(&req);

    /* mismatches: named, refused as InvalidParameter before verification */
    request(&req, AVOW_ATTEST_TDX_VM, b.quote, b.qlen);
    set_data(&req.runtime, rt_json, true);
    assert_int_equal(run(&a, &req, &b.coll, pol, NOW), AVOW_ATTEST_BAD_REQUEST);
    assert_string_equal(a.error_code, "InvalidParameter");
    assert_non_null(strstr(a.reason, "runtimeData does not match the quote"));
    assert_non_null(strstr(a.reason, "REPORTDATA[0..32]"));
    assert_false(a.verified);
    avow_attestation_free(&a);
    avow_attest_request_free(&req);
    request(&req, AVOW_ATTEST_TDX_VM, b.quote, b.qlen);
    set_data(&req.init_time, it_json, true);
    assert_int_equal(run(&a, &req, &b.coll, pol, NOW), AVOW_ATTEST_BAD_REQUEST);
    assert_non_null(strstr(a.reason, "initTimeData does not match the quote"));
    assert_non_null(strstr(a.reason, "MRCONFIGID[0..32]"));
    avow_attestation_free(&a);
    avow_attest_request_free(&req);
    td_free(&b);
    td_free(&c);
}

/* An SGX quote at TdxVm and a TD quote at SgxEnclave / OpenEnclave are
 * refused clearly, before any collateral is looked up. */
static void test_tee_type(void **state)
{
    (void)state;
    td_case c;
    td_init(&c);
    td_make(&c, AVOW_TCB_UP_TO_DATE);
    avow_attest_request req;
    avow_attestation a;
    request(&req, AVOW_ATTEST_SGX_ENCLAVE, c.quote, c.qlen);
    avow_attestation_init(&a);
    assert_int_equal(avow_attest_begin(&a, g_v, &req), AVOW_ATTEST_BAD_EVIDENCE);
    assert_string_equal(a.error_code, "InvalidQuote");
    assert_non_null(strstr(a.reason,
                           "the quote is a TDX quote (tee_type 0x81); /attest/SgxEnclave "
                           "takes SGX quotes: attest a TD at /attest/TdxVm"));
    assert_false(a.have_platform);
    avow_attestation_free(&a);
    avow_attest_request_free(&req);

    uint8_t *sq = NULL;
    size_t sn = 0;
    sgx_quote(&sq, &sn);
    request(&req, AVOW_ATTEST_TDX_VM, sq, sn);
    avow_attestation_init(&a);
    assert_int_equal(avow_attest_begin(&a, g_v, &req), AVOW_ATTEST_BAD_EVIDENCE);
    assert_non_null(strstr(a.reason,
                           "the quote is an SGX quote (tee_type 0x0); /attest/TdxVm "
                           "takes TDX quotes: attest an enclave at /attest/SgxEnclave"));
    avow_attestation_free(&a);
    avow_attest_request_free(&req);
    free(sq);
    td_free(&c);
}

/* An SGX and a TD quote of one platform carry the same PCK chain: the
 * platform read through the verifier's chain cache keeps each quote's own
 * TEE, so an SGX quote after a TD one looks up SGX collateral (and the
 * reverse). */
static void test_platform_tee(void **state)
{
    (void)state;
    td_case c;
    td_init(&c);
    td_make(&c, AVOW_TCB_UP_TO_DATE);
    uint8_t *sq = NULL;
    size_t sn = 0;
    sgx_quote(&sq, &sn);
    avow_quote tq, xq;
    assert_int_equal(avow_quote_parse(c.quote, c.qlen, &tq, NULL), AVOW_OK);
    assert_int_equal(avow_quote_parse(sq, sn, &xq, NULL), AVOW_OK);
    assert_int_equal(tq.cert_data_len, xq.cert_data_len);
    assert_memory_equal(tq.cert_data, xq.cert_data, tq.cert_data_len); /* one chain */
    for (int round = 0; round < 2; round++) {
        avow_platform_id pt, ps;
        assert_int_equal(avow_quote_platform(g_v, &tq, &pt, NULL), AVOW_OK);
        assert_int_equal(avow_quote_platform(g_v, &xq, &ps, NULL), AVOW_OK);
        assert_int_equal(pt.tee_type, AVOW_TEE_TDX);
        assert_int_equal(ps.tee_type, AVOW_TEE_SGX);
        assert_memory_equal(pt.fmspc, ps.fmspc, 6);
    }
    free(sq);
    td_free(&c);
}

static avow_policy *compile(const char *text)
{
    avow_policy *p = NULL;
    avow_policy_diag d;
    if (avow_policy_compile(text, strlen(text), NULL, &p, &d) != AVOW_OK)
        fail_msg("policy: %s", d.msg);
    return p;
}

/* Policies on the TDX claims: MRTD, the debug bit, the module status, the
 * advisory IDs; the deciding reason; reserved names not issued. */
static void test_policies(void **state)
{
    (void)state;
    td_case c;
    td_init(&c);
    td_make(&c, AVOW_TCB_OUT_OF_DATE);
    char mrtd[97];
    avow_hex_encode(c.td.mr_td, 48, mrtd);
    char text[2048];
    snprintf(text, sizeof(text),
             "version= 1.2;\n"
             "authorizationrules {\n"
             "    [type==\"tdx_td_attributes_debug\", value==true] => deny();\n"
             "    [type==\"tdx_mrtd\", value==\"%s\"] && [type==\"dbgstat\", value==\"disabled\"]\n"
             "        && [type==\"x-avow-tdx-module-status\", value==\"OutOfDate\"] => permit();\n"
             "};\n"
             "issuancerules {\n"
             "    c:[type==\"tdx_seamsvn\"] => issue(type=\"module-svn\", value=c.value);\n"
             "    c:[type==\"attester_tcb_status\"] => issue(type=\"tcb\", value=c.value);\n"
             "    => issue(type=\"tdx_mrtd\", value=\"forged\");\n"
             "    => issue(type=\"attester_tcb_status\", value=\"UpToDate\");\n"
             "    => issue(type=\"dbgstat\", value=\"forged\");\n"
             "    => issue(type=\"eat_profile\", value=\"forged\");\n"
             "};\n",
             mrtd);
    avow_policy *pol = compile(text);
    avow_attest_request req;
    request(&req, AVOW_ATTEST_TDX_VM, c.quote, c.qlen);
    avow_attestation a;
    if (run(&a, &req, &c.coll, pol, NOW) != AVOW_ATTEST_PERMITTED) fail_msg("%s", a.reason);
    /* the module OutOfDate converges the TDX status to OutOfDate (docs/tdx.md) */
    expect_str(a.token, "attester_tcb_status", "OutOfDate");
    expect_str(a.token, "tcb", "OutOfDate");
    assert_int_equal(claim(a.token, "module-svn")->value.integer, 5 + 256);
    expect_hex(a.token, "tdx_mrtd", c.td.mr_td, 48); /* not "forged" */
    expect_str(a.token, "dbgstat", "disabled");
    expect_str(a.token, "eat_profile", "https://aka.ms/maa-eat-profile-tdxvm");
    size_t pos = 0, n = 0;
    while (avow_claims_find(a.token, "tdx_mrtd", &pos)) {
        n++;
        pos++;
    }
    assert_int_equal(n, 1);
    for (const char *const *t =
             (const char *const[]){"tdx_mrtd", "attester_tcb_status", "dbgstat", "eat_profile",
                                   "intuse", "tdx_anything", NULL};
         *t; t++)
        assert_true(avow_attest_claim_reserved(*t));
    assert_false(avow_attest_claim_reserved("tdx-like-but-not"));
    /* OutOfDate carries the level's advisories: one array in the token, one
     * claim each for the policy */
    const avow_claim *adv = claim(a.token, "x-avow-tdx-advisory-ids");
    assert_non_null(strstr(adv->value.str, "INTEL-SA-"));
    assert_non_null(avow_claims_find(a.incoming, "x-avow-tdx-advisory-ids", NULL));
    assert_int_equal(avow_claims_find(a.incoming, "x-avow-tdx-advisory-ids", NULL)->value.kind,
                     AVOW_CLAIM_STRING);
    avow_attestation_free(&a);
    avow_attest_request_free(&req);
    td_free(&c);

    /* another MRTD: no rule permits, refused naming the TdxVm policy */
    td_init(&c);
    memset(c.td.mr_td, 0x77, 48);
    td_make(&c, AVOW_TCB_OUT_OF_DATE);
    request(&req, AVOW_ATTEST_TDX_VM, c.quote, c.qlen);
    assert_int_equal(run(&a, &req, &c.coll, pol, NOW), AVOW_ATTEST_DENIED);
    assert_string_equal(a.error_code, "PolicyEvaluationFailed");
    assert_non_null(strstr(a.reason, "attestation refused by the TdxVm policy"));
    avow_attestation_free(&a);
    avow_attest_request_free(&req);
    td_free(&c);

    /* a debug TD: denied by the deny rule */
    td_init(&c);
    c.td.td_attributes[0] |= 1;
    td_make(&c, AVOW_TCB_OUT_OF_DATE);
    request(&req, AVOW_ATTEST_TDX_VM, c.quote, c.qlen);
    assert_int_equal(run(&a, &req, &c.coll, pol, NOW), AVOW_ATTEST_DENIED);
    expect_str(a.incoming, "dbgstat", "enabled");
    avow_attestation_free(&a);
    avow_attest_request_free(&req);
    td_free(&c);
    avow_policy_free(pol);
}

/* A draft policy decides instead of the one in force. */
static void test_draft(void **state)
{
    (void)state;
    td_case c;
    td_init(&c);
    td_make(&c, AVOW_TCB_UP_TO_DATE);
    avow_attest_request req;
    request(&req, AVOW_ATTEST_TDX_VM, c.quote, c.qlen);
    const char *draft =
        "version=1.0; authorizationrules { [type==\"x-ms-attestation-type\", "
        "value==\"tdxvm\"] => permit(); }; issuancerules { => "
        "issue(type=\"draft\", value=true); };";
    req.draft_policy = strdup(draft);
    req.draft_len = strlen(draft);
    avow_policy *deny_all = compile("version=1.0; authorizationrules { => deny(); };");
    avow_attestation a;
    if (run(&a, &req, &c.coll, deny_all, NOW) != AVOW_ATTEST_PERMITTED) fail_msg("%s", a.reason);
    assert_true(a.draft);
    expect_bool(a.token, "draft", true);
    char h[AVOW_POLICY_HASH_LEN];
    assert_int_equal(avow_policy_hash(draft, strlen(draft), h), AVOW_OK);
    expect_str(a.token, "x-ms-policy-hash", h);
    avow_attestation_free(&a);
    avow_attest_request_free(&req);
    avow_policy_free(deny_all);
    td_free(&c);
}

/* Phala's real TD quote (P2, TDX v4) against its collateral at its time:
 * the profile's values are those of the real TD report. */
static void test_real_p2(void **state)
{
    (void)state;
    size_t qlen;
    uint8_t *quote = tu_read_vector("dcap/P2-phala-tdx-v4/quote.bin", &qlen);
    assert_non_null(quote);
    char *path = tu_vector_path("dcap/P2-phala-tdx-v4/collateral.json");
    avow_collateral coll;
    avow_error e;
    avow_error_clear(&e);
    if (avow_collateral_load(path, &coll, &e) != AVOW_OK) fail_msg("P2 collateral: %s", e.msg);
    free(path);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK); /* Intel's root only */
    avow_attest_request req;
    request(&req, AVOW_ATTEST_TDX_VM, quote, qlen);
    avow_attest_opts o = {.at = 1751624191, /* expected.json "at" */
                          .policy = avow_attest_default_policy(AVOW_ATTEST_TDX_VM)};
    avow_attestation a;
    avow_attestation_init(&a);
    if (avow_attest(&a, v, &req, &coll, &o) != AVOW_ATTEST_PERMITTED) fail_msg("%s", a.reason);
    expect_profile(a.token, quote, qlen, "UpToDate");
    expect_str(a.token, "dbgstat", "disabled");
    expect_str(a.token, "tdx_tee_tcb_svn", "06010300000000000000000000000000");
    assert_int_equal(claim(a.token, "tdx_seamsvn")->value.integer, 0x0106);
    expect_str(a.token, "tdx_mrtd",
               "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f2742"
               "8b2538873118b7");
    expect_bool(a.token, "tdx_td_attributes_septve_disable", true);
    expect_str(a.token, "x-avow-tdx-module-id", "TDX_01");
    expect_str(a.token, "x-avow-tdx-tcb-date", "2024-03-13T00:00:00Z");
    avow_attestation_free(&a);
    avow_attest_request_free(&req);
    avow_verifier_free(v);
    avow_collateral_free(&coll);
    free(quote);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_int_equal(avow_attest_type_parse("TdxVm"), AVOW_ATTEST_TDX_VM);
    assert_int_equal(avow_attest_type_parse("tdxvm"), AVOW_ATTEST_TDX_VM);
    assert_int_equal(avow_attest_type_parse("SGXENCLAVE"), AVOW_ATTEST_SGX_ENCLAVE);
    assert_int_equal(avow_attest_type_parse("OpenEnclave"), AVOW_ATTEST_OPEN_ENCLAVE);
    assert_int_equal(avow_attest_type_parse("SevSnpVm"), 0);
    assert_int_equal(avow_attest_type_parse(NULL), 0);
    assert_string_equal(avow_attest_type_name(AVOW_ATTEST_TDX_VM), "TdxVm");
    assert_int_equal(avow_attest_type_tee(AVOW_ATTEST_TDX_VM), AVOW_TEE_TDX);
    assert_int_equal(avow_attest_type_tee(AVOW_ATTEST_OPEN_ENCLAVE), AVOW_TEE_SGX);
    /* the defaults: MAA's SGX policy, and a permit-all one for TdxVm */
    assert_ptr_equal(avow_attest_default_policy(AVOW_ATTEST_SGX_ENCLAVE), avow_policy_default());
    assert_ptr_equal(avow_attest_default_policy(AVOW_ATTEST_TDX_VM), avow_policy_default_tdx());
    size_t n;
    assert_string_equal(avow_policy_text(avow_policy_default_tdx(), &n),
                        avow_policy_default_tdx_text());
    /* SGX results are not TDX claims, and the reverse */
    avow_verify_result r;
    memset(&r, 0, sizeof(r));
    avow_claims *cs = NULL;
    assert_int_equal(avow_claims_incoming_tdx(&r, &cs), AVOW_ERR_UNSUPPORTED);
    r.is_td = true;
    assert_int_equal(avow_claims_incoming_sgx(&r, NULL, 0, NULL, NULL, NULL, 0, &cs),
                     AVOW_ERR_UNSUPPORTED);
}

/* The request body of MAA's TdxVm model: "quote", not "report". */
static void test_request_parse(void **state)
{
    (void)state;
    const char *body =
        "{\"quote\":\"AQID\",\"runtimeData\":{\"data\":\"e30\",\"dataType\":\"JSON\"},"
        "\"nonce\":\"n\"}";
    avow_attest_request req;
    avow_attest_request_init(&req);
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_attest_request_parse((const uint8_t *)body, strlen(body),
                                               AVOW_ATTEST_TDX_VM, &req, &e),
                     AVOW_OK);
    assert_int_equal(req.quote_len, 3);
    assert_true(req.runtime.is_json);
    assert_string_equal(req.nonce, "n");
    avow_attest_request_free(&req);
    const char *bad = "{\"report\":\"AQID\"}";
    avow_attest_request_init(&req);
    assert_int_equal(
        avow_attest_request_parse((const uint8_t *)bad, strlen(bad), AVOW_ATTEST_TDX_VM, &req, &e),
        AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "does not belong in a /attest/TdxVm request"));
    avow_attest_request_free(&req);
    avow_attest_request_init(&req);
    assert_int_equal(
        avow_attest_request_parse((const uint8_t *)"{}", 2, AVOW_ATTEST_TDX_VM, &req, &e),
        AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "base64url of the TD quote"));
    avow_attest_request_free(&req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),   cmocka_unit_test(test_request_parse),
        cmocka_unit_test(test_sim_versions), cmocka_unit_test(test_td_attributes),
        cmocka_unit_test(test_bindings),     cmocka_unit_test(test_tee_type),
        cmocka_unit_test(test_policies),     cmocka_unit_test(test_draft),
        cmocka_unit_test(test_real_p2),      cmocka_unit_test(test_platform_tee),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
