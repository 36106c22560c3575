/* `avow key`: placeholder until its issue lands (not yet implemented). */
#include <stdio.h>

#include "cli/cli.h"

int cli_key(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "avow key: not implemented yet\n");
    return CLI_USAGE;
}
