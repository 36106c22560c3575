/* `avow sim evalnums --platform DIR --out OUT --number N,DATE[,TCBDATE]...`:
 * writes OUT/evalnums.json, Intel's tcbevaluationdatanumbers body signed by
 * the simulated TCB Signing key, and OUT/evalnums-chain.pem, its issuer chain
 * (docs/verification.md A13), so the evaluation-number path is tested without
 * Intel. DATE is the number's tcbRecoveryEventDate, TCBDATE its tcbDate (by
 * default the next day, as Intel's recoveries go).
 * Thread-safety: n/a (CLI). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "avow/quote.h"
#include "sim/sim.h"
#include "cli/cli.h"
#include "cli/cmd_sim_evalnums.h"

enum { O_PLATFORM = 1, O_OUT, O_NUMBER, O_NOW, O_NEXT_UPDATE, O_TEE };

static const cli_option evalnums_opts[] = {
    {O_PLATFORM, "platform", "DIR", "the platform made by `avow sim init DIR` (required)"},
    {O_OUT, "out", "OUT", "the folder for evalnums.json and evalnums-chain.pem (required)"},
    {O_NUMBER, "number", "N,DATE[,TCBDATE]",
     "a number with its tcbRecoveryEventDate (and tcbDate; default the day after); "
     "repeatable, at least one"},
    {O_NOW, "now", "TIME", "the document's issueDate (default: now)"},
    {O_NEXT_UPDATE, "next-update", "TIME", "its nextUpdate (default: 30 days on)"},
    {O_TEE, "tee", "sgx|tdx", "the document's TEE (default sgx)"},
    {0},
};

static const cli_command cmd = {
    .path = "avow sim evalnums",
    .usage = "--platform DIR --out OUT --number N,DATE[,TCBDATE]... [options]",
    .about =
        "Signs a TCB evaluation data numbers document as Intel's PCS serves it, with the "
        "simulated platform's TCB Signing key: OUT/evalnums.json (the body) and "
        "OUT/evalnums-chain.pem (TCB-Evaluation-Data-Numbers-Issuer-Chain).",
    .opts = {evalnums_opts},
    .notes =
        "Import both with `avow collateral import --data D --evalnums OUT/evalnums.json "
        "--chain OUT/evalnums-chain.pem`.",
};

#define MAX_NUMBERS 64

static bool parse_number(const char *v, avow_sim_evalnum *out)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    char *f[3] = {buf, NULL, NULL};
    for (int i = 1; i < 3; i++)
        if (f[i - 1] && (f[i] = strchr(f[i - 1], ',')) != NULL) *f[i]++ = '\0';
    char *end;
    errno = 0;
    long n = strtol(f[0], &end, 10);
    avow_error e;
    avow_error_clear(&e);
    out->tcb_date = 0;
    if (errno || end == f[0] || *end || n < 1 || n > INT_MAX || !f[1] ||
        avow_time_parse(f[1], &out->recovery_date, &e) != AVOW_OK ||
        (f[2] && avow_time_parse(f[2], &out->tcb_date, &e) != AVOW_OK)) {
        fprintf(stderr, "avow: --number: '%s' is not N,DATE[,TCBDATE] (dates unix or RFC 3339)\n",
                v);
        return false;
    }
    out->number = (int)n;
    return true;
}

int cli_sim_evalnums(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *v;
    avow_sim_evalnum nums[MAX_NUMBERS];
    size_t n = 0;
    avow_time now = avow_time_now(), next = 0;
    uint32_t tee = AVOW_TEE_SGX;
    avow_error e;
    avow_error_clear(&e);
    cli_args a;
    cli_args_init(&a, &cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        switch (o) {
            case O_PLATFORM:
                dir = v;
                break;
            case O_OUT:
                out = v;
                break;
            case O_NUMBER:
                if (n == MAX_NUMBERS) {
                    fprintf(stderr, "avow: --number: at most %d\n", MAX_NUMBERS);
                    return CLI_USAGE;
                }
                if (!parse_number(v, &nums[n])) return CLI_USAGE;
                n++;
                break;
            case O_NOW:
            case O_NEXT_UPDATE:
                if (!cli_parse_time(o == O_NOW ? "--now" : "--next-update", v,
                                    o == O_NOW ? &now : &next))
                    return CLI_USAGE;
                break;
            case O_TEE:
                if (strcmp(v, "sgx") && strcmp(v, "tdx")) {
                    fprintf(stderr, "avow: --tee: sgx or tdx\n");
                    return CLI_USAGE;
                }
                tee = strcmp(v, "tdx") ? AVOW_TEE_SGX : AVOW_TEE_TDX;
                break;
            default:
                return a.rc;
        }
    }
    if (!out) return cli_usage_error(&cmd, "--out is missing");
    if (!n) return cli_usage_error(&cmd, "no --number");
    avow_sim_platform *p = cli_sim_load_platform(dir);
    if (!p) return CLI_USAGE;
    int rc = CLI_USAGE;
    char *body = NULL, *chain = NULL;
    if (avow_sim_evalnums(p, nums, n, now, next, tee, &body, &chain, &e) != AVOW_OK) {
        cli_error(&e, "sim evalnums");
        goto done;
    }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "avow: %s: %s\n", out, strerror(errno));
        goto done;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/evalnums.json", out);
    if (!cli_write_file(path, body, strlen(body))) goto done;
    snprintf(path, sizeof path, "%s/evalnums-chain.pem", out);
    if (!cli_write_file(path, chain, strlen(chain))) goto done;
    printf("%s/evalnums.json: %zu numbers (%s); %s/evalnums-chain.pem: its issuer chain\n", out, n,
           tee == AVOW_TEE_TDX ? "TDX" : "SGX", out);
    rc = CLI_OK;
done:
    free(body);
    free(chain);
    avow_sim_platform_free(p);
    return rc;
}
