/* Unit tests of the whole-file reader (avow/file.h): growth past the first
 * buffer, the size limit, missing files, and the secret (wiping) mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "avow/file.h"

static char path[64];

static void write_file(size_t n)
{
    strcpy(path, "/tmp/avow-core-file-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    for (size_t i = 0; i < n; i++) fputc((int)(i * 7 % 251), f);
    fclose(f);
}

static void test_sizes(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 8191, 8192, 8193, 100000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (int secret = 0; secret < 2; secret++) {
            write_file(sizes[k]);
            uint8_t *b;
            size_t n;
            assert_int_equal(avow_file_read(path, 0, secret, &b, &n, NULL), AVOW_OK);
            assert_int_equal(n, sizes[k]);
            for (size_t i = 0; i < n; i++) assert_int_equal(b[i], (uint8_t)(i * 7 % 251));
            assert_int_equal(b[n], 0);
            free(b);
            unlink(path);
        }
    }
}

static void test_errors(void **state)
{
    (void)state;
    write_file(20000);
    uint8_t *b;
    size_t n;
    avow_error e;
    assert_int_equal(avow_file_read(path, 10000, true, &b, &n, &e), AVOW_ERR_IO);
    assert_non_null(strstr(e.msg, "larger than 10000 bytes"));
    assert_null(b);
    unlink(path);
    assert_int_equal(avow_file_read("/nonexistent/avow", 0, false, &b, &n, &e), AVOW_ERR_IO);
    assert_non_null(strstr(e.msg, "/nonexistent/avow"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sizes), cmocka_unit_test(test_errors)};
    return cmocka_run_group_tests_name("core_file", tests, NULL, NULL);
}
