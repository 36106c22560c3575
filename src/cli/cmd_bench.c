/* `avow bench verify QUOTE --collateral FILE --at TIME [--seconds N]
 * [--allow-missing-crl] [--root PEM]...`: single-thread verification throughput.
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
static bool bench_loop(avow_verifier *v, const uint8_t *q, size_t qlen, const avow_collateral *c,
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

enum { O_COLLATERAL = 1, O_AT, O_SECONDS, O_ROOT, O_ALLOW_MISSING_CRL };

static const cli_option bench_opts[] = {
    {O_COLLATERAL, "collateral", "FILE|DIR", "the quote's collateral (required)"},
    {O_AT, "at", "UNIX|RFC3339", "the verification time (required: the collateral's window)"},
    {O_SECONDS, "seconds", "N", "how long to run each of cold and warm (default 3)"},
    {O_ROOT, "root", "PEM", "trust this root CA too, besides Intel's (repeatable)"},
    {O_ALLOW_MISSING_CRL, "allow-missing-crl", NULL, "accept collateral without CRLs"},
    {0},
};

static const cli_positional bench_args[] = {
    {"QUOTE", "a quote that verifies \"ok\" with this collateral at that time"},
    {0},
};

static const cli_command bench_cmd = {
    .path = "avow bench verify",
    .usage = "QUOTE --collateral FILE|DIR --at TIME [options]",
    .about =
        "Measures single-thread verification throughput and prints one JSON object: "
        "cold_per_sec (nothing cached) and warm_per_sec (caches warm), with the "
        "iteration counts and times. Exit 1 if a verification is not ok.",
    .args = bench_args,
    .opts = {bench_opts},
};

static int bench_verify(int argc, char **argv)
{
    const char *quote_path = NULL, *coll_path = NULL, *at_s = NULL, *v;
    const char *roots[16];
    size_t n_roots = 0;
    double seconds = 3;
    avow_verify_opts opts = {0};
    cli_args a;
    cli_args_init(&a, &bench_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        switch (o) {
            case O_ALLOW_MISSING_CRL:
                opts.allow_missing_crl = true;
                break;
            case O_COLLATERAL:
                coll_path = v;
                break;
            case O_AT:
                at_s = v;
                break;
            case O_SECONDS:
                if ((seconds = atof(v)) <= 0) {
                    fprintf(stderr, "avow: --seconds needs a positive number\n");
                    return CLI_USAGE;
                }
                break;
            case O_ROOT:
                if (!cli_append(roots, &n_roots, sizeof roots / sizeof roots[0], "--root", v))
                    return CLI_USAGE;
                break;
            case CLI_ARG:
                quote_path = v;
                break;
            default:
                return a.rc;
        }
    }
    if (!quote_path || !coll_path || !at_s)
        return cli_usage_error(&bench_cmd, "QUOTE, --collateral and --at are required");
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
    if (!bench_loop(ver, quote, qlen, &ev.coll, &opts, seconds, &cold_n, &cold_t)) {
        rc = CLI_FAIL;
        goto done;
    }
    avow_verifier_set_cache(ver, true);
    long dummy_n;
    double dummy_t;
    if (!bench_loop(ver, quote, qlen, &ev.coll, &opts, 0.05, &dummy_n, &dummy_t) ||
        !bench_loop(ver, quote, qlen, &ev.coll, &opts, seconds, &warm_n, &warm_t)) {
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
    static const cli_subcommand subs[] = {
        {"verify", bench_verify, "verification throughput of one quote, cold and warm"},
        {0},
    };
    static const cli_group g = {"avow bench", "Benchmarks (docs/performance.md).", subs};
    return cli_dispatch(&g, argc, argv);
}
