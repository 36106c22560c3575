/* Tests of the PCS/PCCS client and the collateral cache against a real local
 * HTTP server (tests/integration/pcs_server.py) that serves Intel's real
 * responses for the R1 and O1 vector sets with PCS's headers: full fetch
 * equal to the vector's bundle, v3 header names and hex CRLs (PCCS), error
 * messages (404 with Error-Code, unreachable host, subscription key), the
 * subscription key's confinement to the configured https origin (refused
 * with an http base; not sent after a redirect to another port or to http;
 * sent after a redirect within the origin), and the
 * cache's miss -> fetch (checked against Intel's root) -> hit, expired +
 * upstream down, and an upstream serving collateral that does not verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "avow/collateral_cache.h"
#include "avow/pcs.h"
#include "avow/quote.h"
#include "avow/store.h"
#include "avow/verify.h"
#include "testutil.h"

#define R1    "dcap/R1-dcaprs-sgx-v3-tcbv2"
#define R1_AT 1740713705
static const uint8_t FMSPC[6] = {0x00, 0x60, 0x6a, 0x00, 0x00, 0x00};

typedef struct {
    pid_t pid;
    int port;
    char dir[64];
    char base[128];
} server;

/* Starts pcs_server.py for a vector set with extra arguments (NULL-terminated). */
static void start(server *s, bool r1_raw, const char *set, ...)
{
    snprintf(s->dir, sizeof(s->dir), "/tmp/avow-pcs-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    char *script = tu_source_path("tests/integration/pcs_server.py");
    char *bundle_rel, *bundle, portf[128];
    assert_true(asprintf(&bundle_rel, "%s/collateral.json", set) > 0);
    bundle = tu_vector_path(bundle_rel);
    snprintf(portf, sizeof(portf), "%s/port", s->dir);
    char *argv[32];
    int n = 0;
    argv[n++] = "python3";
    argv[n++] = script;
    argv[n++] = "--port-file";
    argv[n++] = portf;
    argv[n++] = "--bundle";
    argv[n++] = bundle;
    char *raw[4] = {0};
    if (r1_raw) {
        raw[0] = tu_vector_path(R1 "/pcs-original/tcbinfov2.json");
        raw[1] = tu_vector_path(R1 "/pcs-original/qeidentityv2.json");
        raw[2] = tu_vector_path(R1 "/pcs-original/pck_platform_crl.der");
        raw[3] = tu_vector_path(R1 "/pcs-original/intel_root_ca_crl.der");
        const char *flags[] = {"--tcb", "--qe", "--pck-crl", "--root-crl"};
        for (int i = 0; i < 4; i++) {
            argv[n++] = (char *)flags[i];
            argv[n++] = raw[i];
        }
    }
    va_list ap;
    va_start(ap, set);
    bool tls = false;
    for (char *a; (a = va_arg(ap, char *)) && n < 30;) {
        tls = tls || !strcmp(a, "--tls-cert");
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        execvp("python3", argv);
        _exit(127);
    }
    s->port = 0;
    for (int i = 0; i < 100 && !s->port; i++) {
        FILE *f = fopen(portf, "r");
        if (f) {
            if (fscanf(f, "%d", &s->port) != 1) s->port = 0;
            fclose(f);
        }
        if (!s->port) usleep(50000);
    }
    if (!s->port) fail_msg("pcs_server.py did not start");
    snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%d/sgx/certification/v4",
             tls ? "https" : "http", s->port);
    for (int i = 0; i < 4; i++)
        free(raw[i]);
    free(script);
    free(bundle);
    free(bundle_rel);
}

static void stop(server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
    tu_run(cmd, NULL);
}

static int requests(server *s, const char *route)
{
    char cmd[256], *out = NULL;
    snprintf(cmd, sizeof(cmd),
             "curl -s http://127.0.0.1:%d/_stats | python3 -c 'import json,sys; "
             "print(json.load(sys.stdin).get(\"%s\", 0))'",
             s->port, route);
    assert_int_equal(tu_run(cmd, &out), 0);
    int n = atoi(out);
    free(out);
    return n;
}

/* A self-signed certificate for 127.0.0.1, made once, for the HTTPS servers. */
static char tls_dir[64], tls_cert[96], tls_key[96];

static int make_tls(void **state)
{
    (void)state;
    snprintf(tls_dir, sizeof(tls_dir), "/tmp/avow-pcs-tls-XXXXXX");
    if (!mkdtemp(tls_dir)) return -1;
    snprintf(tls_cert, sizeof(tls_cert), "%s/cert.pem", tls_dir);
    snprintf(tls_key, sizeof(tls_key), "%s/key.pem", tls_dir);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
             "-out %s -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
             "2>/dev/null",
             tls_key, tls_cert);
    return tu_run(cmd, NULL);
}

static int drop_tls(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
    return tu_run(cmd, NULL);
}

/* Requests the server saw carrying `key`, and carrying no key at all. */
static void keys_seen(server *s, const char *key, int *with_key, int *without)
{
    char cmd[400], *out = NULL;
    snprintf(cmd, sizeof(cmd),
             "curl -sk %s://127.0.0.1:%d/_seen | python3 -c 'import json,sys; "
             "s=json.load(sys.stdin); print(sum(x[\"key\"]==\"%s\" for x in s), "
             "sum(x[\"key\"] is None for x in s), len(s))'",
             strncmp(s->base, "https:", 6) ? "http" : "https", s->port, key);
    assert_int_equal(tu_run(cmd, &out), 0);
    int total = 0;
    assert_int_equal(sscanf(out, "%d %d %d", with_key, without, &total), 3);
    assert_int_equal(*with_key + *without, total); /* no other key value seen */
    free(out);
}

static avow_pcs_client *client_ca(const char *base, const char *key, const char *ca_file)
{
    avow_pcs_opts o = {.base_url = base, .api_key = key, .timeout_ms = 5000, .ca_file = ca_file};
    avow_pcs_client *c;
    avow_error e;
    if (avow_pcs_client_new(&o, &c, &e)) fail_msg("client: %s", e.msg);
    return c;
}

static avow_pcs_client *client(const char *base, const char *key)
{
    avow_pcs_opts o = {.base_url = base, .api_key = key, .timeout_ms = 5000};
    avow_pcs_client *c;
    avow_error e;
    if (avow_pcs_client_new(&o, &c, &e)) fail_msg("client: %s", e.msg);
    return c;
}

static void expect_r1(const avow_collateral *got)
{
    avow_collateral want;
    char *p = tu_vector_path(R1 "/collateral.json");
    avow_error e;
    if (avow_collateral_load(p, &want, &e)) fail_msg("load: %s", e.msg);
    free(p);
    assert_int_equal(got->tee_type, AVOW_TEE_SGX);
    assert_int_equal(got->tcb_info_len, want.tcb_info_len);
    assert_memory_equal(got->tcb_info, want.tcb_info, want.tcb_info_len);
    assert_memory_equal(got->tcb_info_sig, want.tcb_info_sig, 64);
    assert_int_equal(got->qe_identity_len, want.qe_identity_len);
    assert_memory_equal(got->qe_identity, want.qe_identity, want.qe_identity_len);
    assert_memory_equal(got->qe_identity_sig, want.qe_identity_sig, 64);
    assert_string_equal(got->tcb_info_issuer_chain, want.tcb_info_issuer_chain);
    assert_string_equal(got->qe_identity_issuer_chain, want.qe_identity_issuer_chain);
    assert_string_equal(got->pck_crl_issuer_chain, want.pck_crl_issuer_chain);
    assert_int_equal(got->pck_crl_len, want.pck_crl_len);
    assert_memory_equal(got->pck_crl, want.pck_crl, want.pck_crl_len);
    assert_int_equal(got->root_ca_crl_len, want.root_ca_crl_len);
    assert_memory_equal(got->root_ca_crl, want.root_ca_crl, want.root_ca_crl_len);
    avow_collateral_free(&want);
}

static void test_fetch_pcs_raw(void **state)
{
    (void)state;
    server s;
    start(&s, true, R1, NULL);
    avow_pcs_client *c = client(s.base, NULL);
    avow_collateral got;
    avow_error e;
    avow_error_clear(&e);
    if (avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e))
        fail_msg("fetch: %s", e.msg);
    expect_r1(&got);
    avow_collateral_free(&got);
    /* The Processor CA CRL is absent: a 404 naming URL and Intel's headers. */
    assert_int_equal(avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PROCESSOR, AVOW_TEE_SGX, &got, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "/pckcrl?ca=processor&encoding=der: HTTP 404"));
    assert_non_null(strstr(e.msg, "Error-Code: NotFound"));
    assert_non_null(strstr(e.msg, "Error-Message: no PCK CRL for ca=processor"));
    assert_null(got.tcb_info);
    /* Another FMSPC. */
    const uint8_t other[6] = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00};
    assert_int_equal(avow_pcs_fetch(c, other, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "/tcb?fmspc=00906ED50000"));
    /* The answer is SGX TCB Info: asking for TDX is a mismatch. */
    avow_pcs_opts o = {.base_url = s.base, .timeout_ms = 5000};
    avow_pcs_client *c2;
    assert_int_equal(avow_pcs_client_new(&o, &c2, NULL), AVOW_OK);
    assert_int_equal(avow_pcs_fetch(c2, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_TDX, &got, &e),
                     AVOW_ERR_MISMATCH);
    avow_pcs_client_free(c2);
    assert_int_equal(avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_UNKNOWN, AVOW_TEE_SGX, &got, &e),
                     AVOW_ERR_ARG);
    avow_pcs_client_free(c);
    stop(&s);
    /* Nobody listens any more. */
    c = client(s.base, NULL);
    assert_int_equal(avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e),
                     AVOW_ERR_IO);
    assert_non_null(strstr(e.msg, "GET http://127.0.0.1:"));
    avow_pcs_client_free(c);
}

/* PCCS style: v3 header name, hex CRL body, hex root CRL, bodies rebuilt from the bundle. */
static void test_fetch_pccs_style(void **state)
{
    (void)state;
    server s;
    start(&s, false, R1, "--v3-headers", "--crl-encoding", "hex", "--api-key", "sekrit",
          "--tls-cert", tls_cert, "--tls-key", tls_key, NULL);
    avow_pcs_client *c = client_ca(s.base, "sekrit", tls_cert);
    avow_collateral got;
    avow_error e;
    avow_error_clear(&e);
    if (avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e))
        fail_msg("fetch: %s", e.msg);
    expect_r1(&got);
    avow_collateral_free(&got);
    avow_pcs_client_free(c);
    c = client_ca(s.base, NULL, tls_cert); /* no subscription key */
    assert_int_equal(avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e),
                     AVOW_ERR_IO);
    assert_non_null(strstr(e.msg, "HTTP 401"));
    assert_null(strstr(e.msg, "sekrit"));
    avow_pcs_client_free(c);
    stop(&s);
}

/* The subscription key goes to the configured https origin only. */
static void test_key_confined(void **state)
{
    (void)state;
    /* An http base URL with a key: refused when the client is made. */
    avow_pcs_opts o = {.base_url = "http://127.0.0.1:9/sgx/certification/v4", .api_key = "sekrit"};
    avow_pcs_client *c;
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_pcs_client_new(&o, &c, &e), AVOW_ERR_ARG);
    assert_non_null(strstr(e.msg, "refusing to send the subscription key over plain http"));
    assert_null(strstr(e.msg, "sekrit"));
    o.api_key = NULL; /* without a key, http is fine */
    assert_int_equal(avow_pcs_client_new(&o, &c, &e), AVOW_OK);
    avow_pcs_client_free(c);

    /* The upstream redirects every request to another port (https), then to
     * a plain-http server: the collateral arrives, the key does not. */
    server other, plain, up;
    start(&other, false, R1, "--tls-cert", tls_cert, "--tls-key", tls_key, NULL);
    start(&plain, false, R1, NULL);
    const server *targets[] = {&other, &plain};
    for (int i = 0; i < 2; i++) {
        char to[64];
        snprintf(to, sizeof(to), "%.*s", (int)(strstr(targets[i]->base, "/sgx") - targets[i]->base),
                 targets[i]->base);
        start(&up, false, R1, "--api-key", "sekrit", "--redirect", to, "--tls-cert", tls_cert,
              "--tls-key", tls_key, NULL);
        c = client_ca(up.base, "sekrit", tls_cert);
        avow_collateral got;
        if (avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e))
            fail_msg("fetch via a redirect to %s: %s", to, e.msg);
        expect_r1(&got);
        avow_collateral_free(&got);
        avow_pcs_client_free(c);
        int with_key, without;
        keys_seen(&up, "sekrit", &with_key, &without);
        assert_int_equal(with_key, 4); /* tcb, qe/identity, pckcrl, rootcacrl */
        assert_int_equal(without, 0);
        keys_seen((server *)targets[i], "sekrit", &with_key, &without);
        assert_int_equal(with_key, 0);
        assert_int_equal(without, 4);
        stop(&up);
    }
    stop(&other);
    stop(&plain);

    /* A redirect within the origin keeps the key (this server demands it on
     * the redirected path too). */
    start(&up, false, R1, "--api-key", "sekrit", "--redirect", "self", "--tls-cert", tls_cert,
          "--tls-key", tls_key, NULL);
    c = client_ca(up.base, "sekrit", tls_cert);
    avow_collateral got;
    if (avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e))
        fail_msg("fetch via a same-origin redirect: %s", e.msg);
    expect_r1(&got);
    avow_collateral_free(&got);
    avow_pcs_client_free(c);
    int with_key, without;
    keys_seen(&up, "sekrit", &with_key, &without);
    assert_int_equal(with_key, 8);
    assert_int_equal(without, 0);
    stop(&up);
}

static avow_store *temp_store(char *dir)
{
    strcpy(dir, "/tmp/avow-cache-XXXXXX");
    assert_non_null(mkdtemp(dir));
    avow_store *st;
    avow_error e;
    if (avow_store_open(dir, &st, &e)) fail_msg("store: %s", e.msg);
    return st;
}

static void rmdir_r(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    tu_run(cmd, NULL);
}

static void test_cache_upstream(void **state)
{
    (void)state;
    server s;
    start(&s, true, R1, NULL);
    char dir[64];
    avow_store *st = temp_store(dir);
    avow_pcs_client *c = client(s.base, NULL);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK); /* Intel's root */
    avow_collateral_cache *cache;
    assert_int_equal(avow_collateral_cache_new(st, c, v, &cache, NULL), AVOW_OK);
    avow_collateral got;
    avow_error e;
    avow_error_clear(&e);
    /* Miss -> fetch, checked against Intel's root, stored. */
    if (avow_collateral_cache_get(cache, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, R1_AT, &got,
                                  &e))
        fail_msg("get: %s", e.msg);
    expect_r1(&got);
    avow_collateral_free(&got);
    assert_int_equal(requests(&s, "/tcb"), 1);
    /* Hit: no new request. */
    assert_int_equal(avow_collateral_cache_get(cache, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX,
                                               R1_AT + 60, &got, &e),
                     AVOW_OK);
    expect_r1(&got);
    avow_collateral_free(&got);
    assert_int_equal(requests(&s, "/tcb"), 1);
    avow_collateral_cache_stats sx;
    avow_collateral_cache_stats_get(cache, &sx);
    assert_int_equal(sx.misses, 1);
    assert_int_equal(sx.upstream_fetches, 1);
    assert_int_equal(sx.hits, 1);
    /* The row is in the store under the asked-for key, with the upstream as source. */
    avow_store_collateral row;
    assert_int_equal(avow_store_collateral_get(st, "00606a000000", "platform", "sgx", &row, NULL),
                     AVOW_OK);
    assert_string_equal(row.source, s.base);
    avow_time next = row.next_update;
    avow_store_collateral_free(&row);
    /* Past nextUpdate: the upstream is asked again (it serves the same, now stale, set). */
    assert_int_equal(avow_collateral_cache_get(cache, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX,
                                               next + 1, &got, &e),
                     AVOW_ERR_EXPIRED);
    assert_non_null(strstr(e.msg, "served collateral for FMSPC 00606a000000 that expired at"));
    assert_int_equal(requests(&s, "/tcb"), 2);
    /* Upstream down and the stored copy expired: a clear error. */
    stop(&s);
    assert_int_equal(avow_collateral_cache_get(cache, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX,
                                               next + 1, &got, &e),
                     AVOW_ERR_EXPIRED);
    assert_non_null(strstr(e.msg, "collateral for FMSPC 00606a000000 expired at 2025-03-"));
    assert_non_null(strstr(e.msg, "is unreachable: GET http://127.0.0.1:"));
    assert_null(got.tcb_info);
    /* ...while a time before nextUpdate still uses the stored copy. */
    assert_int_equal(avow_collateral_cache_get(cache, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX,
                                               R1_AT, &got, &e),
                     AVOW_OK);
    avow_collateral_free(&got);
    avow_collateral_cache_stats_get(cache, &sx);
    assert_int_equal(sx.upstream_failures, 2); /* the stale answer, then the unreachable upstream */
    assert_int_equal(sx.upstream_fetches, 1);
    avow_collateral_cache_free(cache);
    avow_verifier_free(v);
    avow_pcs_client_free(c);
    avow_store_close(st);
    rmdir_r(dir);
}

/* An upstream answer that does not verify is neither stored nor used; the
 * error names the upstream and the failing check. Then the same cache over an
 * honest upstream stores the real set. */
static void test_cache_upstream_bad_signature(void **state)
{
    (void)state;
    char dir[64], bad[128], cmd[512];
    avow_store *st = temp_store(dir);
    snprintf(bad, sizeof(bad), "%s-bad.json", dir);
    char *good = tu_vector_path(R1 "/collateral.json");
    /* R1's bundle with one hex digit of the TCB Info signature changed */
    snprintf(
        cmd, sizeof(cmd),
        "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d[\"tcb_info_signature\"]; "
        "d[\"tcb_info_signature\"]=(\"1\" if s[0]!=\"1\" else \"2\")+s[1:]; "
        "json.dump(d,open(sys.argv[2],\"w\"))' %s %s",
        good, bad);
    assert_int_equal(tu_run(cmd, NULL), 0);
    server s;
    start(&s, false, R1, "--bundle", bad, NULL); /* the later --bundle wins */
    avow_pcs_client *c = client(s.base, NULL);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_collateral_cache *cache;
    assert_int_equal(avow_collateral_cache_new(st, c, v, &cache, NULL), AVOW_OK);
    avow_collateral got;
    avow_error e;
    avow_error_clear(&e);
    assert_int_equal(avow_collateral_cache_get(cache, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX,
                                               R1_AT, &got, &e),
                     AVOW_ERR_SIGNATURE);
    assert_non_null(strstr(e.msg, "the upstream http://127.0.0.1:"));
    assert_non_null(strstr(
        e.msg, "served collateral for FMSPC 00606a000000 that does not verify (not stored)"));
    assert_non_null(strstr(e.msg, "TCB Info signature does not verify"));
    assert_null(got.tcb_info);
    avow_store_collateral row;
    assert_int_equal(avow_store_collateral_get(st, "00606a000000", "platform", "sgx", &row, NULL),
                     AVOW_ERR_NOT_FOUND);
    avow_collateral_cache_stats sx;
    avow_collateral_cache_stats_get(cache, &sx);
    assert_int_equal(sx.upstream_failures, 1);
    assert_int_equal(sx.upstream_fetches, 0); /* fetched, but not kept */
    /* Import through the same cache checks too. */
    avow_collateral bundle;
    assert_int_equal(avow_collateral_load(bad, &bundle, NULL), AVOW_OK);
    assert_int_equal(avow_collateral_cache_import(cache, &bundle, "test", R1_AT, NULL, &e),
                     AVOW_ERR_SIGNATURE);
    assert_non_null(strstr(e.msg, "collateral does not verify, not imported: TCB Info signature"));
    avow_collateral_free(&bundle);
    avow_collateral_cache_free(cache);
    avow_pcs_client_free(c);
    stop(&s);
    /* The honest upstream: stored. */
    start(&s, false, R1, NULL);
    c = client(s.base, NULL);
    assert_int_equal(avow_collateral_cache_new(st, c, v, &cache, NULL), AVOW_OK);
    if (avow_collateral_cache_get(cache, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, R1_AT, &got,
                                  &e))
        fail_msg("get: %s", e.msg);
    expect_r1(&got);
    avow_collateral_free(&got);
    assert_int_equal(avow_store_collateral_get(st, "00606a000000", "platform", "sgx", &row, NULL),
                     AVOW_OK);
    avow_store_collateral_free(&row);
    avow_collateral_cache_free(cache);
    avow_verifier_free(v);
    avow_pcs_client_free(c);
    stop(&s);
    avow_store_close(st);
    rmdir_r(dir);
    unlink(bad);
    free(good);
}

/* O1 has no CRLs: the upstream fetch fails, and the cache says so. */
static void test_cache_upstream_incomplete(void **state)
{
    (void)state;
    server s;
    start(&s, false, "dcap/O1-oasis-sgx-v3-nocrl", NULL);
    char dir[64];
    avow_store *st = temp_store(dir);
    avow_pcs_client *c = client(s.base, NULL);
    avow_collateral_cache *cache;
    assert_int_equal(avow_collateral_cache_new(st, c, NULL, &cache, NULL), AVOW_OK);
    avow_collateral got;
    avow_error e;
    assert_int_equal(avow_collateral_cache_get(cache, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX,
                                               1672614773, &got, &e),
                     AVOW_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "is not cached and the upstream http://127.0.0.1:"));
    assert_non_null(strstr(e.msg, "pckcrl"));
    avow_collateral_cache_free(cache);
    avow_pcs_client_free(c);
    avow_store_close(st);
    rmdir_r(dir);
    stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_pcs_raw),
        cmocka_unit_test(test_fetch_pccs_style),
        cmocka_unit_test(test_key_confined),
        cmocka_unit_test(test_cache_upstream),
        cmocka_unit_test(test_cache_upstream_incomplete),
        cmocka_unit_test(test_cache_upstream_bad_signature),
    };
    return cmocka_run_group_tests(tests, make_tls, drop_tls);
}
