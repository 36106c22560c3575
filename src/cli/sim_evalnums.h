/* `avow sim evalnums` (sim_evalnums.c): a TCB evaluation data numbers
 * document signed by a simulated platform's TCB Signing key. Internal to the
 * CLI. Thread-safety: n/a (CLI). */
#pragma once

int cli_sim_evalnums(int argc, char **argv);
