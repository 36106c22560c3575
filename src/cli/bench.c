/* `avow bench verify QUOTE --collateral FILE --at TIME [--seconds N]
 * [--allow-missing-crl] [--root PEM]`: single-thread verification throughput.
 * Prints one JSON object: cold_per_sec (caches off: every iteration parses and
 * verifies everything; only the pinned Intel root, parsed once per verifier,
 * is reused), warm_per_sec (caches on and warm: collateral and platform part
 * cached, one ECDSA verification per quote), iteration counts and seconds.
 * Thread-safe: n/a (CLI). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avow/collateral.h"
#include "avow/verify.h"
#include "cli/cli.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs verifications for `seconds`; false if any verification is not ok. */
static bool run(avow_verifier *v, const uint8_t *q, size_t qlen, const avow_collateral *c,
                const avow_verify_opts *o, double seconds, long *iters, double *elapsed)
{
    double t0 = now_s(), t;
    long n = 0;
    do {
        for (int k = 0; k < 50; k++, n++) {
            avow_verify_result r;
            avow_verify_result_init(&r);
            avow_err rc = avow_verify_quote(v, q, qlen, c, o, &r);
            bool ok = rc == AVOW_OK && r.ok;
            if (!ok) fprintf(stderr, "avow bench: verification failed: %s\n", r.reason);
            avow_verify_result_free(&r);
            if (!ok) return false;
        }
        t = now_s();
    } while (t - t0 < seconds);
    *iters = n;
    *elapsed = t - t0;
    return true;
}

static int bench_verify(int argc, char **argv)
{
    const char *quote_path = NULL, *coll_path = NULL, *at_s = NULL, *v;
    const char *roots[16];
    size_t n_roots = 0;
    double seconds = 3;
    avow_verify_opts opts = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--allow-missing-crl")) {
            opts.allow_missing_crl = true;
        } else if (cli_opt(argc, argv, &i, "--collateral", &v)) {
            if (!(coll_path = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--at", &v)) {
            if (!(at_s = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--seconds", &v)) {
            if (!v || (seconds = atof(v)) <= 0) {
                fprintf(stderr, "avow: --seconds needs a positive number\n");
                return CLI_USAGE;
            }
        } else if (cli_opt(argc, argv, &i, "--root", &v)) {
            if (!v || n_roots == 16) return CLI_USAGE;
            roots[n_roots++] = v;
        } else if (argv[i][0] == '-' || quote_path) {
            fprintf(stderr, "avow: unexpected argument '%s'\n", argv[i]);
            return CLI_USAGE;
        } else {
            quote_path = argv[i];
        }
    }
    if (!quote_path || !coll_path || !at_s) {
        fprintf(stderr,
                "usage: avow bench verify QUOTE --collateral FILE --at TIME "
                "[--seconds N] [--allow-missing-crl] [--root PEM]...\n");
        return CLI_USAGE;
    }
    avow_error e;
    avow_error_clear(&e);
    if (avow_time_parse(at_s, &opts.at, &e) != AVOW_OK) {
        cli_error(&e, "--at '%s'", at_s);
        return CLI_USAGE;
    }
    int rc = CLI_USAGE;
    cli_evidence ev = {0};
    if (!cli_load_evidence(quote_path, NULL, coll_path, roots, n_roots, &ev)) goto done;
    uint8_t *quote = ev.quote;
    size_t qlen = ev.quote_len;
    avow_verifier *ver = ev.verifier;
    long cold_n = 0, warm_n = 0;
    double cold_t = 0, warm_t = 0;
    avow_verifier_set_cache(ver, false);
    if (!run(ver, quote, qlen, &ev.coll, &opts, seconds, &cold_n, &cold_t)) {
        rc = CLI_FAIL;
        goto done;
    }
    avow_verifier_set_cache(ver, true);
    long dummy_n;
    double dummy_t;
    if (!run(ver, quote, qlen, &ev.coll, &opts, 0.05, &dummy_n, &dummy_t) ||
        !run(ver, quote, qlen, &ev.coll, &opts, seconds, &warm_n, &warm_t)) {
        rc = CLI_FAIL;
        goto done;
    }
    printf(
        "{\"cold_per_sec\": %.0f, \"warm_per_sec\": %.0f, \"cold_iterations\": %ld, "
        "\"cold_seconds\": %.3f, \"warm_iterations\": %ld, \"warm_seconds\": %.3f, "
        "\"cold_us_per_verify\": %.1f, \"warm_us_per_verify\": %.1f, \"threads\": 1}\n",
        cold_n / cold_t, warm_n / warm_t, cold_n, cold_t, warm_n, warm_t,
        cold_t * 1e6 / (double)cold_n, warm_t * 1e6 / (double)warm_n);
    rc = CLI_OK;
done:
    cli_evidence_free(&ev);
    return rc;
}

int cli_bench(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "verify")) return bench_verify(argc - 1, argv + 1);
    fprintf(stderr, "usage: avow bench verify QUOTE --collateral FILE --at TIME [--seconds N]\n");
    return CLI_USAGE;
}
