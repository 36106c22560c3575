/* The CLI's option parser, help printer and subcommand dispatcher (opt.h).
 * Thread-safety: n/a (CLI); state lives in the caller's cli_args. */
#include <stdarg.h>
#include <string.h>

#include "cli/cli.h"

/* --help is every command's; it is not in their tables. */
static const cli_option help_option = {0, "help", NULL, "print this help and exit"};

#define HELP_COLUMN_MAX 30 /* a longer left column puts the help on its own line */
#define HELP_LINE       80 /* help text is wrapped at words to fit */

/* Writes `text`, the cursor being at column x, wrapped at words to fit
 * HELP_LINE, then a newline. "\n" breaks the line; each line starts at column
 * `indent` plus its own leading spaces, and so do its continuations. */
static void print_text(FILE *f, const char *text, int indent, int x)
{
    for (const char *line = text;;) {
        size_t len = strcspn(line, "\n"), lead = strspn(line, " ");
        int ind = indent + (int)(lead < len ? lead : len);
        for (const char *p = line + lead, *end = line + len; p < end; p += strspn(p, " ")) {
            size_t n = strcspn(p, " \n");
            if (x > ind && x + 1 + (int)n > HELP_LINE) { /* the word goes on a new line */
                fputc('\n', f);
                x = 0;
            }
            if (x < ind)
                x += fprintf(f, "%*s", ind - x, "");
            else if (x > ind)
                x += fprintf(f, " ");
            x += fprintf(f, "%.*s", (int)n, p);
            p += n;
        }
        fputc('\n', f);
        if (!line[len]) return;
        line += len + 1;
        x = 0;
    }
}

/* "  LEFT  help", the help starting at column width + 4. */
static void print_row(FILE *f, const char *left, const char *help, int width)
{
    int col = width + 4, x = fprintf(f, "  %s", left);
    if (x > col - 2) {
        fputc('\n', f);
        x = 0;
    }
    print_text(f, help ? help : "", col, x);
}

static void option_left(const cli_option *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s--%s%s%s", o == &help_option ? "-h, " : "", o->name, o->arg ? " " : "",
             o->arg ? o->arg : "");
}

/* The left column's width for a command's positionals and options. */
static int help_width(const cli_command *cmd)
{
    int w = (int)strlen("-h, --help");
    char left[128];
    for (const cli_positional *p = cmd->args; p && p->name; p++)
        if ((int)strlen(p->name) > w) w = (int)strlen(p->name);
    for (size_t t = 0; t < sizeof cmd->opts / sizeof cmd->opts[0] && cmd->opts[t]; t++)
        for (const cli_option *o = cmd->opts[t]; o->name; o++) {
            option_left(o, left, sizeof left);
            int n = (int)strlen(left);
            if (n > w && n <= HELP_COLUMN_MAX) w = n;
        }
    return w;
}

void cli_usage(const cli_command *cmd, FILE *f)
{
    const char *u = cmd->usage ? cmd->usage : "[options]";
    int indent = (int)(strlen("usage: ") + strlen(cmd->path) + 1);
    for (bool first = true; *u; first = false) {
        size_t n = strcspn(u, "\n");
        char form[512];
        snprintf(form, sizeof form, "%.*s", (int)n, u);
        print_text(f, form, indent, fprintf(f, "%s %s ", first ? "usage:" : "      ", cmd->path));
        u += n + (u[n] == '\n');
    }
}

void cli_help(const cli_command *cmd, FILE *f)
{
    cli_usage(cmd, f);
    if (cmd->about) {
        fputc('\n', f);
        print_text(f, cmd->about, 0, 0);
    }
    int w = help_width(cmd);
    char left[128];
    if (cmd->args && cmd->args->name) {
        fprintf(f, "\narguments:\n");
        for (const cli_positional *p = cmd->args; p->name; p++)
            print_row(f, p->name, p->help, w);
    }
    fprintf(f, "\noptions:\n");
    for (size_t t = 0; t < sizeof cmd->opts / sizeof cmd->opts[0] && cmd->opts[t]; t++)
        for (const cli_option *o = cmd->opts[t]; o->name; o++) {
            option_left(o, left, sizeof left);
            print_row(f, left, o->help, w);
        }
    option_left(&help_option, left, sizeof left);
    print_row(f, left, help_option.help, w);
    if (cmd->notes) {
        fputc('\n', f);
        print_text(f, cmd->notes, 0, 0);
    }
}

static void vusage_error(const cli_command *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", cmd->path);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    cli_usage(cmd, stderr);
    fprintf(stderr, "Run '%s --help' for the options.\n", cmd->path);
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vusage_error(cmd, fmt, ap);
    va_end(ap);
    return CLI_USAGE;
}

static int opt_refuse(cli_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int opt_refuse(cli_args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vusage_error(a->cmd, fmt, ap);
    va_end(ap);
    a->rc = CLI_USAGE;
    return CLI_STOP;
}

static const cli_option *opt_find(const cli_command *cmd, const char *name, size_t len)
{
    for (size_t t = 0; t < sizeof cmd->opts / sizeof cmd->opts[0] && cmd->opts[t]; t++)
        for (const cli_option *o = cmd->opts[t]; o->name; o++)
            if (strlen(o->name) == len && !strncmp(o->name, name, len)) return o;
    if (len == 4 && !strncmp(name, "help", 4)) return &help_option;
    return NULL;
}

/* Whether one more positional argument is allowed. */
static bool arg_allowed(const cli_args *a)
{
    size_t n = 0;
    for (const cli_positional *p = a->cmd->args; p && p->name; p++, n++) {
        size_t len = strlen(p->name);
        if (!p[1].name && len >= 3 && !strcmp(p->name + len - 3, "...")) return true;
    }
    return a->n_args < n;
}

void cli_args_init(cli_args *a, const cli_command *cmd, int argc, char **argv)
{
    *a = (cli_args){.cmd = cmd, .argc = argc, .argv = argv, .next = 1, .rc = CLI_USAGE};
}

int cli_next(cli_args *a, const char **value)
{
    *value = NULL;
    while (a->next < a->argc) {
        const char *s = a->argv[a->next++];
        if (a->only_args || s[0] != '-' || s[1] == '\0') {
            if (!arg_allowed(a)) { /* refused at the end: a --help after it still helps */
                if (!a->surplus) a->surplus = s;
                continue;
            }
            a->n_args++;
            *value = s;
            return CLI_ARG;
        }
        if (!strcmp(s, "--")) {
            a->only_args = true;
            continue;
        }
        if (s[1] != '-' && strcmp(s, "-h")) return opt_refuse(a, "unknown option '%s'", s);
        const char *name = s[1] == '-' ? s + 2 : "help", *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_option *o = opt_find(a->cmd, name, len);
        if (!o) return opt_refuse(a, "unknown option '--%.*s'", (int)len, name);
        if (!o->arg && eq) return opt_refuse(a, "option '--%s' takes no value", o->name);
        if (o == &help_option) {
            cli_help(a->cmd, stdout);
            a->rc = CLI_OK;
            return CLI_STOP;
        }
        if (!o->arg) return o->id;
        if (eq)
            *value = eq + 1;
        else if (a->next < a->argc)
            *value = a->argv[a->next++];
        else
            return opt_refuse(a, "option '--%s' needs a value (%s)", o->name, o->arg);
        return o->id;
    }
    return a->surplus ? opt_refuse(a, "unexpected argument '%s'", a->surplus) : CLI_END;
}

bool cli_append(const char **list, size_t *n, size_t max, const char *opt, const char *value)
{
    if (*n == max) {
        fprintf(stderr, "avow: too many %s (at most %zu)\n", opt, max);
        return false;
    }
    list[(*n)++] = value;
    return true;
}

/* ---- command groups ---- */

static void group_help(const cli_group *g, FILE *f)
{
    bool top = !strchr(g->path, ' ');
    const char *noun = top ? "COMMAND" : "SUBCOMMAND";
    fprintf(f, "usage: %s %s [ARGS]\n", g->path, noun);
    if (g->about) {
        fputc('\n', f);
        print_text(f, g->about, 0, 0);
    }
    int w = 0;
    for (const cli_subcommand *s = g->subs; s->name; s++)
        if ((int)strlen(s->name) > w) w = (int)strlen(s->name);
    fprintf(f, "\n%s:\n", top ? "commands" : "subcommands");
    for (const cli_subcommand *s = g->subs; s->name; s++)
        print_row(f, s->name, s->summary, w);
    fprintf(f, "\nRun '%s %s --help' for its arguments and options.\n", g->path, noun);
}

int cli_dispatch(const cli_group *g, int argc, char **argv)
{
    if (argc < 2) {
        group_help(g, stderr);
        return CLI_USAGE;
    }
    const char *s = argv[1];
    if (!strcmp(s, "--help") || !strcmp(s, "-h") || !strcmp(s, "help")) {
        group_help(g, stdout);
        return CLI_OK;
    }
    for (const cli_subcommand *c = g->subs; c->name; c++)
        if (!strcmp(s, c->name)) return c->run(argc - 1, argv + 1);
    if (s[0] == '-')
        fprintf(stderr, "%s: unknown option '%s'\n", g->path, s);
    else
        fprintf(stderr, "%s: unknown %s '%s'\n", g->path,
                strchr(g->path, ' ') ? "subcommand" : "command", s);
    group_help(g, stderr);
    return CLI_USAGE;
}
