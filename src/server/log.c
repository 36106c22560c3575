/* avowd logs: operational messages (stderr, one JSON object a line), the
 * JSON-lines access log and the audit log. Each record goes out in a single
 * write(2) on a file opened O_APPEND, so concurrent lines never interleave.
 * Callers never pass secrets or tokens here.
 * Thread-safety: open/close at startup/shutdown only; the writers are
 * thread-safe (no shared buffers). */
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

#include "server/server.h"

static int access_fd = -1, audit_fd = -1;
static bool access_owned, audit_owned;

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

bool avowd_log_open(const char *access_path, const char *audit_path)
{
    return open_one(access_path, &access_fd, &access_owned) &&
           open_one(audit_path, &audit_fd, &audit_owned);
}

void avowd_log_close(void)
{
    if (access_owned) close(access_fd);
    if (audit_owned) close(audit_fd);
    access_fd = audit_fd = -1;
    access_owned = audit_owned = false;
}

bool avowd_log_access_enabled(void)
{
    return access_fd >= 0;
}

bool avowd_log_audit_enabled(void)
{
    return audit_fd >= 0;
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

void avowd_log_access_line(const char *json)
{
    write_line(access_fd, json);
}

void avowd_log_audit_line(const char *json)
{
    write_line(audit_fd, json);
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
