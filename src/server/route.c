/* avowd routes: maps (method, path) to a route with MAA's path conventions
 * (attestation types matched case-insensitively, /certs and /certs/, the
 * ":reset"/":add"/":remove" action suffixes), says which methods a known
 * path takes, and names each route for the metrics and the access log.
 * Query parameters (api-version...) are the handlers' business.
 * Thread-safety: pure functions over constants. */
#include <string.h>
#include <strings.h>

#include "server/route.h"

static const char *const route_names[ROUTE_COUNT] = {
    [ROUTE_NONE] = "unknown",
    [ROUTE_HEALTH] = "health",
    [ROUTE_METRICS] = "metrics",
    [ROUTE_ATTEST_SGX] = "attest_sgxenclave",
    [ROUTE_ATTEST_OE] = "attest_openenclave",
    [ROUTE_ATTEST_TDX] = "attest_tdxvm",
    [ROUTE_ATTEST_OTHER] = "attest_other",
    [ROUTE_CERTS] = "certs",
    [ROUTE_OPENID] = "openid_configuration",
    [ROUTE_POLICY_GET] = "policy_get",
    [ROUTE_POLICY_PUT] = "policy_set",
    [ROUTE_POLICY_RESET] = "policy_reset",
    [ROUTE_CERTIFICATES_GET] = "certificates_get",
    [ROUTE_CERTIFICATES_ADD] = "certificates_add",
    [ROUTE_CERTIFICATES_REMOVE] = "certificates_remove",
    [ROUTE_PCCS_TCB] = "pccs_tcb",
    [ROUTE_PCCS_QE] = "pccs_qe_identity",
    [ROUTE_PCCS_PCKCRL] = "pccs_pckcrl",
    [ROUTE_PCCS_ROOTCACRL] = "pccs_rootcacrl",
    [ROUTE_PCCS_EVALNUMS] = "pccs_tcbevaluationdatanumbers",
    [ROUTE_TCB_BASELINES] = "tcbbaselines",
};

const char *avowd_route_name(avowd_route r)
{
    return r < ROUTE_COUNT ? route_names[r] : "unknown";
}

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
    if (!strncmp(path, "/tcbbaselines/", 14) && path[14] && !strchr(path + 14, '/')) {
        *method_ok = get;
        *allow = "GET, HEAD";
        return ROUTE_TCB_BASELINES;
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
        else if (!strcmp(rest, "tcbevaluationdatanumbers"))
            rt = ROUTE_PCCS_EVALNUMS;
        if (rt != ROUTE_NONE) {
            *method_ok = get;
            *allow = "GET, HEAD";
        }
        return rt;
    }
    return ROUTE_NONE;
}
