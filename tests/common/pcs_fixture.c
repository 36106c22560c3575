/* Test fixture: a local PCS / PCCS look-alike and shared helpers
 * (pcs_fixture.h). Thread-safe: no. */
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

#include "avow/quote.h"
#include "pcs_fixture.h"
#include "testutil.h"

/* Starts pcs_server.py for a vector set with extra arguments (NULL-terminated). */
void pcs_server_start(pcs_server *s, bool r1_raw, const char *set, ...)
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

void pcs_server_stop(pcs_server *s)
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

int pcs_server_requests(pcs_server *s, const char *route)
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

avow_pcs_client *pcs_test_client(const char *base, const char *key)
{
    avow_pcs_opts o = {.base_url = base, .api_key = key, .timeout_ms = 5000};
    avow_pcs_client *c;
    avow_error e;
    if (avow_pcs_client_new(&o, &c, &e)) fail_msg("client: %s", e.msg);
    return c;
}

void pcs_expect_r1(const avow_collateral *got)
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

avow_store *pcs_temp_store(char *dir)
{
    strcpy(dir, "/tmp/avow-cache-XXXXXX");
    assert_non_null(mkdtemp(dir));
    avow_store *st;
    avow_error e;
    if (avow_store_open(dir, &st, &e)) fail_msg("store: %s", e.msg);
    return st;
}

void pcs_rm_rf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    tu_run(cmd, NULL);
}
