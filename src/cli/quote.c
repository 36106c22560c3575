/* `avow quote SUBCOMMAND`: dispatch to show (quote_show.c) and verify
 * (quote_verify.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_quote_show(int argc, char **argv);
int cli_quote_verify(int argc, char **argv);

int cli_quote(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "show")) return cli_quote_show(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "verify")) return cli_quote_verify(argc - 1, argv + 1);
    fprintf(
        stderr,
        "usage: avow quote show QUOTE [--json] [--encoding raw|hex|base64|base64url]\n"
        "       avow quote verify QUOTE --collateral FILE|DIR [--at UNIX|RFC3339] [--root PEM]...\n"
        "                         [--allow-missing-crl] [--json] [--encoding "
        "raw|hex|base64|base64url]\n");
    return CLI_USAGE;
}
