/* Verification trace (include/avow/trace.h). One trace per verification;
 * not thread-safe per trace. */
#include "avow/trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void avow_trace_init(avow_trace *t)
{
    memset(t, 0, sizeof(*t));
}

static char g_empty[1];

void avow_trace_free(avow_trace *t)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->entries[i].detail != g_empty) free(t->entries[i].detail);
    free(t->entries);
    memset(t, 0, sizeof(*t));
}

void avow_trace_add(avow_trace *t, const char *step, bool pass, const char *fmt, ...)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        avow_trace_entry *n = realloc(t->entries, cap * sizeof(*n));
        if (!n) return; /* out of memory: the caller's verdict still stands */
        t->entries = n;
        t->cap = cap;
    }
    char *detail = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&detail, fmt, ap) < 0) detail = NULL;
    va_end(ap);
    avow_trace_entry *e = &t->entries[t->count++];
    e->step = step;
    e->pass = pass;
    e->detail = detail ? detail : NULL;
    if (!e->detail) {
        /* keep the invariant that detail is a string; g_empty is never freed */
        e->detail = strdup("");
        if (!e->detail) e->detail = g_empty;
    }
}

const avow_trace_entry *avow_trace_first_failure(const avow_trace *t)
{
    for (size_t i = 0; i < t->count; i++)
        if (!t->entries[i].pass) return &t->entries[i];
    return NULL;
}
