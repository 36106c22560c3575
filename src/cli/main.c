/* `avow`: the command line. Dispatches to a command group; every group is a
 * thin layer over libavow (parse arguments, call the library, print). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"quote", cli_quote, "quote show|verify   inspect and verify DCAP quotes offline"},
    {"bench", cli_bench, "bench verify        verification throughput, cold and warm"},
    {"enclave", cli_enclave, "enclave show|measure|sign   SIGSTRUCT and MRENCLAVE"},
    {"sim", cli_sim, "sim init|quote|report   software SGX platform and quoting"},
    {"collateral", cli_collateral, "collateral import|show  Intel collateral"},
    {"attest", cli_attest, "attest --url URL QUOTE   attest against avowd or MAA"},
    {"policy", cli_policy, "policy check|eval|sign   MAA appraisal policies"},
    {"key", cli_key, "key rotate            avowd token signing key"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: avow COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %s\n", commands[i].help);
    fprintf(f, "\nRun `avow COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "avow: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
