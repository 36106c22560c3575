/* How every `avow` command reads its arguments and prints its help (internal
 * to the CLI). Thread-safety: n/a (CLI); the parser keeps its state in the
 * caller's cli_args, nothing global.
 *
 * A command declares its options once, in a table (cli_option), and a
 * cli_command naming its path, usage line(s), positional arguments and option
 * tables. It then loops over cli_next(), which hands back one option (its id
 * and value) or positional argument at a time, and handles each in a switch.
 * The help text is printed from the same table, so an option cannot be parsed
 * without being in --help. What every command does alike is done here:
 *   - `-h` / `--help`: the help on stdout, exit 0 (CLI_OK);
 *   - an unknown option, a missing value, a value given to a flag, a positional
 *     argument past those the command lists: a one-line error naming it, then
 *     the usage, on stderr, exit 2 (CLI_USAGE).
 * Values, and whether required arguments are there, are checked by the
 * command (its messages, exit 2; cli_usage_error() for the latter).
 *
 * The syntax is GNU's: `--name value` and `--name=value`; options may come
 * before, between or after the positional arguments; `--` ends the options;
 * `-` alone is a positional argument (stdin). A value is the next argument
 * whatever it looks like (`--report-data -`, `--advisory-ids ""`).
 *
 * Why a small parser of our own rather than getopt_long: the help text needs a
 * table of our own anyway (placeholders, one line per option), and getopt_long
 * differs from what the stable interfaces of docs/design.md need in three ways.
 * It accepts abbreviations (`--coll` for `--collateral`), so adding an option
 * can turn an abbreviation a script relies on into an ambiguity; here names
 * match exactly. Its ordering depends on POSIXLY_CORRECT in the environment,
 * which makes options after QUOTE positional. And its state is global (optind,
 * optarg, opterr, the hidden "nextchar"), to be reset between a group and its
 * subcommand. What it would save is the tokenising in cli_next() (opt.c), some
 * forty lines. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One option of a command. `id` > 0 is what cli_next() returns for it. */
typedef struct {
    int id;
    const char *name; /* without the dashes: "collateral" */
    const char *arg;  /* the value's placeholder ("FILE|DIR"); NULL: a flag */
    const char *help; /* wrapped to 80 columns when printed; "\n" breaks the line */
} cli_option;

/* A positional argument. A command takes as many as its table lists, any
 * number when the last name ends in "..."; one more is an error. */
typedef struct {
    const char *name; /* "QUOTE", "FILE|DIR..." */
    const char *help;
} cli_positional;

typedef struct {
    const char *path;           /* "avow quote verify" */
    const char *usage;          /* the synopsis after the path; "\n" separates alternative forms */
    const char *about;          /* what the command does, printed under the usage (optional) */
    const cli_positional *args; /* ended by {0}; NULL: none */
    /* Option tables, each ended by {0}, the list ended by NULL (commands that
     * share options share a table). --help is implied. */
    const cli_option *opts[4];
    const char *notes; /* printed after the options (optional) */
} cli_command;

/* What cli_next() returns besides an option id. */
enum {
    CLI_END = 0,   /* no more arguments */
    CLI_ARG = -1,  /* a positional argument, in *value */
    CLI_STOP = -2, /* --help printed, or an error printed: return cli_args.rc */
};

typedef struct {
    const cli_command *cmd;
    int argc;
    char **argv;
    int next;            /* index of the next argv element */
    bool only_args;      /* after "--" */
    size_t n_args;       /* positional arguments returned so far */
    const char *surplus; /* the first positional argument past those allowed */
    int rc;              /* the exit code to return after CLI_STOP */
} cli_args;

/* Starts reading `argv` for `cmd`; argv[0] is the command's own word
 * ("verify") and is skipped. */
void cli_args_init(cli_args *a, const cli_command *cmd, int argc, char **argv);

/* The next option (its id, with *value its value or NULL for a flag), or
 * positional argument (CLI_ARG), or CLI_END, or CLI_STOP. */
int cli_next(cli_args *a, const char **value);

/* Prints "PATH: <message>" and the usage on stderr; returns CLI_USAGE. For
 * arguments that are missing or one too many. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The usage line(s) and where to find more. */
void cli_usage(const cli_command *cmd, FILE *f);

/* The whole help: usage, about, positional arguments, options, notes. */
void cli_help(const cli_command *cmd, FILE *f);

/* Appends a repeatable option's value to list[*n] (at most `max`); on
 * overflow prints why and returns false. */
bool cli_append(const char **list, size_t *n, size_t max, const char *opt, const char *value);

/* A command group ("avow", "avow quote"): its subcommands. */
typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary; /* one line */
} cli_subcommand;

typedef struct {
    const char *path;           /* "avow quote" */
    const char *about;          /* optional */
    const cli_subcommand *subs; /* ended by {0} */
} cli_group;

/* Runs the subcommand named by argv[1] with argv + 1. `--help`, `-h` or
 * `help` there prints the group's help on stdout (exit 0); nothing, an
 * option or an unknown name prints an error and the group's help on stderr
 * (exit 2). */
int cli_dispatch(const cli_group *g, int argc, char **argv);
