/* Two avowd services in one process (src/server: all state in the context):
 * each with its own store, issuer, keys, metrics and HTTP layer on its own
 * port, started, used at the same time over real HTTP (libcurl) and stopped
 * in turn. Proves that nothing is shared between them: each answers with its
 * own issuer and signing key, attests the simulated quote of the HTTP fuzz
 * target's material (tests/fuzz/fuzz_http_data), counts only its own
 * requests in /metrics, and the one left running still answers after the
 * other has stopped. Thread-safety: single-threaded test (the services run
 * their own threads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "avow/collateral.h"
#include "avow/verify.h"
#include "pccs/pccs.h"
#include "server/http.h"
#include "server/service.h"
#include "testutil.h"

typedef struct {
    avowd_config cfg;
    avowd *d;
    avowd_http *http;
    char dir[64];
    char base[64];
} svc;

static void start(svc *s, const char *issuer, avow_time clock)
{
    snprintf(s->dir, sizeof(s->dir), "/tmp/avow-instances.XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    avowd_config_init(&s->cfg);
    s->cfg.data = strdup(s->dir);
    s->cfg.trust_roots[s->cfg.n_trust_roots++] =
        tu_source_path("tests/fuzz/fuzz_http_data/root.pem");
    s->cfg.issuer = strdup(issuer);
    s->cfg.access_log = strdup("off");
    s->cfg.audit_log = strdup("off");
    s->cfg.threads = 2;
    s->cfg.drain_seconds = 1;
    assert_non_null(s->d = avowd_new(&s->cfg));
    avow_error err;
    avow_error_clear(&err);
    if (!avowd_start(s->d, "127.0.0.1", 0, &clock, &err)) fail_msg("avowd_start: %s", err.msg);

    char *path = tu_source_path("tests/fuzz/fuzz_http_data/collateral.json");
    avow_collateral coll;
    avow_verified_collateral *vc = NULL;
    assert_int_equal(avow_collateral_load(path, &coll, &err), AVOW_OK);
    assert_int_equal(avow_collateral_check(s->d->verifier, &coll, &vc, &err), AVOW_OK);
    assert_int_equal(
        avow_pccs_row_put(s->d->store, vc, NULL, "test", avow_time_now(), NULL, true, NULL, &err),
        AVOW_OK);
    avow_verified_collateral_unref(vc);
    avow_collateral_free(&coll);
    free(path);

    s->http = avowd_http_start(s->d, "127.0.0.1", 0, &err);
    if (!s->http) fail_msg("avowd_http_start: %s", err.msg);
    uint16_t port = avowd_http_port(s->http);
    assert_true(port > 0);
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%u", port);
}

static void stop(svc *s)
{
    avow_pccs_quiesce(s->d->pccs);
    avowd_http_stop(s->http);
    avowd_free(s->d);
    avowd_config_free(&s->cfg);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
    assert_int_equal(system(cmd), 0);
}

typedef struct {
    char *p;
    size_t len;
} buf;

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    char *np = realloc(b->p, b->len + size * n + 1);
    if (!np) return 0;
    memcpy(np + b->len, ptr, size * n);
    b->p = np;
    b->len += size * n;
    b->p[b->len] = '\0';
    return size * n;
}

/* One request; returns the status, the body in *out (malloc'd). */
static long http(const svc *s, const char *path, const char *post, char **out)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    buf b = {calloc(1, 1), 0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (post) curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) fail_msg("%s: %s", url, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    *out = b.p;
    return status;
}

static json_t *get_json(const svc *s, const char *path)
{
    char *body;
    assert_int_equal(http(s, path, NULL, &body), 200);
    json_t *o = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(o);
    return o;
}

/* The attest body of the fuzz seed (after its header block). */
static char *attest_body(void)
{
    size_t len;
    char *seed = (char *)tu_read_source("tests/fuzz/corpus/fuzz_http/attest_sgx", &len);
    char *blank = strstr(seed, "\n\n");
    assert_non_null(blank);
    char *body = strndup(blank + 2, len - (size_t)(blank + 2 - seed));
    free(seed);
    return body;
}

/* The token's payload claim `name` (string), malloc'd. */
static char *token_claim(const char *resp, const char *name)
{
    json_t *o = json_loads(resp, 0, NULL);
    assert_non_null(o);
    const char *tok = json_string_value(json_object_get(o, "token"));
    assert_non_null(tok);
    const char *p1 = strchr(tok, '.'), *p2 = p1 ? strchr(p1 + 1, '.') : NULL;
    assert_non_null(p2);
    char cmd[8192];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import base64,json,sys; s=sys.argv[1]; "
             "print(json.loads(base64.urlsafe_b64decode(s+\"=\"*(-len(s)%%4)))[sys.argv[2]])' "
             "%.*s %s",
             (int)(p2 - p1 - 1), p1 + 1, name);
    json_decref(o);
    char *out = NULL;
    assert_int_equal(tu_run(cmd, &out), 0);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

/* avowd_requests_total for a route and status in a /metrics text (0 if absent). */
static long long counted(const char *metrics, const char *route, const char *status)
{
    char key[128];
    snprintf(key, sizeof(key), "avowd_requests_total{route=\"%s\",status=\"%s\"} ", route, status);
    const char *p = strstr(metrics, key);
    return p ? atoll(p + strlen(key)) : 0;
}

static void two_services(void **state)
{
    (void)state;
    size_t n;
    char *clock_text = (char *)tu_read_source("tests/fuzz/fuzz_http_data/clock", &n);
    avow_time clock = (avow_time)atoll(clock_text);
    free(clock_text);
    svc a, b;
    start(&a, "https://a.avow.test", clock);
    start(&b, "https://b.avow.test", clock);
    assert_string_not_equal(a.base, b.base);

    /* each its own issuer and signing key */
    json_t *oa = get_json(&a, "/.well-known/openid-configuration");
    json_t *ob = get_json(&b, "/.well-known/openid-configuration");
    assert_string_equal(json_string_value(json_object_get(oa, "issuer")), "https://a.avow.test");
    assert_string_equal(json_string_value(json_object_get(ob, "issuer")), "https://b.avow.test");
    json_decref(oa);
    json_decref(ob);
    json_t *ka = get_json(&a, "/certs"), *kb = get_json(&b, "/certs");
    const char *kid_a =
        json_string_value(json_object_get(json_array_get(json_object_get(ka, "keys"), 0), "kid"));
    const char *kid_b =
        json_string_value(json_object_get(json_array_get(json_object_get(kb, "keys"), 0), "kid"));
    assert_non_null(kid_a);
    assert_non_null(kid_b);
    assert_string_not_equal(kid_a, kid_b);
    json_decref(ka);
    json_decref(kb);

    /* both attest, each signing as itself */
    char *body = attest_body(), *ra, *rb;
    assert_int_equal(http(&a, "/attest/SgxEnclave", body, &ra), 200);
    assert_int_equal(http(&b, "/attest/SgxEnclave", body, &rb), 200);
    char *rb2;
    assert_int_equal(http(&b, "/attest/SgxEnclave", body, &rb2), 200);
    free(rb2);
    char *iss_a = token_claim(ra, "iss"), *iss_b = token_claim(rb, "iss");
    assert_string_equal(iss_a, "https://a.avow.test");
    assert_string_equal(iss_b, "https://b.avow.test");
    free(iss_a);
    free(iss_b);
    free(ra);
    free(rb);

    /* each counts its own requests: a one attestation, b two */
    char *ma, *mb;
    assert_int_equal(http(&a, "/metrics", NULL, &ma), 200);
    assert_int_equal(http(&b, "/metrics", NULL, &mb), 200);
    assert_int_equal(counted(ma, "attest_sgxenclave", "200"), 1);
    assert_int_equal(counted(mb, "attest_sgxenclave", "200"), 2);
    assert_int_equal(counted(ma, "openid_configuration", "200"), 1);
    free(ma);
    free(mb);

    /* stopping one leaves the other serving */
    stop(&a);
    char *h;
    assert_int_equal(http(&b, "/health", NULL, &h), 200);
    assert_non_null(strstr(h, "\"ok\""));
    free(h);
    assert_int_equal(http(&b, "/attest/SgxEnclave", body, &rb), 200);
    free(rb);
    stop(&b);
    free(body);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(two_services)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
