/* avowd's body budget (src/server/budget.c; docs/security.md, "Connections
 * and request memory"): the total and the per-address share are both
 * enforced, an address's bytes come back when given back, and the table of
 * addresses (open addressing, deletion by backward shift) agrees with a
 * simple model through a long random run of takes and gives by 4096
 * addresses, many of them colliding, including removals inside clusters and
 * across the table's wrap-around.
 * Thread-safety: single-threaded test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "server/budget.h"

static avowd_client v4(uint32_t a)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(a);
    avowd_client c;
    avowd_client_of((const struct sockaddr *)&sa, &c);
    return c;
}

static void test_limits(void **state)
{
    (void)state;
    avowd_budget *b = avowd_budget_new(1000, 400);
    assert_non_null(b);
    avowd_client x = v4(0x7f000001), y = v4(0x7f000002), z = v4(0x7f000003);
    assert_true(avowd_budget_take(b, &x, 300));
    assert_false(avowd_budget_take(b, &x, 101)); /* x's share */
    assert_true(avowd_budget_take(b, &x, 100));
    assert_true(avowd_budget_take(b, &y, 400));
    assert_false(avowd_budget_take(b, &z, 201)); /* the total */
    assert_true(avowd_budget_take(b, &z, 200));
    avowd_budget_give(b, &x, 400);
    assert_true(avowd_budget_take(b, &x, 400)); /* given back, taken again */
    assert_true(avowd_budget_take(b, &z, 0));
    avowd_budget_free(b);

    /* no share: one address may take everything */
    b = avowd_budget_new(1000, 0);
    assert_true(avowd_budget_take(b, &x, 1000));
    assert_false(avowd_budget_take(b, &y, 1));
    avowd_budget_give(b, &x, 1000);
    assert_true(avowd_budget_take(b, &y, 1));
    avowd_budget_free(b);

    /* IPv4 and its IPv6-mapped form are one address */
    struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &sa6.sin6_addr);
    avowd_client m;
    avowd_client_of((const struct sockaddr *)&sa6, &m);
    assert_memory_equal(&m, &x, sizeof(m));
}

static void test_table_model(void **state)
{
    (void)state;
    enum { N = 4096, SHARE = 10 };
    avowd_budget *b = avowd_budget_new(SIZE_MAX / 2, SHARE);
    assert_non_null(b);
    static size_t held[N];
    static uint32_t addr[N]; /* random addresses: their home slots collide */
    memset(held, 0, sizeof(held));
    srand(7);
    for (size_t i = 0; i < N; i++)
        addr[i] = (uint32_t)rand() << 12 | (uint32_t)i; /* distinct: i in the low bits */
    for (long step = 0; step < 2000000; step++) {
        size_t i = (size_t)rand() % N;
        avowd_client c = v4(addr[i]);
        size_t n = 1 + (size_t)rand() % 4;
        if (rand() % 2) {
            bool fits = held[i] + n <= SHARE;
            assert_int_equal(avowd_budget_take(b, &c, n), fits);
            if (fits) held[i] += n;
        } else if (held[i]) {
            n = n < held[i] ? n : held[i];
            avowd_budget_give(b, &c, n);
            held[i] -= n;
        }
    }
    /* every address holds exactly what the model says: it can take its
     * share's rest and not one byte more */
    for (size_t i = 0; i < N; i++) {
        avowd_client c = v4(addr[i]);
        if (held[i] < SHARE) assert_true(avowd_budget_take(b, &c, SHARE - held[i]));
        assert_false(avowd_budget_take(b, &c, 1));
    }
    avowd_budget_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_table_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
