/* avowd's request object (request.h): the headers and query arguments a
 * builder records, and their lookup.
 * Thread-safety: a request is used by one thread at a time. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/request.h"

void avowd_req_init(avowd_req *r, struct avowd *d)
{
    memset(r, 0, sizeof(*r));
    r->d = d;
    r->values = r->inline_values;
    r->cap_values = AVOWD_INLINE_VALUES;
}

void avowd_req_clear(avowd_req *r)
{
    if (r->values != r->inline_values) free(r->values);
    r->values = r->inline_values;
    r->n_values = 0;
    r->cap_values = AVOWD_INLINE_VALUES;
    avowd_resp_clear(&r->resp);
}

bool avowd_req_add_value(avowd_req *r, avowd_value_kind kind, const char *key, const char *value)
{
    if (r->n_values == r->cap_values) {
        size_t cap = r->cap_values * 2;
        avowd_req_value *nv = malloc(cap * sizeof(*nv));
        if (!nv) return false;
        memcpy(nv, r->values, r->n_values * sizeof(*nv));
        if (r->values != r->inline_values) free(r->values);
        r->values = nv;
        r->cap_values = cap;
    }
    r->values[r->n_values++] = (avowd_req_value){kind, key, value};
    return true;
}

/* Names compare without case, for query arguments too, as libmicrohttpd's
 * own lookup. */
static const char *lookup(const avowd_req *r, avowd_value_kind kind, const char *name)
{
    for (size_t i = 0; i < r->n_values; i++)
        if (r->values[i].kind == kind && r->values[i].key && !strcasecmp(r->values[i].key, name))
            return r->values[i].value;
    return NULL;
}

const char *avowd_req_query(const avowd_req *r, const char *name)
{
    return lookup(r, AVOWD_QUERY, name);
}

size_t avowd_req_query_count(const avowd_req *r, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_values; i++)
        n += r->values[i].kind == AVOWD_QUERY && r->values[i].key &&
             !strcasecmp(r->values[i].key, name);
    return n;
}

const char *avowd_req_header(const avowd_req *r, const char *name)
{
    return lookup(r, AVOWD_HEADER, name);
}
