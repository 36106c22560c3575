/* Tests of the PCS/PCCS client against a real local HTTP server
 * (tests/integration/pcs_server.py) that serves Intel's real responses for
 * the R1 vector set with PCS's headers: full fetch equal to the vector's
 * bundle, v3 header names and hex CRLs (PCCS), error messages (404 with
 * Error-Code, unreachable host, subscription key). The collateral service
 * over it is tested in pccs_service.c. */
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

#include "avow/pcs.h"
#include "avow/quote.h"
#include "avow/store.h"
#include "avow/verify.h"
#include "pcs_fixture.h"
#include "testutil.h"

static const uint8_t FMSPC[6] = {0x00, 0x60, 0x6a, 0x00, 0x00, 0x00};

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
    pcs_server_start(&s, false, R1, "--v3-headers", "--crl-encoding", "hex", "--api-key", "sekrit", NULL);
    avow_pcs_client *c = pcs_test_client(s.base, "sekrit");
    avow_collateral got;
    avow_error e;
    avow_error_clear(&e);
    if (avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e))
        fail_msg("fetch: %s", e.msg);
    pcs_expect_r1(&got);
    avow_collateral_free(&got);
    avow_pcs_client_free(c);
    c = pcs_test_client(s.base, NULL); /* no subscription key */
    assert_int_equal(avow_pcs_fetch(c, FMSPC, AVOW_PCK_CA_PLATFORM, AVOW_TEE_SGX, &got, &e),
                     AVOW_ERR_IO);
    assert_non_null(strstr(e.msg, "HTTP 401"));
    assert_null(strstr(e.msg, "sekrit"));
    avow_pcs_client_free(c);
    pcs_server_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_pcs_raw),
        cmocka_unit_test(test_fetch_pccs_style),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
