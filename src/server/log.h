/* avowd logs (log.c): operational messages (stderr, one JSON object a line)
 * and the logs object owning the JSON-lines access and audit logs.
 * Thread-safety: avowd_log and the line writers may be called from any
 * thread; a logs object is opened and closed by its owner only. */
#pragma once

#include <stdbool.h>

/* Operational message to stderr as one JSON line {"ts","level","msg"}. */
void avowd_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct avowd_logs avowd_logs;

/* Opens the access and audit logs ("-", "stderr" or NULL: stderr; "off" or
 * "none": none). NULL (message on stderr) when a file cannot be opened. */
avowd_logs *avowd_logs_open(const char *access_path, const char *audit_path);
void avowd_logs_close(avowd_logs *l);
/* Writes one JSON-lines record (text without newline) to the access or audit
 * log with a single write(2) (atomic for a line); nothing when it is off. */
void avowd_logs_access_line(const avowd_logs *l, const char *json);
void avowd_logs_audit_line(const avowd_logs *l, const char *json);
bool avowd_logs_access_enabled(const avowd_logs *l);
bool avowd_logs_audit_enabled(const avowd_logs *l);
