/* Every DCAP set in tests/vectors/data/dcap reaches the verdict, status,
 * advisory set and debug flag of its expected.json at its `at` (data-driven:
 * expected.json is read with jansson), SGX and TDX alike. Sets without CRLs
 * need allow_missing_crl and fail without it; O1's time_cases; I1 fails on
 * the PCK CRL issuer; the type-3 quote and the bad TCB Info chain of
 * O1/pcs-original fail; the JSON result (SGX `report`, TDX `td`); the TDX
 * sets: P2 and O2 UpToDate through a module identity (TDX_01), G1 with no
 * TCB level, each TD step in Intel's order; TDX collateral for an SGX quote
 * and SGX collateral for a TD quote fail at fmspc_pceid. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <time.h>

#include "avow/collateral.h"
#include "avow/encode.h"
#include "avow/quote.h"
#include "avow/verify.h"
#include "testutil.h"
#include "verify/result_json.h"

typedef struct {
    char *dir;
    json_t *exp;
    uint8_t *quote;
    size_t qlen;
    avow_collateral coll;
} vset;

static void load_set(const char *name, vset *s)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "dcap/%s", name);
    s->dir = tu_vector_path(rel);
    size_t n;
    snprintf(rel, sizeof(rel), "dcap/%s/expected.json", name);
    uint8_t *e = tu_read_vector(rel, &n);
    json_error_t je;
    s->exp = json_loadb((const char *)e, n, 0, &je);
    free(e);
    assert_non_null(s->exp);
    snprintf(rel, sizeof(rel), "dcap/%s/quote.bin", name);
    s->quote = tu_read_vector(rel, &s->qlen);
    char path[1024];
    snprintf(path, sizeof(path), "%s/collateral.json", s->dir);
    avow_error err;
    avow_error_clear(&err);
    avow_collateral_init(&s->coll);
    if (avow_collateral_load(path, &s->coll, &err) != AVOW_OK)
        fail_msg("%s: collateral: %s", name, err.msg);
}

static void free_set(vset *s)
{
    free(s->dir);
    json_decref(s->exp);
    free(s->quote);
    avow_collateral_free(&s->coll);
}

static avow_time set_at(const vset *s)
{
    return (avow_time)json_integer_value(json_object_get(s->exp, "at"));
}

static void verify_dg(avow_verifier *v, const vset *s, avow_time at, bool allow,
                      const avow_collateral_digests *dg, avow_verify_result *r)
{
    avow_verify_opts o = {.at = at, .allow_missing_crl = allow, .digests = dg};
    assert_int_equal(avow_verify_quote(v, s->quote, s->qlen, &s->coll, &o, r), AVOW_OK);
}

static void verify(avow_verifier *v, const vset *s, avow_time at, bool allow, avow_verify_result *r)
{
    verify_dg(v, s, at, allow, NULL, r);
}

static bool any_failure_contains(const avow_verify_result *r, const char *needle)
{
    for (size_t i = 0; i < r->trace.count; i++)
        if (!r->trace.entries[i].pass && strcasestr(r->trace.entries[i].detail, needle))
            return true;
    return false;
}

static void check_expectations(const char *name, const json_t *expect, const avow_verify_result *r)
{
    const char *verdict = json_string_value(json_object_get(expect, "verdict"));
    if (strcmp(verdict, r->ok ? "ok" : "fail") != 0)
        fail_msg("%s: verdict %s, expected %s (reason: %s)", name, r->ok ? "ok" : "fail", verdict,
                 r->reason);
    const json_t *st = json_object_get(expect, "status");
    const char *got = avow_tcb_status_name(r->status);
    if (json_is_string(st)) {
        if (!got || strcmp(got, json_string_value(st)))
            fail_msg("%s: status %s, expected %s", name, got ? got : "null", json_string_value(st));
    } else if (r->ok) {
        fail_msg("%s: ok without an expected status", name);
    }
    /* advisory IDs as a set (only meaningful once a status is reached) */
    const json_t *adv = json_object_get(expect, "advisory_ids");
    if (r->ok) {
        assert_int_equal(r->n_advisory_ids, json_array_size(adv));
        size_t i;
        json_t *a;
        json_array_foreach(adv, i, a)
        {
            bool found = false;
            for (size_t k = 0; k < r->n_advisory_ids; k++)
                found |= !strcmp(r->advisory_ids[k], json_string_value(a));
            if (!found) fail_msg("%s: advisory %s missing", name, json_string_value(a));
        }
        assert_int_equal(r->result_code, avow_qv_result_for_status(r->status));
        assert_false(r->collateral_expired);
        assert_int_equal(r->err, AVOW_OK);
        assert_string_equal(r->reason, "");
    }
    if (json_is_true(json_object_get(expect, "debug")) != r->debug)
        fail_msg("%s: debug %d, expected the opposite", name, r->debug);
}

static void test_all_sets(void **state)
{
    (void)state;
    char *root = tu_vector_path("dcap");
    DIR *d = opendir(root);
    assert_non_null(d);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    struct dirent *de;
    int n_sets = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        vset s;
        load_set(de->d_name, &s);
        n_sets++;
        const json_t *expect = json_object_get(s.exp, "expect");
        const char *tee = json_string_value(json_object_get(s.exp, "tee"));
        bool tdx = !strcmp(tee, "TDX");
        avow_verify_result r;
        bool no_crl = !s.coll.root_ca_crl || !s.coll.pck_crl;
        if (no_crl) {
            /* strict: must fail on the missing CRL */
            verify(v, &s, set_at(&s), false, &r);
            assert_false(r.ok);
            assert_int_equal(r.err, AVOW_ERR_NOT_FOUND);
            const avow_trace_entry *f = avow_trace_first_failure(&r.trace);
            assert_non_null(f);
            assert_true(!strcmp(f->step, "root_ca_crl") || !strcmp(f->step, "pck_crl"));
            avow_verify_result_free(&r);
        }
        /* a cold build, a cached replay, and a replay keyed by digests the
         * caller computed once (as avowd does) must agree exactly */
        avow_collateral_digests dg;
        avow_collateral_digests_compute(&s.coll, &dg);
        uint8_t id[32];
        avow_collateral_identity(&s.coll, id);
        assert_memory_equal(id, dg.identity, 32);
        for (int pass = 0; pass < 3; pass++) {
            verify_dg(v, &s, set_at(&s), no_crl, pass == 2 ? &dg : NULL, &r);
            check_expectations(de->d_name, expect, &r);
            assert_int_equal(r.crl_missing, no_crl);
            assert_false(r.simulated_root);
            assert_true(r.trace.count > 0);
            assert_int_equal(r.tee_type, tdx ? AVOW_TEE_TDX : AVOW_TEE_SGX);
            assert_int_equal(r.is_td, tdx);
            if (r.ok) {
                assert_true(r.have_pck);
                /* TD quotes: + tdx_module, tdx_module_tcb (TD report 1.0) */
                assert_int_equal(r.trace.count, tdx ? 23 : 21);
                assert_string_equal(r.trace.entries[r.trace.count - 1].step, "status");
            }
            avow_verify_result_free(&r);
        }
        free_set(&s);
    }
    closedir(d);
    free(root);
    avow_verifier_free(v);
    assert_true(n_sets >= 9);
}

static void test_i1_pck_crl_issuer(void **state)
{
    (void)state;
    vset s;
    load_set("I1-integritee-sgx-v3", &s);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_verify_result r;
    verify(v, &s, set_at(&s), false, &r);
    assert_false(r.ok);
    const avow_trace_entry *f = avow_trace_first_failure(&r.trace);
    assert_string_equal(f->step, "pck_crl");
    assert_non_null(strstr(r.reason, "issuer"));
    assert_non_null(strstr(r.reason, "Platform CA"));
    assert_int_equal(r.err, AVOW_ERR_CHAIN);
    assert_int_equal(r.status, AVOW_TCB_NONE);
    assert_int_equal(r.result_code, AVOW_QV_UNSPECIFIED);
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    free_set(&s);
}

static void test_o1_time_cases(void **state)
{
    (void)state;
    vset s;
    load_set("O1-oasis-sgx-v3-nocrl", &s);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    const json_t *cases = json_object_get(s.exp, "time_cases");
    assert_true(json_array_size(cases) >= 5);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        avow_time at = (avow_time)json_integer_value(json_object_get(c, "at"));
        const char *verdict = json_string_value(json_object_get(c, "verdict"));
        for (int cached = 0; cached < 2; cached++) {
            avow_verify_result r;
            verify(v, &s, at, true, &r);
            if (strcmp(verdict, r.ok ? "ok" : "fail"))
                fail_msg("O1 at %lld: verdict %s, expected %s (%s)", (long long)at,
                         r.ok ? "ok" : "fail", verdict, r.reason);
            if (!r.ok) {
                const char *why = json_string_value(json_object_get(c, "reason"));
                if (!any_failure_contains(&r, why))
                    fail_msg("O1 at %lld: no failing check says '%s' (first: %s)", (long long)at,
                             why, r.reason);
                /* outside a window: flagged, and the status is still computed */
                assert_true(r.collateral_expired);
                assert_int_equal(r.err, AVOW_ERR_EXPIRED);
                assert_int_equal(r.status, AVOW_TCB_SW_HARDENING_NEEDED);
                assert_int_equal(r.result_code, AVOW_QV_SW_HARDENING_NEEDED);
            }
            avow_verify_result_free(&r);
        }
    }
    avow_verifier_free(v);
    free_set(&s);
}

static void test_o1_negatives(void **state)
{
    (void)state;
    vset s;
    load_set("O1-oasis-sgx-v3-nocrl", &s);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_verify_opts o = {.at = set_at(&s), .allow_missing_crl = true};
    avow_verify_result r;

    /* certification data type 3: parses, cannot be verified */
    size_t n;
    uint8_t *q3 =
        tu_read_vector("dcap/O1-oasis-sgx-v3-nocrl/pcs-original/quote_v3_ecdsa_p256_eppid.bin", &n);
    assert_int_equal(avow_verify_quote(v, q3, n, &s.coll, &o, &r), AVOW_OK);
    assert_false(r.ok);
    assert_int_equal(r.err, AVOW_ERR_UNSUPPORTED);
    assert_non_null(strstr(r.reason, "encrypted PPID"));
    avow_verify_result_free(&r);
    free(q3);

    /* a wrong TCB Info issuer chain */
    char *bad = (char *)tu_read_vector(
        "dcap/O1-oasis-sgx-v3-nocrl/pcs-original/"
        "tcb_info_v3_fmspc_00606A000000_certs_bad.pem",
        &n);
    free(s.coll.tcb_info_issuer_chain);
    s.coll.tcb_info_issuer_chain = bad;
    assert_int_equal(avow_verify_quote(v, s.quote, s.qlen, &s.coll, &o, &r), AVOW_OK);
    assert_false(r.ok);
    assert_string_equal(avow_trace_first_failure(&r.trace)->step, "tcb_info_chain");
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    free_set(&s);
}

static void test_json(void **state)
{
    (void)state;
    vset s;
    load_set("P1-phala-sgx-v3", &s);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_verify_result r;
    verify(v, &s, set_at(&s), false, &r);
    json_t *o = avow_verify_result_json(&r);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "verdict")), "ok");
    assert_string_equal(json_string_value(json_object_get(o, "status")),
                        "ConfigurationAndSWHardeningNeeded");
    assert_int_equal(json_integer_value(json_object_get(o, "result_code")), 0xA008);
    assert_null(json_object_get(o, "reason"));
    assert_int_equal(json_array_size(json_object_get(o, "checks")), r.trace.count);
    json_t *rep = json_object_get(o, "report");
    assert_int_equal(strlen(json_string_value(json_object_get(rep, "mrenclave"))), 64);
    /* report_data = "Hello, world!" */
    assert_memory_equal(json_string_value(json_object_get(rep, "report_data")),
                        "48656c6c6f2c20776f726c6421", 26);
    json_t *pl = json_object_get(o, "platform");
    assert_string_equal(json_string_value(json_object_get(pl, "fmspc")), "00a067110000");
    assert_string_equal(json_string_value(json_object_get(pl, "pck_ca")), "processor");
    assert_string_equal(json_string_value(json_object_get(pl, "tcb_date")), "2024-03-13T00:00:00Z");
    json_decref(o);
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    free_set(&s);
}

/* The next update of a CRL (hex DER in the bundle), read with OpenSSL. */
static avow_time crl_next_update(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    assert_non_null(crl);
    struct tm tm;
    assert_int_equal(ASN1_TIME_to_tm(X509_CRL_get0_nextUpdate(crl), &tm), 1);
    X509_CRL_free(crl);
    return (avow_time)timegm(&tm);
}

static avow_time json_next_update(const char *json, size_t len)
{
    json_t *o = json_loadb(json, len, 0, NULL);
    assert_non_null(o);
    const char *t = json_string_value(json_object_get(o, "nextUpdate"));
    assert_non_null(t);
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    assert_non_null(strptime(t, "%Y-%m-%dT%H:%M:%S", &tm));
    json_decref(o);
    return (avow_time)timegm(&tm);
}

/* The CN of the first certificate of a PEM chain, read with OpenSSL. */
static void first_cn(const char *pem, char *cn, size_t n)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    assert_non_null(x);
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, (int)n);
    X509_free(x);
    BIO_free(b);
}

/* Checked collateral (avow_collateral_check) of every SGX and TDX set: its info
 * against values read here with jansson and OpenSSL, and quotes verified
 * against it (avow_verify_quote_checked, the quote parsed by the caller)
 * give exactly the result of avow_verify_quote. The platform pre-check
 * (avow_quote_platform) names the PCK certificate's platform under Intel's
 * root and refuses the same chain when no root is trusted. */
static void test_checked_collateral(void **state)
{
    (void)state;
    const char *sets[] = {
        "P1-phala-sgx-v3",       "R1-dcaprs-sgx-v3-tcbv2", "F1-fortanix-sgx-v3-2020-tcbv2",
        "O1-oasis-sgx-v3-nocrl", "X-solana-sgx+phala",     "P2-phala-tdx-v4",
        "O2-oasis-tdx-v4-nocrl", "G1-gotdx-tdx-v4-spr-e4"};
    avow_verifier *v, *none;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    assert_int_equal(avow_verifier_new_empty(&none, NULL), AVOW_OK);
    for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
        vset s;
        load_set(sets[k], &s);
        avow_verified_collateral *vc = NULL;
        avow_error e;
        avow_error_clear(&e);
        if (avow_collateral_check(v, &s.coll, &vc, &e) != AVOW_OK)
            fail_msg("%s: check: %s", sets[k], e.msg);
        const avow_collateral_info *in = avow_verified_collateral_info(vc);
        /* FMSPC and TEE from the TCB Info text */
        json_t *tcb = json_loadb(s.coll.tcb_info, s.coll.tcb_info_len, 0, NULL);
        char hex[13];
        avow_hex_encode(in->platform.fmspc, 6, hex);
        assert_true(!strcasecmp(hex, json_string_value(json_object_get(tcb, "fmspc"))));
        bool tdx = !strcmp(json_string_value(json_object_get(tcb, "id")) ?: "", "TDX");
        assert_int_equal(in->platform.tee_type, tdx ? AVOW_TEE_TDX : AVOW_TEE_SGX);
        assert_int_equal(in->tcb_eval_num,
                         json_integer_value(json_object_get(tcb, "tcbEvaluationDataNumber")));
        json_decref(tcb);
        /* CA from the PCK CRL issuer chain's first certificate */
        char cn[256] = "";
        first_cn(s.coll.pck_crl_issuer_chain, cn, sizeof(cn));
        assert_int_equal(in->platform.ca,
                         strstr(cn, "Processor") ? AVOW_PCK_CA_PROCESSOR : AVOW_PCK_CA_PLATFORM);
        /* next_update: the earliest of the four */
        avow_time nu = json_next_update(s.coll.tcb_info, s.coll.tcb_info_len), t;
        if ((t = json_next_update(s.coll.qe_identity, s.coll.qe_identity_len)) < nu) nu = t;
        if (s.coll.pck_crl && (t = crl_next_update(s.coll.pck_crl, s.coll.pck_crl_len)) < nu)
            nu = t;
        if (s.coll.root_ca_crl &&
            (t = crl_next_update(s.coll.root_ca_crl, s.coll.root_ca_crl_len)) < nu)
            nu = t;
        assert_int_equal(in->next_update, nu);
        assert_int_equal(in->has_pck_crl, s.coll.pck_crl != NULL);
        assert_int_equal(in->pck_crl_checked, s.coll.pck_crl != NULL);
        assert_false(in->simulated_root);

        /* the same verdict and trace both ways */
        bool no_crl = !s.coll.root_ca_crl || !s.coll.pck_crl;
        avow_verify_result a, b;
        verify(v, &s, set_at(&s), no_crl, &a);
        avow_quote q;
        assert_int_equal(avow_quote_parse_ex(s.quote, s.qlen, AVOW_QUOTE_ALLOW_TRAILING, &q, NULL),
                         AVOW_OK);
        avow_verify_opts o = {.at = set_at(&s), .allow_missing_crl = no_crl};
        assert_int_equal(avow_verify_quote_checked(v, &q, vc, &o, &b), AVOW_OK);
        assert_int_equal(a.ok, b.ok);
        assert_int_equal(a.status, b.status);
        assert_int_equal(a.result_code, b.result_code);
        assert_int_equal(a.trace.count, b.trace.count);
        for (size_t i = 0; i < a.trace.count; i++) {
            assert_string_equal(a.trace.entries[i].step, b.trace.entries[i].step);
            assert_int_equal(a.trace.entries[i].pass, b.trace.entries[i].pass);
            assert_string_equal(a.trace.entries[i].detail, b.trace.entries[i].detail);
        }
        avow_verify_result_free(&a);
        avow_verify_result_free(&b);
        /* checked by another verifier: refused, not misused */
        assert_int_equal(avow_verify_quote_checked(none, &q, vc, &o, &b), AVOW_ERR_ARG);
        avow_verify_result_free(&b);

        /* the platform pre-check */
        avow_platform_id pid;
        avow_error_clear(&e);
        if (avow_quote_platform(v, &q, &pid, &e) != AVOW_OK)
            fail_msg("%s: platform: %s", sets[k], e.msg);
        uint8_t fmspc[6];
        avow_pck_ca ca;
        uint32_t tee;
        assert_int_equal(avow_quote_platform_id(s.quote, s.qlen, fmspc, &ca, &tee, NULL), AVOW_OK);
        assert_memory_equal(pid.fmspc, fmspc, 6);
        assert_int_equal(pid.ca, ca);
        assert_int_equal(pid.tee_type, tdx ? AVOW_TEE_TDX : AVOW_TEE_SGX);
        for (int twice = 0; twice < 2; twice++) { /* the second answer comes from the cache */
            avow_error_clear(&e);
            assert_int_equal(avow_quote_platform(none, &q, &pid, &e), AVOW_ERR_CHAIN);
            assert_non_null(strstr(e.msg, "is not trusted"));
        }
        avow_verified_collateral_unref(vc);
        free_set(&s);
    }
    /* I1's PCK CRL is the Platform CA's while its issuer chain is the
     * Processor CA's: the set contradicts itself and is not kept */
    vset s;
    load_set("I1-integritee-sgx-v3", &s);
    avow_verified_collateral *vc = NULL;
    avow_error e;
    assert_int_equal(avow_collateral_check(v, &s.coll, &vc, &e), AVOW_ERR_CHAIN);
    assert_null(vc);
    assert_non_null(strstr(e.msg,
                           "PCK CRL against its issuer chain: issued by 'Intel SGX PCK "
                           "Platform CA', expected 'Intel SGX PCK Processor CA'"));
    free_set(&s);
    avow_verifier_free(none);
    avow_verifier_free(v);
}

/* The step names of a result's trace, in order, joined by spaces. */
static void steps_of(const avow_verify_result *r, char *out, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; i < r->trace.count; i++) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s%s", i ? " " : "", r->trace.entries[i].step);
    }
}

static void test_tdx_p2(void **state)
{
    (void)state;
    vset s;
    load_set("P2-phala-tdx-v4", &s);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_verify_result r;
    verify(v, &s, set_at(&s), false, &r);
    if (!r.ok) fail_msg("P2: %s", r.reason);
    /* Intel's order: module identity (4.1.2.4.11) before the QE report
     * signature, the module's TCB level after the TDX level (4.1.2.4.17.4) */
    char steps[600];
    steps_of(&r, steps, sizeof(steps));
    assert_string_equal(steps,
                        "quote_format root_pinned pck_chain pck_chain_validity tcb_info_chain "
                        "root_ca_crl tcb_signing_revocation tcb_info_signature tcb_info_validity "
                        "qe_identity_chain qe_identity_signature qe_identity_validity pck_crl "
                        "pck_revocation fmspc_pceid tdx_module qe_report_signature "
                        "qe_report_data qe_identity quote_signature tcb_level tdx_module_tcb "
                        "status");
    assert_true(r.is_td);
    assert_int_equal(r.td.body_type, AVOW_BODY_TD10);
    assert_int_equal(r.quote_version, 4);
    /* TEE_TCB_SVN 06 01 03: module SVN 6, major version 1 -> identity TDX_01,
     * whose level isvsvn 4 is UpToDate */
    assert_int_equal(r.td.tee_tcb_svn[0], 6);
    assert_int_equal(r.td.tee_tcb_svn[1], 1);
    assert_string_equal(r.module_id, "TDX_01");
    assert_int_equal(r.module_status, AVOW_TCB_UP_TO_DATE);
    assert_int_equal(r.sgx_tcb_status, AVOW_TCB_UP_TO_DATE);
    assert_int_equal(r.platform_status, AVOW_TCB_UP_TO_DATE);
    assert_int_equal(r.qe_status, AVOW_TCB_UP_TO_DATE);
    assert_int_equal(r.n_module_advisory_ids, 0);
    assert_int_equal(r.tcb_eval_num, 17);
    /* the enclave fields stay zero for a TD quote */
    static const uint8_t zero[64];
    assert_memory_equal(r.mr_enclave, zero, 32);
    assert_memory_equal(r.report_data, zero, 64);
    /* TDATTRIBUTES 0000001000000000: SEPT_VE_DISABLE, not DEBUG */
    assert_false(r.debug);

    json_t *o = avow_verify_result_json(&r);
    assert_non_null(o);
    assert_null(json_object_get(o, "report"));
    json_t *td = json_object_get(o, "td");
    assert_non_null(td);
    assert_string_equal(json_string_value(json_object_get(td, "tee_tcb_svn")),
                        "06010300000000000000000000000000");
    assert_string_equal(json_string_value(json_object_get(td, "mrtd")),
                        "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6"
                        "dc5f87f27428b2538873118b7");
    assert_string_equal(json_string_value(json_object_get(td, "td_attributes")),
                        "0000001000000000");
    assert_string_equal(json_string_value(json_object_get(td, "xfam")), "e702060000000000");
    assert_memory_equal(json_string_value(json_object_get(td, "report_data")), "9a9d48e7f679", 12);
    assert_memory_equal(json_string_value(json_object_get(td, "rtmr0")), "44c0197b3915", 12);
    assert_int_equal(strlen(json_string_value(json_object_get(td, "rtmr3"))), 96);
    assert_null(json_object_get(td, "mrservicetd")); /* TD 1.0 */
    json_t *pl = json_object_get(o, "platform");
    assert_string_equal(json_string_value(json_object_get(pl, "tee")), "tdx");
    assert_string_equal(json_string_value(json_object_get(pl, "fmspc")), "b0c06f000000");
    assert_string_equal(json_string_value(json_object_get(pl, "module_id")), "TDX_01");
    assert_string_equal(json_string_value(json_object_get(pl, "module_status")), "UpToDate");
    assert_string_equal(json_string_value(json_object_get(pl, "tcb_date")), "2024-03-13T00:00:00Z");
    json_decref(o);
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    free_set(&s);
}

static void test_tdx_g1_no_level(void **state)
{
    (void)state;
    vset s;
    load_set("G1-gotdx-tdx-v4-spr-e4", &s);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_verify_result r;
    verify(v, &s, set_at(&s), false, &r);
    assert_false(r.ok);
    const char *why =
        json_string_value(json_object_get(json_object_get(s.exp, "expect"), "reason"));
    assert_non_null(strstr(r.reason, why));
    assert_string_equal(avow_trace_first_failure(&r.trace)->step, "tcb_level");
    /* major version 0 (TEE_TCB_SVN 03 00 04): tdxModule alone judged the module */
    assert_int_equal(r.td.tee_tcb_svn[1], 0);
    assert_int_equal(r.err, AVOW_ERR_MISMATCH);
    assert_int_equal(r.status, AVOW_TCB_NONE);
    assert_int_equal(r.result_code, AVOW_QV_UNSPECIFIED);
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    free_set(&s);
}

/* Collateral of the other TEE: Intel 4.1.2.4.9 (TCB Info id vs TEE type). */
static void test_tee_collateral_swapped(void **state)
{
    (void)state;
    vset sgx, tdx;
    load_set("P1-phala-sgx-v3", &sgx);
    load_set("P2-phala-tdx-v4", &tdx);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    /* P1's PCK CRL is the Processor CA's, P2's the Platform CA's: without
     * them (allowed) the first check to fail is the TEE one */
    free(sgx.coll.pck_crl);
    free(tdx.coll.pck_crl);
    sgx.coll.pck_crl = tdx.coll.pck_crl = NULL;
    sgx.coll.pck_crl_len = tdx.coll.pck_crl_len = 0;
    avow_verify_opts o = {.at = set_at(&tdx), .allow_missing_crl = true};
    avow_verify_result r;
    /* a TD quote with SGX collateral */
    assert_int_equal(avow_verify_quote(v, tdx.quote, tdx.qlen, &sgx.coll, &o, &r), AVOW_OK);
    assert_false(r.ok);
    assert_string_equal(avow_trace_first_failure(&r.trace)->step, "fmspc_pceid");
    assert_non_null(strstr(r.reason, "TCB Info id SGX does not match a TDX quote"));
    assert_int_equal(r.err, AVOW_ERR_MISMATCH);
    avow_verify_result_free(&r);
    /* an SGX quote with TDX collateral */
    o.at = set_at(&sgx);
    assert_int_equal(avow_verify_quote(v, sgx.quote, sgx.qlen, &tdx.coll, &o, &r), AVOW_OK);
    assert_false(r.ok);
    assert_string_equal(avow_trace_first_failure(&r.trace)->step, "fmspc_pceid");
    assert_non_null(strstr(r.reason, "TCB Info id TDX does not match an SGX quote"));
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    free_set(&sgx);
    free_set(&tdx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_sets),
        cmocka_unit_test(test_i1_pck_crl_issuer),
        cmocka_unit_test(test_o1_time_cases),
        cmocka_unit_test(test_o1_negatives),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_checked_collateral),
        cmocka_unit_test(test_tdx_p2),
        cmocka_unit_test(test_tdx_g1_no_level),
        cmocka_unit_test(test_tee_collateral_swapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
