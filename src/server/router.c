/* avowd's router: classifies the request (route.c), answers 404 for unknown
 * paths and 405 (with Allow) for a known path under the wrong method, and
 * calls the route's handler.
 * Thread-safety: no state. */
#include <string.h>
#include <strings.h>

#include "server/attest_route.h"
#include "server/certs.h"
#include "server/health.h"
#include "server/pccs_routes.h"
#include "server/tcbbaselines.h"
#include "server/policies.h"
#include "server/router.h"

/* The attestation type named in /attest/{t} or /policies/{t}[:reset]. */
static void path_type(const char *path, size_t prefix, char *out, size_t cap)
{
    const char *s = path + prefix;
    size_t n = strcspn(s, ":");
    if (n >= cap) n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

int avowd_route_request(avowd_req *r)
{
    bool method_ok;
    const char *allow;
    r->route = avowd_route_classify(r->method, r->path, &method_ok, &allow);
    if (r->route == ROUTE_NONE)
        return avowd_error(r, 404, "NotFound", "no route for %s %s", r->method, r->path);
    if (!method_ok) {
        avowd_resp_header(r, "Allow", allow);
        return avowd_error(r, 405, "MethodNotAllowed", "%s is not allowed on %s (allowed: %s)",
                           r->method, r->path, allow);
    }
    char type[64];
    switch (r->route) {
        case ROUTE_HEALTH:
            return avowd_handle_health(r);
        case ROUTE_METRICS:
            return avowd_handle_metrics(r);
        case ROUTE_CERTS:
            return avowd_handle_certs(r);
        case ROUTE_OPENID:
            return avowd_handle_openid(r);
        case ROUTE_ATTEST_SGX:
            return avowd_handle_attest(r, AVOW_ATTEST_SGX_ENCLAVE);
        case ROUTE_ATTEST_OE:
            return avowd_handle_attest(r, AVOW_ATTEST_OPEN_ENCLAVE);
        case ROUTE_ATTEST_TDX:
            return avowd_handle_attest(r, AVOW_ATTEST_TDX_VM);
        case ROUTE_ATTEST_OTHER: {
            static const char *const known[] = {"SevSnpVm", "Tpm", "VbsEnclave", "AzureGuest",
                                                "CyResComponent"};
            path_type(r->path, 8, type, sizeof(type));
            for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                if (!strcasecmp(type, known[i]))
                    return avowd_error(
                        r, 400, "InvalidParameter",
                        "attestation type '%s' is not supported by avowd (supported: "
                        "SgxEnclave, OpenEnclave, TdxVm)",
                        known[i]);
            return avowd_error(
                r, 400, "InvalidParameter",
                "unknown attestation type '%s' (supported: SgxEnclave, OpenEnclave, TdxVm)", type);
        }
        case ROUTE_POLICY_GET:
        case ROUTE_POLICY_PUT:
        case ROUTE_POLICY_RESET:
            path_type(r->path, 10, type, sizeof(type));
            return avowd_handle_policy(r, type);
        case ROUTE_CERTIFICATES_GET:
        case ROUTE_CERTIFICATES_ADD:
        case ROUTE_CERTIFICATES_REMOVE:
            return avowd_handle_certificates(r);
        case ROUTE_PCCS_TCB:
        case ROUTE_PCCS_QE:
        case ROUTE_PCCS_PCKCRL:
        case ROUTE_PCCS_ROOTCACRL:
        case ROUTE_PCCS_EVALNUMS:
            return avowd_handle_pccs(r);
        case ROUTE_TCB_BASELINES:
            return avowd_handle_tcbbaselines(r);
        default:
            return avowd_error(r, 404, "NotFound", "no route for %s %s", r->method, r->path);
    }
}
