/* avowd routing: maps (method, path) to a route and its handler, with MAA's
 * path conventions (attestation types matched case-insensitively, /certs and
 * /certs/, the ":reset"/":add"/":remove" action suffixes), 404 for unknown
 * paths and 405 (with Allow) for a known path under the wrong method.
 * Query parameters (api-version...) are the handlers' business.
 * Thread-safety: pure functions. */
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "server/server.h"

#define PCCS_SGX "/sgx/certification/v4/"
#define PCCS_TDX "/tdx/certification/v4/"

static bool is(const char *method, const char *m)
{
    return !strcmp(method, m);
}

avowd_route avowd_route_classify(const char *method, const char *path, bool *method_ok,
                                 const char **allow)
{
    *method_ok = true;
    *allow = NULL;
    bool get = is(method, "GET") || is(method, "HEAD");
    if (!strcmp(path, "/health")) {
        *method_ok = get;
        *allow = "GET, HEAD";
        return ROUTE_HEALTH;
    }
    if (!strcmp(path, "/metrics")) {
        *method_ok = get;
        *allow = "GET, HEAD";
        return ROUTE_METRICS;
    }
    if (!strcmp(path, "/certs") || !strcmp(path, "/certs/")) {
        *method_ok = get;
        *allow = "GET, HEAD";
        return ROUTE_CERTS;
    }
    if (!strcmp(path, "/.well-known/openid-configuration")) {
        *method_ok = get;
        *allow = "GET, HEAD";
        return ROUTE_OPENID;
    }
    if (!strncmp(path, "/attest/", 8) && path[8] && !strchr(path + 8, '/')) {
        *method_ok = is(method, "POST");
        *allow = "POST";
        if (!strcasecmp(path + 8, "SgxEnclave")) return ROUTE_ATTEST_SGX;
        if (!strcasecmp(path + 8, "OpenEnclave")) return ROUTE_ATTEST_OE;
        if (!strcasecmp(path + 8, "TdxVm")) return ROUTE_ATTEST_TDX;
        return ROUTE_ATTEST_OTHER;
    }
    if (!strncmp(path, "/policies/", 10) && path[10] && !strchr(path + 10, '/')) {
        const char *colon = strchr(path + 10, ':');
        if (colon) {
            if (strcmp(colon, ":reset")) return ROUTE_NONE;
            *method_ok = is(method, "POST");
            *allow = "POST";
            return ROUTE_POLICY_RESET;
        }
        *allow = "GET, HEAD, PUT";
        if (is(method, "PUT")) return ROUTE_POLICY_PUT;
        *method_ok = get;
        return ROUTE_POLICY_GET;
    }
    if (!strcmp(path, "/certificates")) {
        *method_ok = get;
        *allow = "GET, HEAD";
        return ROUTE_CERTIFICATES_GET;
    }
    if (!strcmp(path, "/certificates:add") || !strcmp(path, "/certificates:remove")) {
        *method_ok = is(method, "POST");
        *allow = "POST";
        return !strcmp(path, "/certificates:add") ? ROUTE_CERTIFICATES_ADD
                                                  : ROUTE_CERTIFICATES_REMOVE;
    }
    if (!strncmp(path, PCCS_SGX, strlen(PCCS_SGX)) || !strncmp(path, PCCS_TDX, strlen(PCCS_TDX))) {
        bool tdx = path[1] == 't';
        const char *rest = path + strlen(PCCS_SGX);
        avowd_route rt = ROUTE_NONE;
        if (!strcmp(rest, "tcb"))
            rt = ROUTE_PCCS_TCB;
        else if (!strcmp(rest, "qe/identity"))
            rt = ROUTE_PCCS_QE;
        else if (!tdx && !strcmp(rest, "pckcrl"))
            rt = ROUTE_PCCS_PCKCRL;
        else if (!tdx && !strcmp(rest, "rootcacrl"))
            rt = ROUTE_PCCS_ROOTCACRL;
        if (rt != ROUTE_NONE) {
            *method_ok = get;
            *allow = "GET, HEAD";
        }
        return rt;
    }
    return ROUTE_NONE;
}

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
        avowd_resp_header(r, MHD_HTTP_HEADER_ALLOW, allow);
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
            return avowd_handle_pccs(r);
        default:
            return avowd_error(r, 404, "NotFound", "no route for %s %s", r->method, r->path);
    }
}
