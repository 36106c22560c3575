/* `avow quote show`: placeholder until its issue lands (not yet implemented). */
#include <stdio.h>

#include "cli/cli.h"

int cli_quote_show(int argc, char **argv);
int cli_quote_show(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "avow: not implemented yet\n");
    return CLI_USAGE;
}
