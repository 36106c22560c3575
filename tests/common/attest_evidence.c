/* Evidence for attestation tests (attest_evidence.h). Thread-safe: no state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "attest_evidence.h"
#include "avow/collateral.h"
#include "avow/policy.h"
#include "sim_fixture.h"
#include "testutil.h"

avow_sim_platform *te_platform(avow_verifier *v, avow_time now, avow_pck_ca ca, int sgx_type,
                               int dynamic_platform, int cached_keys, int smt_enabled)
{
    avow_sim_platform_opts po;
    avow_sim_platform_opts_default(&po, now);
    po.ca = ca;
    po.sgx_type = sgx_type;
    po.dynamic_platform = dynamic_platform;
    po.cached_keys = cached_keys;
    po.smt_enabled = smt_enabled;
    avow_sim_platform *p = NULL;
    char *root = NULL;
    avow_error err;
    avow_error_clear(&err);
    if (avow_sim_platform_new(&po, &p, &err) != AVOW_OK ||
        (v && (avow_sim_root_pem(p, &root, &err) != AVOW_OK ||
               avow_verifier_add_root_pem(v, root, strlen(root), &err) != AVOW_OK)))
        fail_msg("simulated platform: %s", err.msg);
    free(root);
    return p;
}

void te_copts(avow_sim_collateral_opts *o, avow_time issue, avow_time next_update)
{
    avow_sim_collateral_opts_default(o, issue);
    o->next_update = next_update;
}

void te_sim_sgx(te_evidence *e, const avow_sim_platform *p, const avow_sim_collateral_opts *o)
{
    memset(e, 0, sizeof(*e));
    tu_sim_quote(p, &e->quote, &e->len);
    avow_error err;
    avow_error_clear(&err);
    if (avow_sim_collateral(p, o, &e->coll, &err) != AVOW_OK) fail_msg("collateral: %s", err.msg);
}

void te_sim_td(te_evidence *e, const avow_sim_platform *p, const avow_sim_collateral_opts *o)
{
    memset(e, 0, sizeof(*e));
    e->td = true;
    avow_sim_td_opts td;
    avow_sim_td_opts_default(&td);
    avow_error err;
    avow_error_clear(&err);
    if (avow_sim_td_quote(p, &td, &e->quote, &e->len, &err) != AVOW_OK)
        fail_msg("td quote: %s", err.msg);
    avow_sim_collateral_opts to = *o;
    to.tee = AVOW_TEE_TDX;
    to.module = &td.module;
    if (avow_sim_collateral(p, &to, &e->coll, &err) != AVOW_OK)
        fail_msg("tdx collateral: %s", err.msg);
}

avow_time te_real(te_evidence *e, const char *set)
{
    memset(e, 0, sizeof(*e));
    char rel[160];
    snprintf(rel, sizeof(rel), "dcap/%s/quote.bin", set);
    e->quote = tu_read_vector(rel, &e->len);
    snprintf(rel, sizeof(rel), "dcap/%s/collateral.json", set);
    char *path = tu_vector_path(rel);
    avow_error err;
    avow_error_clear(&err);
    if (avow_collateral_load(path, &e->coll, &err) != AVOW_OK) fail_msg("%s: %s", path, err.msg);
    free(path);
    e->td = strstr(set, "tdx") != NULL;
    e->missing_crl = strstr(set, "nocrl") != NULL;
    snprintf(rel, sizeof(rel), "dcap/%s/expected.json", set);
    path = tu_vector_path(rel);
    json_t *j = json_load_file(path, 0, NULL);
    if (!j) fail_msg("%s does not load", path);
    free(path);
    avow_time at = (avow_time)json_integer_value(json_object_get(j, "at"));
    json_decref(j);
    if (at <= 0) fail_msg("%s: no \"at\" in expected.json", set);
    return at;
}

void te_free(te_evidence *e)
{
    free(e->quote);
    avow_collateral_free(&e->coll);
}

avow_attest_outcome te_attest(avow_attestation *a, avow_verifier *v, const te_evidence *e,
                              const avow_policy *policy, avow_time at)
{
    avow_attest_request req;
    avow_attest_request_init(&req);
    req.type = e->td ? AVOW_ATTEST_TDX_VM : AVOW_ATTEST_SGX_ENCLAVE;
    req.evidence = malloc(e->len);
    if (!req.evidence) fail_msg("out of memory");
    memcpy(req.evidence, e->quote, e->len);
    req.evidence_len = req.quote_len = e->len;
    req.quote = req.evidence;
    avow_attest_opts o = {.at = at, .allow_missing_crl = e->missing_crl, .policy = policy};
    avow_attestation_init(a);
    avow_attest_outcome out = avow_attest(a, v, &req, &e->coll, &o);
    avow_attest_request_free(&req);
    return out;
}

const char *te_outcome_name(avow_attest_outcome o)
{
    switch (o) {
        case AVOW_ATTEST_PERMITTED:
            return "permit";
        case AVOW_ATTEST_DENIED:
            return "deny (policy)";
        case AVOW_ATTEST_BAD_EVIDENCE:
            return "refused (evidence)";
        default:
            return "other";
    }
}

avow_policy *te_permit_all(void)
{
    static const char text[] = "version=1.0; authorizationrules { => permit(); };";
    avow_policy *p = NULL;
    if (avow_policy_compile(text, sizeof(text) - 1, "permit-all", &p, NULL) != AVOW_OK)
        fail_msg("the permit-all policy does not compile");
    return p;
}
