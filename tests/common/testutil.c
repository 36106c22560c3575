/* Test helpers (testutil.h). */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

static char *join(const char *env, const char *rel)
{
    const char *base = getenv(env);
    if (!base) fail_msg("%s is not set (run the tests through ctest)", env);
    char *p = NULL;
    if (asprintf(&p, "%s/%s", base, rel) < 0) fail_msg("out of memory");
    return p;
}

char *tu_vector_path(const char *rel)
{
    return join("AVOW_VECTORS", rel);
}

char *tu_source_path(const char *rel)
{
    return join("AVOW_SOURCE", rel);
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) fail_msg("cannot read %s", path);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

uint8_t *tu_read_vector(const char *rel, size_t *len)
{
    char *p = tu_vector_path(rel);
    uint8_t *b = tu_read_file(p, len);
    free(p);
    return b;
}

uint8_t *tu_read_source(const char *rel, size_t *len)
{
    char *p = tu_source_path(rel);
    uint8_t *b = tu_read_file(p, len);
    free(p);
    return b;
}

int tu_run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    if (!p) fail_msg("cannot run %s", cmd);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += r;
        if (cap - n < 2) buf = realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    int st = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
