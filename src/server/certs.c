/* avowd's key discovery routes: GET /certs (and /certs/), the JWKS of the
 * published token signing keys (kid, kty, x5c), and GET
 * /.well-known/openid-configuration (MAA's snake_case document, built once;
 * its claims_supported names the SGX and the TdxVm claims, docs/maa.md §2.2).
 * Thread-safety: reads immutable snapshots only. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/certs.h"
#include "server/keys.h"

int avowd_handle_certs(avowd_req *r)
{
    avowd_keys *k = avowd_keys_get(r->d);
    if (!k) return avowd_error(r, 503, "ServiceUnavailable", "no token signing key loaded");
    int ret = avowd_respond(r, 200, AVOWD_JSON, k->jwks, k->jwks_len);
    avowd_keys_put(k);
    return ret;
}

int avowd_handle_openid(avowd_req *r)
{
    return avowd_respond(r, 200, AVOWD_JSON, r->d->openid, r->d->openid_len);
}

bool avowd_openid_build(avowd *d)
{
    static const char *const claims[] = {"cnf",
                                         "nonce",
                                         "x-ms-ver",
                                         "x-ms-attestation-type",
                                         "x-ms-policy-hash",
                                         "x-ms-policy-signer",
                                         "x-ms-sgx-is-debuggable",
                                         "x-ms-sgx-mrenclave",
                                         "x-ms-sgx-mrsigner",
                                         "x-ms-sgx-product-id",
                                         "x-ms-sgx-svn",
                                         "x-ms-sgx-ehd",
                                         "x-ms-sgx-report-data",
                                         "x-ms-sgx-collateral",
                                         "x-ms-sgx-config-id",
                                         "x-ms-sgx-config-svn",
                                         "x-ms-sgx-isv-extended-product-id",
                                         "x-ms-sgx-isv-family-id",
                                         "x-ms-runtime",
                                         "x-ms-inittime",
                                         "is-debuggable",
                                         "sgx-mrsigner",
                                         "sgx-mrenclave",
                                         "product-id",
                                         "svn",
                                         "tee",
                                         "maa-ehd",
                                         "aas-ehd",
                                         "maa-attestationcollateral",
                                         "x-avow-sgx-tcb-status",
                                         "x-avow-sgx-advisory-ids",
                                         "x-avow-sgx-tcb-date",
                                         "eat_profile",
                                         "dbgstat",
                                         "intuse",
                                         "tdx_mrsignerseam",
                                         "tdx_mrseam",
                                         "tdx_mrtd",
                                         "tdx_rtmr0",
                                         "tdx_rtmr1",
                                         "tdx_rtmr2",
                                         "tdx_rtmr3",
                                         "tdx_mrconfigid",
                                         "tdx_mrowner",
                                         "tdx_mrownerconfig",
                                         "tdx_report_data",
                                         "tdx_seam_attributes",
                                         "tdx_td_attributes",
                                         "tdx_td_attributes_debug",
                                         "tdx_td_attributes_key_locker",
                                         "tdx_td_attributes_perfmon",
                                         "tdx_td_attributes_protection_keys",
                                         "tdx_td_attributes_septve_disable",
                                         "tdx_tee_tcb_svn",
                                         "tdx_xfam",
                                         "tdx_seamsvn",
                                         "attester_tcb_status",
                                         "x-avow-tdx-advisory-ids",
                                         "x-avow-tdx-module-status",
                                         "x-avow-tdx-module-id",
                                         "x-avow-tdx-tcb-date",
                                         "x-avow-tdx-tee-tcb-svn2",
                                         "x-avow-tdx-mrservicetd"};
    json_t *cl = json_array();
    for (size_t i = 0; cl && i < sizeof(claims) / sizeof(claims[0]); i++)
        json_array_append_new(cl, json_string(claims[i]));
    char revoke[1024];
    snprintf(revoke, sizeof(revoke), "%s/revoke", d->base_url);
    json_t *o =
        json_pack("{s:[s,s],s:[s],s:s,s:s,s:s,s:o}", "response_types_supported", "token", "none",
                  "id_token_signing_alg_values_supported", "RS256", "revocation_endpoint", revoke,
                  "issuer", d->base_url, "jwks_uri", d->jku, "claims_supported", cl);
    if (!o) return false;
    d->openid = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!d->openid) return false;
    d->openid_len = strlen(d->openid);
    return true;
}
