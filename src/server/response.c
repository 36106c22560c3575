/* avowd responses (response.h): a handler's answer recorded in its request
 * (status, content type, body, extra headers) and MAA's error body; the HTTP
 * layer sends it once the handler has returned.
 * Thread-safety: a response belongs to its request, used by one thread at a
 * time; no shared state. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/request.h"

static void set(avowd_resp *p, unsigned status, const char *content_type, char *body, size_t len)
{
    free(p->body); /* a handler answers once; the last answer counts */
    p->status = status;
    p->content_type = content_type;
    p->body = body;
    p->len = len;
    p->answers++;
}

int avowd_respond(avowd_req *r, unsigned status, const char *content_type, const void *body,
                  size_t len)
{
    char *copy = NULL;
    if (len) {
        if (!(copy = malloc(len))) return AVOWD_FAIL;
        memcpy(copy, body, len);
    }
    set(&r->resp, status, content_type, copy, len);
    return AVOWD_OK;
}

int avowd_respond_take(avowd_req *r, unsigned status, const char *content_type, char *body,
                       size_t len)
{
    set(&r->resp, status, content_type, body, len);
    return AVOWD_OK;
}

void avowd_resp_header(avowd_req *r, const char *name, const char *value)
{
    avowd_resp *p = &r->resp;
    if (p->n_headers >= AVOWD_MAX_RESP_HEADERS) return;
    size_t nl = strlen(name), vl = strlen(value);
    char *s = malloc(nl + vl + 2);
    if (!s) return; /* the answer goes out without it */
    memcpy(s, name, nl + 1);
    memcpy(s + nl + 1, value, vl + 1);
    p->headers[p->n_headers++] = (avowd_resp_field){s, s + nl + 1};
}

/* "code: message" into r->detail, truncated. */
static void note(avowd_req *r, const char *code, const char *msg)
{
    size_t cl = strlen(code), ml = strlen(msg), cap = sizeof(r->detail) - 1, dl;
    dl = cl < cap ? cl : cap;
    memcpy(r->detail, code, dl);
    if (dl + 2 < cap) {
        memcpy(r->detail + dl, ": ", 2);
        dl += 2;
        memcpy(r->detail + dl, msg, ml < cap - dl ? ml : cap - dl);
        dl += ml < cap - dl ? ml : cap - dl;
    }
    r->detail[dl] = '\0';
}

int avowd_error(avowd_req *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    note(r, code, msg);
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    if (!o) /* message not UTF-8: say so rather than fail */
        o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
                      "(error message not representable as UTF-8)");
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    avowd_resp_header(r, "x-ms-error-code", code);
    if (!text) {
        static const char oom[] =
            "{\"error\":{\"code\":\"InternalError\",\"message\":\"out of memory\"}}";
        return avowd_respond(r, 500, AVOWD_JSON, oom, sizeof(oom) - 1);
    }
    return avowd_respond_take(r, status, AVOWD_JSON, text, strlen(text));
}

char *avowd_resp_take_body(avowd_resp *p)
{
    char *b = p->body;
    p->body = NULL;
    return b;
}

void avowd_resp_clear(avowd_resp *p)
{
    free(p->body);
    for (int i = 0; i < p->n_headers; i++)
        free(p->headers[i].name);
    memset(p, 0, sizeof(*p));
}
