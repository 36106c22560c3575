/* Tests of the PCS/PCCS client against a real local HTTP(S) server
 * (tests/integration/pcs_server.py) that serves Intel's real responses for
 * the R1 vector set with PCS's headers: full fetch equal to the vector's
 * bundle, v3 header names and hex CRLs (PCCS), error messages (404 with
 * Error-Code, unreachable host, subscription key), and the subscription
 * key's confinement to the configured https origin (refused with an http
 * base; not sent after a redirect to another port or to http; sent after a
 * redirect within the origin). The collateral service over the client is
 * tested in pccs_service.c. */
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

#include "pccs/upstream.h"
#include "avow/quote.h"
#include "store/store.h"
#include "avow/verify.h"
#include "pcs_fixture.h"
#include "testutil.h"

static const uint8_t FMSPC[6] = {0x00, 0x60, 0x6a, 0x00, 0x00, 0x00};

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
static void keys_seen(pcs_server *s, const char *key, int *with_key, int *without)
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

static void test_fetch_pcs_raw(void **state)
{
    (void)state;
    pcs_server s;
    pcs_server_start(&s, true, R1, NULL);
    avow_pcs_client *c = pcs_test_client(s.base, NULL);
    avow_collateral got;
    avow_error e;
    avow_error_clear(&e);
    if (avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e))
        fail_msg("fetch: %s", e.msg);
    pcs_expect_r1(&got);
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
    pcs_server_stop(&s);
    /* Nobody listens any more. */
    c = pcs_test_client(s.base, NULL);
    assert_int_equal(avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e),
                     AVOW_ERR_IO);
    assert_non_null(strstr(e.msg, "GET http://127.0.0.1:"));
    avow_pcs_client_free(c);
}

/* PCCS style: v3 header name, hex CRL body, hex root CRL, bodies rebuilt from the bundle. */
static void test_fetch_pccs_style(void **state)
{
    (void)state;
    pcs_server s;
    pcs_server_start(&s, false, R1, "--v3-headers", "--crl-encoding", "hex", "--api-key", "sekrit",
                     "--tls-cert", tls_cert, "--tls-key", tls_key, NULL);
    avow_pcs_client *c = client_ca(s.base, "sekrit", tls_cert);
    avow_collateral got;
    avow_error e;
    avow_error_clear(&e);
    if (avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e))
        fail_msg("fetch: %s", e.msg);
    pcs_expect_r1(&got);
    avow_collateral_free(&got);
    avow_pcs_client_free(c);
    c = client_ca(s.base, NULL, tls_cert); /* no subscription key */
    assert_int_equal(avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e),
                     AVOW_ERR_IO);
    assert_non_null(strstr(e.msg, "HTTP 401"));
    assert_null(strstr(e.msg, "sekrit"));
    avow_pcs_client_free(c);
    pcs_server_stop(&s);
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
    pcs_server other, plain, up;
    pcs_server_start(&other, false, R1, "--tls-cert", tls_cert, "--tls-key", tls_key, NULL);
    pcs_server_start(&plain, false, R1, NULL);
    const pcs_server *targets[] = {&other, &plain};
    for (int i = 0; i < 2; i++) {
        char to[64];
        snprintf(to, sizeof(to), "%.*s", (int)(strstr(targets[i]->base, "/sgx") - targets[i]->base),
                 targets[i]->base);
        pcs_server_start(&up, false, R1, "--api-key", "sekrit", "--redirect", to, "--tls-cert",
                         tls_cert, "--tls-key", tls_key, NULL);
        c = client_ca(up.base, "sekrit", tls_cert);
        avow_collateral got;
        if (avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e))
            fail_msg("fetch via a redirect to %s: %s", to, e.msg);
        pcs_expect_r1(&got);
        avow_collateral_free(&got);
        avow_pcs_client_free(c);
        int with_key, without;
        keys_seen(&up, "sekrit", &with_key, &without);
        assert_int_equal(with_key, 4); /* tcb, qe/identity, pckcrl, rootcacrl */
        assert_int_equal(without, 0);
        keys_seen((pcs_server *)targets[i], "sekrit", &with_key, &without);
        assert_int_equal(with_key, 0);
        assert_int_equal(without, 4);
        pcs_server_stop(&up);
    }
    pcs_server_stop(&other);
    pcs_server_stop(&plain);

    /* A redirect within the origin keeps the key (this server demands it on
     * the redirected path too). */
    pcs_server_start(&up, false, R1, "--api-key", "sekrit", "--redirect", "self", "--tls-cert",
                     tls_cert, "--tls-key", tls_key, NULL);
    c = client_ca(up.base, "sekrit", tls_cert);
    avow_collateral got;
    if (avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e))
        fail_msg("fetch via a same-origin redirect: %s", e.msg);
    pcs_expect_r1(&got);
    avow_collateral_free(&got);
    avow_pcs_client_free(c);
    int with_key, without;
    keys_seen(&up, "sekrit", &with_key, &without);
    assert_int_equal(with_key, 8);
    assert_int_equal(without, 0);
    pcs_server_stop(&up);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_pcs_raw),
        cmocka_unit_test(test_fetch_pccs_style),
        cmocka_unit_test(test_key_confined),
    };
    return cmocka_run_group_tests(tests, make_tls, drop_tls);
}
