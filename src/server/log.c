/* avowd logs: operational messages (stderr, one JSON object a line), the
 * JSON-lines access log and the audit log. Each record goes out in a single
 * write(2) on a file opened O_APPEND, so concurrent lines never interleave.
 * Callers never pass secrets or tokens here.
 * Thread-safety: a logs object is opened and closed by its owner; the
 * writers are thread-safe (no shared buffers, one write(2) a line). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "avow/time.h"
#include "server/log.h"

struct avowd_logs {
    int access_fd, audit_fd; /* -1: off */
    bool access_owned, audit_owned;
};

static bool open_one(const char *path, int *fd, bool *owned)
{
    if (!path || !strcmp(path, "-") || !strcmp(path, "stderr")) {
        *fd = STDERR_FILENO;
        *owned = false;
        return true;
    }
    if (!strcmp(path, "off") || !strcmp(path, "none")) {
        *fd = -1;
        *owned = false;
        return true;
    }
    *fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (*fd < 0) {
        fprintf(stderr, "avowd: cannot open log %s: %s\n", path, strerror(errno));
        return false;
    }
    *owned = true;
    return true;
}

static void close_one(int fd, bool owned)
{
    if (owned) close(fd);
}

avowd_logs *avowd_logs_open(const char *access_path, const char *audit_path)
{
    avowd_logs *l = calloc(1, sizeof(*l));
    if (!l) {
        fprintf(stderr, "avowd: out of memory\n");
        return NULL;
    }
    l->access_fd = l->audit_fd = -1;
    if (!open_one(access_path, &l->access_fd, &l->access_owned) ||
        !open_one(audit_path, &l->audit_fd, &l->audit_owned)) {
        avowd_logs_close(l);
        return NULL;
    }
    return l;
}

void avowd_logs_close(avowd_logs *l)
{
    if (!l) return;
    close_one(l->access_fd, l->access_owned);
    close_one(l->audit_fd, l->audit_owned);
    free(l);
}

bool avowd_logs_access_enabled(const avowd_logs *l)
{
    return l->access_fd >= 0;
}

bool avowd_logs_audit_enabled(const avowd_logs *l)
{
    return l->audit_fd >= 0;
}

static void write_line(int fd, const char *json)
{
    if (fd < 0 || !json) return;
    size_t n = strlen(json);
    char stackbuf[2048];
    char *buf = n + 2 <= sizeof(stackbuf) ? stackbuf : malloc(n + 2);
    if (!buf) return;
    memcpy(buf, json, n);
    buf[n] = '\n';
    ssize_t w;
    do {
        w = write(fd, buf, n + 1);
    } while (w < 0 && errno == EINTR);
    if (buf != stackbuf) free(buf);
}

void avowd_logs_access_line(const avowd_logs *l, const char *json)
{
    write_line(l->access_fd, json);
}

void avowd_logs_audit_line(const avowd_logs *l, const char *json)
{
    write_line(l->audit_fd, json);
}

void avowd_log(const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char ts[21];
    avow_time_format((avow_time)tv.tv_sec, ts);
    json_t *o = json_pack("{s:s,s:s,s:s}", "ts", ts, "level", level, "msg", msg);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (line) {
        write_line(STDERR_FILENO, line);
        free(line);
    } else {
        fprintf(stderr, "avowd %s: %s\n", level, msg); /* not UTF-8: raw */
    }
}
