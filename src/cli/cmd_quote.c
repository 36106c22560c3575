/* `avow quote SUBCOMMAND`: dispatch to show (quote_show.c) and verify
 * (quote_verify.c). Thread-safety: n/a (CLI). */
#include "cli/cli.h"

int cli_quote_show(int argc, char **argv);
int cli_quote_verify(int argc, char **argv);

int cli_quote(int argc, char **argv)
{
    static const cli_subcommand subs[] = {
        {"show", cli_quote_show, "print every field of a quote (SGX or TDX)"},
        {"verify", cli_quote_verify, "verify a quote offline against Intel collateral"},
        {0},
    };
    static const cli_group g = {"avow quote", "Inspect DCAP quotes and verify them offline.", subs};
    return cli_dispatch(&g, argc, argv);
}
