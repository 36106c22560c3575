/* Unit tests of AES-128-CMAC (RFC 4493 vectors, docs/formats.md §3.4) and the
 * local-attestation REPORT MAC check, including the SDK-simulation
 * known-answer value in tests/vectors/data/sgx/sdk-sim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "avow/encode.h"
#include "avow/report.h"
#include "testutil.h"

static void unhex(const char *hex, uint8_t *out, size_t n)
{
    assert_int_equal(strlen(hex), 2 * n);
    assert_int_equal(avow_hex_decode_fixed(hex, 2 * n, out, n, NULL), AVOW_OK);
}

static void test_cmac_rfc4493(void **state)
{
    (void)state;
    uint8_t key[16], msg[64], mac[16], want[16];
    unhex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
    unhex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        msg, 64);
    const struct {
        size_t len;
        const char *mac;
    } cases[] = {
        {0, "bb1d6929e95937287fa37d129b756746"},
        {16, "070a16b46b4d4144f79bdd9dd04a287c"},
        {40, "dfa66747de9ae63030ca32611497c827"},
        {64, "51f0bebf7e3b9d92fc49741779363cfe"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(avow_cmac_aes128(key, msg, cases[i].len, mac), AVOW_OK);
        unhex(cases[i].mac, want, 16);
        assert_memory_equal(mac, want, 16);
    }
    assert_int_equal(avow_cmac_aes128(NULL, msg, 1, mac), AVOW_ERR_ARG);
}

/* The SDK-simulation recipe KAT: key = CMAC(base, derivation buffer), then
 * MAC = CMAC(key, body); avow_report_verify accepts exactly that MAC. */
static void test_sdk_sim_kat(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = tu_read_vector("sgx/sdk-sim/sdk_sim_report_kat.json", &len);
    json_t *j = json_loadb((const char *)raw, len, 0, NULL);
    assert_non_null(j);
    const char *buf_hex = json_string_value(json_object_get(j, "derivation_buffer"));
    assert_non_null(buf_hex);
    size_t dlen = strlen(buf_hex) / 2;
    uint8_t *dbuf = malloc(dlen);
    unhex(buf_hex, dbuf, dlen);
    uint8_t base[16], key[16], want_key[16];
    unhex(json_string_value(json_object_get(j, "base_report_key")), base, 16);
    unhex(json_string_value(json_object_get(j, "report_key")), want_key, 16);
    assert_int_equal(avow_cmac_aes128(base, dbuf, dlen, key), AVOW_OK);
    assert_memory_equal(key, want_key, 16);

    uint8_t report[AVOW_REPORT_SIZE] = {0};
    unhex(json_string_value(json_object_get(j, "report_body")), report, AVOW_REPORT_BODY_SIZE);
    unhex(json_string_value(json_object_get(j, "keyid")), report + AVOW_REPORT_KEYID, 32);
    unhex(json_string_value(json_object_get(j, "report_mac")), report + AVOW_REPORT_MAC, 16);
    avow_error e;
    assert_int_equal(avow_report_verify(report, key, &e), AVOW_OK);
    /* KEYID and MAC are not covered: changing KEYID keeps the MAC valid. */
    report[AVOW_REPORT_KEYID] ^= 1;
    assert_int_equal(avow_report_verify(report, key, &e), AVOW_OK);
    /* any body byte or MAC byte breaks it */
    report[AVOW_RB_REPORTDATA + 63] ^= 1;
    assert_int_equal(avow_report_verify(report, key, &e), AVOW_ERR_SIGNATURE);
    assert_int_equal(e.offset, AVOW_REPORT_MAC);
    report[AVOW_RB_REPORTDATA + 63] ^= 1;
    report[AVOW_REPORT_MAC + 15] ^= 0x80;
    assert_int_equal(avow_report_verify(report, key, &e), AVOW_ERR_SIGNATURE);
    report[AVOW_REPORT_MAC + 15] ^= 0x80;
    key[0] ^= 1;
    assert_int_equal(avow_report_verify(report, key, &e), AVOW_ERR_SIGNATURE);
    free(dbuf);
    json_decref(j);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmac_rfc4493),
        cmocka_unit_test(test_sdk_sim_kat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
