/* Unit tests of the core codecs, time parsing and the bounds-checked cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/encode.h"
#include "avow/time.h"
#include "core/cursor.h"

static void test_hex(void **state)
{
    (void)state;
    uint8_t *out;
    size_t n;
    assert_int_equal(avow_hex_decode_alloc("00aBff", 6, &out, &n, NULL), AVOW_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\x00\xab\xff", 3);
    char s[7];
    avow_hex_encode(out, n, s);
    assert_string_equal(s, "00abff");
    free(out);
    avow_error e;
    assert_int_equal(avow_hex_decode_alloc("0g", 2, &out, &n, &e), AVOW_ERR_FORMAT);
    assert_int_equal(e.offset, 1);
    assert_int_equal(avow_hex_decode_alloc("abc", 3, &out, &n, &e), AVOW_ERR_FORMAT);
}

static void roundtrip(const char *in, const char *b64, const char *b64url)
{
    size_t len = strlen(in);
    char buf[64];
    avow_base64_encode((const uint8_t *)in, len, buf);
    assert_string_equal(buf, b64);
    avow_base64url_encode((const uint8_t *)in, len, buf);
    assert_string_equal(buf, b64url);
    uint8_t *out;
    size_t n;
    assert_int_equal(avow_base64_decode_alloc(b64, strlen(b64), false, &out, &n, NULL), AVOW_OK);
    assert_int_equal(n, len);
    assert_memory_equal(out, in, len);
    free(out);
    assert_int_equal(avow_base64url_decode_alloc(b64url, strlen(b64url), false, &out, &n, NULL), AVOW_OK);
    assert_int_equal(n, len);
    assert_memory_equal(out, in, len);
    free(out);
}

static void test_base64(void **state)
{
    (void)state;
    /* RFC 4648 §10 vectors */
    roundtrip("", "", "");
    roundtrip("f", "Zg==", "Zg");
    roundtrip("fo", "Zm8=", "Zm8");
    roundtrip("foo", "Zm9v", "Zm9v");
    roundtrip("foob", "Zm9vYg==", "Zm9vYg");
    roundtrip("fooba", "Zm9vYmE=", "Zm9vYmE");
    roundtrip("foobar", "Zm9vYmFy", "Zm9vYmFy");
    roundtrip("\xfb\xff", "+/8=", "-_8");
    uint8_t *out;
    size_t n;
    avow_error e;
    assert_int_equal(avow_base64url_decode_alloc("Zg==", 4, false, &out, &n, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_base64url_decode_alloc("Z+", 2, false, &out, &n, &e), AVOW_ERR_FORMAT);
    assert_int_equal(e.offset, 1);
    assert_int_equal(avow_base64_decode_alloc("Zg", 2, false, &out, &n, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_base64_decode_alloc("Zh==", 4, false, &out, &n, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_base64_decode_alloc("Z", 1, true, &out, &n, &e), AVOW_ERR_FORMAT);
}

static void test_percent(void **state)
{
    (void)state;
    char *out;
    size_t n;
    assert_int_equal(avow_percent_decode_alloc("a%20b%0A%2B", 11, &out, &n, NULL), AVOW_OK);
    assert_string_equal(out, "a b\n+");
    free(out);
    avow_error e;
    assert_int_equal(avow_percent_decode_alloc("a%2", 3, &out, &n, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_percent_decode_alloc("%zz", 3, &out, &n, &e), AVOW_ERR_FORMAT);
}

static void test_sniff(void **state)
{
    (void)state;
    assert_int_equal(avow_encoding_sniff((const uint8_t *)"0a0b\n", 5), AVOW_ENC_HEX);
    assert_int_equal(avow_encoding_sniff((const uint8_t *)"AwAC+/==", 8), AVOW_ENC_BASE64);
    assert_int_equal(avow_encoding_sniff((const uint8_t *)"AwAC-_", 6), AVOW_ENC_BASE64URL);
    assert_int_equal(avow_encoding_sniff((const uint8_t *)"\x03\x00\x02\x00", 4), AVOW_ENC_RAW);
}

static void test_time(void **state)
{
    (void)state;
    avow_time t;
    assert_int_equal(avow_time_parse("1751624924", &t, NULL), AVOW_OK);
    assert_int_equal(t, 1751624924);
    assert_int_equal(avow_time_parse("2025-06-19T10:56:11Z", &t, NULL), AVOW_OK);
    assert_int_equal(t, 1750330571);
    assert_int_equal(avow_time_parse("2025-06-19T12:56:11.5+02:00", &t, NULL), AVOW_OK);
    assert_int_equal(t, 1750330571);
    char s[21];
    avow_time_format(1750330571, s);
    assert_string_equal(s, "2025-06-19T10:56:11Z");
    avow_time_format(0, s);
    assert_string_equal(s, "1970-01-01T00:00:00Z");
    avow_error e;
    assert_int_equal(avow_time_parse("2025-02-30T00:00:00Z", &t, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_time_parse("2025-06-19T10:56:11", &t, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_time_parse("yesterday", &t, &e), AVOW_ERR_FORMAT);
    assert_int_equal(avow_time_parse("", &t, &e), AVOW_ERR_FORMAT);
}

static void test_cursor(void **state)
{
    (void)state;
    const uint8_t buf[] = {1, 2, 3, 4, 5, 6, 7};
    avow_error e;
    avow_cursor c;
    avow_cursor_init(&c, buf, sizeof(buf), "thing", &e);
    uint16_t a;
    uint32_t b;
    assert_int_equal(avow_cursor_u16(&c, "a", &a), AVOW_OK);
    assert_int_equal(a, 0x0201);
    assert_int_equal(avow_cursor_u32(&c, "b", &b), AVOW_OK);
    assert_int_equal(b, 0x06050403);
    assert_int_equal(avow_cursor_u16(&c, "c", &a), AVOW_ERR_FORMAT);
    assert_int_equal(e.offset, 6);
    assert_non_null(strstr(e.msg, "thing.c at offset 6"));
}

static void test_ct(void **state)
{
    (void)state;
    assert_int_equal(avow_ct_memcmp("abcd", "abcd", 4), 0);
    assert_int_not_equal(avow_ct_memcmp("abcd", "abce", 4), 0);
    uint8_t k[4] = {1, 2, 3, 4};
    avow_wipe(k, sizeof(k));
    assert_memory_equal(k, "\0\0\0\0", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex),   cmocka_unit_test(test_base64), cmocka_unit_test(test_percent),
        cmocka_unit_test(test_sniff), cmocka_unit_test(test_time),   cmocka_unit_test(test_cursor),
        cmocka_unit_test(test_ct),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
