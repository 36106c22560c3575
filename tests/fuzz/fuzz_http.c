/* libFuzzer target over avowd's request handling: every route (attest
 * SgxEnclave/OpenEnclave and the others, policies get/put/reset,
 * certificates, certs, openid, health, metrics, the PCCS routes, unknown
 * paths and methods) driven through the router and the real handlers, with
 * a request built from the fuzz input, against real in-process services made
 * once in LLVMFuzzerInitialize: two avowd contexts in this one process, one
 * in "token" and one in "isolated" policy mode, each with its SQLite store in
 * a temporary folder, a verifier trusting a simulated root, the simulated
 * platform's collateral imported, token signing keys, the default policies,
 * the clock pinned within the collateral's window. Material and seeds:
 * tests/fuzz/fuzz_http_data/ (make.sh regenerates them), seeds in
 * tests/fuzz/corpus/fuzz_http/.
 *
 * Input framing (as the seeds):
 *   METHOD SP TARGET [SP "isolated"] LF     TARGET = path [ "?" query ]
 *   (Name ":" value LF)*                     headers
 *   LF
 *   body                                     the rest, any bytes
 * Path and query arguments are percent-decoded, as libmicrohttpd does; a
 * query argument without '=' has no value. "isolated" picks the second
 * service.
 *
 * Invariants checked on every request (abort on a breach, so libFuzzer keeps
 * the input): the handler returns AVOWD_OK (never parked: no upstream), it
 * answered exactly once, with a status avowd uses and a content type; every
 * error (status >= 400) is MAA's error body {"error":{"code","message"}}
 * with the same code in x-ms-error-code (and a 405 names Allow); every 200
 * JSON body is JSON, and MAA's {"token": JWT} on the token routes. ASan/UBSan and LeakSanitizer
 * watch the rest. Thread-safety: libFuzzer calls it from one thread. */
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "avow/collateral.h"
#include "avow/verify.h"
#include "pccs/pccs.h"
#include "server/request.h"
#include "server/router.h"
#include "server/service.h"

#ifdef AVOW_SOURCE_DIR
#define AVOW_FUZZ_HTTP_DATA AVOW_SOURCE_DIR "/tests/fuzz/fuzz_http_data"
#else
#define AVOW_FUZZ_HTTP_DATA "tests/fuzz/fuzz_http_data"
#endif
#define ADMIN_TOKEN "fuzz-admin-token"
#define MAX_VALUES  64

typedef struct {
    avowd_config cfg;
    avowd *d;
    char dir[64];
} instance;

static instance inst[2]; /* [0] token mode, [1] isolated mode */
static const char *data_dir = AVOW_FUZZ_HTTP_DATA;
static bool verbose;
static unsigned long long seq;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz_http: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static char *dup_path(const char *name)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", data_dir, name);
    char *s = strdup(p);
    if (!s) die("out of memory");
    return s;
}

static void remove_tree(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh) return;
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(dh);
    rmdir(dir);
}

static void instances_free(void)
{
    for (int i = 0; i < 2; i++) {
        avowd_free(inst[i].d);
        inst[i].d = NULL;
        avowd_config_free(&inst[i].cfg);
        if (inst[i].dir[0]) remove_tree(inst[i].dir);
    }
}

static void make_instance(instance *in, bool isolated, avow_time clock)
{
    snprintf(in->dir, sizeof(in->dir), "/tmp/avow-fuzz-http.XXXXXX");
    if (!mkdtemp(in->dir)) die("mkdtemp failed");
    avowd_config *c = &in->cfg;
    avowd_config_init(c);
    c->data = strdup(in->dir);
    c->trust_roots[c->n_trust_roots++] = dup_path("root.pem");
    c->issuer = strdup(isolated ? "https://isolated.fuzz.avow.test" : "https://fuzz.avow.test");
    c->admin_token = strdup(ADMIN_TOKEN);
    c->access_log = strdup("off");
    c->audit_log = strdup("/dev/null"); /* audit records are built and written */
    c->policy_mode = strdup(isolated ? "isolated" : "token");
    if (isolated) c->policy_signer_cert = dup_path("signer.pem");
    if (!c->data || !c->issuer || !c->admin_token || !c->access_log || !c->audit_log ||
        !c->policy_mode)
        die("out of memory");
    if (!(in->d = avowd_new(c))) die("avowd_new failed");
    avow_error err;
    avow_error_clear(&err);
    if (!avowd_start(in->d, "127.0.0.1", 443, &clock, &err)) die("avowd_start: %s", err.msg);

    /* the simulated platform's collateral, as `avow collateral import` stores it */
    char *path = dup_path("collateral.json");
    avow_collateral coll;
    avow_verified_collateral *vc = NULL;
    if (avow_collateral_load(path, &coll, &err) != AVOW_OK) die("%s: %s", path, err.msg);
    if (avow_collateral_check(in->d->verifier, &coll, &vc, &err) != AVOW_OK)
        die("%s does not verify: %s", path, err.msg);
    if (avow_pccs_row_put(in->d->store, vc, NULL, "fuzz", avow_time_now(), NULL, true, NULL,
                          &err) != AVOW_OK)
        die("importing %s: %s", path, err.msg);
    avow_verified_collateral_unref(vc);
    avow_collateral_free(&coll);
    free(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *env = getenv("AVOW_FUZZ_HTTP_DATA");
    if (env && *env) data_dir = env;
    verbose = getenv("AVOW_FUZZ_HTTP_VERBOSE") != NULL;
    char *clock_path = dup_path("clock");
    FILE *f = fopen(clock_path, "r");
    long long clock = 0;
    if (!f || fscanf(f, "%lld", &clock) != 1 || clock <= 0) die("cannot read %s", clock_path);
    fclose(f);
    free(clock_path);
    make_instance(&inst[0], false, (avow_time)clock);
    make_instance(&inst[1], true, (avow_time)clock);
    atexit(instances_free);
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* In place: %XX decoded (as libmicrohttpd's unescaping); returns s. */
static char *pct_decode(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (p[0] == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
            *o++ = (char)(hi << 4 | lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return s;
}

static bool has_status(unsigned s)
{
    static const unsigned ok[] = {200, 400, 401, 403, 404, 405, 409, 413, 500, 502, 503};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (ok[i] == s) return true;
    return false;
}

static const char *resp_header(const avowd_resp *p, const char *name)
{
    for (int i = 0; i < p->n_headers; i++)
        if (!strcasecmp(p->headers[i].name, name)) return p->headers[i].value;
    return NULL;
}

/* Routes whose 200 is MAA's {"token": JWT}. */
static bool returns_token(avowd_route rt)
{
    return rt == ROUTE_ATTEST_SGX || rt == ROUTE_ATTEST_OE || rt == ROUTE_POLICY_GET ||
           rt == ROUTE_POLICY_PUT || rt == ROUTE_POLICY_RESET || rt == ROUTE_CERTIFICATES_GET ||
           rt == ROUTE_CERTIFICATES_ADD || rt == ROUTE_CERTIFICATES_REMOVE;
}

/* The invariants on one answered request. */
static void check(const avowd_req *r, int rc)
{
    const avowd_resp *p = &r->resp;
    const char *what = r->path;
    if (rc != AVOWD_OK) die("%s %s: handler returned %d, not AVOWD_OK", r->method, what, rc);
    if (p->answers != 1) die("%s %s: %u answers, not exactly one", r->method, what, p->answers);
    if (!has_status(p->status)) die("%s %s: status %u", r->method, what, p->status);
    if (!p->content_type) die("%s %s: no content type", r->method, what);
    if (p->len && !p->body) die("%s %s: %zu bytes of body but none", r->method, what, p->len);
    if (memchr(r->detail, '\0', sizeof(r->detail)) == NULL) die("detail not terminated");
    bool json = !strcmp(p->content_type, AVOWD_JSON);
    json_error_t je;
    json_t *doc = json && p->len ? json_loadb(p->body, p->len, 0, &je) : NULL;
    if (json && !doc) die("%s %s: %u body is not JSON: %s", r->method, what, p->status, je.text);
    if (p->status >= 400) {
        json_t *e = json_object_get(doc, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        if (!json || json_object_size(doc) != 1 || json_object_size(e) != 2 || !code || !*code ||
            !json_is_string(json_object_get(e, "message")))
            die("%s %s: %u body is not MAA's error: %.*s", r->method, what, p->status, (int)p->len,
                p->body ? p->body : "");
        const char *hc = resp_header(p, "x-ms-error-code");
        if (!hc || strcmp(hc, code))
            die("%s %s: x-ms-error-code %s, body %s", r->method, what, hc ? hc : "(none)", code);
        if (p->status == 405 && !resp_header(p, "Allow")) die("405 without Allow");
    }
    if (p->status == 200 && returns_token(r->route)) { /* {"token": "<b64url>.<b64url>.<b64url>"} */
        const char *t = json_string_value(json_object_get(doc, "token"));
        size_t parts = 1;
        for (const char *q = t; q && *q; q++) {
            if (*q == '.')
                parts++;
            else if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                             *q))
                die("%s %s: token has '%c'", r->method, what, *q);
        }
        if (!t || json_object_size(doc) != 1 || parts != 3)
            die("%s %s: 200 body is not {\"token\": JWT}: %.*s", r->method, what, (int)p->len,
                p->body ? p->body : "");
    }
    if (verbose)
        fprintf(stderr, "fuzz_http: %s %s -> %u %s\n", r->method, r->path, p->status, r->detail);
    json_decref(doc);
}

/* No upstream: the collateral service never parks a request. */
static void never_parked(avow_pccs_waiter *w)
{
    (void)w;
    die("a request was parked waiting for a collateral fetch, with no upstream");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *end = buf + size;

    /* request line */
    char *nl = memchr(buf, '\n', size);
    char *line_end = nl ? nl : end;
    *line_end = '\0';
    char *cur = nl ? nl + 1 : end;
    char *method = buf, *target = strchr(method, ' ');
    if (!target) goto done;
    *target++ = '\0';
    char *mode = strchr(target, ' ');
    if (mode) *mode++ = '\0';
    instance *in = &inst[mode && !strncmp(mode, "isolated", 8) ? 1 : 0];
    if (!*method) goto done;

    avowd_req r;
    avowd_req_init(&r, in->d);
    char *query = strchr(target, '?');
    if (query) *query++ = '\0';
    r.method = method;
    r.path = pct_decode(target);
    /* query arguments */
    for (char *a = query; a && *a && r.n_values < MAX_VALUES;) {
        char *next = strchr(a, '&');
        if (next) *next++ = '\0';
        char *eq = strchr(a, '=');
        if (eq) *eq++ = '\0';
        if (*a) avowd_req_add_value(&r, AVOWD_QUERY, pct_decode(a), eq ? pct_decode(eq) : NULL);
        a = next;
    }
    /* headers, up to the empty line */
    while (cur < end) {
        char *e = memchr(cur, '\n', (size_t)(end - cur));
        char *le = e ? e : end;
        *le = '\0';
        if (le > cur && le[-1] == '\r') le[-1] = '\0';
        char *next = e ? e + 1 : end;
        if (!*cur) {
            cur = next;
            break;
        }
        char *colon = strchr(cur, ':');
        if (colon && colon > cur && r.n_values < MAX_VALUES) {
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            avowd_req_add_value(&r, AVOWD_HEADER, cur, v);
        }
        cur = next;
    }
    r.body = (const uint8_t *)cur; /* NUL-terminated: buf[size] */
    r.body_len = (size_t)(end - cur);
    snprintf(r.request_id, sizeof(r.request_id), "fuzz-%016llx", ++seq);
    r.waiter.ready = never_parked;

    int rc = avowd_route_request(&r);
    check(&r, rc);
    avowd_req_clear(&r);
done:
    free(buf);
    return 0;
}
