/* `avow`: the command line. Dispatches to a command group; every group is a
 * thin layer over libavow (parse arguments, call the library, print).
 * Thread-safety: n/a (CLI). */
#include "cli/cli.h"

static const cli_subcommand commands[] = {
    {"quote", cli_quote, "show|verify: inspect DCAP quotes and verify them offline"},
    {"bench", cli_bench, "verify: verification throughput, cold and warm"},
    {"enclave", cli_enclave, "show|measure|sign|keygen: SIGSTRUCT and MRENCLAVE"},
    {"sim", cli_sim, "init|quote|report|info: the software SGX/TDX platform and quoting"},
    {"collateral", cli_collateral, "import|show: Intel collateral in avowd's store"},
    {"attest", cli_attest, "attest a quote against avowd or MAA and check the token"},
    {"policy", cli_policy, "check|eval|sign|sign-cert-request|hash: MAA appraisal policies"},
    {"key", cli_key, "rotate|show: avowd's token signing keys"},
    {0},
};

int main(int argc, char **argv)
{
    static const cli_group avow = {
        "avow",
        "Avow's command line: verify SGX and TDX evidence offline, manage avowd's store and "
        "policies, and drive a software SGX platform. Exit status: 0 ok, 1 a verdict or check "
        "failed, 2 unusable input or arguments.",
        commands};
    return cli_dispatch(&avow, argc, argv);
}
