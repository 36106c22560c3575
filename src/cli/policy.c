/* `avow policy`: placeholder until its issue lands (not yet implemented). */
#include <stdio.h>

#include "cli/cli.h"

int cli_policy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "avow policy: not implemented yet\n");
    return CLI_USAGE;
}
