/* avowd's request (request.c): what a handler sees of one HTTP request —
 * the service, method, path, route, body, headers and query arguments, ids
 * for the logs — and the response it fills (response.h). The HTTP layer
 * (http.c) builds one per request from libmicrohttpd's; the HTTP fuzz target
 * builds one from its input. Thread-safety: a request is used by one thread
 * at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pccs/pccs.h"
#include "server/response.h"
#include "server/route.h"

struct avowd;

typedef enum { AVOWD_HEADER, AVOWD_QUERY } avowd_value_kind;

/* A header or query argument; the strings are the builder's (they outlive
 * the request). */
typedef struct {
    avowd_value_kind kind;
    const char *key, *value;
} avowd_req_value;

#define AVOWD_INLINE_VALUES 16 /* headers + query arguments kept without a malloc */

typedef struct avowd_req {
    struct avowd *d; /* the service */
    const char *method;
    const char *path; /* URL path, without the query */
    avowd_route route;
    const uint8_t *body; /* NUL-terminated (body[body_len] == 0) */
    size_t body_len;
    char request_id[40];
    char detail[200]; /* short outcome note for the access log (no secrets) */
    /* A handler that must wait for a collateral fetch passes this to the
     * collateral service and returns AVOWD_PARKED; the request is run again,
     * from the start, when the fetch ends (http.c). */
    avow_pccs_waiter waiter;
    avowd_resp resp; /* what the handler answered */
    avowd_req_value inline_values[AVOWD_INLINE_VALUES];
    avowd_req_value *values;
    size_t n_values, cap_values;
} avowd_req;

/* Empties *r (no values, no response) for the service d. */
void avowd_req_init(avowd_req *r, struct avowd *d);
/* Frees what the request holds (its values list and its response). */
void avowd_req_clear(avowd_req *r);
/* Records a header or query argument; false when out of memory. */
bool avowd_req_add_value(avowd_req *r, avowd_value_kind kind, const char *key, const char *value);

/* Looks up a query argument or header, names compared without case (NULL
 * when absent; the first of several). */
const char *avowd_req_query(const avowd_req *r, const char *name);
/* How many times a query argument is given (with or without a value). */
size_t avowd_req_query_count(const avowd_req *r, const char *name);
const char *avowd_req_header(const avowd_req *r, const char *name);
