/* `avow sim evalnums` (cmd_sim_evalnums.c): a TCB evaluation data numbers
 * document signed by a simulated platform's TCB Signing key. Internal to the
 * CLI. Thread-safety: n/a (CLI). */
#pragma once

#include "sim/sim.h"

int cli_sim_evalnums(int argc, char **argv);

/* The platform in DIR (sim.c), or NULL with the error printed (a missing
 * --platform, or a folder `avow sim init` did not make). */
avow_sim_platform *cli_sim_load_platform(const char *dir);
