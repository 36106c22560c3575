/* avowd's routes (route.c): what a (method, path) names, with MAA's path
 * conventions, and each route's name in the metrics and the access log.
 * Dispatching a request to its handler is router.h's job.
 * Thread-safety: pure functions. */
#pragma once

#include <stdbool.h>

typedef enum {
    ROUTE_NONE = 0, /* unknown path */
    ROUTE_HEALTH,
    ROUTE_METRICS,
    ROUTE_ATTEST_SGX,
    ROUTE_ATTEST_OE,
    ROUTE_ATTEST_TDX,
    ROUTE_ATTEST_OTHER,
    ROUTE_CERTS,
    ROUTE_OPENID,
    ROUTE_POLICY_GET,
    ROUTE_POLICY_PUT,
    ROUTE_POLICY_RESET,
    ROUTE_CERTIFICATES_GET,
    ROUTE_CERTIFICATES_ADD,
    ROUTE_CERTIFICATES_REMOVE,
    ROUTE_PCCS_TCB,
    ROUTE_PCCS_QE,
    ROUTE_PCCS_PCKCRL,
    ROUTE_PCCS_ROOTCACRL,
    ROUTE_PCCS_EVALNUMS,
    ROUTE_TCB_BASELINES,
    ROUTE_COUNT
} avowd_route;

/* The route of a path; *method_ok says whether `method` is allowed on it and
 * *allow lists the methods that are (NULL for ROUTE_NONE). */
avowd_route avowd_route_classify(const char *method, const char *path, bool *method_ok,
                                 const char **allow);
/* "attest_sgxenclave", ...; "unknown" for ROUTE_NONE or out of range. */
const char *avowd_route_name(avowd_route r);
