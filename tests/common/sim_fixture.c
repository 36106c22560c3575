/* Simulated-platform and store fixtures of the C tests (sim_fixture.h).
 * Thread-safe: no state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/report.h"
#include "sim_fixture.h"
#include "testutil.h"

avow_sim_platform *tu_sim_platform(avow_time now)
{
    avow_sim_platform_opts o;
    avow_sim_platform_opts_default(&o, now);
    avow_sim_platform *p = NULL;
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_platform_new(&o, &p, &e) != AVOW_OK) fail_msg("sim platform: %s", e.msg);
    return p;
}

avow_verifier *tu_sim_verifier(const avow_sim_platform *p)
{
    avow_verifier *v = NULL;
    char *root = NULL;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    assert_int_equal(avow_sim_root_pem(p, &root, NULL), AVOW_OK);
    assert_int_equal(avow_verifier_add_root_pem(v, root, strlen(root), NULL), AVOW_OK);
    free(root);
    return v;
}

void tu_sim_quote(const avow_sim_platform *p, uint8_t **quote, size_t *len)
{
    avow_sim_secs secs;
    memset(&secs, 0, sizeof(secs));
    memset(secs.mr_enclave, 0x42, 32);
    memset(secs.mr_signer, 0x43, 32);
    secs.attr_flags = AVOW_ATTR_MODE64BIT;
    secs.attr_xfrm = 3;
    avow_sim_enclave app;
    avow_sim_enclave_from_identity(p, &secs, &app);
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_quote_enclave(&app, NULL, 3, quote, len, &e) != AVOW_OK)
        fail_msg("sim quote: %s", e.msg);
}

avow_store *tu_store_open(const char *location)
{
    avow_store *s = NULL;
    avow_error e;
    avow_error_clear(&e);
    if (avow_store_open(location, &s, &e)) fail_msg("open %s: %s", location, e.msg);
    return s;
}

bool tu_store_location(char *out, size_t n)
{
    const char *env = getenv("AVOW_TEST_STORE");
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return false;
    }
    char tmpl[] = "/tmp/avow-store-XXXXXX";
    if (!mkdtemp(tmpl)) fail_msg("mkdtemp failed");
    snprintf(out, n, "%s/data", tmpl);
    return true;
}

void tu_store_cleanup(const char *location)
{
    size_t n = strlen(location);
    if (n < 5 || strcmp(location + n - 5, "/data")) return;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(n - 5), location);
    tu_run(cmd, NULL);
}
