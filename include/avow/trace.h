/* A verification trace: one entry per check, in the order performed, each
 * with a stable step name, pass/fail and a human detail such as
 * "TCB level: component 3 SVN 5 < 7 required by the UpToDate level".
 * Not thread-safe per trace; use one trace per verification. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *step; /* static string, e.g. "pck_chain", "quote_signature" */
    bool pass;
    char *detail;     /* owned; may be "" */
} avow_trace_entry;

typedef struct {
    avow_trace_entry *entries;
    size_t count, cap;
} avow_trace;

void avow_trace_init(avow_trace *t);
void avow_trace_free(avow_trace *t);

/* Appends an entry; `fmt` is printf-style. Allocation failure drops the
 * detail but never the entry's pass/fail. */
void avow_trace_add(avow_trace *t, const char *step, bool pass, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The first failing entry, or NULL. */
const avow_trace_entry *avow_trace_first_failure(const avow_trace *t);

#ifdef __cplusplus
}
#endif
