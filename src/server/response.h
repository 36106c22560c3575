/* avowd responses (response.c): what a handler answers — status, content
 * type, body and extra headers — kept in the request until the HTTP layer
 * (http.c) sends it, after the handler has returned. MAA's error body
 * {"error":{"code","message"}} is made here. Knows nothing of the HTTP
 * library. Thread-safety: a response belongs to its request, used by one
 * thread at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A handler's return value: answered (the response is in the request),
 * failed (no response could be made: out of memory; the connection is
 * closed), or waiting for a collateral fetch (request.h, waiter). */
#define AVOWD_FAIL   0
#define AVOWD_OK     1
#define AVOWD_PARKED 2

#define AVOWD_JSON             "application/json; charset=utf-8"
#define AVOWD_MAX_RESP_HEADERS 6

typedef struct {
    char *name, *value; /* one allocation: name, NUL, value, NUL (name owns it) */
} avowd_resp_field;

typedef struct {
    unsigned status;          /* 0: no answer yet */
    const char *content_type; /* a string that outlives the request (a literal); NULL: none */
    char *body;               /* malloc'd, owned; NULL when len is 0 */
    size_t len;
    avowd_resp_field headers[AVOWD_MAX_RESP_HEADERS];
    int n_headers;
    unsigned answers; /* how many times the handler answered (the last one counts) */
} avowd_resp;

struct avowd_req;

/* Responses. `body` is copied; content type NULL: none. The last answer of
 * a request is the one sent. AVOWD_OK, or AVOWD_FAIL when out of memory. */
int avowd_respond(struct avowd_req *r, unsigned status, const char *content_type, const void *body,
                  size_t len);
/* Takes ownership of `body` (malloc'd), also on failure. */
int avowd_respond_take(struct avowd_req *r, unsigned status, const char *content_type, char *body,
                       size_t len);
/* Adds an extra header (both strings copied) to the response of this
 * request (at most AVOWD_MAX_RESP_HEADERS; more are dropped). */
void avowd_resp_header(struct avowd_req *r, const char *name, const char *value);
/* MAA error {"error":{"code","message"}} with an x-ms-error-code header; the
 * message is printf-style. Also notes "code: message" in r->detail. */
int avowd_error(struct avowd_req *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Takes the body out of the response (the caller frees it). */
char *avowd_resp_take_body(avowd_resp *resp);
/* Frees what the response holds and empties it. */
void avowd_resp_clear(avowd_resp *resp);
