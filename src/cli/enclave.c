/* `avow enclave`: placeholder until its issue lands (not yet implemented). */
#include <stdio.h>

#include "cli/cli.h"

int cli_enclave(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "avow enclave: not implemented yet\n");
    return CLI_USAGE;
}
