/* `avow collateral`: placeholder until its issue lands (not yet implemented). */
#include <stdio.h>

#include "cli/cli.h"

int cli_collateral(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "avow collateral: not implemented yet\n");
    return CLI_USAGE;
}
